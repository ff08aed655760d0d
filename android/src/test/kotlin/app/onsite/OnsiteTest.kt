package app.onsite

import java.io.File
import java.nio.file.Files
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test
import uniffi.onsite.OpenException
import uniffi.onsite.generateStoreKey
import uniffi.onsite.CatalogFormat
import uniffi.onsite.OnsiteException
import uniffi.onsite.OnsiteStore
import uniffi.onsite.formatMoney
import uniffi.onsite.newId
import uniffi.onsite.parseMoney
import uniffi.onsite_core.StorageReason
import uniffi.onsite_core.Account
import uniffi.onsite_core.Address
import uniffi.onsite_core.BuyingRole
import uniffi.onsite_core.Contact
import uniffi.onsite_core.DisplayLocale
import uniffi.onsite_core.MarketingConsent

class OnsiteTest {
    private val vault = SoftwareKeyVault.generate()
    private lateinit var dir: File
    private lateinit var onsite: Onsite

    private val catalog = """
        sku;name;unit;list_price;tax_class;c_part;attr:Material
        MS-6100;Müller-Schraube Holzbau 6×100;pc;0,35;DE-STD;ja;Stahl
        SCH-M8;Schraube M8;pc;0,10;DE-STD;ja;Edelstahl A2
        STR-1;Straßenbesen;pc;19,90;DE-STD;nein;Holz
    """.trimIndent().toByteArray()

    private fun account(name: String = "Müller Maschinenbau", city: String = "München") = Account(
        id = newId(), name = name, legalForm = "GmbH", employees = 62u, industry = "Maschinenbau",
        billingAddress = Address(street = "Hauptstraße 1", postalCode = "80331", city = city, country = "DE"),
        shippingAddress = null, vatId = "DE123456789", customerGroup = "A", assignedRep = "rep-1",
    )

    private fun contact(accountId: String, first: String, last: String, role: BuyingRole) = Contact(
        id = newId(), accountId = accountId, firstName = first, lastName = last, role = role,
        title = "Einkauf", email = "einkauf@example.de", phone = null,
        consent = MarketingConsent(granted = true, at = "2026-03-01T10:00:00Z", source = "Messe"),
    )

    @Before fun open() {
        dir = Files.createTempDirectory("onsite").toFile()
        onsite = Onsite.open(File(dir, "device.sqlite").path, vault)
    }

    @After fun close() {
        onsite.close()
        dir.deleteRecursively()
    }

    @Test fun importAndSearchWithUmlauts() = runBlocking {
        val summary = onsite.importCatalog(catalog, CatalogFormat.CSV)
        assertEquals(3uL, summary.productsAdded)
        assertEquals(listOf("MS-6100"), onsite.searchProducts("mull").items.map { it.sku })
        assertEquals(listOf("STR-1"), onsite.searchProducts("STRASSE").items.map { it.sku })
        val p = onsite.product("sch-m8")
        assertEquals("0.10", p.listPrice.amount)
        assertEquals(java.math.BigDecimal("0.10"), p.listPrice.value)
        assertEquals("0,10 €", formatMoney(p.listPrice, DisplayLocale.DE))
        assertEquals("1.234,56 €", formatMoney(parseMoney("€1,234.56", DisplayLocale.EN), DisplayLocale.DE))
    }

    @Test fun accountWithContactsRoundTrips() = runBlocking {
        val a = account()
        onsite.saveAccount(a, listOf(
            contact(a.id, "Anna", "Weiß", BuyingRole.DECISION_MAKER),
            contact(a.id, "Jürgen", "Groß", BuyingRole.BUDGET_HOLDER),
        ))
        assertEquals(a, onsite.account(a.id))
        val back = onsite.contacts(a.id)
        assertEquals(setOf("Weiß", "Groß"), back.map { it.lastName }.toSet())
        assertEquals("2026-03-01T10:00:00Z", back[0].consent?.at)
        val hit = onsite.searchAccounts("weiss").items.single()
        assertEquals(listOf("Anna Weiß"), hit.matchingContacts.map { it.name })
    }

    @Test fun eachErrorVariantHasItsTypeAndMessage() = runBlocking {
        try { onsite.product("NOPE-1"); fail() } catch (e: OnsiteException.NotFound) {
            assertEquals("product not found: NOPE-1", e.message)
        }
        try {
            onsite.importCatalog("sku;name;unit;list_price;tax_class\nA;B;pc;teuer;DE-STD\n".toByteArray(), CatalogFormat.CSV)
            fail()
        } catch (e: OnsiteException.Validation) {
            assertTrue(e.message!!, e.message!!.contains("line 2 (A): bad list_price"))
        }
        val a = account(); val b = account("Schmidt Metallbau", "Köln")
        val c = contact(a.id, "Anna", "Weiß", BuyingRole.USER)
        onsite.saveAccount(a, listOf(c)); onsite.saveAccount(b)
        try { onsite.blocking.saveContact(c.copy(accountId = b.id)); fail() } catch (e: OnsiteException.Conflict) {
            assertTrue(e.message!!.contains("contacts cannot move"))
            assertFalse("no personal data", e.message!!.contains("Weiß"))
        }
        try { OnsiteStore.open(File(dir, "missing/x.sqlite").path, generateStoreKey()); fail() } catch (e: OpenException.Storage) {
            assertEquals(StorageReason.UNAVAILABLE, e.reason)
            assertTrue(e.detail, e.detail.startsWith("storage error"))
        }
        try { onsite.searchProducts("x", limit = 0); fail() } catch (e: OnsiteException.Validation) {
            assertTrue(e.message!!.contains("limit"))
        }
    }

    @Test fun closedHandleFailsCleanly() {
        val other = Onsite.open(File(dir, "other.sqlite").path, vault)
        val version = other.use { it.blocking.schemaVersion() }
        assertEquals(version, Onsite.open(File(dir, "third.sqlite").path, vault).use { it.blocking.schemaVersion() })
        assertTrue("a migrated database", version >= 9L)
        try { other.blocking.schemaVersion(); fail() } catch (e: IllegalStateException) { /* expected */ }
    }

    @Test fun manyThreadsAtOnce() {
        runBlocking { onsite.importCatalog(catalog, CatalogFormat.CSV) }
        val pool = Executors.newFixedThreadPool(8)
        val jobs = (0 until 8).map { i ->
            pool.submit<Int> {
                repeat(20) { assertEquals(2, onsite.blocking.searchProducts("schraube", 0u, 10u, false).items.size) }
                val a = account("Firma $i")
                onsite.blocking.saveAccount(a, listOf(contact(a.id, "Eva", "Nr$i", BuyingRole.USER)))
                i
            }
        }
        assertEquals((0 until 8).toList(), jobs.map { it.get(60, TimeUnit.SECONDS) })
        pool.shutdown()
        assertEquals(8, onsite.blocking.listAccounts(null, 0u, 50u).items.size)
    }
}
