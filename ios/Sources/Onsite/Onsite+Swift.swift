// The idiomatic Swift layer over the generated bindings (Generated/, made by
// ../bindings/generate.sh or ./build-xcframework.sh): readable errors and
// async variants that run the blocking native calls off the calling actor.
import Foundation

extension OnsiteError: CustomStringConvertible, CustomDebugStringConvertible {
    /// The human-readable message (never contains personal data).
    public var message: String {
        switch self {
        case .Validation(let m), .NotFound(let m), .Conflict(let m), .Storage(let m),
             .Sync(let m), .Unauthorized(let m), .LeaseExpired(let m), .Internal(let m):
            return m
        }
    }

    public var description: String { message }

    // `localizedDescription` comes from the generated `errorDescription`,
    // which is `String(reflecting: self)`: this makes it the message too.
    public var debugDescription: String { message }
}

extension OpenError: CustomStringConvertible {
    /// The human-readable message (never contains personal data).
    public var description: String {
        switch self {
        case .Storage(_, let detail), .Validation(let detail), .LeaseExpired(_, _, let detail): return detail
        }
    }
}

extension OnsiteStore {
    /// Opens (or creates) the encrypted database at `path` off the calling
    /// actor, its key kept by `keys` (on a phone `KeychainKeyStorage()`).
    public static func open(path: String, keys: StoreKeyStorage) async throws -> OnsiteStore {
        try await Task.detached(priority: .userInitiated) { try OnsiteStore.openEncrypted(path: path, keys: keys) }.value
    }

    /// Imports a catalog file all-or-nothing, off the calling actor.
    public func importCatalog(data: Data, format: CatalogFormat) async throws -> ImportSummary {
        try await Task.detached(priority: .userInitiated) { try self.importCatalog(data: data, format: format) }.value
    }

    /// Searches products by word beginnings, case- and umlaut-insensitive.
    public func searchProducts(
        _ text: String, offset: UInt32 = 0, limit: UInt32 = 20, includeInactive: Bool = false
    ) async throws -> ProductPage {
        try await Task.detached(priority: .userInitiated) {
            try self.searchProducts(text: text, offset: offset, limit: limit, includeInactive: includeInactive)
        }.value
    }

    /// Creates or replaces an account with its contacts, off the calling actor.
    public func saveAccount(_ account: Account, contacts: [Contact] = []) async throws {
        try await Task.detached(priority: .userInitiated) { try self.saveAccount(account: account, contacts: contacts) }.value
    }

    /// Syncs with the hub until nothing is left to exchange: builds each
    /// request frame, hands its bytes to `transport` (a URLSession POST in
    /// the app) and applies the response. Returns the round trips taken. The
    /// transport returns the body of a 200 answer and also of a 409 answer
    /// with `Content-Type: application/x-onsite-sync`: that is a refusal (the
    /// hub refused changes), which the store recovers from; `syncRefusals()`
    /// says what to tell the user. A failed transport call leaves the store
    /// intact; sync again later.
    @discardableResult
    public func sync(maxRoundTrips: Int = 20, transport: (Data) async throws -> Data) async throws -> Int {
        for trip in 1...maxRoundTrips {
            let request = try syncRequest()
            let response = try await transport(request)
            if try syncApply(response: response).done { return trip }
        }
        return maxRoundTrips
    }

    /// Searches accounts by company, city or contact name.
    public func searchAccounts(_ text: String, offset: UInt32 = 0, limit: UInt32 = 20) async throws -> AccountPage {
        try await Task.detached(priority: .userInitiated) {
            try self.searchAccounts(text: text, offset: offset, limit: limit)
        }.value
    }
}

extension Money {
    /// The exact amount as a Foundation `Decimal` (it crosses the FFI as text).
    public var decimal: Foundation.Decimal? { Foundation.Decimal(string: amount, locale: Foundation.Locale(identifier: "en_US_POSIX")) }
}
