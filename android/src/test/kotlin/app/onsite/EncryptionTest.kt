package app.onsite

import java.io.File
import java.nio.file.Files
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test
import uniffi.onsite.CatalogFormat
import uniffi.onsite.OnsiteStore
import uniffi.onsite.OpenException
import uniffi.onsite.generateStoreKey
import uniffi.onsite_core.StorageReason

/** The store encrypted at rest, with its key wrapped by a [KeyVault] (here in software). */
class EncryptionTest {
    private lateinit var dir: File
    private val catalog = "sku;name;unit;list_price;tax_class\nGEHEIM-1;Quastenflosser-Schraube;pc;0,35;DE-STD\n".toByteArray()

    @Before fun setUp() { dir = Files.createTempDirectory("onsite-enc").toFile() }

    @After fun tearDown() { dir.deleteRecursively() }

    private fun bytes(name: String) = File(dir, name).readBytes()

    private fun contains(haystack: ByteArray, needle: String): Boolean {
        val n = needle.toByteArray()
        return (0..haystack.size - n.size).any { i -> n.indices.all { haystack[i + it] == n[it] } }
    }

    @Test fun opensEncryptedAndReopensWithTheWrappedKey() {
        val path = File(dir, "tablet.sqlite").path
        val vault = SoftwareKeyVault.generate()
        Onsite.open(path, vault).use { it.blocking.importCatalog(catalog, CatalogFormat.CSV) }
        assertTrue("the wrapped key is kept beside the store", StoreKeys.keyFile(path).exists())
        assertEquals("the key file holds the key wrapped, not the key", 12 + 32 + 16, StoreKeys.keyFile(path).length().toInt())
        val file = bytes("tablet.sqlite")
        assertFalse("no SQLite header", String(file, 0, 15, Charsets.US_ASCII) == "SQLite format 3")
        assertFalse("no product name in the file", contains(file, "Quastenflosser"))
        Onsite.open(path, vault).use { assertEquals(1uL, it.blocking.productCount()) }
    }

    @Test fun aWrongKeyIsAStorageErrorWithItsReason() {
        val path = File(dir, "tablet.sqlite").path
        Onsite.open(path, SoftwareKeyVault.generate()).use { it.blocking.importCatalog(catalog, CatalogFormat.CSV) }
        val before = bytes("tablet.sqlite")
        try { OnsiteStore.open(path, generateStoreKey()); fail() } catch (e: OpenException.Storage) {
            assertEquals(StorageReason.WRONG_KEY, e.reason)
        }
        // Another vault cannot unwrap this store's key: the same reason.
        try { Onsite.open(path, SoftwareKeyVault.generate()); fail() } catch (e: OpenException.Storage) {
            assertEquals(StorageReason.WRONG_KEY, e.reason)
        }
        // The key file lost: no new key is made for an encrypted store.
        val keyFile = StoreKeys.keyFile(path)
        val wrapped = keyFile.readBytes()
        keyFile.delete()
        try { Onsite.open(path, SoftwareKeyVault.generate()); fail() } catch (e: OpenException.Storage) {
            assertEquals(StorageReason.KEY_REQUIRED, e.reason)
        }
        assertFalse("no key file written for it", keyFile.exists())
        keyFile.writeBytes(wrapped)
        try { OnsiteStore.openUnencrypted(path); fail() } catch (e: OpenException.Storage) {
            assertEquals(StorageReason.KEY_REQUIRED, e.reason)
        }
        try { OnsiteStore.open(path, ByteArray(16)); fail() } catch (e: OpenException.Validation) {
            assertTrue(e.detail, e.detail.contains("32 bytes"))
        }
        assertTrue("nothing written over the store", before.contentEquals(bytes("tablet.sqlite")))
    }

    @Test fun encryptsAnExistingPlaintextStoreInPlace() {
        val path = File(dir, "old.sqlite").path
        OnsiteStore.openUnencrypted(path).use { it.importCatalog(catalog, CatalogFormat.CSV) }
        assertEquals("SQLite format 3", String(bytes("old.sqlite"), 0, 15, Charsets.US_ASCII))
        val vault = SoftwareKeyVault.generate()
        Onsite.open(path, vault).use { assertEquals(1uL, it.blocking.productCount()) }
        assertFalse(contains(bytes("old.sqlite"), "Quastenflosser"))
        Onsite.open(path, vault).use { assertEquals("GEHEIM-1", it.blocking.product("GEHEIM-1").sku) }
    }

    @Test fun aWipedStoreLeavesNoFileAndNoKeyBehind() {
        val path = File(dir, "lost.sqlite").path
        val vault = SoftwareKeyVault.generate()
        Onsite.open(path, vault).use { it.blocking.importCatalog(catalog, CatalogFormat.CSV) }
        val other = File(dir, "other.txt").apply { writeText("x") }
        assertTrue(File(path).exists() && StoreKeys.keyFile(path).exists())
        val deleted = Onsite.wipe(path)
        assertTrue("the key file and the database at least: $deleted", deleted >= 2)
        assertFalse(File(path).exists())
        assertFalse(StoreKeys.keyFile(path).exists())
        assertFalse(File("$path-wal").exists())
        assertTrue("nothing else", other.exists())
        assertEquals("twice is harmless", 0, Onsite.wipe(path))
        // A new, empty store opens in its place.
        Onsite.open(path, vault).use { assertEquals(0UL, it.blocking.productCount()) }
    }

    @Test fun aStoreWithinItsLeaseOpensToRenewLikeAnyOther() {
        val path = File(dir, "renew.sqlite").path
        val vault = SoftwareKeyVault.generate()
        Onsite.open(path, vault).use { it.blocking.importCatalog(catalog, CatalogFormat.CSV) }
        Onsite.openToRenew(path, vault).use {
            val lease = it.blocking.leaseStatus()
            assertFalse(lease.expired)
            assertEquals(30u, lease.days)
            assertEquals("no lease runs before the first contact with a hub", null, lease.expiresAt)
            assertEquals(1UL, it.blocking.productCount())
        }
    }
}
