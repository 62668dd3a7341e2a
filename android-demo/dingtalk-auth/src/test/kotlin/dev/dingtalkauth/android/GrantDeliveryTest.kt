// GrantDelivery against a stand-in backend on loopback that holds its answer until the test lets it
// go, so "during the send" is a fact, not a race: a rotation (the screen's scope cancelled) and the OS
// killing the process (every in-memory object gone) happen while the backend has the request.
package dev.dingtalkauth.android

import android.content.Context
import android.content.Intent
import android.net.Uri
import androidx.test.core.app.ApplicationProvider
import androidx.test.ext.junit.runners.AndroidJUnit4
import com.sun.net.httpserver.HttpServer
import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.AuthGrant
import dev.dingtalkauth.KeptGrant
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import java.net.InetAddress
import java.net.InetSocketAddress
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import javax.crypto.KeyGenerator
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class GrantDeliveryTest {
    private val context: Context = ApplicationProvider.getApplicationContext()
    private val prefs = context.getSharedPreferences("grant-delivery-test", Context.MODE_PRIVATE)
    private val key = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()

    /** What a new process finds: the same SharedPreferences and key, a new store object over them. */
    private fun store() = KeystorePendingLoginStore(prefs, AesGcmCipher { key })

    /**
     * A backend that exchanges each idempotency key once (as the reference backend does) and answers
     * repeats with the first answer. The first request is held until [releaseFirst] counts down.
     */
    private val backend = HttpServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
    private val received = mutableListOf<String>()
    /** Keys whose code the backend exchanged (a repeat of a key is answered without exchanging). */
    private val exchanged = mutableListOf<String>()
    private val firstArrived = CountDownLatch(1)
    private val releaseFirst = CountDownLatch(1)
    private var failNext = false

    init {
        backend.createContext("/v1/login") { exchange ->
            val key = exchange.requestHeaders.getFirst("Idempotency-Key").orEmpty()
            val (first, fail) = synchronized(received) {
                received += key
                val fail = failNext.also { failNext = false }
                if (!fail && key !in exchanged) exchanged += key
                (received.size == 1) to fail
            }
            if (first) {
                firstArrived.countDown()
                releaseFirst.await(60, TimeUnit.SECONDS)
            }
            val status = if (fail) 503 else 200
            val body = """{"session":"s-$key"}""".toByteArray()
            runCatching {
                exchange.sendResponseHeaders(status, body.size.toLong())
                exchange.responseBody.use { it.write(body) }
            }
            exchange.close()
        }
        backend.executor = java.util.concurrent.Executors.newCachedThreadPool()
        backend.start()
    }

    @After
    fun stop() {
        releaseFirst.countDown()
        backend.stop(0)
        prefs.edit().clear().commit()
    }

    private fun login(): DingTalkLogin = DingTalkLogin(
        context,
        AuthConfig(
            clientId = "dingdelivery",
            platform = Platform.ANDROID,
            flows = listOf(LoginFlow.BROWSER),
            redirectUri = "https://app.example.com/dingtalk/callback",
            backendUrl = "http://127.0.0.1:${backend.address.port}/v1/login",
        ),
        store(),
    )

    /** An authorized browser login's grant, as DingTalk's redirect would bring it. */
    private fun grant(login: DingTalkLogin, code: String = "delivery-code"): AuthGrant {
        val request = login.begin(LoginFlow.BROWSER)
        val uri = Uri.parse(request.redirectUri).buildUpon()
            .appendQueryParameter("authCode", code).appendQueryParameter("state", request.state).build()
        val result = login.handleRedirect(Intent(Intent.ACTION_VIEW, uri))
        return (result as LoginResult.Authorized).grant
    }

    private fun processScope() = CoroutineScope(SupervisorJob() + Dispatchers.IO)

    private fun <T : GrantDelivery.State> GrantDelivery.await(type: Class<T>): T = runBlocking {
        // The bound only turns a hang into a failure; the wait itself ends on the state.
        withTimeout(60_000) { type.cast(state.first { type.isInstance(it) }) }
    }

    @Test
    fun aRotationDuringTheSendLosesNothingAndTheAnswerWaitsForTheNextScreen() {
        val login = login()
        val delivery = GrantDelivery(login, store(), processScope())
        val grant = grant(login)
        delivery.deliver(grant)
        // The first screen watches; it is destroyed (rotation) while the backend holds the request.
        val firstScreen = CoroutineScope(Dispatchers.IO)
        firstScreen.launch { delivery.state.collect { } }
        assertTrue(firstArrived.await(60, TimeUnit.SECONDS))
        firstScreen.cancel()
        releaseFirst.countDown()
        // The new screen finds the answer, and the grant is still kept until it acknowledges.
        val delivered = delivery.await(GrantDelivery.State.Delivered::class.java)
        assertEquals("""{"session":"s-${grant.idempotencyKey()}"}""", delivered.response.body)
        assertNotNull(KeptGrant(store(), "dingdelivery").current())
        delivery.acknowledge()
        assertEquals(GrantDelivery.State.Idle, delivery.state.value)
        assertNull(KeptGrant(store(), "dingdelivery").current())
        assertEquals(listOf(grant.idempotencyKey()), received)
    }

    @Test
    fun processDeathDuringTheSendRedeliversTheSameGrantAndTheBackendExchangesOnce() {
        val login = login()
        val scope = processScope()
        val delivery = GrantDelivery(login, store(), scope)
        val grant = grant(login)
        delivery.deliver(grant)
        assertTrue(firstArrived.await(60, TimeUnit.SECONDS))
        // The OS kills the process: its coroutines and objects are gone, the answer is never read.
        scope.cancel()
        login.close()

        val reborn = GrantDelivery(login(), store(), processScope())
        releaseFirst.countDown()
        val delivered = reborn.await(GrantDelivery.State.Delivered::class.java)
        assertEquals(grant.idempotencyKey(), delivered.grant.idempotencyKey())
        assertEquals(grant.toJson(), delivered.grant.toJson())
        synchronized(received) {
            assertEquals(listOf(grant.idempotencyKey(), grant.idempotencyKey()), received)
            assertEquals("one exchange", listOf(grant.idempotencyKey()), exchanged)
        }
        reborn.acknowledge()
        // Acknowledged: a third process has nothing to send.
        assertEquals(GrantDelivery.State.Idle, GrantDelivery(login(), store(), processScope()).state.value)
    }

    @Test
    fun aFailedSendIsRetriedWithTheSameKeyUntilAcknowledged() {
        releaseFirst.countDown()
        failNext = true
        val login = login()
        val delivery = GrantDelivery(login, store(), processScope())
        val grant = grant(login)
        delivery.deliver(grant)
        val failed = delivery.await(GrantDelivery.State.Failed::class.java)
        assertTrue("${failed.error}", failed.error is dev.dingtalkauth.AuthException.BackendRejected)
        delivery.retry()
        delivery.await(GrantDelivery.State.Delivered::class.java)
        assertEquals(listOf(grant.idempotencyKey(), grant.idempotencyKey()), received)
    }
}
