// The idiomatic Kotlin layer over the generated bindings (uniffi.onsite,
// uniffi.onsite_core): a closeable handle and suspend functions that move
// blocking calls off the main thread.
package app.onsite

import java.math.BigDecimal
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.onsite.SyncCancel
import uniffi.onsite.SyncObserver
import uniffi.onsite.SyncTransport
import uniffi.onsite.syncSettings
import uniffi.onsite_core.SyncFailure
import uniffi.onsite_core.SyncHealth
import uniffi.onsite_core.SyncProgress
import uniffi.onsite_core.SyncSettings
import uniffi.onsite_core.SyncSummary
import uniffi.onsite.AccountPage
import uniffi.onsite.CatalogFormat
import uniffi.onsite.OnsiteStore
import uniffi.onsite.ProductPage
import uniffi.onsite_core.Account
import uniffi.onsite_core.Contact
import uniffi.onsite_core.ImportSummary
import uniffi.onsite_core.Money
import uniffi.onsite_core.Product
import uniffi.onsite.OpenException
import uniffi.onsite_core.StorageReason

/**
 * The device's offline Onsite database.
 *
 * Open it once per process and keep it (it is thread-safe); close it with
 * [close] or `Onsite.open(path, vault).use { ... }` to release the native handle
 * deterministically instead of waiting for the garbage collector.
 *
 * Every `suspend` function runs the blocking native call on [io]
 * (default [Dispatchers.IO]), so it is safe to call from the main thread.
 * Failures are thrown as `uniffi.onsite.OnsiteException` subclasses
 * (`Validation`, `NotFound`, `Conflict`, `Storage`, `Sync`, `Unauthorized`,
 * `Internal`) whose `message` is meant for people and logs.
 */
