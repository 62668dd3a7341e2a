package dev.dingtalkauth.test

import dev.dingtalkauth.*
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test

/**
 * iOS DTShareKit's DTAuthorizeReq has no state: its reply can only be bound to the one pending legacy
 * login of this device, and must be refused when there is none or it expired.
 */
class LegacyIosTest {
    private val clock = ManualClock()
    private val store = RecordingStore()
    private val auth = auth(clock, store, config(platform = Platform.IOS))

    @AfterEach fun close() = auth.close()

    @Test
    fun `begin gives no state and a stateless success binds to the pending login`() {
        val req = auth.begin(LoginFlow.LEGACY_SDK)
        assertNull(req.state)
        assertEquals("sns_login", req.scope)
        assertCount(1, auth)
        clock.advanceMs(10)
        val grant = grantOf(auth.completeSdk(ok(LoginFlow.LEGACY_SDK, null)))
        assertEquals(LoginFlow.LEGACY_SDK, grant.flow())
        assertEquals(Platform.IOS, grant.platform())
        assertEquals(START_MS + 10, grant.issuedAtMs())
        assertTrue(grant.toJson().contains("\"platform\":\"ios\""))
        assertCount(0, auth)
    }

    @Test
    fun `without a pending legacy login a stateless reply is NoPendingLogin`() {
        expectAuthError<AuthException.NoPendingLogin>(CODE) { auth.completeSdk(ok(LoginFlow.LEGACY_SDK, null)) }
        // Other pending flows do not count.
        auth.begin(LoginFlow.NEW_SDK)
        auth.begin(LoginFlow.BROWSER)
        expectAuthError<AuthException.NoPendingLogin>(CODE) { auth.completeSdk(ok(LoginFlow.LEGACY_SDK, null)) }
        assertCount(2, auth)
    }

    @Test
    fun `a second stateless reply is refused (replay)`() {
        auth.begin(LoginFlow.LEGACY_SDK)
        grantOf(auth.completeSdk(ok(LoginFlow.LEGACY_SDK, null)))
        // The used login is no candidate any more: nothing is pending.
        expectAuthError<AuthException.NoPendingLogin>(CODE) { auth.completeSdk(ok(LoginFlow.LEGACY_SDK, null)) }
    }

    @Test
    fun `an expired pending legacy login is StateExpired`() {
        auth.begin(LoginFlow.LEGACY_SDK)
        clock.advanceSeconds(TTL_SECONDS + 1L)
        expectAuthError<AuthException.StateExpired>(CODE) { auth.completeSdk(ok(LoginFlow.LEGACY_SDK, null)) }
        assertCount(0, auth)
    }

    @Test
    fun `a new legacy begin replaces the older pending one`() {
        auth.begin(LoginFlow.LEGACY_SDK)
        clock.advanceSeconds(TTL_SECONDS - 10L)
        auth.begin(LoginFlow.LEGACY_SDK)
        assertCount(1, auth)
        // Older one would have expired by now; the replacement is fresh.
        clock.advanceSeconds(20)
        grantOf(auth.completeSdk(ok(LoginFlow.LEGACY_SDK, null)))
        assertCount(0, auth)
    }

    @Test
    fun `a stateless cancel consumes the pending legacy login`() {
        auth.begin(LoginFlow.LEGACY_SDK)
        assertEquals(LoginOutcome.Cancelled, auth.completeSdk(reply(LoginFlow.LEGACY_SDK, "-2", null)))
        assertCount(0, auth)
        expectAuthError<AuthException.NoPendingLogin>(CODE) { auth.completeSdk(ok(LoginFlow.LEGACY_SDK, null)) }
    }

    @Test
    fun `new SDK and browser on iOS still carry and require a state`() {
        val req = auth.begin(LoginFlow.NEW_SDK)
        assertWellFormedState(req.state)
        expectAuthError<AuthException.StateMissing>(CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, null)) }
        grantOf(auth.completeSdk(ok(LoginFlow.NEW_SDK, req.state)))
    }

    @Test
    fun `two iOS instances over one store - a stateless reply binds across process death`() {
        val shared = RecordingStore()
        auth(clock, shared, config(platform = Platform.IOS)).use { it.begin(LoginFlow.LEGACY_SDK) }
        auth(clock, shared, config(platform = Platform.IOS)).use { b ->
            assertCount(1, b)
            grantOf(b.completeSdk(ok(LoginFlow.LEGACY_SDK, null)))
        }
        assertFalse(shared.everything().any { it.contains(CODE) })
    }
}
