// The sync transport on Apple platforms (URLSession) and on Linux
// (FoundationNetworking): TLS, proxies and pinning are the session's.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Posts each sync request with a `URLSession` (pass the app's, with its
/// delegate for certificate pinning). Redirects are never followed.
public final class URLSessionTransport: SyncTransport, @unchecked Sendable {
    private final class NoRedirects: NSObject, URLSessionTaskDelegate {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }
    }

    private let session: URLSession
    private let timeout: TimeInterval

    /// A transport over `session` (default: an ephemeral session that
    /// follows no redirects); `timeout` per request, in seconds.
    public init(session: URLSession? = nil, timeout: TimeInterval = 60) {
        self.session = session ?? URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        self.timeout = timeout
    }

    public func post(request: TransportRequest) throws -> TransportResponse {
        guard let url = URL(string: request.url) else {
            throw TransportError.Failed(detail: "not a URL: \(request.url)")
        }
        var r = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        r.httpMethod = "POST"
        r.httpBody = request.body
        for h in request.headers { r.setValue(h.value, forHTTPHeaderField: h.name) }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<TransportResponse, TransportError> = .failure(.Failed(detail: "no answer"))
        let task = session.dataTask(with: r) { data, response, error in
            defer { done.signal() }
            if let error { outcome = .failure(Self.classify(error)); return }
            guard let http = response as? HTTPURLResponse else {
                outcome = .failure(.Failed(detail: "not an HTTP answer"))
                return
            }
            let headers = http.allHeaderFields.compactMap { k, v -> Header? in
                guard let name = k as? String else { return nil }
                return Header(name: name.lowercased(), value: "\(v)")
            }
            outcome = .success(TransportResponse(status: UInt16(clamping: http.statusCode), headers: headers, body: data ?? Data()))
        }
        task.resume()
        done.wait()
        return try outcome.get()
    }

    private static func classify(_ error: Error) -> TransportError {
        guard let e = error as? URLError else { return .Offline(detail: error.localizedDescription) }
        switch e.code {
        case .timedOut: return .Timeout(detail: e.localizedDescription)
        case .cancelled: return .Cancelled
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected,
             .clientCertificateRequired:
            return .Tls(detail: e.localizedDescription)
        default: return .Offline(detail: e.localizedDescription)
        }
    }
}

extension OnsiteStore {
    /// Syncs with the hub until nothing is left, in one call, off the
    /// calling task's thread: gzip, retries with backoff and jitter,
    /// resumption after a dropped connection. Cancelling the task stops it
    /// at the next safe point. Throws `SyncFailure` (`.Offline`,
    /// `.Unauthorized`, `.Wipe`, `.Refused`, `.UpgradeRequired`, `.Server`,
    /// `.Tls`, `.Cancelled`, `.Transport`, `.Local`); local data is intact.
    public func syncWithHub(
        hubUrl: String, token: String, transport: SyncTransport = URLSessionTransport(),
        observer: SyncObserver? = nil
    ) async throws -> SyncSummary {
        let cancel = SyncCancel()
        let settings = syncSettings(hubUrl: hubUrl, token: token)
        return try await withTaskCancellationHandler {
            try await Task.detached(priority: .utility) {
                try self.syncWithHub(settings: settings, transport: transport, observer: observer, cancel: cancel)
            }.value
        } onCancel: {
            cancel.cancel()
        }
    }
}
