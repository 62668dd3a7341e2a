package com.example.consumer

import androidx.test.core.app.ApplicationProvider
import androidx.test.ext.junit.runners.AndroidJUnit4
import com.sun.net.httpserver.HttpServer
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.android.DingTalkLogin
import dev.dingtalkauth.android.GrantDelivery
import dev.dingtalkauth.android.LoginResult
import dev.dingtalkauth.testing.DingTalkReplies
import java.net.InetAddress
import java.net.InetSocketAddress
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

/**
 * An app's own tests, as README "Testing your app" writes them: the real library (the host build from
 * dingtalk-auth-testing), DingTalk's reply from DingTalkReplies, a stand-in backend on loopback.
 */
@RunWith(AndroidJUnit4::class)
class LoginTest {
    private val backend = HttpServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
    private val received = mutableListOf<String>()

    private fun login(): DingTalkLogin {
        backend.createContext("/v1/login") { exchange ->
            synchronized(received) { received += exchange.requestHeaders.getFirst("Idempotency-Key").orEmpty() }
            val body = """{"user":"test"}""".toByteArray()
            exchange.sendResponseHeaders(200, body.size.toLong())
            exchange.responseBody.use { it.write(body) }
        }
        backend.start()
        val base = "http://127.0.0.1:${backend.address.port}"
        return DingTalkLogin(ApplicationProvider.getApplicationContext(), consumerConfig(base), null)
    }

    @After
    fun stop() = backend.stop(0)

    @Test
    fun anApprovedBrowserLoginIsSentToTheBackend() {
        val login = login()
        val request = login.begin(LoginFlow.BROWSER)
        val result = login.handleRedirect(DingTalkReplies.browserApproved(request, code = "test-code"))
        assertTrue("$result", result is LoginResult.Authorized)
        val grant = (result as LoginResult.Authorized).grant
        // The grant's wire JSON carries the code DingTalk sent (no accessor: the code is a secret).
        assertTrue(grant.toJson().contains("\"test-code\""))

        val session = GrantDelivery(login, null, CoroutineScope(Dispatchers.IO))
        session.onResult(result)
        val state = runBlocking { session.state.first { it is GrantDelivery.State.Delivered || it is GrantDelivery.State.Failed } }
        assertTrue("$state", state is GrantDelivery.State.Delivered)
        assertEquals(listOf(grant.idempotencyKey()), received)
    }

    @Test
    fun aRefusalIsNoGrant() {
        val login = login()
        val request = login.begin(LoginFlow.BROWSER)
        val result = login.handleRedirect(DingTalkReplies.browserDenied(request))
        assertTrue("$result", result is LoginResult.Denied)
    }
}
