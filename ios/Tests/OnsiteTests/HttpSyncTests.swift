import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@testable import Onsite

/// A real `onsite serve` process on loopback (SQLite), restartable on its port.
final class HubProcess: @unchecked Sendable {
    let dir: URL
    let binary = ProcessInfo.processInfo.environment["ONSITE_BIN"] ?? "../target/debug/onsite"
    var database: String { "sqlite:" + dir.appendingPathComponent("hub.sqlite").path }
    var adminToken = ""
    var port = 0
    var process: Process?
    var url: String { "http://127.0.0.1:\(port)" }

    init(dir: URL) throws {
        self.dir = dir
        let out = try run([binary, "admin", "bootstrap", "--database", database, "--person", "backoffice"])
        adminToken = try token(in: out)
        try start()
    }

    private func token(in text: String) throws -> String {
        guard let r = text.range(of: "ost_[0-9a-f]{64}", options: .regularExpression) else {
            throw NSError(domain: "hub", code: 1, userInfo: [NSLocalizedDescriptionKey: "no token in \(text)"])
        }
        return String(text[r])
    }

    private func run(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        var status: Int32 = 0
        _ = waitpid(p.processIdentifier, &status, 0)
        return String(decoding: data, as: UTF8.self)
    }

    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--database", database, "--shutdown-grace", "2", "--quiet"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        var line = Data()
        while true {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let r = text.range(of: "127\\.0\\.0\\.1:[0-9]+", options: .regularExpression),
              let n = Int(text[r].split(separator: ":")[1]) else {
            throw NSError(domain: "hub", code: 2, userInfo: [NSLocalizedDescriptionKey: "the hub did not start: \(text)"])
        }
        port = n
        process = p
    }

