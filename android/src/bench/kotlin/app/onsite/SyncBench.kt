// A full sync of a new device through the foreign-trait transports
// (OkHttp, java.net.http) against a real `onsite serve`, beside the Rust
// client (`onsite device register`: the same driver over ureq), same data.
// Run: bash tests/lib/kotlin.sh bench   (numbers go to BENCHMARKS.md)
package app.onsite

import app.onsite.jvm.JdkHttpTransport
import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.runBlocking
import uniffi.onsite.SyncTransport

fun main() = runBlocking {
    val products = (System.getenv("BENCH_PRODUCTS") ?: "20000").toInt()
    val accounts = (System.getenv("BENCH_ACCOUNTS") ?: "300").toInt()
    val runs = (System.getenv("BENCH_RUNS") ?: "5").toInt()
    val dir = Files.createTempDirectory("onsite-bench").toFile()
    val hub = HubProcess(dir)
    try {
        val csv = StringBuilder("sku;name;unit;list_price;tax_class\n")
        for (i in 0 until products) csv.append("P-%06d;Sechskantschraube DIN 933 M%d×%d A2;pc;0,%02d;DE-STD\n".format(i, 6 + i % 10, 20 + i % 60, 10 + i % 80))
        hub.admin("POST", "/v1/admin/catalog?format=csv", csv.toString().toByteArray(), "text/csv")
        val crm = StringBuilder("account_id;name;street;postal_code;city;assigned_rep;contact_id;first_name;last_name;role\n")
        for (i in 0 until accounts) crm.append("acc-$i;Kunde $i Maschinenbau GmbH;Hauptstraße $i;80331;München;rep-1;c-$i;Petra;Einkauf $i;decision_maker\n")
        hub.admin("POST", "/v1/admin/accounts", crm.toString().toByteArray(), "text/csv")
        hub.admin("POST", "/v1/admin/reps/rep-1/accounts", ("{\"add\":[" + (0 until accounts).joinToString(",") { "\"acc-$it\"" } + "]}").toByteArray())
        val vault = SoftwareKeyVault.generate()
        var n = 0
        suspend fun viaKotlin(transport: () -> SyncTransport): Pair<Long, Long> {
            val (id, token) = hub.issue("rep-1", "rep")
            Onsite.openDevice(File(dir, "k${n++}.sqlite").path, vault, id).use { d ->
                val t0 = System.nanoTime()
                val s = d.syncWithHub(hub.url, token, transport())
                val ms = (System.nanoTime() - t0) / 1_000_000
                check(d.blocking.productCount() == products.toULong())
                return ms to (s.progress.bytesDown.toLong())
            }
        }
        val binary = System.getenv("ONSITE_BIN") ?: "target/debug/onsite"
        fun process(vararg args: String): Long {
            val t0 = System.nanoTime()
            val p = ProcessBuilder(binary, *args).redirectErrorStream(true).start()
            val out = p.inputStream.bufferedReader().readText()
            check(p.waitFor() == 0) { out }
            return (System.nanoTime() - t0) / 1_000_000
        }
        fun viaRust(): Long {
            val (_, token) = hub.issue("rep-1", "rep")
            val db = File(dir, "r${n++}.sqlite").path
            return process("device", "register", "--db", db, "--hub", hub.url, "--token", token, "--json")
        }
        fun median(xs: List<Long>) = xs.sorted()[xs.size / 2]
        // One warm-up of each, then alternating runs.
        viaKotlin { OkHttpTransport() }; viaKotlin { JdkHttpTransport() }; viaRust()
        val ok = mutableListOf<Long>(); val jdk = mutableListOf<Long>(); val rust = mutableListOf<Long>(); val spawn = mutableListOf<Long>()
        var bytes = 0L
        repeat(runs) {
            val (a, b) = viaKotlin { OkHttpTransport() }; ok += a; bytes = b
            jdk += viaKotlin { JdkHttpTransport() }.first
            rust += viaRust()
            spawn += process("--version")
        }
        val r = median(rust) - median(spawn)
        println("sync bench: $products products, $accounts accounts with a contact each, $runs runs, median")
        println("  bytes down: $bytes")
        println("  Kotlin, OkHttpTransport (foreign trait): ${median(ok)} ms  (runs: $ok)")
        println("  Kotlin, JdkHttpTransport (foreign trait): ${median(jdk)} ms  (runs: $jdk)")
        println("  Rust client (onsite device register, ureq): $r ms  (runs: $rust, process start ${median(spawn)} ms subtracted)")
        println("  ratio OkHttp / Rust: %.2f".format(median(ok).toDouble() / r))
    } finally {
        hub.stop()
        dir.deleteRecursively()
    }
}
