// The store's key: a random 256-bit key made by the core, kept by the
// platform (the Keychain on Apple platforms) and handed to the core on open.
import Foundation

#if canImport(Security)
import Security
#endif

/// Where store keys are kept: the platform part of encryption at rest. On
/// iOS and macOS that is `KeychainKeyStorage`; the Linux tests run the same
/// flow with `MemoryKeyStorage`.
public protocol StoreKeyStorage {
    /// The key kept under `account`, or nil if there is none.
    func load(account: String) throws -> Data?
    /// Keeps `key` under `account`, replacing nothing: a key is written once.
    func save(_ key: Data, account: String) throws
    /// Deletes the key under `account` (nothing if there is none): the store
    /// it opened can never be read again.
    func delete(account: String) throws
}

/// Keys held in memory, for tests and tools; not for phones.
public final class MemoryKeyStorage: StoreKeyStorage {
    private var keys: [String: Data] = [:]
    private let lock = NSLock()

    public init() {}

    public func load(account: String) throws -> Data? {
        lock.lock(); defer { lock.unlock() }
        return keys[account]
    }

    public func save(_ key: Data, account: String) throws {
        lock.lock(); defer { lock.unlock() }
        keys[account] = key
    }

    public func delete(account: String) throws {
        lock.lock(); defer { lock.unlock() }
        keys[account] = nil
    }
}

#if canImport(Security)
/// Store keys as generic passwords in the Keychain, readable after the first
/// unlock and never migrated to another device or restored from a backup
/// (`kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`), so background sync
/// works while the phone is locked and a copied database is useless elsewhere.
/// Not exercised by the Linux tests (there is no Keychain there).
public final class KeychainKeyStorage: StoreKeyStorage {
    private let service: String

    public init(service: String = "app.onsite.store-key") {
        self.service = service
    }

    public func load(account: String) throws -> Data? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = item as? Data else {
            throw OpenError.Storage(reason: .unavailable, detail: "the Keychain refused to read the store key (\(status))")
        }
        return data
    }

    public func save(_ key: Data, account: String) throws {
        let item: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            kSecValueData as String: key,
        ]
        let status = SecItemAdd(item as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw OpenError.Storage(reason: .unavailable, detail: "the Keychain refused to keep the store key (\(status))")
        }
    }

    public func delete(account: String) throws {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
        ]
        let status = SecItemDelete(query as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw OpenError.Storage(reason: .unavailable, detail: "the Keychain refused to delete the store key (\(status))")
        }
    }
}
#endif

extension OnsiteStore {
    /// Opens (or creates) the encrypted database at `path`, with its key from
    /// `keys` under `account` (default: the file name). A store without a
    /// key yet (a new one, or a plaintext one from an older app, which the
    /// core encrypts in place) gets a new key, kept before the database is
    /// touched. Throws `OpenError.Storage(reason:detail:)`: `.wrongKey`,
    /// `.keyRequired`, `.corrupt`, …  With `deviceId` (the id the hub
    /// registered the device under), its changes are authored as that device.
    public static func openEncrypted(
        path: String, keys: StoreKeyStorage, account: String? = nil, deviceId: String? = nil
    ) throws -> OnsiteStore {
        let open = { (key: Data) throws -> OnsiteStore in
            if let deviceId { return try OnsiteStore.openDevice(path: path, key: key, deviceId: deviceId) }
            return try OnsiteStore.open(path: path, key: key)
        }
        let name = account ?? URL(fileURLWithPath: path).lastPathComponent
        if let key = try keys.load(account: name) {
            return try open(key)
        }
        if isEncryptedFile(path) {
            // Its key is gone: a new key would not open it, and must not be kept.
            throw OpenError.Storage(reason: .keyRequired, detail: "the store is encrypted and its key is missing")
        }
        let key = try generateStoreKey()
        try keys.save(key, account: name)
        return try open(key)
    }
}

extension OnsiteStore {
    /// Opens the encrypted database at `path` when `openEncrypted` refused it
    /// with `OpenError.LeaseExpired` (no answer from the hub for longer than
    /// the published offline lease): only the sync calls work until the hub
    /// answers; every other call throws `OnsiteError.LeaseExpired`.
    public static func openToRenew(path: String, keys: StoreKeyStorage, account: String? = nil) throws -> OnsiteStore {
        let name = account ?? URL(fileURLWithPath: path).lastPathComponent
        guard let key = try keys.load(account: name) else {
            throw OpenError.Storage(reason: .keyRequired, detail: "the store's key is missing")
        }
        return try OnsiteStore.openToRenew(path: path, key: key)
    }

    /// Erases the store at `path` for good: its key first (without it, no
    /// copy of the files can be read), then the database, its WAL and journal
    /// files. What a device does when the hub answers a sync with `410 wipe`
    /// (it was reported lost), before it reports back. Close the store first
    /// (release every reference). Returns the number of files deleted.
    @discardableResult
    public static func wipe(path: String, keys: StoreKeyStorage, account: String? = nil) throws -> UInt32 {
        let name = account ?? URL(fileURLWithPath: path).lastPathComponent
        try keys.delete(account: name)
        return try destroyStore(path: path)
    }
}

/// Whether the file at `path` exists, is not empty and does not start as a
/// plaintext SQLite file does.
func isEncryptedFile(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    let head = handle.readData(ofLength: 16)
    if head.isEmpty { return false }
    return head != "SQLite format 3\u{0}".data(using: .ascii)!
}
