package dev.dingtalkauth.test

import dev.dingtalkauth.*
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.EnumSource

/**
 * The two interfaces an app implements in Kotlin, [PendingLoginStore] and [TimeSource], called from
 * Rust: their values are used, and what they throw (declared or not) comes back as a typed error.
 */
class ForeignCallbacksTest {
    private val clock = ManualClock()

    @ParameterizedTest
    @EnumSource(LoginFlow::class)
    fun `a login begun on one instance completes on another over the same Kotlin store`(flow: LoginFlow) {
        val store = RecordingStore()
        val req = auth(clock, store).use { it.begin(flow) }
        assertTrue(store.map.isNotEmpty(), "the pending login must be written to the app's store")
        val outcome = auth(clock, store).use { b ->
            assertCount(1, b)
            if (flow == LoginFlow.BROWSER) b.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=${req.state}")
            else b.completeSdk(ok(flow, req.state))
        }
        assertEquals(flow, grantOf(outcome).flow())
        // The record keys and values the store was given hold no secret.
        val secrets = listOfNotNull(CODE, req.state, req.nonce)
        for (text in store.everything()) for (s in secrets) assertFalse(text.contains(s), "store holds a secret")
    }

    @Test
    fun `a declared StoreException arrives as AuthException Store with its reason, and nothing is burnt`() {
        val store = RecordingStore()
        auth(clock, store).use { a ->
            store.failWith = StoreException.Failed("keystore locked")
            val e = expectAuthError<AuthException.Store> { a.begin(LoginFlow.NEW_SDK) }
            assertEquals("keystore locked", e.reason)
            store.failWith = null
            val state = a.begin(LoginFlow.NEW_SDK).state!!
            store.failWith = StoreException.Failed("io")
            expectAuthError<AuthException.Store>(state, CODE) { a.completeSdk(ok(LoginFlow.NEW_SDK, state)) }
            store.failWith = null
            grantOf(a.completeSdk(ok(LoginFlow.NEW_SDK, state)))
        }
    }

    @Test
    fun `any other exception from the store arrives as AuthException Store with its first line`() {
        val store = RecordingStore()
        auth(clock, store).use { a ->
            store.failWith = IllegalStateException("disk gone")
            val e = expectAuthError<AuthException.Store> { a.begin(LoginFlow.NEW_SDK) }
            assertTrue(e.reason.contains("disk gone"), e.reason)
            assertFalse(e.reason.contains("\n"), "a stack trace crossed: ${e.reason}")
            store.failWith = null
            assertWellFormedState(a.begin(LoginFlow.NEW_SDK).state)
        }
    }

    @Test
    fun `the Kotlin clock decides expiry`() {
        auth(clock, RecordingStore(), config(ttlSeconds = 5)).use { a ->
            val req = a.begin(LoginFlow.NEW_SDK)
            assertEquals(clock.now + 5_000, req.expiresAtMs)
            clock.advanceMs(5_001)
            expectAuthError<AuthException.StateExpired>(req.state, CODE) { a.completeSdk(ok(LoginFlow.NEW_SDK, req.state)) }
        }
    }

    @Test
    fun `a time source that throws is AuthException TimeSource, declared or not`() {
        val undeclared = object : TimeSource {
            override fun nowMs(): Long = throw IllegalStateException("no trusted time yet")
        }
        DingTalkAuth.withTimeSource(config(), RecordingStore(), undeclared).use { a ->
            val e = expectAuthError<AuthException.TimeSource> { a.begin(LoginFlow.NEW_SDK) }
            assertTrue(e.reason.contains("no trusted time yet"), e.reason)
            assertFalse(e.reason.contains("\n"), "a stack trace crossed: ${e.reason}")
        }
        val declared = object : TimeSource {
            override fun nowMs(): Long = throw TimeSourceException.Failed("clock not synced")
        }
        DingTalkAuth.withTimeSource(config(), RecordingStore(), declared).use { a ->
            assertEquals("clock not synced", expectAuthError<AuthException.TimeSource> { a.begin(LoginFlow.BROWSER) }.reason)
        }
    }
}
