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
import uniffi.onsite.CatalogFormat
import uniffi.onsite.OnsiteException
import uniffi.onsite.QuantityChange
import uniffi.onsite.newId
import uniffi.onsite.pdfOptions
import uniffi.onsite_core.RepContact
import uniffi.onsite.quoteApprovalStatus
import uniffi.onsite.quoteTotals
import uniffi.onsite_core.Account
import uniffi.onsite_core.Address
import uniffi.onsite_core.Approval
import uniffi.onsite_core.ApprovalStatus
import uniffi.onsite_core.CategoryLimit
import uniffi.onsite_core.DiscountPolicy
import uniffi.onsite_core.DisplayLocale
import uniffi.onsite_core.Quote
import uniffi.onsite_core.QuoteState
import uniffi.onsite_core.SignerAuth

class QuoteTest {
    private val vault = SoftwareKeyVault.generate()
    private lateinit var dir: File
    private lateinit var onsite: Onsite
    private lateinit var accountId: String
    private val today = "2026-03-10"

    @Before fun setUp() = runBlocking {
        dir = Files.createTempDirectory("onsite-q").toFile()
        onsite = Onsite.open(File(dir, "q.sqlite").path, vault)
        onsite.importCatalog(
            """
            sku;name;unit;list_price;tax_class;c_part;category
            SKS-M8;Sechskantschraube M8×40;pc;0,12;DE-STD;ja;Schrauben
            AKB-18;Akku-Bohrschrauber 18 V;pc;189,00;DE-STD;nein;Werkzeug/Elektro
            BUCH;Handbuch Befestigungstechnik;pc;49,90;DE-RED;nein;Literatur
            """.trimIndent().toByteArray(),
            CatalogFormat.CSV,
        )
        accountId = newId()
        onsite.saveAccount(Account(
            id = accountId, name = "Müller Maschinenbau", legalForm = "GmbH", employees = 62u, industry = null,
            billingAddress = Address("Hauptstraße 1", "80331", "München", "DE"), shippingAddress = null,
            vatId = null, customerGroup = "A", assignedRep = "rep-1",
        ))
    }

    @After fun tearDown() {
        onsite.close()
        dir.deleteRecursively()
    }

    private fun newQuote(): Quote {
        val s = onsite.blocking
        val q = s.createQuote(accountId, null, "rep-1", DisplayLocale.DE, "2026-03-31")
        s.addQuoteLine(q.id, "SKS-M8", "1000", "0", today)
        return s.addQuoteLine(q.id, "BUCH", "1", "0", today)
    }

    private fun approval(q: Quote) = Approval(
        quoteId = q.id, revisionHash = q.revisionHash, signerName = "Anna Weiß", signerRole = "Einkauf",
        auth = SignerAuth.REP_DEVICE_ON_SITE, deviceTime = "2026-03-10T09:00:00Z", deviceId = "tablet-7",
    )

    @Test fun priceSendApproveOrderReorder() {
        val s = onsite.blocking
        var q = newQuote()
        val t = quoteTotals(q)
        assertEquals(listOf("169.90", "26.29", "196.19"), listOf(t.netTotal, t.taxTotal, t.grossTotal))
        q = s.sendQuote(q.id, today)
        q = s.approveQuote(q.id, approval(q), today)
        assertEquals(ApprovalStatus.Approved, quoteApprovalStatus(q))
        val order = s.orderQuote(q.id)
        assertEquals("196.19", order.grossTotal)
        val rep = RepContact("Jürgen Groß", "j.gross@onsite.example", "+49 170 1")
        val pdf = s.renderQuotePdf(q.id, rep, pdfOptions(today))
        assertEquals("%PDF-", String(pdf.copyOfRange(0, 5)))
        val sheet = s.renderDatasheetPdf("SKS-M8", accountId, rep, null, pdfOptions(today))
        assertEquals("%PDF-", String(sheet.copyOfRange(0, 5)))
        val again = s.reorder(order.id, listOf(QuantityChange("SKS-M8", "500")), today)
        assertEquals(order.id, again.reorderOf)
        assertEquals(listOf("SKS-M8", "BUCH"), again.lines.map { it.sku })
    }

    @Test fun anApprovalOfAnOlderRevisionIsSuperseded() {
        val s = onsite.blocking
        var q = s.sendQuote(newQuote().id, today)
        val signedOffline = approval(q)
        q = s.editQuote(q.copy(lines = q.lines.mapIndexed { i, l -> if (i == 0) l.copy(qty = "2000") else l }))
        assertEquals(2u, q.revision)
        assertEquals(QuoteState.DRAFT, q.state)
        q = s.sendQuote(q.id, today)
        try { s.approveQuote(q.id, signedOffline, today); fail() } catch (e: OnsiteException.Conflict) {
            assertTrue(e.message!!, e.message!!.contains("current revision is 2"))
        }
        q = s.approveQuote(q.id, approval(q), today)
        q = s.editQuote(q.copy(notes = "Lieferung KW 14"))
        assertEquals(ApprovalStatus.Superseded(3u), quoteApprovalStatus(q))
    }

    @Test fun signedApprovalLinksPerRevision() {
        val s = onsite.blocking
        var q = s.sendQuote(newQuote().id, today)
        try { s.approvalLink(q.id, "https://hub.example.com"); fail() } catch (e: OnsiteException.Validation) {
            assertTrue(e.message!!, e.message!!.contains("link key"))
        }
        s.setApprovalLinkKey("ost_" + "ab".repeat(32))
        val first = s.approvalLink(q.id, "https://hub.example.com/")
        assertTrue(first, first.startsWith("https://hub.example.com/a/${q.id}.1."))
        q = s.sendQuote(s.editQuote(q.copy(notes = "Lieferung KW 14")).id, today)
        val second = s.approvalLink(q.id, "https://hub.example.com")
        assertTrue(second, second.startsWith("https://hub.example.com/a/${q.id}.2."))
        assertEquals(null, approval(q).clientAddress)
    }

    @Test fun discountPolicyAndTypedErrors() {
        val s = onsite.blocking
        s.setDiscountPolicy(DiscountPolicy("10", listOf(CategoryLimit("Werkzeug/", "5")), "0", true))
        var q = s.createQuote(accountId, null, "rep-1", DisplayLocale.EN, "2026-03-31")
        q = s.addQuoteLine(q.id, "AKB-18", "1", "8", today)
        try { s.sendQuote(q.id, today); fail() } catch (e: OnsiteException.Validation) {
            assertTrue(e.message!!, e.message!!.contains("exceeds the limit of 5 %"))
        }
        q = s.requestDiscountApproval(q.id, "Wettbewerb")
        assertEquals(QuoteState.NEEDS_DISCOUNT_APPROVAL, q.state)
        s.decideDiscount(q.id, true, "backoffice-1")
        q = s.sendQuote(q.id, today)
        assertEquals("8", s.grantedDiscounts(accountId).single().discountPct)
        try { s.orderQuote(q.id); fail() } catch (e: OnsiteException.Conflict) { }
        try { s.addQuoteLine(q.id, "BUCH", "zwei", "0", today); fail() } catch (e: OnsiteException.Validation) { }
        q = s.rejectQuote(q.id, "zu teuer")
        assertEquals(QuoteState.REJECTED, q.state)
    }
}
