import Foundation
import XCTest

@testable import Onsite

/// The store encrypted at rest, its key kept by a `StoreKeyStorage` (the
/// Keychain on a phone, memory here).
final class EncryptionTests: XCTestCase {
    var dir: URL!
    let catalog = "sku;name;unit;list_price;tax_class\nGEHEIM-1;Quastenflosser-Schraube;pc;0,35;DE-STD\n".data(using: .utf8)!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: dir)
    }

    func bytes(_ name: String) throws -> Data { try Data(contentsOf: dir.appendingPathComponent(name)) }

    func testOpensEncryptedAndReopensWithTheKeptKey() throws {
        let keys = MemoryKeyStorage()
        let path = dir.appendingPathComponent("tablet.sqlite").path
        var store: OnsiteStore? = try OnsiteStore.openEncrypted(path: path, keys: keys)
        _ = try store!.importCatalog(data: catalog, format: .csv)
        store = nil
        XCTAssertEqual(try keys.load(account: "tablet.sqlite")?.count, 32)
        let file = try bytes("tablet.sqlite")
        XCTAssertFalse(file.starts(with: "SQLite format 3".data(using: .ascii)!))
        XCTAssertNil(file.range(of: "Quastenflosser".data(using: .utf8)!), "no product name in the file")
        XCTAssertEqual(try OnsiteStore.openEncrypted(path: path, keys: keys).productCount(), 1)
    }

    func testAWrongKeyIsAStorageErrorWithItsReason() throws {
        let path = dir.appendingPathComponent("tablet.sqlite").path
        _ = try OnsiteStore.openEncrypted(path: path, keys: MemoryKeyStorage()).importCatalog(data: catalog, format: .csv)
        let before = try bytes("tablet.sqlite")
        XCTAssertThrowsError(try OnsiteStore.open(path: path, key: generateStoreKey())) { e in
            guard case OpenError.Storage(let reason, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(reason, .wrongKey)
        }
        // Another key storage with another key for it: the same reason.
        let other = MemoryKeyStorage()
        try other.save(try generateStoreKey(), account: "tablet.sqlite")
        XCTAssertThrowsError(try OnsiteStore.openEncrypted(path: path, keys: other)) { e in
            guard case OpenError.Storage(.wrongKey, _) = e else { return XCTFail("\(e)") }
        }
        // A key storage without this store's key: no new key is made for it.
        let empty = MemoryKeyStorage()
        XCTAssertThrowsError(try OnsiteStore.openEncrypted(path: path, keys: empty)) { e in
            guard case OpenError.Storage(.keyRequired, _) = e else { return XCTFail("\(e)") }
        }
        XCTAssertNil(try empty.load(account: "tablet.sqlite"), "no key kept for it")
        XCTAssertThrowsError(try OnsiteStore.openUnencrypted(path: path)) { e in
            guard case OpenError.Storage(.keyRequired, _) = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try OnsiteStore.open(path: path, key: Data(count: 16))) { e in
            guard case OpenError.Validation(let detail) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(detail.contains("32 bytes"), detail)
        }
        XCTAssertEqual(try bytes("tablet.sqlite"), before, "nothing written over the store")
    }

    func testEncryptsAnExistingPlaintextStoreInPlace() throws {
        let path = dir.appendingPathComponent("old.sqlite").path
        _ = try OnsiteStore.openUnencrypted(path: path).importCatalog(data: catalog, format: .csv)
        XCTAssertTrue(try bytes("old.sqlite").starts(with: "SQLite format 3".data(using: .ascii)!))
        let keys = MemoryKeyStorage()
        XCTAssertEqual(try OnsiteStore.openEncrypted(path: path, keys: keys).product(sku: "GEHEIM-1").sku, "GEHEIM-1")
        XCTAssertNil(try bytes("old.sqlite").range(of: "Quastenflosser".data(using: .utf8)!))
        XCTAssertEqual(try OnsiteStore.openEncrypted(path: path, keys: keys).productCount(), 1)
    }

    func testAWipedStoreLeavesNoFileAndNoKeyBehind() throws {
        let keys = MemoryKeyStorage()
        let path = dir.appendingPathComponent("lost.sqlite").path
        var store: OnsiteStore? = try OnsiteStore.openEncrypted(path: path, keys: keys)
        _ = try store!.importCatalog(data: catalog, format: .csv)
        store = nil
        let other = dir.appendingPathComponent("other.txt")
        try Data("x".utf8).write(to: other)
        XCTAssertGreaterThanOrEqual(try OnsiteStore.wipe(path: path, keys: keys), 1)
        XCTAssertNil(try keys.load(account: "lost.sqlite"), "the key is gone")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: other.path), "nothing else")
        XCTAssertEqual(try OnsiteStore.wipe(path: path, keys: keys), 0, "twice is harmless")
        XCTAssertEqual(try OnsiteStore.openEncrypted(path: path, keys: keys).productCount(), 0, "a new, empty store")
    }

    func testAStoreWithinItsLeaseOpensToRenewLikeAnyOther() throws {
        let keys = MemoryKeyStorage()
        let path = dir.appendingPathComponent("renew.sqlite").path
        _ = try OnsiteStore.openEncrypted(path: path, keys: keys).importCatalog(data: catalog, format: .csv)
        let store = try OnsiteStore.openToRenew(path: path, keys: keys)
        let lease = try store.leaseStatus()
        XCTAssertFalse(lease.expired)
        XCTAssertEqual(lease.days, 30)
        XCTAssertNil(lease.expiresAt, "no lease runs before the first contact with a hub")
        XCTAssertEqual(try store.productCount(), 1)
    }
}
