package dev.dingtalkauth.test

import dev.dingtalkauth.*
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.EnumSource

/**
 * The OS may kill the app while DingTalk is in front. The pending login must live in the app's store
 * (written here in Kotlin): begin on one instance, complete on a fresh one over the same store.
 */
class ProcessDeathTest {
    private val clock = ManualClock()

    @ParameterizedTest
    @EnumSource(LoginFlow::class)
    fun `begin on instance A, complete on instance B over the same Kotlin store`(flow: LoginFlow) {
        val store = RecordingStore()
        val req = auth(clock, store).use { it.begin(flow) }
        assertTrue(store.map.isNotEmpty(), "the pending login must be written to the app's store")

        val outcome = auth(clock, store).use { b ->
            assertCount(1, b)
            if (flow == LoginFlow.BROWSER) b.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=${req.state}")
            else b.completeSdk(ok(flow, req.state))
        }
        assertEquals(flow, grantOf(outcome).flow())
        assertEquals(0, auth(clock, store).use { it.pendingCount().toInt() })
    }

    @Test
    fun `a replay on a third instance is still refused`() {
        val store = RecordingStore()
        val state = auth(clock, store).use { it.begin(LoginFlow.NEW_SDK).state!! }
        auth(clock, store).use { grantOf(it.completeSdk(ok(LoginFlow.NEW_SDK, state))) }
        auth(clock, store).use { c ->
            expectAuthError<AuthException.StateReused>(state, CODE) { c.completeSdk(ok(LoginFlow.NEW_SDK, state)) }
        }
    }

    @Test
    fun `expiry is checked against the clock of the instance that completes`() {
        val store = RecordingStore()
        val state = auth(clock, store).use { it.begin(LoginFlow.NEW_SDK).state!! }
        val later = ManualClock(START_MS + TTL_SECONDS * 1000L + 1)
        auth(later, store).use { b ->
            expectAuthError<AuthException.StateExpired>(state, CODE) { b.completeSdk(ok(LoginFlow.NEW_SDK, state)) }
        }
    }

    @Test
    fun `without a store, a new instance knows nothing of the old one's logins`() {
        val state = auth(clock, null).use { it.begin(LoginFlow.NEW_SDK).state!! }
        auth(clock, null).use { b ->
            assertCount(0, b)
            expectAuthError<AuthException.StateUnknown>(state, CODE) { b.completeSdk(ok(LoginFlow.NEW_SDK, state)) }
        }
    }

    @Test
    fun `the store never holds the code, the raw state or the nonce`() {
        val store = RecordingStore()
        val requests = auth(clock, store).use { a -> LoginFlow.values().associateWith { a.begin(it) } }
        assertEquals(3, store.map.size)
        val secrets = listOf(CODE) + requests.values.flatMap { listOfNotNull(it.state, it.nonce) }
        auth(clock, store).use { b ->
            grantOf(b.completeSdk(ok(LoginFlow.NEW_SDK, requests.getValue(LoginFlow.NEW_SDK).state)))
            grantOf(b.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=${requests.getValue(LoginFlow.BROWSER).state}"))
        }
        assertTrue(store.written.size >= 3)
        for (text in store.everything()) {
            for (s in secrets) assertFalse(text.contains(s), "store holds a secret")
        }
        // The completed logins leave no pending record behind; the legacy one is still there.
        auth(clock, store).use { assertCount(1, it) }
    }

    @Test
    fun `a store failure surfaces as AuthException Store with the store's reason`() {
        val store = RecordingStore()
        auth(clock, store).use { a ->
            store.failWith = StoreException.Failed("keystore locked")
            val e = expectAuthError<AuthException.Store> { a.begin(LoginFlow.NEW_SDK) }
            assertTrue(e.message!!.contains("keystore locked"), e.message)
            store.failWith = null
            val state = a.begin(LoginFlow.NEW_SDK).state!!
            store.failWith = StoreException.Failed("io")
            expectAuthError<AuthException.Store>(state, CODE) { a.completeSdk(ok(LoginFlow.NEW_SDK, state)) }
            store.failWith = null
            // The failed completion did not burn the login.
            grantOf(a.completeSdk(ok(LoginFlow.NEW_SDK, state)))
        }
    }

    @Test
    fun `an unexpected Kotlin exception from the store does not crash and is reported as Store`() {
        val store = RecordingStore()
        auth(clock, store).use { a ->
            store.failWith = IllegalStateException("disk gone")
            val e = expectAuthError<AuthException.Store> { a.begin(LoginFlow.NEW_SDK) }
            assertTrue(e.reason.contains("disk gone"), e.reason)
            store.failWith = null
            assertWellFormedState(a.begin(LoginFlow.NEW_SDK).state)
        }
    }

    @Test
    fun `a corrupted store record is a Store error, not a crash or a success`() {
        val store = RecordingStore()
        auth(clock, store).use { a ->
            val state = a.begin(LoginFlow.NEW_SDK).state!!
            store.map.replaceAll { _, _ -> "{not json" }
            expectAuthError<AuthException.Store>(state, CODE) { a.completeSdk(ok(LoginFlow.NEW_SDK, state)) }
        }
    }
}
