// Exactly-once exchange, seen from the app: a code that comes back in another login is refused by the
// backend without calling DingTalk (409 code_replayed); the same grant sent again gets the first answer.
package dev.dingtalkauth.e2e

import dev.dingtalkauth.*
import dev.dingtalkauth.test.grantOf
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Test

class ReplayE2ETest : E2ETest() {
    private fun exchangeCount(flow: LoginFlow): Long =
        fake.stats()[if (flow == LoginFlow.LEGACY_SDK) "legacy" else "token"] ?: 0

    private fun checkReplay(flow: LoginFlow) {
        val first = runLogin(flow)
        val firstGrant = grantOf(first.outcome)
        assertIdentity(runBlocking { first.auth.submit(firstGrant) }, first.user, wireName(flow))
        val exchanges = exchangeCount(flow)

        val replayed = secondLogin(first.code, first)
        assertNotEquals(firstGrant.idempotencyKey(), replayed.idempotencyKey())
        expectRejected(first.auth, replayed, 409, "code_replayed", retryable = false, secret = first.code)
        assertEquals(exchanges, exchangeCount(flow), "a replayed code reached DingTalk")
        // And it stays refused.
        expectRejected(first.auth, replayed, 409, "code_replayed", secret = first.code)
        assertEquals(exchanges, exchangeCount(flow), "a replayed code reached DingTalk")
    }

    @Test
    fun `legacy SDK code replayed from a second login is 409 code_replayed`() = checkReplay(LoginFlow.LEGACY_SDK)

    @Test
    fun `new SDK code replayed from a second login is 409 code_replayed`() = checkReplay(LoginFlow.NEW_SDK)

    @Test
    fun `browser code replayed from a second login is 409 code_replayed`() = checkReplay(LoginFlow.BROWSER)

    private fun checkIdempotent(flow: LoginFlow) {
        val login = runLogin(flow)
        val grant = grantOf(login.outcome)
        val first = runBlocking { login.auth.submit(grant) }
        assertIdentity(first, login.user, wireName(flow))
        val exchanges = exchangeCount(flow)
        val again = runBlocking { login.auth.submit(grant) }
        assertEquals(first, again, "a retried grant must get the first answer (same session token)")
        assertEquals(exchanges, exchangeCount(flow), "a retried grant reached DingTalk again")
    }

    @Test
    fun `legacy SDK same grant twice gets the same answer`() = checkIdempotent(LoginFlow.LEGACY_SDK)

    @Test
    fun `new SDK same grant twice gets the same answer`() = checkIdempotent(LoginFlow.NEW_SDK)

    @Test
    fun `browser same grant twice gets the same answer`() = checkIdempotent(LoginFlow.BROWSER)

    /**
     * Two submits of one grant in flight at once (an app retrying on a flaky network): one exchange, and
     * both get the same identity. DingTalk's token endpoint is slowed (well below the backend's upstream
     * timeout) so the second submit arrives while the first exchange is still running and must wait for
     * its answer instead of starting another.
     */
    @Test
    fun `two concurrent submits of one grant exchange the code once`() {
        val login = runLogin(LoginFlow.NEW_SDK)
        val grant = grantOf(login.outcome)
        val before = exchangeCount(LoginFlow.NEW_SDK)
        fake.setFault("token", fault("delay", "ms" to 300L), times = 1)
        val (a, b) = runBlocking(Dispatchers.Default) {
            val a = async { login.auth.submit(grant) }
            val b = async { login.auth.submit(grant) }
            a.await() to b.await()
        }
        assertIdentity(a, login.user, "new_sdk")
        assertEquals(a, b)
        assertEquals(1L, exchangeCount(LoginFlow.NEW_SDK) - before)
    }
}
