package app.onsite

import java.io.File
import java.nio.file.Files
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test
import uniffi.onsite.CatalogFormat
import uniffi.onsite.OnsiteException
import uniffi.onsite.abTest
import uniffi.onsite.newId
import uniffi.onsite_core.Account
import uniffi.onsite_core.Address
import uniffi.onsite_core.BuyingRole
import uniffi.onsite_core.Contact
import uniffi.onsite_core.MarketingConsent
import uniffi.onsite_core.Stage

/** Lead scoring and the campaign funnel from Kotlin: the classic case and the A/B verdict. */
class LeadTest {
    private val vault = SoftwareKeyVault.generate()
    private lateinit var dir: File
    private lateinit var onsite: Onsite
    private val ids = mutableMapOf<String, String>()
    private val now = "2026-11-27T12:00:00Z"

    @Before fun setUp() {
        dir = Files.createTempDirectory("onsite-l").toFile()
        onsite = Onsite.open(File(dir, "l.sqlite").path, vault)
        val model = File("tests/data/scoring-model.json").readBytes()
        onsite.blocking.importCatalog(model, CatalogFormat.JSON)
        val consent = MarketingConsent(granted = true, at = "2026-01-10T09:00:00Z", source = "web double opt-in")
        for (key in listOf("mailings", "download")) {
            val id = newId()
            onsite.blocking.saveAccount(
                Account(
                    id = id, name = "Firma $key", legalForm = "GmbH", employees = 62u, industry = "Maschinenbau",
                    billingAddress = Address("Hauptstraße 1", "80331", "München", "DE"), shippingAddress = null,
                    vatId = null, customerGroup = null, assignedRep = "rep-1",
                ),
                listOf(Contact(newId(), id, "Eva", key, BuyingRole.DECISION_MAKER, null, "$key@example.com", "+49 89 1", consent)),
            )
            ids[key] = id
        }
    }

    @After fun tearDown() {
        onsite.close()
        dir.deleteRecursively()
    }

    @Test fun theDownloadAndTheCommentAreCalledFirst() {
        val rows = listOf("email;kind;at") +
            listOf(10, 13, 17, 20).map { "mailings@example.com;email_sent;2026-11-${it}T08:00:00Z" } +
            listOf(13, 20).map { "mailings@example.com;email_opened;2026-11-${it}T09:00:00Z" } +
            listOf("download@example.com;case_study_download;2026-11-25T10:00:00Z",
                   "download@example.com;social_comment;2026-11-22T10:00:00Z")
        assertEquals(8uL, onsite.blocking.importActivities(rows.joinToString("\n").toByteArray(), "newsletter").imported)
        val calls = onsite.blocking.callList(null, now, 10u)
        assertEquals(listOf(ids["download"], ids["mailings"]), calls.map { it.accountId })
        assertEquals(calls[0].fitPct, calls[1].fitPct)
        assertTrue(calls[0].reason, calls[0].reason.contains("downloaded the case study 2 days ago"))
    }

    @Test fun funnelAndAbTest() {
        val report = onsite.blocking.campaignReport("kanban-c-teile")
        assertEquals(Stage.INTEREST, report.weakest)
        assertEquals("B wins with 96% confidence", report.abTest!!.verdict)
        // Reference: Python's math.erfc gives p = 0.0308371678.
        assertEquals(0.0308371678, abTest("A", 1000uL, 200uL, "B", 1000uL, 240uL).pValue, 1e-6)
        try { onsite.blocking.campaignReport("nope"); fail() } catch (e: OnsiteException.NotFound) { /* expected */ }
        try { abTest("A", 10uL, 11uL, "B", 10uL, 1uL); fail() } catch (e: OnsiteException.Validation) { /* expected */ }
    }
}
