package app.onsite

import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test
import uniffi.onsite.generateStoreKey
import uniffi.onsite.CatalogFormat
import uniffi.onsite.OnsiteException
import uniffi.onsite.OnsiteStore
import uniffi.onsite.SyncScope
import uniffi.onsite.newId
import uniffi.onsite_core.Account
import uniffi.onsite_core.Address
import uniffi.onsite_core.BuyingRole
import uniffi.onsite_core.Contact
import uniffi.onsite_core.DeviceRole
import uniffi.onsite_core.DisplayLocale

/** Two devices sync through an in-process hub by passing frames as bytes. */
class SyncTest {
    private val vault = SoftwareKeyVault.generate()
    private lateinit var dir: File
    private lateinit var hub: OnsiteStore
    private lateinit var anna: Onsite
    private lateinit var ben: Onsite
    private lateinit var account: Account
    private lateinit var contact: Contact

    @Before fun setUp() = runBlocking {
        dir = Files.createTempDirectory("onsite-sync").toFile()
        hub = OnsiteStore.open(File(dir, "hub.sqlite").path, generateStoreKey())
        anna = Onsite.open(File(dir, "anna.sqlite").path, vault)
        ben = Onsite.open(File(dir, "ben.sqlite").path, vault)
        hub.importCatalog(
            "sku;name;unit;list_price;tax_class\nSKS-M8;Sechskantschraube M8×40;pc;0,12;DE-STD\n".toByteArray(),
            CatalogFormat.CSV,
        )
        account = Account(
            newId(), "Müller Maschinenbau", "GmbH", 62u, null,
            Address("Hauptstraße 1", "80331", "München", "DE"), null, null, "A", "rep-1",
        )
        contact = Contact(newId(), account.id, "Petra", "Einkauf", BuyingRole.DECISION_MAKER, null, null, "+49 89 1000", null)
        hub.saveAccount(account, listOf(contact))
    }

    @After fun tearDown() {
        anna.close(); ben.close(); hub.close()
        dir.deleteRecursively()
    }

    private fun scope(device: Onsite) = SyncScope(device.blocking.deviceId(), listOf(account.id), true, DeviceRole.REP, "rep-1")

    private suspend fun sync(device: Onsite) = device.sync { request -> hub.hubHandle(scope(device), request) }

    @Test fun concurrentEditsConvergeAndBothValuesStayVisible() = runBlocking {
        assertTrue(sync(anna) <= 2)
        assertTrue(sync(ben) <= 2)
        assertEquals(listOf(contact), ben.contacts(account.id))
        assertEquals(hub.catalogSeq(), anna.blocking.catalogSeq())

        anna.blocking.saveContact(contact.copy(phone = "+49 89 1111"))
        ben.blocking.saveContact(contact.copy(phone = "+49 89 2222"))
        val q = anna.blocking.createQuote(account.id, null, "rep-1", DisplayLocale.DE, "2026-12-31")
        anna.blocking.addQuoteLine(q.id, "SKS-M8", "500", "0", "2026-11-27")
        sync(anna); sync(ben); sync(anna)

        assertEquals(anna.contacts(account.id), ben.contacts(account.id))
        assertEquals(anna.blocking.quote(q.id), ben.blocking.quote(q.id))
        // Contacts are documents of their own (ADR 24).
        val conflicts = ben.blocking.conflicts("person/${contact.id}")
        assertEquals(conflicts, anna.blocking.conflicts("person/${contact.id}"))
        val phone = conflicts.single { it.path.endsWith("/phone") }
        assertEquals(setOf("\"+49 89 1111\"", "\"+49 89 2222\""), phone.values.map { it.value }.toSet())
        assertEquals(setOf(anna.blocking.deviceId(), ben.blocking.deviceId()), phone.values.map { it.deviceId }.toSet())
    }

    @Test fun hostileFramesAreTypedErrors() {
        val request = anna.blocking.syncRequest()
        try {
            hub.hubHandle(scope(anna), request.copyOf(request.size / 2)); fail("truncated frame accepted")
        } catch (e: OnsiteException.Sync) {
            assertTrue(e.message!!.contains("truncated") || e.message!!.contains("malformed"))
        }
        try {
            hub.hubHandle(scope(ben), request); fail("another device's frame accepted")
        } catch (e: OnsiteException.Unauthorized) {
        }
        val response = hub.hubHandle(scope(anna), request)
        try {
            hub.hubHandle(scope(anna), request); fail("replay accepted")
        } catch (e: OnsiteException.Sync) {
        }
        anna.blocking.syncApply(response)
        try {
            anna.blocking.syncApply(response); fail("a response applied twice")
        } catch (e: OnsiteException.Sync) {
        }
    }
}
