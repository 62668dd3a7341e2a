package dev.dingtalkauth.test

import dev.dingtalkauth.*
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test

/**
 * Every `AuthException` subclass arrives as itself, with its fields, and its text leaks no state or code.
 * Which input deserves which error is the core's rule, tested in Rust; the errors of `submit` are in
 * [SubmitTest].
 */
class ErrorsTest {
    private val clock = ManualClock()
    private val store = RecordingStore()
    private val auth = auth(clock, store)

    @AfterEach fun close() = auth.close()

    /** The generated class name of [e]; exhaustive, so a new variant fails compilation here. */
    private fun variant(e: AuthException): String = when (e) {
        is AuthException.InvalidConfig -> "InvalidConfig"
        is AuthException.StateMissing -> "StateMissing"
        is AuthException.StateMalformed -> "StateMalformed"
        is AuthException.StateUnknown -> "StateUnknown"
        is AuthException.StateExpired -> "StateExpired"
        is AuthException.StateReused -> "StateReused"
        is AuthException.FlowMismatch -> "FlowMismatch"
        is AuthException.NoPendingLogin -> "NoPendingLogin"
        is AuthException.AmbiguousPendingLogin -> "AmbiguousPendingLogin"
        is AuthException.InvalidResponse -> "InvalidResponse"
        is AuthException.InvalidCallback -> "InvalidCallback"
        is AuthException.Store -> "Store"
        is AuthException.TimeSource -> "TimeSource"
        is AuthException.HttpUnavailable -> "HttpUnavailable"
        is AuthException.Network -> "Network"
        is AuthException.Timeout -> "Timeout"
        is AuthException.BackendRejected -> "BackendRejected"
        is AuthException.UnreadableBody -> "UnreadableBody"
        is AuthException.Internal -> "Internal"
    }

    @Test
    fun `a bad configuration is InvalidConfig naming the field, from both constructors`() {
        val bad = config(clientId = "")
        val e = expectAuthError<AuthException.InvalidConfig> { DingTalkAuth(bad, null).close() }
        assertTrue(e.reason.contains("client_id"), e.reason)
        assertTrue(e.message!!.contains(e.reason), e.message)
        expectAuthError<AuthException.InvalidConfig> { DingTalkAuth.withTimeSource(bad, null, ManualClock()).close() }
    }

    @Test
    fun `the reply errors arrive typed, with their reasons, and leak nothing`() {
        val used = auth.begin(LoginFlow.NEW_SDK).state!!
        grantOf(auth.completeSdk(ok(LoginFlow.NEW_SDK, used)))
        val browser = auth.begin(LoginFlow.BROWSER).state!!
        val expiring = auth.begin(LoginFlow.NEW_SDK).state!!
        val thrown = mutableListOf<AuthException>()
        fun collect(block: () -> Any) = try {
            fail<Nothing>("expected an AuthException, got ${block()}")
        } catch (e: AuthException) {
            thrown += e
        }
        collect { auth.completeSdk(ok(LoginFlow.NEW_SDK, null)) }
        collect { auth.completeSdk(ok(LoginFlow.NEW_SDK, "a b")) }
        collect { auth.completeSdk(ok(LoginFlow.NEW_SDK, "A".repeat(43))) }
        collect { auth.completeSdk(ok(LoginFlow.NEW_SDK, used)) }
        collect { auth.completeSdk(ok(LoginFlow.NEW_SDK, browser)) }
        collect { auth.completeSdk(reply(LoginFlow.NEW_SDK, "abc", expiring, code = CODE)) }
        collect { auth.completeBrowser("https://evil.example.com/cb?authCode=$CODE&state=$browser") }
        clock.advanceSeconds(TTL_SECONDS + 1L)
        collect { auth.completeSdk(ok(LoginFlow.NEW_SDK, expiring)) }
        auth(clock, RecordingStore(), config(platform = Platform.IOS)).use { ios ->
            collect { ios.completeSdk(ok(LoginFlow.LEGACY_SDK, null)) }
        }
        assertEquals(
            listOf("StateMissing", "StateMalformed", "StateUnknown", "StateReused", "FlowMismatch",
                "InvalidResponse", "InvalidCallback", "StateExpired", "NoPendingLogin"),
            thrown.map(::variant),
        )
        for (e in thrown) assertNoLeak(e, CODE, used, browser, expiring)
        // toString() is the core's Display text (exported), not a field dump.
        assertEquals("the pending login was already used", thrown[3].toString())
        val reasons = thrown.mapNotNull {
            when (it) {
                is AuthException.InvalidResponse -> it.reason
                is AuthException.InvalidCallback -> it.reason
                else -> null
            }
        }
        assertEquals(2, reasons.size)
        reasons.forEach { assertTrue(it.isNotBlank()) }
    }

    @Test
    fun `a stateless reply that two pending logins could claim is AmbiguousPendingLogin`() {
        // Two records of pending iOS legacy logins in one store, as two processes of an app can leave.
        auth(clock, store, config(platform = Platform.IOS)).use { ios ->
            ios.begin(LoginFlow.LEGACY_SDK)
            val (key, value) = store.map.entries.single()
            store.map[key.dropLast(4) + "ffff"] = value
            expectAuthError<AuthException.AmbiguousPendingLogin>(CODE) { ios.completeSdk(ok(LoginFlow.LEGACY_SDK, null)) }
        }
    }
}
