import Foundation
import XCTest

@testable import Onsite

final class QuoteTests: XCTestCase {
    let keys = MemoryKeyStorage()
    var dir: URL!
    var store: OnsiteStore!
    var accountId = ""
    let today = "2026-03-10"

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try OnsiteStore.openEncrypted(path: dir.appendingPathComponent("q.sqlite").path, keys: keys)
        let catalog = """
            sku;name;unit;list_price;tax_class;c_part;category
            SKS-M8;Sechskantschraube M8×40;pc;0,12;DE-STD;ja;Schrauben
            AKB-18;Akku-Bohrschrauber 18 V;pc;189,00;DE-STD;nein;Werkzeug/Elektro
            BUCH;Handbuch Befestigungstechnik;pc;49,90;DE-RED;nein;Literatur
            """.data(using: .utf8)!
        _ = try store.importCatalog(data: catalog, format: .csv)
        accountId = newId()
        try store.saveAccount(
            account: Account(
                id: accountId, name: "Müller Maschinenbau", legalForm: "GmbH", employees: 62, industry: nil,
                billingAddress: Address(street: "Hauptstraße 1", postalCode: "80331", city: "München", country: "DE"),
                shippingAddress: nil, vatId: nil, customerGroup: "A", assignedRep: "rep-1"),
            contacts: [])
    }

    override func tearDownWithError() throws {
        store = nil
        try FileManager.default.removeItem(at: dir)
    }

    func newQuote() throws -> Quote {
        let q = try store.createQuote(accountId: accountId, contactId: nil, rep: "rep-1", locale: .de, validUntil: "2026-03-31")
        _ = try store.addQuoteLine(quoteId: q.id, sku: "SKS-M8", qty: "1000", discountPct: "0", dayText: today)
        return try store.addQuoteLine(quoteId: q.id, sku: "BUCH", qty: "1", discountPct: "0", dayText: today)
    }

    func approval(_ q: Quote) -> Approval {
        Approval(
            quoteId: q.id, revisionHash: q.revisionHash, signerName: "Anna Weiß", signerRole: "Einkauf", auth: .webLink,
            deviceTime: "2026-03-10T09:00:00Z", deviceId: "browser")
    }

    func testPriceSendApproveOrderReorder() throws {
        var q = try newQuote()
        let t = try quoteTotals(quote: q)
        XCTAssertEqual([t.netTotal, t.taxTotal, t.grossTotal], ["169.90", "26.29", "196.19"])
        q = try store.sendQuote(id: q.id, today: today)
        q = try store.approveQuote(id: q.id, approval: approval(q), today: today)
        XCTAssertEqual(quoteApprovalStatus(quote: q), .approved)
        let order = try store.orderQuote(id: q.id)
        XCTAssertEqual(order.grossTotal, "196.19")
        let rep = RepContact(name: "Jürgen Groß", email: "j.gross@onsite.example", phone: "+49 170 1")
        let pdf = try store.renderQuotePdf(quoteId: q.id, rep: rep, options: try pdfOptions(date: today))
        XCTAssertEqual(String(decoding: pdf.prefix(5), as: UTF8.self), "%PDF-")
        let sheet = try store.renderDatasheetPdf(sku: "SKS-M8", accountId: accountId, rep: rep, image: nil, options: try pdfOptions(date: today))
        XCTAssertEqual(String(decoding: sheet.prefix(5), as: UTF8.self), "%PDF-")
        let again = try store.reorder(orderId: order.id, changes: [QuantityChange(sku: "SKS-M8", qty: "500")], dayText: today)
        XCTAssertEqual(again.reorderOf, order.id)
        XCTAssertEqual(again.lines.map(\.sku), ["SKS-M8", "BUCH"])
    }

    func testAnApprovalOfAnOlderRevisionIsSuperseded() throws {
        var q = try store.sendQuote(id: try newQuote().id, today: today)
        let signedOffline = approval(q)
        q.lines[0].qty = "2000"
        q = try store.editQuote(quote: q)
        XCTAssertEqual(q.revision, 2)
        XCTAssertEqual(q.state, .draft)
        q = try store.sendQuote(id: q.id, today: today)
        XCTAssertThrowsError(try store.approveQuote(id: q.id, approval: signedOffline, today: today)) { e in
            guard case OnsiteError.Conflict(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains("current revision is 2"), m)
        }
        q = try store.approveQuote(id: q.id, approval: approval(q), today: today)
        q.notes = "Lieferung KW 14"
        q = try store.editQuote(quote: q)
        XCTAssertEqual(quoteApprovalStatus(quote: q), .superseded(currentRevision: 3))
    }

    func testSignedApprovalLinksPerRevision() throws {
        var q = try store.sendQuote(id: try newQuote().id, today: today)
        XCTAssertThrowsError(try store.approvalLink(quoteId: q.id, baseUrl: "https://hub.example.com")) { e in
            guard case OnsiteError.Validation(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains("link key"), m)
        }
        try store.setApprovalLinkKey(token: "ost_" + String(repeating: "ab", count: 32))
        let first = try store.approvalLink(quoteId: q.id, baseUrl: "https://hub.example.com/")
        XCTAssertTrue(first.hasPrefix("https://hub.example.com/a/\(q.id).1."), first)
        q.notes = "Lieferung KW 14"
        q = try store.sendQuote(id: try store.editQuote(quote: q).id, today: today)
        let second = try store.approvalLink(quoteId: q.id, baseUrl: "https://hub.example.com")
        XCTAssertTrue(second.hasPrefix("https://hub.example.com/a/\(q.id).2."), second)
        XCTAssertNil(approval(q).clientAddress)
    }

    func testDiscountPolicyAndTypedErrors() throws {
        try store.setDiscountPolicy(policy: DiscountPolicy(
            maxDiscountPct: "10", categoryLimits: [CategoryLimit(category: "Werkzeug/", maxDiscountPct: "5")],
            minMarginPct: "0", reasonRequired: true))
        var q = try store.createQuote(accountId: accountId, contactId: nil, rep: "rep-1", locale: .en, validUntil: "2026-03-31")
        q = try store.addQuoteLine(quoteId: q.id, sku: "AKB-18", qty: "1", discountPct: "8", dayText: today)
        XCTAssertThrowsError(try store.sendQuote(id: q.id, today: today)) { e in
            guard case OnsiteError.Validation(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains("exceeds the limit of 5 %"), m)
        }
        q = try store.requestDiscountApproval(id: q.id, reason: "Wettbewerb")
        XCTAssertEqual(q.state, .needsDiscountApproval)
        _ = try store.decideDiscount(id: q.id, approved: true, by: "backoffice-1")
        q = try store.sendQuote(id: q.id, today: today)
        XCTAssertEqual(try store.grantedDiscounts(accountId: accountId).first?.discountPct, "8")
        XCTAssertThrowsError(try store.orderQuote(id: q.id)) { e in
            guard case OnsiteError.Conflict = e else { return XCTFail("\(e)") }
        }
        q = try store.rejectQuote(id: q.id, reason: "zu teuer")
        XCTAssertEqual(q.state, .rejected)
    }
}
