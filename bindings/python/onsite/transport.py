"""The sync transport over Python's own HTTP client (`urllib`).

    from onsite import OnsiteStore, UrllibTransport, sync_settings
    summary = store.sync_with_hub(sync_settings(url, token), UrllibTransport(), None, None)

TLS is the standard library's: pass an `ssl.SSLContext` to trust a private
CA. Redirects are not followed (a sync answer is never a redirect).
"""

import http.client
import socket
import ssl
import urllib.error
import urllib.request

from .onsite import SyncTransport, TransportError
from .onsite_core import Header, TransportResponse


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        return None


class UrllibTransport(SyncTransport):
    """Posts each request with `urllib.request`; `timeout` in seconds."""

    def __init__(self, timeout: float = 60.0, context: ssl.SSLContext | None = None):
        self._timeout = timeout
        self._opener = urllib.request.build_opener(
            _NoRedirect(), urllib.request.HTTPSHandler(context=context)
        )

    def post(self, request):
        req = urllib.request.Request(request.url, data=bytes(request.body), method="POST")
        for h in request.headers:
            req.add_header(h.name, h.value)
        try:
            with self._opener.open(req, timeout=self._timeout) as resp:
                return self._answer(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as e:
            with e:
                return self._answer(e.code, e.headers, e.read())
        except urllib.error.URLError as e:
            # Only a certificate the client refuses is a TLS failure (not
            # retried); an SSL error mid-stream is a dropped connection.
            if isinstance(e.reason, ssl.SSLCertVerificationError):
                raise TransportError.Tls(detail=str(e.reason)) from None
            if isinstance(e.reason, (TimeoutError, socket.timeout)):
                raise TransportError.Timeout(detail=str(e.reason)) from None
            raise TransportError.Offline(detail=str(e.reason)) from None
        except ssl.SSLCertVerificationError as e:
            raise TransportError.Tls(detail=str(e)) from None
        except (TimeoutError, socket.timeout) as e:
            raise TransportError.Timeout(detail=str(e) or "timed out") from None
        except (ConnectionError, http.client.HTTPException, OSError) as e:
            raise TransportError.Offline(detail=str(e) or type(e).__name__) from None

    @staticmethod
    def _answer(status, headers, body):
        return TransportResponse(
            status=status,
            headers=[Header(name=k.lower(), value=v) for k, v in headers.items()],
            body=body,
        )
