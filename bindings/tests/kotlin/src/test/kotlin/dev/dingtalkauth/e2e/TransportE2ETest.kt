// Whole logins whose grant travels through the app's HTTP stack: the Android layer's
// HttpUrlConnectionTransport → reference backend → fake DingTalk → the identity back in the app.
package dev.dingtalkauth.e2e

import dev.dingtalkauth.*
import dev.dingtalkauth.android.http.HttpUrlConnectionTransport
import dev.dingtalkauth.test.grantOf
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

class TransportE2ETest : E2ETest() {
    @Test
    fun `every flow logs in end to end with the grant sent through HttpURLConnection`() {
        for (flow in listOf(LoginFlow.LEGACY_SDK, LoginFlow.NEW_SDK, LoginFlow.BROWSER)) {
            val login = runLogin(flow, transport = HttpUrlConnectionTransport())
            val response = runBlocking { login.auth.submit(grantOf(login.outcome)) }
            assertIdentity(response, login.user, wireName(flow))
        }
    }

    /** The backend's refusal of a replayed code arrives through the transport as it does without one. */
    @Test
    fun `a replayed code is refused through HttpURLConnection`() {
        val first = runLogin(LoginFlow.NEW_SDK, transport = HttpUrlConnectionTransport())
        runBlocking { first.auth.submit(grantOf(first.outcome)) }
        val replay = secondLogin(first.code, first)
        val e = try {
            runBlocking { first.auth.submit(replay) }
            null
        } catch (e: AuthException.BackendRejected) {
            e
        }
        assertEquals(true, e != null && e.status.toInt() in 400..499, "expected a 4xx refusal, got $e")
    }
}
