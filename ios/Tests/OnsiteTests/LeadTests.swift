import Foundation
import XCTest

@testable import Onsite

/// Lead scoring and the campaign funnel from Swift: the classic case and the A/B verdict.
final class LeadTests: XCTestCase {
    let keys = MemoryKeyStorage()
    var dir: URL!
    var store: OnsiteStore!
    var ids: [String: String] = [:]
    let now = "2026-11-27T12:00:00Z"

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try OnsiteStore.openEncrypted(path: dir.appendingPathComponent("l.sqlite").path, keys: keys)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let model = try Data(contentsOf: root.appendingPathComponent("tests/data/scoring-model.json"))
        _ = try store.importCatalog(data: model, format: .json)
        let consent = MarketingConsent(granted: true, at: "2026-01-10T09:00:00Z", source: "web double opt-in")
        for key in ["mailings", "download"] {
            let id = newId()
            try store.saveAccount(
                account: Account(
                    id: id, name: "Firma \(key)", legalForm: "GmbH", employees: 62, industry: "Maschinenbau",
                    billingAddress: Address(street: "Hauptstraße 1", postalCode: "80331", city: "München", country: "DE"),
                    shippingAddress: nil, vatId: nil, customerGroup: nil, assignedRep: "rep-1"),
                contacts: [
                    Contact(
                        id: newId(), accountId: id, firstName: "Eva", lastName: key, role: .decisionMaker, title: nil,
                        email: "\(key)@example.com", phone: "+49 89 1", consent: consent)
                ])
            ids[key] = id
        }
    }

    override func tearDownWithError() throws {
        store = nil
        try FileManager.default.removeItem(at: dir)
    }

    func testTheDownloadAndTheCommentAreCalledFirst() throws {
        var rows = ["email;kind;at"]
        rows += [10, 13, 17, 20].map { "mailings@example.com;email_sent;2026-11-\($0)T08:00:00Z" }
        rows += [13, 20].map { "mailings@example.com;email_opened;2026-11-\($0)T09:00:00Z" }
        rows += [
            "download@example.com;case_study_download;2026-11-25T10:00:00Z",
            "download@example.com;social_comment;2026-11-22T10:00:00Z",
        ]
        let summary = try store.importActivities(bytes: Data(rows.joined(separator: "\n").utf8), source: "newsletter")
        XCTAssertEqual(summary.imported, 8)
        let calls = try store.callList(rep: nil, now: now, limit: 10)
        XCTAssertEqual(calls.map(\.accountId), [ids["download"]!, ids["mailings"]!])
        XCTAssertEqual(calls[0].fitPct, calls[1].fitPct)
        XCTAssertTrue(calls[0].reason.contains("downloaded the case study 2 days ago"), calls[0].reason)
    }

    func testFunnelAndAbTest() throws {
        let report = try store.campaignReport(id: "kanban-c-teile")
        XCTAssertEqual(report.weakest, .interest)
        XCTAssertEqual(report.abTest?.verdict, "B wins with 96% confidence")
        // Reference: Python's math.erfc gives p = 0.0308371678.
        let ab = try abTest(a: "A", nA: 1000, xA: 200, b: "B", nB: 1000, xB: 240)
        XCTAssertEqual(ab.pValue, 0.0308371678, accuracy: 1e-6)
        XCTAssertThrowsError(try store.campaignReport(id: "nope")) { e in
            guard case OnsiteError.NotFound = e else { return XCTFail("\(e)") }
        }
    }
}
