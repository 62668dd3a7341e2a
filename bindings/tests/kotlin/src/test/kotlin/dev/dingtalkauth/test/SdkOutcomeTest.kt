package dev.dingtalkauth.test

import dev.dingtalkauth.*
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.CsvSource
import org.junit.jupiter.params.provider.EnumSource
import org.junit.jupiter.params.provider.ValueSource

/** How DingTalk's SDK answers (ErrCode, message, code, state) become a [LoginOutcome]. */
class SdkOutcomeTest {
    private val clock = ManualClock()
    private val store = RecordingStore()
    private val auth = auth(clock, store)

    @AfterEach fun close() = auth.close()

    @ParameterizedTest
    @EnumSource(value = LoginFlow::class, names = ["LEGACY_SDK", "NEW_SDK"])
    fun `success with code and state is authorized and the grant carries flow, client, platform and time`(flow: LoginFlow) {
        val req = auth.begin(flow)
        assertEquals(flow, req.flow)
        assertEquals(CLIENT_ID, req.clientId)
        assertWellFormedState(req.state)
        assertEquals(START_MS + TTL_SECONDS * 1000L, req.expiresAtMs)
        assertCount(1, auth)

        clock.advanceMs(1234)
        val grant = grantOf(auth.completeSdk(ok(flow, req.state)))
        assertEquals(flow, grant.flow())
        assertEquals(CLIENT_ID, grant.clientId())
        assertEquals(Platform.ANDROID, grant.platform())
        assertEquals(START_MS + 1234, grant.issuedAtMs())
        assertCount(0, auth)
    }

    @Test
    fun `scope and nonce follow the flow`() {
        val legacy = auth.begin(LoginFlow.LEGACY_SDK)
        assertEquals("sns_login", legacy.scope)
        assertNull(legacy.nonce)
        assertNull(legacy.authorizeUrl)

        val newSdk = auth.begin(LoginFlow.NEW_SDK)
        assertEquals("openid", newSdk.scope)
        assertNotNull(newSdk.nonce)
        assertTrue(newSdk.nonce!!.length >= 16)
        assertEquals(REDIRECT_URI, newSdk.redirectUri)
        assertNull(newSdk.authorizeUrl)

        auth(clock, RecordingStore(), config(scope = OAuthScope.OPENID_CORPID)).use {
            assertEquals("openid corpid", it.begin(LoginFlow.NEW_SDK).scope)
        }
    }

    @Test
    fun `states are unique, unguessable-looking and never the literal word state`() {
        val states = (1..200).map { auth.begin(LoginFlow.NEW_SDK).state!! }
        states.forEach { assertWellFormedState(it) }
        assertEquals(200, states.toSet().size)
        assertFalse(states.any { it.equals("state", ignoreCase = true) })
    }

    @Test
    fun `a store full of live logins (64) drops only the oldest, one per begin`() {
        val states = (1..70).map { clock.advanceMs(1); auth.begin(LoginFlow.NEW_SDK).state!! }
        assertEquals(64, store.map.size)
        assertCount(64, auth)
        for (s in states.take(6)) {
            expectAuthError<AuthException.StateUnknown>(CODE, s) { auth.completeSdk(ok(LoginFlow.NEW_SDK, s)) }
        }
        for (s in states.drop(6)) grantOf(auth.completeSdk(ok(LoginFlow.NEW_SDK, s)))
    }

    @Test
    fun `a sweep drops used records before a live pending login`() {
        val oldest = auth.begin(LoginFlow.NEW_SDK).state!!
        repeat(80) {
            clock.advanceMs(1)
            grantOf(auth.completeSdk(ok(LoginFlow.NEW_SDK, auth.begin(LoginFlow.NEW_SDK).state)))
        }
        assertTrue(store.map.size <= 64)
        assertCount(1, auth)
        grantOf(auth.completeSdk(ok(LoginFlow.NEW_SDK, oldest)))
    }

    @Test
    fun `every outcome kind is reachable and classified exhaustively`() {
        val seen = mutableSetOf<String>()
        for (errCode in listOf("0", "-2", "-4", "-1")) {
            val req = auth.begin(LoginFlow.NEW_SDK)
            val outcome = auth.completeSdk(reply(LoginFlow.NEW_SDK, errCode, req.state, "m", if (errCode == "0") CODE else null))
            // Exhaustive `when` over the sealed class: a new outcome kind fails compilation here.
            val kind = when (outcome) {
                is LoginOutcome.Authorized -> "authorized"
                LoginOutcome.Cancelled -> "cancelled"
                LoginOutcome.Denied -> "denied"
                is LoginOutcome.Failed -> "failed"
            }
            seen += kind
        }
        assertEquals(setOf("authorized", "cancelled", "denied", "failed"), seen)
    }

