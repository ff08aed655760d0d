// The sync transport on a plain JVM (servers, desktop tools, tests):
// java.net.http, which Android does not have (use app.onsite.OkHttpTransport).
package app.onsite.jvm

import java.io.IOException
import java.net.ConnectException
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.net.http.HttpTimeoutException
import java.time.Duration
import javax.net.ssl.SSLHandshakeException
import javax.net.ssl.SSLPeerUnverifiedException
import uniffi.onsite.SyncTransport
import uniffi.onsite.TransportException
import uniffi.onsite_core.Header
import uniffi.onsite_core.TransportRequest
import uniffi.onsite_core.TransportResponse

/** Posts each sync request with [client]; [timeout] per request. */
class JdkHttpTransport(
    private val client: HttpClient = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(15))
        .build(),
    private val timeout: Duration = Duration.ofSeconds(60),
) : SyncTransport {
    // Headers java.net.http sets itself and refuses from callers.
    private val restricted = setOf("connection", "content-length", "expect", "host", "upgrade")

    override fun post(request: TransportRequest): TransportResponse {
        val builder = HttpRequest.newBuilder(URI.create(request.url)).timeout(timeout)
            .POST(HttpRequest.BodyPublishers.ofByteArray(request.body))
        for (h in request.headers) if (h.name !in restricted) builder.header(h.name, h.value)
        try {
            val response = client.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray())
            val headers = response.headers().map().flatMap { (name, values) -> values.map { Header(name.lowercase(), it) } }
            return TransportResponse(response.statusCode().toUShort(), headers, response.body())
        } catch (e: HttpTimeoutException) {
            throw TransportException.Timeout(e.message ?: "timed out")
        } catch (e: SSLHandshakeException) {
            // Not retried: a certificate the client does not accept. Other
            // SSLExceptions (a reset inside TLS) are IOExceptions: retried.
            throw TransportException.Tls(e.message ?: "TLS handshake failed")
        } catch (e: SSLPeerUnverifiedException) {
            throw TransportException.Tls(e.message ?: "the hub's certificate is not trusted")
        } catch (e: ConnectException) {
            throw TransportException.Offline(e.message ?: "connection refused")
        } catch (e: IOException) {
            throw TransportException.Offline(e.message ?: e.javaClass.simpleName)
        } catch (e: InterruptedException) {
            Thread.currentThread().interrupt()
            throw TransportException.Cancelled()
        }
    }
}
