import Foundation
import XCTest

@testable import Onsite

/// Two devices sync through an in-process hub by passing frames as bytes.
final class SyncTests: XCTestCase {
    let keys = MemoryKeyStorage()
    var dir: URL!
    var hub: OnsiteStore!
    var anna: OnsiteStore!
    var ben: OnsiteStore!
    var account: Account!
    var contact: Contact!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        hub = try OnsiteStore.openEncrypted(path: dir.appendingPathComponent("hub.sqlite").path, keys: keys)
        anna = try OnsiteStore.openEncrypted(path: dir.appendingPathComponent("anna.sqlite").path, keys: keys)
        ben = try OnsiteStore.openEncrypted(path: dir.appendingPathComponent("ben.sqlite").path, keys: keys)
        let catalog = "sku;name;unit;list_price;tax_class\nSKS-M8;Sechskantschraube M8×40;pc;0,12;DE-STD\n"
        _ = try hub.importCatalog(data: catalog.data(using: .utf8)!, format: .csv)
        account = Account(
            id: newId(), name: "Müller Maschinenbau", legalForm: "GmbH", employees: 62, industry: nil,
            billingAddress: Address(street: "Hauptstraße 1", postalCode: "80331", city: "München", country: "DE"),
            shippingAddress: nil, vatId: nil, customerGroup: "A", assignedRep: "rep-1")
        contact = Contact(
            id: newId(), accountId: account.id, firstName: "Petra", lastName: "Einkauf", role: .decisionMaker,
            title: nil, email: nil, phone: "+49 89 1000", consent: nil)
        try hub.saveAccount(account: account, contacts: [contact])
    }

    override func tearDownWithError() throws {
        anna = nil
        ben = nil
        hub = nil
        try FileManager.default.removeItem(at: dir)
    }

    func scope(_ device: OnsiteStore) throws -> SyncScope {
        SyncScope(deviceId: try device.deviceId(), accounts: [account.id], includeCosts: true, role: .rep, person: "rep-1")
    }

    @discardableResult
    func sync(_ device: OnsiteStore) async throws -> Int {
        let scope = try self.scope(device)
        let hub = self.hub!
        return try await device.sync { request in try hub.hubHandle(scope: scope, request: request) }
    }

    func testConcurrentEditsConvergeAndBothValuesStayVisible() async throws {
        let trips = try await sync(anna)
        XCTAssertLessThanOrEqual(trips, 2)
        try await sync(ben)
        XCTAssertEqual(try ben.contacts(accountId: account.id), [contact])

        var a = contact!
        a.phone = "+49 89 1111"
        try anna.saveContact(contact: a)
        var b = contact!
        b.phone = "+49 89 2222"
        try ben.saveContact(contact: b)
        let q = try anna.createQuote(accountId: account.id, contactId: nil, rep: "rep-1", locale: .de, validUntil: "2026-12-31")
        _ = try anna.addQuoteLine(quoteId: q.id, sku: "SKS-M8", qty: "500", discountPct: "0", dayText: "2026-11-27")
        try await sync(anna)
        try await sync(ben)
        try await sync(anna)

        XCTAssertEqual(try anna.contacts(accountId: account.id), try ben.contacts(accountId: account.id))
        XCTAssertEqual(try anna.quote(id: q.id), try ben.quote(id: q.id))
        // Contacts are documents of their own (ADR 24).
        let conflicts = try ben.conflicts(docId: "person/\(contact.id)")
        XCTAssertEqual(conflicts, try anna.conflicts(docId: "person/\(contact.id)"))
        let phone = conflicts.first { $0.path.hasSuffix("/phone") }
        XCTAssertEqual(Set(phone?.values.map(\.value) ?? []), ["\"+49 89 1111\"", "\"+49 89 2222\""])
        XCTAssertEqual(Set(phone?.values.map(\.deviceId) ?? []), [try anna.deviceId(), try ben.deviceId()])
    }

    func testHostileFramesAreTypedErrors() throws {
        let request = try anna.syncRequest()
        XCTAssertThrowsError(try hub.hubHandle(scope: try scope(anna), request: request.prefix(request.count / 2))) { e in
            guard case OnsiteError.Sync = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try hub.hubHandle(scope: try scope(ben), request: request)) { e in
            guard case OnsiteError.Unauthorized = e else { return XCTFail("\(e)") }
        }
        let response = try hub.hubHandle(scope: try scope(anna), request: request)
        XCTAssertThrowsError(try hub.hubHandle(scope: try scope(anna), request: request))
        _ = try anna.syncApply(response: response)
        XCTAssertThrowsError(try anna.syncApply(response: response)) { e in
            guard case OnsiteError.Sync = e else { return XCTFail("\(e)") }
        }
    }
}
