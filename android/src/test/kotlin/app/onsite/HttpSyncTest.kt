package app.onsite

import app.onsite.jvm.JdkHttpTransport
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.time.LocalDate
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.BeforeClass
import org.junit.Test
import uniffi.onsite.OnsiteException
import uniffi.onsite.SyncTransport
import uniffi.onsite.TransportException
import uniffi.onsite.newId
import uniffi.onsite_core.Account
import uniffi.onsite_core.Activity
import uniffi.onsite_core.ActivityKind
import uniffi.onsite_core.Address
import uniffi.onsite_core.AttachmentParent
import uniffi.onsite_core.AuthProblem
import uniffi.onsite_core.BuyingRole
import uniffi.onsite_core.Contact
import uniffi.onsite_core.DisplayLocale
import uniffi.onsite_core.SyncFailure
import uniffi.onsite_core.TransportRequest
import uniffi.onsite_core.TransportResponse

/** A real `onsite serve` process on loopback (SQLite), restartable on its port. */
class HubProcess(private val dir: File) {
    private val binary = System.getenv("ONSITE_BIN") ?: "target/debug/onsite"
    private val database = "sqlite:" + File(dir, "hub.sqlite").path
    private val http = HttpClient.newHttpClient()
    val adminToken: String
    private var port = 0
    private var process: Process? = null
    val url get() = "http://127.0.0.1:$port"

    init {
        val out = ProcessBuilder(binary, "admin", "bootstrap", "--database", database, "--person", "backoffice")
            .redirectErrorStream(true).start().inputStream.bufferedReader().readText()
        adminToken = Regex("ost_[0-9a-f]{64}").find(out)?.value ?: error("no admin token in $out")
        start()
    }

    fun start() {
        val p = ProcessBuilder(binary, "serve", "--listen", "127.0.0.1:$port", "--database", database, "--shutdown-grace", "2")
            .redirectError(ProcessBuilder.Redirect.appendTo(File(dir, "hub.log"))).start()
        val line = p.inputStream.bufferedReader().readLine() ?: error("the hub did not start")
        port = Regex("http://127\\.0\\.0\\.1:(\\d+)").find(line)?.groupValues?.get(1)?.toInt() ?: error(line)
        process = p
    }

    fun stop() {
        process?.let { it.destroy(); it.waitFor() }
    }

    /** Stops the hub now and starts it again after [delayMs], on another thread. */
    fun restartLater(delayMs: Long): Thread {
        stop()
        return Thread { Thread.sleep(delayMs); start() }.also { it.start() }
    }

    fun admin(method: String, path: String, body: ByteArray = ByteArray(0), type: String = "application/json"): String {
        val req = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer $adminToken")
            .header("Content-Type", type).method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build()
        val r = http.send(req, HttpResponse.BodyHandlers.ofString())
        check(r.statusCode() in 200..299) { "${r.statusCode()} ${r.body()}" }
        return r.body()
    }

    /** A registered device: its id and token. */
    fun issue(person: String, role: String): Pair<String, String> {
        val answer = admin("POST", "/v1/admin/devices", """{"person":"$person","role":"$role","label":"$person"}""".toByteArray())
        val id = Regex("\"device_id\":\"([^\"]+)\"").find(answer)!!.groupValues[1]
        val token = Regex("\"token\":\"(ost_[0-9a-f]{64})\"").find(answer)!!.groupValues[1]
        return id to token
    }
}

/**
 * The SDK's sync in one call, in Kotlin on the JVM, against a real hub over
 * HTTP through OkHttp (Android's transport) and java.net.http.
 */
