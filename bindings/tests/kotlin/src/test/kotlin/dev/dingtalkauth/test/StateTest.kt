package dev.dingtalkauth.test

import dev.dingtalkauth.*
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.EnumSource
import org.junit.jupiter.params.provider.ValueSource

/** `state` is the only CSRF / code-injection guard DingTalk offers: tampered, replayed, expired, missing. */
class StateTest {
    private val clock = ManualClock()
    private val store = RecordingStore()
    private val auth = auth(clock, store)

    @AfterEach fun close() = auth.close()

    @Test
    fun `missing state on a success is StateMissing and the pending login stays`() {
        auth.begin(LoginFlow.NEW_SDK)
        expectAuthError<AuthException.StateMissing>(CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, null)) }
        assertCount(1, auth)
    }

    @Test
    fun `missing state on an Android legacy success is StateMissing (only iOS legacy is stateless)`() {
        auth.begin(LoginFlow.LEGACY_SDK)
        expectAuthError<AuthException.StateMissing>(CODE) { auth.completeSdk(ok(LoginFlow.LEGACY_SDK, null)) }
    }

    @Test
    fun `a tampered state is refused and the real one still works`() {
        val state = auth.begin(LoginFlow.NEW_SDK).state!!
        val last = state.last()
        val tampered = state.dropLast(1) + (if (last == 'A') 'B' else 'A')
        expectAuthError<AuthException.StateUnknown>(state, tampered, CODE) {
            auth.completeSdk(ok(LoginFlow.NEW_SDK, tampered))
        }
        // Prefix / extension of a real state are not accepted either.
        expectAuthError<AuthException.StateUnknown>(state, CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, state.dropLast(1))) }
        expectAuthError<AuthException.StateUnknown>(state, CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, state + "A")) }
        assertCount(1, auth)
        grantOf(auth.completeSdk(ok(LoginFlow.NEW_SDK, state)))
    }

    @Test
    fun `a state made up by an attacker is StateUnknown`() {
        expectAuthError<AuthException.StateUnknown>(CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, "state")) }
        expectAuthError<AuthException.StateUnknown>(CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, "x".repeat(43))) }
    }

    @ParameterizedTest
    @EnumSource(value = LoginFlow::class, names = ["LEGACY_SDK", "NEW_SDK"])
    fun `a replayed success is StateReused and does not mint a second grant`(flow: LoginFlow) {
        val state = auth.begin(flow).state!!
        grantOf(auth.completeSdk(ok(flow, state)))
        expectAuthError<AuthException.StateReused>(state, CODE) { auth.completeSdk(ok(flow, state)) }
        expectAuthError<AuthException.StateReused>(state, CODE) { auth.completeSdk(ok(flow, state, code = "othercode123")) }
    }

    @Test
    fun `a state consumed by a cancel cannot be used for a success afterwards`() {
        val state = auth.begin(LoginFlow.NEW_SDK).state!!
        assertEquals(LoginOutcome.Cancelled, auth.completeSdk(reply(LoginFlow.NEW_SDK, "-2", state)))
        expectAuthError<AuthException.StateReused>(state, CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, state)) }
    }

    @Test
    fun `just before the ttl the login completes, just after it is StateExpired`() {
        val early = auth.begin(LoginFlow.NEW_SDK).state!!
        val late = auth.begin(LoginFlow.NEW_SDK).state!!
        clock.advanceMs(TTL_SECONDS * 1000L - 1)
        grantOf(auth.completeSdk(ok(LoginFlow.NEW_SDK, early)))
        clock.advanceMs(2)
        expectAuthError<AuthException.StateExpired>(late, CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, late)) }
        // An expired login is gone: it is not counted as pending any more.
        assertCount(0, auth)
    }

    @Test
    fun `a short ttl from the config is honoured`() {
        auth(clock, RecordingStore(), config(ttlSeconds = 5)).use { a ->
            val req = a.begin(LoginFlow.NEW_SDK)
            assertEquals(clock.now + 5_000, req.expiresAtMs)
            clock.advanceSeconds(6)
            expectAuthError<AuthException.StateExpired>(req.state, CODE) { a.completeSdk(ok(LoginFlow.NEW_SDK, req.state)) }
        }
    }

    @Test
    fun `a clock stepping back a little keeps a login no longer than the step, a big step back ends it`() {
        // A small step back (an NTP correction): the login survives...
        val small = auth.begin(LoginFlow.NEW_SDK).state!!
        val bounded = auth.begin(LoginFlow.NEW_SDK).state!!
        clock.advanceMs(-30_000)
        grantOf(auth.completeSdk(ok(LoginFlow.NEW_SDK, small)))
        // ...but only until the clock reads its expiry: the TTL plus the 30 s step of real time.
        clock.advanceMs(30_000 + TTL_SECONDS * 1000L + 1)
        expectAuthError<AuthException.StateExpired>(bounded, CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, bounded)) }
        // A step back of more than a minute ends a login instead of keeping it alive until the clock
        // catches up.
        val big = auth.begin(LoginFlow.NEW_SDK).state!!
        clock.advanceMs(-60_001)
        assertCount(0, auth)
        expectAuthError<AuthException.StateExpired>(big, CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, big)) }
    }

    @Test
    fun `a clock jumping forwards past the ttl expires the login`() {
        val state = auth.begin(LoginFlow.NEW_SDK).state!!
        clock.advanceSeconds(TTL_SECONDS + 3600L)
        expectAuthError<AuthException.StateExpired>(state, CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, state)) }
    }

    @Test
    fun `a time source that throws is AuthException TimeSource, never a crash`() {
        val broken = object : TimeSource {
            override fun nowMs(): Long = throw IllegalStateException("no trusted time yet")
        }
        DingTalkAuth.withTimeSource(config(), RecordingStore(), broken).use { a ->
            val e = expectAuthError<AuthException.TimeSource> { a.begin(LoginFlow.NEW_SDK) }
            assertTrue(e.reason.contains("no trusted time yet"), e.reason)
            expectAuthError<AuthException.TimeSource> { a.pendingCount() }
        }
        val declared = object : TimeSource {
            override fun nowMs(): Long = throw TimeSourceException.Failed("clock not synced")
        }
        DingTalkAuth.withTimeSource(config(), RecordingStore(), declared).use { a ->
            val e = expectAuthError<AuthException.TimeSource> { a.begin(LoginFlow.BROWSER) }
            assertEquals("clock not synced", e.reason)
        }
    }

    @Test
    fun `a state from another flow is FlowMismatch`() {
        val browserState = auth.begin(LoginFlow.BROWSER).state!!
        expectAuthError<AuthException.FlowMismatch>(browserState, CODE) {
            auth.completeSdk(ok(LoginFlow.NEW_SDK, browserState))
        }
        val legacyState = auth.begin(LoginFlow.LEGACY_SDK).state!!
        expectAuthError<AuthException.FlowMismatch>(legacyState, CODE) {
            auth.completeSdk(ok(LoginFlow.NEW_SDK, legacyState))
        }
        val sdkState = auth.begin(LoginFlow.NEW_SDK).state!!
        expectAuthError<AuthException.FlowMismatch>(sdkState, CODE) {
            auth.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=$sdkState")
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["", " ", "abc def", "abc/def", "abc+def=", "abc.def", "ab%41", "ß-state", "abc\n", "a\u0000b"])
    fun `malformed states are StateMalformed`(bad: String) {
        auth.begin(LoginFlow.NEW_SDK)
        expectAuthError<AuthException.StateMalformed>(CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, bad)) }
        assertCount(1, auth)
    }

    @Test
    fun `states over 1024 characters are StateMalformed, 1024 is only unknown`() {
        expectAuthError<AuthException.StateMalformed>(CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, "a".repeat(1025))) }
        expectAuthError<AuthException.StateMalformed>(CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, "a".repeat(100_000))) }
        expectAuthError<AuthException.StateUnknown>(CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, "a".repeat(1024))) }
    }

    @Test
    fun `discard forgets a pending login`() {
        val keep = auth.begin(LoginFlow.BROWSER).state!!
        val drop = auth.begin(LoginFlow.BROWSER).state!!
        assertCount(2, auth)
        auth.discard(drop)
        assertCount(1, auth)
        expectAuthError<AuthException.StateUnknown>(drop, CODE) { auth.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=$drop") }
        grantOf(auth.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=$keep"))
        // Discarding something unknown is harmless; something that cannot be a state is refused.
        auth.discard("nothing-like-this")
        expectAuthError<AuthException.StateMalformed> { auth.discard("") }
        expectAuthError<AuthException.StateMalformed> { auth.discard("a b") }
        assertCount(0, auth)
    }

    @Test
    fun `error texts never contain the state or the code`() {
        val errors = mutableListOf<AuthException>()
        val s1 = auth.begin(LoginFlow.NEW_SDK).state!!
        grantOf(auth.completeSdk(ok(LoginFlow.NEW_SDK, s1)))
        fun collect(block: () -> Unit) = try { block(); fail("expected an error") } catch (e: AuthException) { errors += e }
        collect { auth.completeSdk(ok(LoginFlow.NEW_SDK, s1)) }                         // reused
        collect { auth.completeSdk(ok(LoginFlow.NEW_SDK, s1.reversed())) }              // unknown
        collect { auth.completeSdk(ok(LoginFlow.NEW_SDK, "$s1 $CODE")) }                // malformed
        collect { auth.completeSdk(reply(LoginFlow.NEW_SDK, CODE, s1, code = CODE)) }   // errCode holding a secret
        val s2 = auth.begin(LoginFlow.BROWSER).state!!
        collect { auth.completeSdk(ok(LoginFlow.NEW_SDK, s2)) }                         // flow mismatch
        collect { auth.completeBrowser("https://evil.example.com/dingtalk/callback?authCode=$CODE&state=$s2") }
        collect { auth.completeBrowser("$REDIRECT_URI?authCode=$CODE&authCode=$CODE&state=$s2") }
        clock.advanceSeconds(TTL_SECONDS + 1L)
        collect { auth.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=$s2") }     // expired
        assertEquals(8, errors.size)
        errors.forEach { assertNoLeak(it, CODE, s1, s2, s1.reversed()) }
    }
}
