// The sync transport on Android: OkHttp, so TLS, proxies and certificate
// pinning are the app's own OkHttpClient's.
package app.onsite

import java.io.IOException
import java.io.InterruptedIOException
import java.net.ConnectException
import java.net.SocketTimeoutException
import java.net.UnknownHostException
import javax.net.ssl.SSLHandshakeException
import javax.net.ssl.SSLPeerUnverifiedException
import okhttp3.MediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody
import uniffi.onsite.SyncTransport
import uniffi.onsite.TransportException
import uniffi.onsite_core.Header
import uniffi.onsite_core.TransportRequest
import uniffi.onsite_core.TransportResponse

/**
 * Posts each sync request with [client] (pass the app's, with its
 * certificate pinner and timeouts). Redirects are never followed; the
 * driver adds `Accept-Encoding: gzip` itself and inflates the answer.
 */
class OkHttpTransport(client: OkHttpClient = OkHttpClient()) : SyncTransport {
    private val client = client.newBuilder().followRedirects(false).followSslRedirects(false).build()

    override fun post(request: TransportRequest): TransportResponse {
        val type = request.headers.firstOrNull { it.name == "content-type" }?.value
        val builder = Request.Builder().url(request.url)
            .post(RequestBody.create(type?.let { MediaType.parse(it) }, request.body))
        for (h in request.headers) builder.header(h.name, h.value)
        try {
            client.newCall(builder.build()).execute().use { response ->
                val headers = response.headers()
                return TransportResponse(
                    response.code().toUShort(),
                    (0 until headers.size()).map { Header(headers.name(it).lowercase(), headers.value(it)) },
                    response.body()?.bytes() ?: ByteArray(0),
                )
            }
        } catch (e: SSLHandshakeException) {
            // Not retried: a certificate or pin the client does not accept.
            throw TransportException.Tls(e.message ?: "TLS handshake failed")
        } catch (e: SSLPeerUnverifiedException) {
            throw TransportException.Tls(e.message ?: "the hub's certificate is not trusted")
        } catch (e: SocketTimeoutException) {
            throw TransportException.Timeout(e.message ?: "timed out")
        } catch (e: InterruptedIOException) {
            // OkHttp's call timeout is an InterruptedIOException too; only
            // an interrupted thread is a cancel.
            if (Thread.currentThread().isInterrupted) throw TransportException.Cancelled()
            throw TransportException.Timeout(e.message ?: "timed out")
        } catch (e: UnknownHostException) {
            throw TransportException.Offline(e.message ?: "unknown host")
        } catch (e: ConnectException) {
            throw TransportException.Offline(e.message ?: "connection refused")
        } catch (e: IOException) {
            // A connection reset, also one inside TLS (SSLException): retried.
            throw TransportException.Offline(e.message ?: e.javaClass.simpleName)
        }
    }
}