class HttpSyncTest {
    companion object {
        private lateinit var dir: File
        private lateinit var hub: HubProcess
        private val vault = SoftwareKeyVault.generate()
        private lateinit var account: Account
        private lateinit var contact: Contact

        @BeforeClass @JvmStatic fun startHub(): Unit = runBlocking {
            dir = Files.createTempDirectory("onsite-http").toFile()
            hub = HubProcess(dir)
            val csv = StringBuilder("sku;name;unit;list_price;tax_class\n")
            for (i in 0 until 12_000) csv.append("P-%05d;Sechskantmutter DIN 934 M%d;pc;0,%02d;DE-STD\n".format(i, 6 + i % 10, 10 + i % 80))
            hub.admin("POST", "/v1/admin/catalog?format=csv", csv.toString().toByteArray(), "text/csv")
            account = Account(
                newId(), "Müller Maschinenbau", "GmbH", 62u, null,
                Address("Hauptstraße 1", "80331", "München", "DE"), null, null, null, "rep-1",
            )
            contact = Contact(newId(), account.id, "Petra", "Einkauf", BuyingRole.DECISION_MAKER, null, null, "+49 89 1000", null)
            device("office", "backoffice", "admin").use { office ->
                office.store.saveAccount(account, listOf(contact))
                office.sync()
            }
            hub.admin("POST", "/v1/admin/reps/rep-1/accounts", """{"add":["${account.id}"]}""".toByteArray())
            Unit
        }

        @AfterClass @JvmStatic fun stopHub() {
            hub.stop()
            dir.deleteRecursively()
        }

        fun device(name: String, person: String, role: String): Device {
            val (id, token) = hub.issue(person, role)
            return Device(Onsite.openDevice(File(dir, "$name.sqlite").path, vault, id), id, token)
        }
    }

    class Device(val store: Onsite, val id: String, var token: String) : AutoCloseable {
        suspend fun sync(transport: SyncTransport = OkHttpTransport()) =
            store.syncWithHub(hub.url, token, transport, onTokenRotated = { t, _ -> token = t }).also { token = it.token }
        override fun close() = store.close()
    }

    @Test fun twoDevicesSeeEachOthersEditsOverHttp(): Unit = runBlocking {
        device("anna", "rep-1", "rep").use { anna ->
            device("ben", "rep-1", "rep").use { ben ->
                val rounds = mutableListOf<Int>()
                val first = anna.store.syncWithHub(hub.url, anna.token, OkHttpTransport(), onProgress = { rounds += it.roundTrips.toInt() })
                assertEquals(12_000uL, anna.store.blocking.productCount())
                assertTrue("three catalog pages: ${first.progress}", first.progress.roundTrips >= 3u)
                assertEquals((1..first.progress.roundTrips.toInt()).toList(), rounds)
                ben.sync(JdkHttpTransport())
                anna.store.blocking.saveContact(contact.copy(phone = "+49 89 2222"))
                assertEquals(1u, anna.store.syncHealth().pendingDocuments)
                anna.sync()
                ben.sync(JdkHttpTransport())
                assertEquals("+49 89 2222", ben.store.contacts(account.id).single().phone)
                val health = anna.store.syncHealth()
                assertEquals(0u, health.pendingDocuments)
                assertEquals(null, health.lastError)
                assertTrue(health.lastSuccessAt != null && health.storageBytes > 0uL)
            }
        }
    }

    @Test fun aRevokedTokenIsATypedError(): Unit = runBlocking {
        device("carl", "rep-1", "rep").use { carl ->
            carl.sync()
            hub.admin("POST", "/v1/admin/devices/${carl.id}/revoke")
            try {
                carl.sync()
                fail("a revoked token syncs")
            } catch (e: SyncFailure.Unauthorized) {
                assertEquals(AuthProblem.REVOKED, e.problem)
            }
            assertTrue(carl.store.syncHealth().lastError!!.contains("not authorized"))
        }
    }

    @Test fun cancellingTheCoroutineStopsTheSyncAtItsNextSafePoint(): Unit = runBlocking {
        device("gus", "rep-1", "rep").use { gus ->
            var calls = 0
            val offline = object : SyncTransport {
                override fun post(request: TransportRequest): TransportResponse {
                    calls++
                    throw TransportException.Offline("no network")
                }
            }
            // A minute between attempts: only a working cancel ends this early.
            val slow = uniffi.onsite.syncSettings(hub.url, gus.token).copy(initialBackoffMs = 60_000uL, maxBackoffMs = 60_000uL)
            val job = launch(kotlinx.coroutines.Dispatchers.Default) {
                gus.store.syncWithHub(hub.url, gus.token, offline, slow)
            }
            while (calls == 0) kotlinx.coroutines.delay(10)
            job.cancel()
            job.join()
            assertTrue(job.isCancelled)
            assertEquals("no attempt after the cancel", 1, calls)
            assertEquals(0u, gus.store.syncHealth().failuresInARow)
        }
    }