    @Test
    fun `cancel -2 is Cancelled and consumes the pending login`() {
        val req = auth.begin(LoginFlow.NEW_SDK)
        assertEquals(LoginOutcome.Cancelled, auth.completeSdk(reply(LoginFlow.NEW_SDK, "-2", req.state, "user cancelled")))
        assertCount(0, auth)
        // The state is spent: a later success with it is a replay.
        expectAuthError<AuthException.StateReused>(req.state, CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, req.state)) }
    }

    @Test
    fun `deny -4 is Denied and consumes the pending login`() {
        val req = auth.begin(LoginFlow.LEGACY_SDK)
        assertEquals(LoginOutcome.Denied, auth.completeSdk(reply(LoginFlow.LEGACY_SDK, "-4", req.state)))
        assertCount(0, auth)
    }

    @ParameterizedTest
    @CsvSource(
        "-1, COMMON_FAILURE",
        "-3, SEND_FAILED",
        "-5, UNSUPPORTED",
    )
    fun `documented failure codes map to their reason with number and message`(errCode: String, reason: FailureReason) {
        val req = auth.begin(LoginFlow.LEGACY_SDK)
        val outcome = auth.completeSdk(reply(LoginFlow.LEGACY_SDK, errCode, req.state, "something failed"))
        assertEquals(LoginOutcome.Failed(reason, errCode.toInt(), "something failed"), outcome)
        assertCount(0, auth)
    }

    @ParameterizedTest
    @ValueSource(strings = ["-7", "42", "-6", "1", "2147483647", "-2147483648"])
    fun `unknown numbers are Failed UNKNOWN keeping number and message`(errCode: String) {
        val req = auth.begin(LoginFlow.NEW_SDK)
        val outcome = auth.completeSdk(reply(LoginFlow.NEW_SDK, errCode, req.state, "odd"))
        assertEquals(LoginOutcome.Failed(FailureReason.UNKNOWN, errCode.toInt(), "odd"), outcome)
    }

    @ParameterizedTest
    @ValueSource(strings = ["abc", "", "-", "0x0", "1.0", "--2", "2147483648", "٠", "0 0", "+-1", "00", "-0", "+0", "01", "-02"])
    fun `malformed errCode strings are InvalidResponse`(errCode: String) {
        val req = auth.begin(LoginFlow.NEW_SDK)
        expectAuthError<AuthException.InvalidResponse>(req.state, CODE) {
            auth.completeSdk(reply(LoginFlow.NEW_SDK, errCode, req.state, code = CODE))
        }
    }

    @Test
    fun `failure without a message keeps null`() {
        val req = auth.begin(LoginFlow.NEW_SDK)
        assertEquals(LoginOutcome.Failed(FailureReason.SEND_FAILED, -3, null),
            auth.completeSdk(reply(LoginFlow.NEW_SDK, "-3", req.state)))
    }

    @ParameterizedTest
    @ValueSource(strings = ["-2", "-4", "-1", "-5", "-9"])
    fun `a cancel, deny or failure that names no pending login is a state error and changes nothing`(errCode: String) {
        // Any app can send the exported callback activity such a reply: it must never read as a cancel.
        val req = auth.begin(LoginFlow.NEW_SDK)
        expectAuthError<AuthException.StateMissing> { auth.completeSdk(reply(LoginFlow.NEW_SDK, errCode, null)) }
        expectAuthError<AuthException.StateUnknown> { auth.completeSdk(reply(LoginFlow.NEW_SDK, errCode, "B".repeat(43))) }
        expectAuthError<AuthException.StateMalformed> { auth.completeSdk(reply(LoginFlow.NEW_SDK, errCode, "not a state")) }
        // The real login is untouched and completes.
        assertCount(1, auth)
        grantOf(auth.completeSdk(ok(LoginFlow.NEW_SDK, req.state)))
    }

    @ParameterizedTest
    @ValueSource(strings = ["", "<null>"])
    fun `success without a code is InvalidResponse`(code: String) {
        val req = auth.begin(LoginFlow.NEW_SDK)
        expectAuthError<AuthException.InvalidResponse>(req.state) {
            auth.completeSdk(ok(LoginFlow.NEW_SDK, req.state, code = code.takeUnless { it == "<null>" }))
        }
    }

    @Test
    fun `success messages are optional and ignored`() {
        val req = auth.begin(LoginFlow.NEW_SDK)
        grantOf(auth.completeSdk(ok(LoginFlow.NEW_SDK, req.state, message = "ok")))
    }

    @Test
    fun `the grant keeps the code out of toString and redactedDescription`() {
        val req = auth.begin(LoginFlow.NEW_SDK)
        val outcome = auth.completeSdk(ok(LoginFlow.NEW_SDK, req.state))
        val grant = grantOf(outcome)
        for (text in listOf(grant.toString(), grant.redactedDescription(), outcome.toString())) {
            assertFalse(text.contains(CODE), "code leaked: $text")
            assertFalse(text.contains(req.state!!), "state leaked: $text")
        }
        assertTrue(grant.toJson().contains(CODE))
    }
}