class Onsite private constructor(
    /** The generated, blocking API, for background workers. */
    val blocking: OnsiteStore,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    companion object {
        /**
         * Opens (or creates) the encrypted database at [path], blocking. Its key
         * comes from [vault] (on a phone `AndroidKeystoreVault()`) through
         * [StoreKeys]; a plaintext database from an older app is encrypted in
         * place. Throws `uniffi.onsite.OpenException.Storage` whose `reason`
         * says what to do (`WRONG_KEY`, `KEY_REQUIRED`, `CORRUPT`, …).
         */
        @JvmStatic
        fun open(path: String, vault: KeyVault, io: CoroutineDispatcher = Dispatchers.IO): Onsite =
            withKey(path, vault) { Onsite(OnsiteStore.open(path, it), io) }

        /** Runs [open] with the store's key, which is zeroed afterwards. */
        private inline fun <T> withKey(path: String, vault: KeyVault, open: (ByteArray) -> T): T {
            val key = StoreKeys.keyFor(path, vault)
            try {
                return open(key)
            } finally {
                key.fill(0)
            }
        }

        /**
         * Opens the encrypted database at [path] when `open` refused it with
         * `OpenException.LeaseExpired` (no answer from the hub for longer than the
         * published offline lease): only [sync] works until the hub answers;
         * every other call throws `OnsiteException.LeaseExpired`.
         */
        @JvmStatic
        fun openToRenew(path: String, vault: KeyVault, io: CoroutineDispatcher = Dispatchers.IO): Onsite =
            withKey(path, vault) { Onsite(OnsiteStore.openToRenew(path, it), io) }

        /**
         * Erases the store at [path] for good: its wrapped key file first (without
         * it, no copy of the files can be read), then the database, its WAL and
         * journal files. What a device does when the hub answers a sync with
         * `410 wipe` (it was reported lost), before it reports back. Close the
         * store first. Returns the number of files deleted.
         */
        @JvmStatic
        fun wipe(path: String): Int {
            val keyFile = StoreKeys.keyFile(path)
            var deleted = 0
            if (keyFile.exists()) {
                if (!keyFile.delete()) {
                    throw OpenException.Storage(StorageReason.UNAVAILABLE, "cannot delete the store's key file")
                }
                deleted++
            }
            return deleted + uniffi.onsite.destroyStore(path).toInt()
        }

        /**
         * Opens the encrypted database of the device the hub registered as
         * [deviceId] (`POST /v1/admin/devices` returned it with the token):
         * its changes are authored under that id, which the hub checks.
         */
        @JvmStatic
        fun openDevice(path: String, vault: KeyVault, deviceId: String, io: CoroutineDispatcher = Dispatchers.IO): Onsite =
            withKey(path, vault) { Onsite(OnsiteStore.openDevice(path, it, deviceId), io) }

        /** Opens (or creates) the encrypted database at [path] off the main thread. */
        suspend fun openAsync(path: String, vault: KeyVault, io: CoroutineDispatcher = Dispatchers.IO): Onsite =
            withContext(io) { open(path, vault, io) }
    }

    /** Imports a catalog file all-or-nothing. */
    suspend fun importCatalog(data: ByteArray, format: CatalogFormat): ImportSummary =
        withContext(io) { blocking.importCatalog(data, format) }

    /** Searches products by word beginnings, case- and umlaut-insensitive. */
    suspend fun searchProducts(
        text: String,
        offset: Int = 0,
        limit: Int = 20,
        includeInactive: Boolean = false,
    ): ProductPage = withContext(io) {
        blocking.searchProducts(text, offset.toUInt(), limit.toUInt(), includeInactive)
    }

    /** One product by SKU. */
    suspend fun product(sku: String): Product = withContext(io) { blocking.product(sku) }

    /** Creates or replaces an account with its contacts. */
    suspend fun saveAccount(account: Account, contacts: List<Contact> = emptyList()) =
        withContext(io) { blocking.saveAccount(account, contacts) }

    /** One account by id. */
    suspend fun account(id: String): Account = withContext(io) { blocking.account(id) }

    /** The contacts of an account. */
    suspend fun contacts(accountId: String): List<Contact> = withContext(io) { blocking.contacts(accountId) }

    /** Searches accounts by company, city or contact name. */
    suspend fun searchAccounts(text: String, offset: Int = 0, limit: Int = 20): AccountPage =
        withContext(io) { blocking.searchAccounts(text, offset.toUInt(), limit.toUInt()) }

    /**
     * Syncs with the hub until nothing is left to exchange: builds each
     * request frame, hands its bytes to [transport] (an OkHttp POST in the
     * app) and applies the response bytes. Returns the round trips taken.
     * The transport returns the body of a 200 answer and also of a 409
     * answer with `Content-Type: application/x-onsite-sync`: that is a
     * refusal (the hub refused changes), which the store recovers from;
     * see `blocking.syncRefusals()` for what to tell the user.
     * A failed transport call leaves the store intact; sync again later.
     */
    suspend fun sync(maxRoundTrips: Int = 20, transport: suspend (ByteArray) -> ByteArray): Int {
        for (trip in 1..maxRoundTrips) {
            val request = withContext(io) { blocking.syncRequest() }
            val response = transport(request)
            if (withContext(io) { blocking.syncApply(response) }.done) return trip
        }
        return maxRoundTrips
    }

    /**
     * Syncs with the hub at [hubUrl] until nothing is left, in one call:
     * gzip, retries with backoff and jitter, resumption after a dropped
     * connection, over [transport] ([OkHttpTransport] with the app's
     * client). Cancelling the coroutine stops it at the next safe point.
     * [onTokenRotated] receives the device's next token: store it at once
     * (the store keeps it too: after a failed sync,
     * `blocking.currentToken(token)` gives the token to keep).
     * Throws `uniffi.onsite_core.SyncFailure` (`Offline`, `Unauthorized`,
     * `Wipe`, `Refused`, `UpgradeRequired`, `Server`, `Tls`, `Cancelled`,
     * `Transport`, `Local`); local data is intact in every case.
     */
    suspend fun syncWithHub(
        hubUrl: String,
        token: String,
        transport: SyncTransport,
        settings: SyncSettings = syncSettings(hubUrl, token),
        onProgress: (SyncProgress) -> Unit = {},
        onTokenRotated: (token: String, expiresAt: String) -> Unit = { _, _ -> },
    ): SyncSummary = withContext(io) {
        val cancel = SyncCancel()
        val observer = object : SyncObserver {
            override fun progress(progress: SyncProgress) = onProgress(progress)
            override fun tokenRotated(token: String, expiresAt: String) = onTokenRotated(token, expiresAt)
        }
        try {
            coroutineScope {
                // Cancelling the caller cancels this watcher at once, while
                // the blocking call below still runs: it sets the flag the
                // driver checks between round trips and during waits.
                val watcher = launch(start = CoroutineStart.UNDISPATCHED) {
                    try {
                        awaitCancellation()
                    } finally {
                        cancel.cancel()
                    }
                }
                try {
                    blocking.syncWithHub(settings.copy(hubUrl = hubUrl, token = token), transport, observer, cancel)
                } catch (e: SyncFailure.Cancelled) {
                    // Stopped because the caller was cancelled: the
                    // coroutine's own cancellation, as Kotlin expects.
                    coroutineContext.ensureActive()
                    throw e
                } finally {
                    watcher.cancel()
                }
            }
        } finally {
            cancel.close()
        }
    }

    /** Last sync, what waits to be sent, the last error, storage used. */
    suspend fun syncHealth(): SyncHealth = withContext(io) { blocking.syncHealth() }

    /** Releases the native store; further calls fail. */
    override fun close() = blocking.close()
}

/** The exact amount as a [BigDecimal] (it crosses the FFI as decimal text). */
val Money.value: BigDecimal get() = BigDecimal(amount)
