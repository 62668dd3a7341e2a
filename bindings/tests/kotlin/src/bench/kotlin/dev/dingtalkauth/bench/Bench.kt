// JVM micro-benchmark of the generated Kotlin bindings; run through scripts/bench-kotlin.sh.
//
//   cold    : in a fresh JVM, time from the first call into the library (which loads it through JNA)
//             to the first begin() returning. Run it in several JVMs and take the median.
//   steady  : median cost of one completeSdk (new SDK, success path) through the bindings, next to the
//             same validation written directly in Kotlin, in the same JVM and the same run.
//
// Plain main, no JMH: warm-up, then many samples of System.nanoTime() around batches; medians printed.
package dev.dingtalkauth.bench

import dev.dingtalkauth.*
import java.security.MessageDigest
import java.security.SecureRandom
import java.util.Base64

private const val CLIENT = "dingbenchclient01"
private const val REDIRECT = "https://app.example.com/dingtalk/callback"
private const val CODE = "4f1c2a9b7d3e4f5a6b7c8d9e0f1a2b3c"

private fun config() = AuthConfig(
    clientId = CLIENT, platform = Platform.ANDROID, redirectUri = REDIRECT, backendUrl = null,
    flows = listOf(LoginFlow.LEGACY_SDK, LoginFlow.NEW_SDK, LoginFlow.BROWSER),
    scope = OAuthScope.OPENID, pendingTtlSeconds = 600u, connectTimeoutMs = 10_000u, requestTimeoutMs = 30_000u,
    orgType = null, corpId = null, exclusiveLogin = false, exclusiveCorpId = null,
)

fun main(args: Array<String>) {
    when (args.firstOrNull() ?: "steady") {
        "cold" -> cold()
        "steady" -> steady(samples = args.getOrNull(1)?.toInt() ?: 300, batch = args.getOrNull(2)?.toInt() ?: 10)
        else -> error("usage: Bench cold|steady [samples] [batch]")
    }
}

/** One line: load_to_first_begin_ns=… construct_ns=… first_begin_ns=… (nothing touched the library before). */
private fun cold() {
    val cfg = config() // a plain Kotlin data class: does not load the library
    val t0 = System.nanoTime()
    val auth = DingTalkAuth(cfg, null) // first call: JNA loads libdingtalk_auth_ffi and registers it
    val t1 = System.nanoTime()
    val req = auth.begin(LoginFlow.NEW_SDK)
    val t2 = System.nanoTime()
    check(req.state != null)
    println("load_to_first_begin_ns=${t2 - t0} construct_ns=${t1 - t0} first_begin_ns=${t2 - t1}")
    auth.close()
}

// ------------------------------------------------------------------------------------------------
// The same validation written directly in Kotlin: parse errCode, look up SHA-256(state) in a map,
// constant-time compare, check expiry, build the grant JSON. Not a replacement for the library (no
// store, no flow checks beyond one field): the honest minimum to compare the FFI overhead against.

private class Pending(val stateHash: ByteArray, val flow: String, val expiresAtMs: Long)

private class DirectKotlin {
    private val random = SecureRandom()
    private val b64 = Base64.getUrlEncoder().withoutPadding()
    private val pending = HashMap<String, Pending>()

    private fun sha256(s: String): ByteArray = MessageDigest.getInstance("SHA-256").digest(s.toByteArray())

    fun begin(): String {
        val bytes = ByteArray(32).also(random::nextBytes)
        val state = b64.encodeToString(bytes)
        val hash = sha256(state)
        pending[b64.encodeToString(hash)] = Pending(hash, "new_sdk", System.currentTimeMillis() + 600_000)
        return state
    }

    /** Returns the grant JSON, or throws. */
    fun complete(errCode: String, code: String?, state: String?): String {
        val err = errCode.toIntOrNull() ?: throw IllegalArgumentException("bad errCode")
        if (err != 0) throw IllegalStateException("not a success")
        if (code.isNullOrEmpty()) throw IllegalArgumentException("no code")
        if (state == null) throw IllegalArgumentException("no state")
        if (state.isEmpty() || state.length > 1024 || !state.all { it.isLetterOrDigit() && it.code < 128 || it == '-' || it == '_' })
            throw IllegalArgumentException("malformed")
        val hash = sha256(state)
        val key = b64.encodeToString(hash)
        val p = pending[key] ?: throw IllegalArgumentException("unknown")
        if (!MessageDigest.isEqual(p.stateHash, hash)) throw IllegalArgumentException("unknown")
        if (p.flow != "new_sdk") throw IllegalArgumentException("flow")
        val now = System.currentTimeMillis()
        if (now > p.expiresAtMs) throw IllegalArgumentException("expired")
        pending.remove(key)
        // Same derivation as the library: SHA-256 over a label, the state hash and the code.
        val idem = MessageDigest.getInstance("SHA-256").run {
            update("dingtalk-auth idempotency v1\u0000".toByteArray()); update(hash); update(0); update(code.toByteArray())
            b64.encodeToString(digest())
        }
        return buildString(256) {
            append("{\"version\":1,\"flow\":\"new_sdk\",\"client_id\":\"").appendEscaped(CLIENT)
            append("\",\"platform\":\"android\",\"code\":\"").appendEscaped(code)
            append("\",\"scope\":\"openid\",\"issued_at_ms\":").append(now)
            append(",\"idempotency_key\":\"").append(idem).append("\"}")
        }
    }

    private fun StringBuilder.appendEscaped(s: String): StringBuilder {
        for (c in s) when {
            c == '"' -> append("\\\"")
            c == '\\' -> append("\\\\")
            c < ' ' -> append("\\u%04x".format(c.code))
            else -> append(c)
        }
        return this
    }
}