    @Test fun aHubRestartInTheMiddleOfASyncLosesAndDoublesNothing(): Unit = runBlocking {
        device("eve", "rep-1", "rep").use { eve ->
            /** Restarts the hub at call [at], before the request or after the hub applied it. */
            class Restarting(val at: Int, val afterDelivery: Boolean) : SyncTransport {
                val inner = OkHttpTransport()
                var calls = 0
                var restart: Thread? = null
                override fun post(request: TransportRequest): TransportResponse {
                    calls++
                    if (calls == at && !afterDelivery) restart = hub.restartLater(300)
                    val answer = inner.post(request)
                    if (calls == at && afterDelivery) {
                        restart = hub.restartLater(300)
                        throw TransportException.Offline("connection reset by the restart")
                    }
                    return answer
                }
            }
            val first = Restarting(2, afterDelivery = false)
            val done = eve.sync(first)
            first.restart!!.join()
            assertTrue(done.retries >= 1u)
            assertEquals(12_000uL, eve.store.blocking.productCount())

            val visits = (1..5).map {
                Activity(newId(), account.id, null, ActivityKind.VISIT, "2026-11-0${it}T09:00:00Z", "rep-1", "Besuch $it", "")
            }
            visits.forEach { eve.store.blocking.logActivity(it) }
            val second = Restarting(1, afterDelivery = true)
            assertTrue(eve.sync(second).retries >= 1u)
            second.restart!!.join()
            assertEquals(0u, eve.store.syncHealth().pendingDocuments)
            device("fred", "rep-1", "rep").use { fred ->
                fred.sync()
                val got = fred.store.blocking.activitiesForAccount(account.id, 100u).filter { it.subject.startsWith("Besuch") }
                assertEquals(visits.map { it.id }.sorted(), got.map { it.id }.sorted())
            }
        }
    }

    /** A PDF-typed file of [length] bytes whose content depends on [seed]. */
    private fun pdf(length: Int, seed: Int): ByteArray {
        val head = "%PDF-1.7\n".toByteArray()
        return head + ByteArray(length - head.size) { i -> (i * 31 + seed).toByte() }
    }

    @Test fun anAttachmentAddedOfflineReachesASecondDevice(): Unit = runBlocking {
        device("iris", "rep-1", "rep").use { iris ->
            iris.sync()
            val s = iris.store.blocking
            val today = LocalDate.now()
            var quote = s.createQuote(account.id, null, "rep-1", DisplayLocale.DE, today.plusDays(30).toString())
            quote = s.addQuoteLine(quote.id, "P-00001", "2", "0", today.toString())
            val parent = AttachmentParent.Quote(quote.id)
            val drawing = pdf(1_200_000, 7)
            try {
                s.addAttachment(parent, "../x.pdf", drawing, false, "rep-1")
                fail("a path is taken as a file name")
            } catch (e: OnsiteException.Validation) {
            }
            val added = s.addAttachment(parent, "Zeichnung Regal B.pdf", drawing, false, "rep-1")
            assertEquals("application/pdf", added.file.mediaType)
            assertEquals(drawing.size.toULong(), added.file.size)
            assertEquals("the refused name left nothing behind", 1uL, s.fileBudget().pendingUploads)

            val up = iris.sync()
            assertEquals(up.files.toString(), 1u, up.files.uploaded)
            assertEquals(up.files.toString(), 0u, up.files.refused)
            assertEquals(0uL, s.fileBudget().pendingUploads)

            // A second tablet of the same rep: the open quote's file is prefetched.
            device("jan", "rep-1", "rep").use { jan ->
                val down = jan.sync(JdkHttpTransport())
                assertTrue(down.files.toString(), down.files.downloaded >= 1u)
                val got = jan.store.blocking.attachments(AttachmentParent.Quote(quote.id))
                assertEquals(1, got.size)
                assertEquals(added.id, got[0].id)
                assertEquals(added.file.hash, got[0].file.hash)
                assertEquals("application/pdf", got[0].file.mediaType)
                assertTrue("prefetched for the open quote", jan.store.blocking.hasFile(added.file.hash))
                assertTrue(drawing.contentEquals(jan.store.blocking.fileBytes(added.file.hash)))
            }
        }
    }
}
