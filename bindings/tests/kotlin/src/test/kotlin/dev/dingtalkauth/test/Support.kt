package dev.dingtalkauth.test

import dev.dingtalkauth.*
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail

const val CLIENT_ID = "dingtestclient01"
const val REDIRECT_URI = "https://app.example.com/dingtalk/callback"
const val START_MS = 1_700_000_000_000L
const val TTL_SECONDS = 600

/** A code that is easy to spot if it ever leaks into a message, a store record or a toString. */
const val CODE = "c0de5ecret7a1b2c3d4e5f"

/** A Kotlin clock the tests move by hand: expiry is tested without sleeping. */
class ManualClock(start: Long = START_MS) : TimeSource {
    @Volatile var now: Long = start
    override fun nowMs(): Long = now
    fun advanceMs(ms: Long) { now += ms }
    fun advanceSeconds(s: Long) { now += s * 1000 }
}

/**
 * A [PendingLoginStore] written in Kotlin, as an app would (over Keystore/EncryptedSharedPreferences).
 * It records every value it was ever given so tests can check nothing secret passed through it.
 */
class RecordingStore : PendingLoginStore {
    val map = ConcurrentHashMap<String, String>()
    val written = CopyOnWriteArrayList<Pair<String, String>>()
    @Volatile var failWith: Throwable? = null

    private fun maybeFail() { failWith?.let { throw it } }

    override fun put(key: String, value: String) {
        maybeFail()
        written += key to value
        map[key] = value
    }

    override fun get(key: String): String? { maybeFail(); return map[key] }

    override fun remove(key: String) { maybeFail(); map.remove(key) }

    override fun keys(): List<String> { maybeFail(); return map.keys.sorted() }

    /** Every key and value ever written, and what is there now. */
    fun everything(): List<String> =
        written.flatMap { listOf(it.first, it.second) } + map.keys + map.values
}

val ALL_FLOWS = listOf(LoginFlow.LEGACY_SDK, LoginFlow.NEW_SDK, LoginFlow.BROWSER)

fun config(
    platform: Platform = Platform.ANDROID,
    flows: List<LoginFlow> = ALL_FLOWS,
    redirectUri: String? = REDIRECT_URI,
    backendUrl: String? = null,
    scope: OAuthScope? = null,
    ttlSeconds: Int = TTL_SECONDS,
    connectTimeoutMs: Int = 2_000,
    requestTimeoutMs: Int = 5_000,
    clientId: String = CLIENT_ID,
    orgType: String? = null,
    corpId: String? = null,
    exclusiveLogin: Boolean = false,
    exclusiveCorpId: String? = null,
    authorizeEndpoint: String? = null,
): AuthConfig = AuthConfig(
    clientId = clientId,
    platform = platform,
    flows = flows,
    redirectUri = redirectUri,
    backendUrl = backendUrl,
    scope = scope,
    pendingTtlSeconds = ttlSeconds.toUInt(),
    connectTimeoutMs = connectTimeoutMs.toUInt(),
    requestTimeoutMs = requestTimeoutMs.toUInt(),
    orgType = orgType,
    corpId = corpId,
    exclusiveLogin = exclusiveLogin,
    exclusiveCorpId = exclusiveCorpId,
    authorizeEndpoint = authorizeEndpoint,
)

/** An authenticator with a Kotlin clock and (optionally) a Kotlin store. */
fun auth(
    clock: ManualClock = ManualClock(),
    store: PendingLoginStore? = RecordingStore(),
    cfg: AuthConfig = config(),
): DingTalkAuth = DingTalkAuth.withTimeSource(cfg, store, clock)

fun ok(flow: LoginFlow, state: String?, code: String? = CODE, message: String? = null) =
    SdkResponse(flow = flow, errCode = "0", message = message, code = code, state = state)

fun reply(flow: LoginFlow, errCode: String, state: String?, message: String? = null, code: String? = null) =
    SdkResponse(flow = flow, errCode = errCode, message = message, code = code, state = state)

/** A short, exhaustive description of an outcome; `when` without `else` breaks the build if a case is added. */
fun describe(outcome: LoginOutcome): String = when (outcome) {
    is LoginOutcome.Authorized -> "authorized:${outcome.grant.flow()}"
    is LoginOutcome.Cancelled -> "cancelled"
    is LoginOutcome.Denied -> "denied"
    is LoginOutcome.AppIdentityMismatch -> "app identity mismatch:${outcome.dingtalkMessage}"
    is LoginOutcome.Failed -> "failed:${outcome.reason}:${outcome.errCode}:${outcome.dingtalkMessage}"
}

fun grantOf(outcome: LoginOutcome): AuthGrant = when (outcome) {
    is LoginOutcome.Authorized -> outcome.grant
    is LoginOutcome.Cancelled, is LoginOutcome.Denied, is LoginOutcome.AppIdentityMismatch, is LoginOutcome.Failed ->
        fail("expected Authorized, got ${describe(outcome)}")
}

/** Runs [block], expects an [AuthException] of type [T], checks it leaks nothing in [secrets]. */
inline fun <reified T : AuthException> expectAuthError(vararg secrets: String?, block: () -> Unit): T {
    val e = try {
        block()
        fail<Nothing>("expected ${T::class.simpleName}, nothing was thrown")
    } catch (e: AuthException) {
        e
    }
    assertTrue(e is T, "expected ${T::class.simpleName}, got ${e::class.simpleName}: ${e.message}")
    assertNoLeak(e, *secrets)
    return e as T
}

/** The exception's message, toString and stack-trace text contain none of [secrets]. */
fun assertNoLeak(e: Throwable, vararg secrets: String?) {
    val texts = listOf(e.message ?: "", e.toString(), e.localizedMessage ?: "")
    for (s in secrets.filterNotNull().filter { it.length >= 4 }) {
        for (t in texts) assertFalse(t.contains(s), "error text leaks a secret: ${e::class.simpleName}")
    }
}

val STATE_SHAPE = Regex("^[A-Za-z0-9_-]{32,1024}$")

fun assertWellFormedState(state: String?) {
    requireNotNull(state) { "state expected" }
    assertTrue(STATE_SHAPE.matches(state), "state has an unexpected shape (length ${state.length})")
}

fun assertCount(expected: Int, auth: DingTalkAuth) = assertEquals(expected.toUInt(), auth.pendingCount())