/** A Kotlin store, as an app would write (the cost of crossing back into Kotlin for each record). */
private class MapStore : PendingLoginStore {
    private val map = HashMap<String, String>()
    override fun put(key: String, value: String) { map[key] = value }
    override fun get(key: String): String? = map[key]
    override fun remove(key: String) { map.remove(key) }
    override fun keys(): List<String> = map.keys.toList()
}

private fun median(xs: LongArray): Double { xs.sort(); val n = xs.size; return if (n % 2 == 1) xs[n / 2].toDouble() else (xs[n / 2 - 1] + xs[n / 2]) / 2.0 }

private var sink = 0L

/**
 * Measures completeSdk alone (the batch's begins are done untimed), and begin+completeSdk as a pair.
 * After each batch its records are discarded (untimed): the library keeps used records for a while to
 * tell replays apart, and begin() reads every record, so without this the store would sit at its cap of
 * 64 records, which no real app reaches.
 */
private fun benchLibrary(auth: DingTalkAuth, samples: Int, batch: Int, warmup: Int): Pair<Double, Double> {
    fun completeBatch(): Long {
        val states = Array(batch) { auth.begin(LoginFlow.NEW_SDK).state!! }
        val grants = arrayOfNulls<AuthGrant>(batch)
        val t0 = System.nanoTime()
        for (i in 0 until batch) {
            val o = auth.completeSdk(SdkResponse(LoginFlow.NEW_SDK, "0", null, CODE, states[i]))
            grants[i] = (o as LoginOutcome.Authorized).grant
        }
        val dt = System.nanoTime() - t0
        for (g in grants) { sink += g!!.issuedAtMs(); g.close() }
        states.forEach(auth::discard)
        return dt
    }
    fun pairBatch(): Long {
        val states = arrayOfNulls<String>(batch)
        val t0 = System.nanoTime()
        for (i in 0 until batch) {
            val s = auth.begin(LoginFlow.NEW_SDK).state
            states[i] = s
            val o = auth.completeSdk(SdkResponse(LoginFlow.NEW_SDK, "0", null, CODE, s)) as LoginOutcome.Authorized
            sink += o.grant.issuedAtMs()
            o.grant.close()
        }
        val dt = System.nanoTime() - t0
        states.forEach { auth.discard(it!!) }
        return dt
    }
    repeat(warmup / batch) { completeBatch(); pairBatch() }
    val complete = LongArray(samples) { completeBatch() }
    val pair = LongArray(samples) { pairBatch() }
    return median(complete) / batch to median(pair) / batch
}

private fun benchDirect(samples: Int, batch: Int, warmup: Int): Pair<Double, Double> {
    val d = DirectKotlin()
    fun completeBatch(): Long {
        val states = Array(batch) { d.begin() }
        val t0 = System.nanoTime()
        for (i in 0 until batch) sink += d.complete("0", CODE, states[i]).length
        return System.nanoTime() - t0
    }
    fun pairBatch(): Long {
        val t0 = System.nanoTime()
        for (i in 0 until batch) sink += d.complete("0", CODE, d.begin()).length
        return System.nanoTime() - t0
    }
    repeat(warmup / batch) { completeBatch(); pairBatch() }
    val complete = LongArray(samples) { completeBatch() }
    val pair = LongArray(samples) { pairBatch() }
    return median(complete) / batch to median(pair) / batch
}

/** The floor of a call through the bindings: a getter returning an i64, and one returning a String. */
private fun benchFloor(auth: DingTalkAuth, samples: Int, batch: Int): Pair<Double, Double> {
    val grant = (auth.completeSdk(SdkResponse(LoginFlow.NEW_SDK, "0", null, CODE, auth.begin(LoginFlow.NEW_SDK).state))
        as LoginOutcome.Authorized).grant
    fun run(f: () -> Unit): Double {
        repeat(20_000) { f() }
        return median(LongArray(samples) {
            val t0 = System.nanoTime()
            repeat(batch) { f() }
            System.nanoTime() - t0
        }) / batch
    }
    val r = run { sink += grant.issuedAtMs() } to run { sink += grant.toJson().length }
    grant.close()
    return r
}

private fun steady(samples: Int, batch: Int) {
    val warmup = 10_000
    fun us(ns: Double) = "%.2f µs".format(ns / 1000)
    val (libMem, libMemPair) = DingTalkAuth(config(), null).use { benchLibrary(it, samples, batch, warmup) }
    val (floorLong, floorString) = DingTalkAuth(config(), null).use { benchFloor(it, samples, batch) }
    // Every store access is a JNA callback into Kotlin (slow): fewer rounds for this variant.
    val (libKt, libKtPair) = DingTalkAuth(config(), MapStore()).use { benchLibrary(it, samples / 3, batch, warmup / 5) }
    val (direct, directPair) = benchDirect(samples, batch, warmup)
    println("samples=$samples batch=$batch warmup=$warmup ops (median per operation; Kotlin store: ${samples / 3} samples)")
    println("completeSdk via bindings, built-in memory store : ${us(libMem)}   begin+completeSdk: ${us(libMemPair)}")
    println("completeSdk via bindings, Kotlin store          : ${us(libKt)}   begin+completeSdk: ${us(libKtPair)}")
    println("same validation written directly in Kotlin      : ${us(direct)}   begin+complete:    ${us(directPair)}")
    println("floor: grant.issuedAtMs() ${us(floorLong)}, grant.toJson() ${us(floorString)} per call")
    println("ratio bindings(memory)/direct completeSdk        : %.1fx".format(libMem / direct))
    if (sink == 42L) println()
}