    func stop() {
        guard let p = process else { return }
        process = nil
        // Killed (a crash, which the hub survives: ADR 22) and reaped
        // directly. Not SIGTERM: a hub started from a Dispatch thread
        // inherits its blocked signals. Not `waitUntilExit`: Foundation
        // learns of a child's exit through the main run loop on Linux, which
        // a test off the main thread does not run.
        let pid = p.processIdentifier
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    @discardableResult
    func admin(_ method: String, _ path: String, _ body: Data = Data(), type: String = "application/json") throws -> [String: Any] {
        var r = URLRequest(url: URL(string: url + path)!)
        r.httpMethod = method
        r.httpBody = body
        r.setValue("Bearer \(adminToken)", forHTTPHeaderField: "Authorization")
        r.setValue(type, forHTTPHeaderField: "Content-Type")
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var answer: (Data?, Int) = (nil, 0)
        URLSession.shared.dataTask(with: r) { data, resp, _ in
            answer = (data, (resp as? HTTPURLResponse)?.statusCode ?? 0)
            done.signal()
        }.resume()
        done.wait()
        guard (200..<300).contains(answer.1), let data = answer.0 else {
            throw NSError(domain: "hub", code: answer.1, userInfo: [NSLocalizedDescriptionKey: "admin \(path): \(answer.1)"])
        }
        return (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    func issue(person: String, role: String) throws -> (String, String) {
        let body = try JSONSerialization.data(withJSONObject: ["person": person, "role": role, "label": person])
        let a = try admin("POST", "/v1/admin/devices", body)
        let device = a["device"] as? [String: Any]
        return (device?["device_id"] as? String ?? "", a["token"] as? String ?? "")
    }
}

/// Kills and restarts the hub at call `at`, on the calling thread: before
/// the request reaches it (the request meets a closed port, the hub starts
/// again, the driver retries), or after the hub applied it (the answer then
/// lost). Requests time out after 5 s, not to wait a minute on a connection
/// the crash left half open.
final class Restarting: SyncTransport, @unchecked Sendable {
    let inner = URLSessionTransport(timeout: 5)
    let hub: HubProcess
    let at: Int
    let afterDelivery: Bool
    var calls = 0

    init(hub: HubProcess, at: Int, afterDelivery: Bool) {
        self.hub = hub
        self.at = at
        self.afterDelivery = afterDelivery
    }

    func post(request: TransportRequest) throws -> TransportResponse {
        calls += 1
        guard calls == at else { return try inner.post(request: request) }
        if afterDelivery {
            _ = try inner.post(request: request)
            hub.stop()
            try? hub.start()
            throw TransportError.Offline(detail: "connection reset by the restart")
        }
        hub.stop()
        defer { try? hub.start() }
        return try inner.post(request: request)
    }
}

/// The SDK's sync in one call, in Swift, against a real hub over HTTP
/// through URLSession (FoundationNetworking here).
final class HttpSyncTests: XCTestCase {
    nonisolated(unsafe) static var hub: HubProcess!
    nonisolated(unsafe) static var dir: URL!
    nonisolated(unsafe) static var account: Account!
    nonisolated(unsafe) static var contact: Contact!
    let keys = MemoryKeyStorage()

    override class func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        hub = try! HubProcess(dir: dir)
        var csv = "sku;name;unit;list_price;tax_class\n"
        for i in 0..<12_000 { csv += "P-\(100_000 + i);Unterlegscheibe DIN 125 M\(6 + i % 10);pc;0,\(10 + i % 80);DE-STD\n" }
        try! hub.admin("POST", "/v1/admin/catalog?format=csv", Data(csv.utf8), type: "text/csv")
        account = Account(
            id: newId(), name: "Müller Maschinenbau", legalForm: "GmbH", employees: 62, industry: nil,
            billingAddress: Address(street: "Hauptstraße 1", postalCode: "80331", city: "München", country: "DE"),
            shippingAddress: nil, vatId: nil, customerGroup: nil, assignedRep: "rep-1")
        contact = Contact(
            id: newId(), accountId: account.id, firstName: "Petra", lastName: "Einkauf", role: .decisionMaker,
            title: nil, email: nil, phone: "+49 89 1000", consent: nil)
        let (id, token) = try! hub.issue(person: "backoffice", role: "admin")
        let office = try! OnsiteStore.openEncrypted(
            path: dir.appendingPathComponent("office.sqlite").path, keys: MemoryKeyStorage(), deviceId: id)
        try! office.saveAccount(account: account, contacts: [contact])
        _ = try! office.syncWithHub(settings: syncSettings(hubUrl: hub.url, token: token), transport: URLSessionTransport(),
                                    observer: nil, cancel: nil)
        try! hub.admin("POST", "/v1/admin/reps/rep-1/accounts", Data("{\"add\":[\"\(account.id)\"]}".utf8))
    }

    override class func tearDown() {
        hub.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    func device(_ name: String) throws -> (OnsiteStore, String, String) {
        let (id, token) = try Self.hub.issue(person: "rep-1", role: "rep")
        let store = try OnsiteStore.openEncrypted(
            path: Self.dir.appendingPathComponent("\(name).sqlite").path, keys: keys, deviceId: id)
        return (store, id, token)
    }

    func testTwoDevicesSeeEachOthersEditsOverHttp() async throws {
        let (anna, _, annaToken) = try device("anna")
        let (ben, _, benToken) = try device("ben")
        let first = try await anna.syncWithHub(hubUrl: Self.hub.url, token: annaToken)
        XCTAssertEqual(try anna.productCount(), 12_000)
        XCTAssertGreaterThanOrEqual(first.progress.roundTrips, 3, "three catalog pages")
        _ = try await ben.syncWithHub(hubUrl: Self.hub.url, token: benToken)
        var c = Self.contact!
        c.phone = "+49 89 2222"
        try anna.saveContact(contact: c)
        XCTAssertEqual(try anna.syncHealth().pendingDocuments, 1)
        _ = try await anna.syncWithHub(hubUrl: Self.hub.url, token: first.token)
        _ = try await ben.syncWithHub(hubUrl: Self.hub.url, token: benToken)
        XCTAssertEqual(try ben.contacts(accountId: Self.account.id).first?.phone, "+49 89 2222")
        let health = try anna.syncHealth()
        XCTAssertEqual(health.pendingDocuments, 0)
        XCTAssertNil(health.lastError)
        XCTAssertNotNil(health.lastSuccessAt)
    }

    func testARevokedTokenIsATypedError() async throws {
        let (carl, id, token) = try device("carl")
        _ = try await carl.syncWithHub(hubUrl: Self.hub.url, token: token)
        try Self.hub.admin("POST", "/v1/admin/devices/\(id)/revoke")
        do {
            _ = try await carl.syncWithHub(hubUrl: Self.hub.url, token: token)
            XCTFail("a revoked token syncs")
        } catch SyncFailure.Unauthorized(let problem, _) {
            XCTAssertEqual(problem, .revoked)
        }
        XCTAssertTrue(try carl.syncHealth().lastError?.contains("not authorized") == true)
    }

    func testAHubRestartInTheMiddleOfASyncLosesAndDoublesNothing() async throws {
        let (eve, _, token) = try device("eve")
        let first = Restarting(hub: Self.hub, at: 2, afterDelivery: false)
        let done = try await eve.syncWithHub(hubUrl: Self.hub.url, token: token, transport: first)
        XCTAssertGreaterThanOrEqual(done.retries, 1)
        XCTAssertEqual(try eve.productCount(), 12_000)
        var visits: [String] = []
        for i in 1...5 {
            let v = Activity(id: newId(), accountId: Self.account.id, contactId: nil, kind: .visit,
                             at: "2026-11-0\(i)T09:00:00Z", by: "rep-1", subject: "Besuch \(i)", notes: "")
            try eve.logActivity(activity: v)
            visits.append(v.id)
        }
        let second = Restarting(hub: Self.hub, at: 1, afterDelivery: true)
        let again = try await eve.syncWithHub(hubUrl: Self.hub.url, token: done.token, transport: second)
        XCTAssertGreaterThanOrEqual(again.retries, 1)
        XCTAssertEqual(try eve.syncHealth().pendingDocuments, 0)
        let (fred, _, fredToken) = try device("fred")
        _ = try await fred.syncWithHub(hubUrl: Self.hub.url, token: fredToken)
        let got = try fred.activitiesForAccount(accountId: Self.account.id, limit: 100).filter { $0.subject.hasPrefix("Besuch") }
        XCTAssertEqual(got.map(\.id).sorted(), visits.sorted())
    }

    /// A PDF-typed file of `length` bytes whose content depends on `seed`.
    func pdf(_ length: Int, seed: Int) -> Data {
        var d = Data("%PDF-1.7\n".utf8)
        d.append(contentsOf: (0..<(length - d.count)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) })
        return d
    }

    func testAnAttachmentAddedOfflineReachesASecondDevice() async throws {
        let (iris, _, irisToken) = try device("iris")
        let first = try await iris.syncWithHub(hubUrl: Self.hub.url, token: irisToken)
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        let today = Date()
        var quote = try iris.createQuote(accountId: Self.account.id, contactId: nil, rep: "rep-1", locale: .de,
                                         validUntil: day.string(from: today.addingTimeInterval(30 * 86_400)))
        quote = try iris.addQuoteLine(quoteId: quote.id, sku: "P-100001", qty: "2", discountPct: "0",
                                      dayText: day.string(from: today))
        let parent = AttachmentParent.quote(quoteId: quote.id)
        let drawing = pdf(1_200_000, seed: 7)
        do {
            _ = try iris.addAttachment(parent: parent, name: "../x.pdf", bytes: drawing, forCustomer: false, by: "rep-1")
            XCTFail("a path is taken as a file name")
        } catch OnsiteError.Validation {
        }
        let added = try iris.addAttachment(parent: parent, name: "Zeichnung Regal B.pdf", bytes: drawing,
                                           forCustomer: false, by: "rep-1")
        XCTAssertEqual(added.file.mediaType, "application/pdf")
        XCTAssertEqual(added.file.size, UInt64(drawing.count))
        XCTAssertEqual(try iris.fileBudget().pendingUploads, 1, "the refused name left nothing behind")

        let up = try await iris.syncWithHub(hubUrl: Self.hub.url, token: first.token)
        XCTAssertEqual(up.files.uploaded, 1, "\(up.files)")
        XCTAssertEqual(up.files.refused, 0, "\(up.files)")
        XCTAssertEqual(try iris.fileBudget().pendingUploads, 0)

        // A second tablet of the same rep: the open quote's file is prefetched.
        let (jan, _, janToken) = try device("jan")
        let down = try await jan.syncWithHub(hubUrl: Self.hub.url, token: janToken)
        XCTAssertGreaterThanOrEqual(down.files.downloaded, 1, "\(down.files)")
        let got = try jan.attachments(parent: .quote(quoteId: quote.id))
        XCTAssertEqual(got.count, 1)
        XCTAssertEqual(got.first?.id, added.id)
        XCTAssertEqual(got.first?.file.hash, added.file.hash)
        XCTAssertEqual(got.first?.file.mediaType, "application/pdf")
        XCTAssertTrue(try jan.hasFile(hash: added.file.hash), "prefetched for the open quote")
        XCTAssertEqual(try jan.fileBytes(hash: added.file.hash), drawing)
    }
}
