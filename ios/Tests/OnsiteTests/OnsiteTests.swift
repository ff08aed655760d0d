import Foundation
import XCTest

@testable import Onsite

final class OnsiteTests: XCTestCase {
    let keys = MemoryKeyStorage()
    var dir: URL!
    var store: OnsiteStore!

    let catalog = """
        sku;name;unit;list_price;tax_class;c_part;attr:Material
        MS-6100;Müller-Schraube Holzbau 6×100;pc;0,35;DE-STD;ja;Stahl
        SCH-M8;Schraube M8;pc;0,10;DE-STD;ja;Edelstahl A2
        STR-1;Straßenbesen;pc;19,90;DE-STD;nein;Holz
        """.data(using: .utf8)!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try OnsiteStore.openEncrypted(path: dir.appendingPathComponent("device.sqlite").path, keys: keys)
    }

    override func tearDownWithError() throws {
        store = nil
        try FileManager.default.removeItem(at: dir)
    }

    func account(_ name: String = "Müller Maschinenbau", city: String = "München") -> Account {
        Account(
            id: newId(), name: name, legalForm: "GmbH", employees: 62, industry: "Maschinenbau",
            billingAddress: Address(street: "Hauptstraße 1", postalCode: "80331", city: city, country: "DE"),
            shippingAddress: nil, vatId: "DE123456789", customerGroup: "A", assignedRep: "rep-1")
    }

    func contact(_ accountId: String, _ first: String, _ last: String, _ role: BuyingRole) -> Contact {
        Contact(
            id: newId(), accountId: accountId, firstName: first, lastName: last, role: role,
            title: "Einkauf", email: "einkauf@example.de", phone: nil,
            consent: MarketingConsent(granted: true, at: "2026-03-01T10:00:00Z", source: "Messe"))
    }

    func testImportAndSearchWithUmlauts() async throws {
        let summary = try await store.importCatalog(data: catalog, format: .csv)
        XCTAssertEqual(summary.productsAdded, 3)
        let mull = try await store.searchProducts("mull")
        XCTAssertEqual(mull.items.map(\.sku), ["MS-6100"])
        XCTAssertEqual(try store.searchProducts(text: "STRASSE", offset: 0, limit: 20, includeInactive: false).items.map(\.sku), ["STR-1"])
        let p = try store.product(sku: "sch-m8")
        XCTAssertEqual(p.listPrice.amount, "0.10")
        XCTAssertEqual(p.listPrice.decimal, Decimal(string: "0.1"))
        XCTAssertEqual(formatMoney(money: p.listPrice, locale: .de), "0,10 €")
        XCTAssertEqual(formatMoney(money: try parseMoney(text: "€1,234.56", locale: .en), locale: .de), "1.234,56 €")
    }

    func testAccountWithContactsRoundTrips() async throws {
        let a = account()
        try await store.saveAccount(a, contacts: [
            contact(a.id, "Anna", "Weiß", .decisionMaker),
            contact(a.id, "Jürgen", "Groß", .budgetHolder),
        ])
        XCTAssertEqual(try store.account(id: a.id), a)
        let back = try store.contacts(accountId: a.id)
        XCTAssertEqual(Set(back.map(\.lastName)), ["Weiß", "Groß"])
        XCTAssertEqual(back[0].consent?.at, "2026-03-01T10:00:00Z")
        let hit = try await store.searchAccounts("weiss").items
        XCTAssertEqual(hit.count, 1)
        XCTAssertEqual(hit[0].matchingContacts.map(\.name), ["Anna Weiß"])
    }

    func testEachErrorVariantHasItsTypeAndMessage() throws {
        XCTAssertThrowsError(try store.product(sku: "NOPE-1")) { e in
            guard case OnsiteError.NotFound(let m) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(m, "product not found: NOPE-1")
            XCTAssertEqual(e.localizedDescription, "product not found: NOPE-1")
            XCTAssertEqual("\(e)", "product not found: NOPE-1")
        }
        let bad = "sku;name;unit;list_price;tax_class\nA;B;pc;teuer;DE-STD\n".data(using: .utf8)!
        XCTAssertThrowsError(try store.importCatalog(data: bad, format: .csv)) { e in
            guard case OnsiteError.Validation(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains("line 2 (A): bad list_price"), m)
        }
        let a = account(), b = account("Schmidt Metallbau", city: "Köln")
        var c = contact(a.id, "Anna", "Weiß", .user)
        try store.saveAccount(account: a, contacts: [c])
        try store.saveAccount(account: b, contacts: [])
        c.accountId = b.id
        XCTAssertThrowsError(try store.saveContact(contact: c)) { e in
            guard case OnsiteError.Conflict(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains("contacts cannot move"))
            XCTAssertFalse(m.contains("Weiß"), "no personal data")
        }
        XCTAssertThrowsError(try OnsiteStore.open(path: dir.appendingPathComponent("missing/x.sqlite").path, key: generateStoreKey())) { e in
            guard case OpenError.Storage(let reason, let m) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(reason, .unavailable)
            XCTAssertTrue(m.hasPrefix("storage error"), m)
        }
        XCTAssertThrowsError(try store.searchProducts(text: "x", offset: 0, limit: 0, includeInactive: false)) { e in
            guard case OnsiteError.Validation = e else { return XCTFail("\(e)") }
        }
    }

    func testManyThreadsAtOnce() throws {
        _ = try store.importCatalog(data: catalog, format: .csv)
        let store = self.store!
        let failures = NSLock()
        var errors: [String] = []
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            do {
                for _ in 0..<20 {
                    let n = try store.searchProducts(text: "schraube", offset: 0, limit: 10, includeInactive: false).items.count
                    if n != 2 { throw OnsiteError.Internal(message: "expected 2 hits, got \(n)") }
                }
                let a = account("Firma \(i)")
                try store.saveAccount(account: a, contacts: [contact(a.id, "Eva", "Nr\(i)", .user)])
            } catch {
                failures.lock(); errors.append("\(error)"); failures.unlock()
            }
        }
        XCTAssertEqual(errors, [])
        XCTAssertEqual(try store.listAccounts(rep: nil, offset: 0, limit: 50).items.count, 8)
    }
}
