package dev.dingtalkauth.test

import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import dev.dingtalkauth.*
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withContext
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test

/**
 * `submit`, the one suspend function: its answer and its errors cross as typed Kotlin values, it runs
 * from coroutines concurrently and can be cancelled. What it sends and how it treats each answer is
 * tested in Rust (core/tests/submit.rs); the servers here are loopback ones started by the test.
 */
class SubmitTest {
    private val clock = ManualClock()
    private val closers = mutableListOf<() -> Unit>()

    @AfterEach
    fun stopEverything() {
        closers.asReversed().forEach { runCatching(it) }
    }

    private class Received(val headers: Map<String, List<String>>, val body: String)

    /** An HTTP server on 127.0.0.1:0 answering every request with [status] and [body]. */
    private fun server(status: Int, body: ByteArray): Pair<String, List<Received>> {
        val received = CopyOnWriteArrayList<Received>()
        val http = HttpServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
        val pool = Executors.newFixedThreadPool(2)
        http.executor = pool
        http.createContext("/") { ex: HttpExchange ->
            ex.use {
                val reqBody = ex.requestBody.readAllBytes().toString(Charsets.UTF_8)
                received += Received(ex.requestHeaders.mapKeys { it.key.lowercase() }, reqBody)
                ex.responseHeaders.add("Content-Type", "application/json")
                ex.sendResponseHeaders(status, if (body.isEmpty()) -1 else body.size.toLong())
                if (body.isNotEmpty()) ex.responseBody.write(body)
            }
        }
        http.start()
        closers += { http.stop(0); pool.shutdownNow(); pool.awaitTermination(5, TimeUnit.SECONDS) }
        return "http://127.0.0.1:${http.address.port}/api/dingtalk/login" to received
    }

    /** A fresh grant from an authenticator configured to post to [backendUrl]. */
    private fun grantFor(backendUrl: String?, requestTimeoutMs: Int = 5_000): Pair<DingTalkAuth, AuthGrant> {
        val a = auth(clock, RecordingStore(), config(backendUrl = backendUrl, requestTimeoutMs = requestTimeoutMs,
            connectTimeoutMs = minOf(requestTimeoutMs, 2_000)))
        closers += { a.close() }
        val state = a.begin(LoginFlow.NEW_SDK).state
        return a to grantOf(a.completeSdk(ok(LoginFlow.NEW_SDK, state)))
    }

    @Test
    fun `a 2xx answer is a BackendResponse with status and body`() {
        val (url, received) = server(200, """{"session":"abc"}""".toByteArray())
        val (a, grant) = grantFor(url)
        val resp = runBlocking { a.submit(grant) }
        assertEquals(BackendResponse(200.toUShort(), """{"session":"abc"}"""), resp)
        assertEquals(grant.toJson(), received.single().body)
        assertEquals(listOf(grant.idempotencyKey()), received.single().headers["idempotency-key"])
    }

    @Test
    fun `each submit error arrives as its AuthException with its fields`() {
        val (rejecting, _) = server(403, """{"error":"org_not_allowed"}""".toByteArray())
        val rejected = grantFor(rejecting).let { (a, g) ->
            expectAuthError<AuthException.BackendRejected>(CODE) { runBlocking { a.submit(g) } }
        }
        assertEquals(403.toUShort(), rejected.status)
        assertEquals("""{"error":"org_not_allowed"}""", rejected.body)

        val (garbled, _) = server(200, byteArrayOf(0xff.toByte(), 0xfe.toByte(), 0x41, 0xc3.toByte()))
        grantFor(garbled).let { (a, g) -> expectAuthError<AuthException.UnreadableBody>(CODE) { runBlocking { a.submit(g) } } }

        val closedPort = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }
        grantFor("http://127.0.0.1:$closedPort/login").let { (a, g) ->
            expectAuthError<AuthException.Network>(CODE) { runBlocking { a.submit(g) } }
        }
        grantFor(silentServer(), requestTimeoutMs = 300).let { (a, g) ->
            expectAuthError<AuthException.Timeout>(CODE) { runBlocking { a.submit(g) } }
        }
        grantFor(null).let { (a, g) -> expectAuthError<AuthException.HttpUnavailable>(CODE) { runBlocking { a.submit(g) } } }
    }

    @Test
    fun `cancelling the coroutine ends a submit that waits for an answer`() {
        val (a, grant) = grantFor(silentServer(), requestTimeoutMs = 60_000)
        runBlocking {
            val job = launch(Dispatchers.Default) { a.submit(grant) }
            // Cancel once the request is in flight: the server has accepted the connection.
            assertTrue(withContext(Dispatchers.IO) { firstAccept.await(10, TimeUnit.SECONDS) })
            withTimeout(10_000) { job.cancelAndJoin() }
            assertTrue(job.isCancelled)
        }
    }

    @Test
    fun `submit runs concurrently from coroutines`() {
        val (url, received) = server(200, "{}".toByteArray())
        val a = auth(clock, RecordingStore(), config(backendUrl = url))
        closers += { a.close() }
        val grants = (1..8).map {
            val s = a.begin(LoginFlow.BROWSER).state
            grantOf(a.completeBrowser("$REDIRECT_URI?authCode=${CODE}$it&state=$s"))
        }
        val statuses = runBlocking {
            grants.map { g -> async(Dispatchers.Default) { a.submit(g).status } }.awaitAll()
        }
        assertEquals(List(8) { 200.toUShort() }, statuses)
        assertEquals(grants.map { it.idempotencyKey() }.toSet(), received.flatMap { it.headers["idempotency-key"]!! }.toSet())
    }

    private val accepted = CopyOnWriteArrayList<Socket>()
    private val firstAccept = CountDownLatch(1)

    /** A loopback server that accepts connections and never answers. */
    private fun silentServer(): String {
        val socket = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
        val acceptor = Thread {
            try { while (true) { accepted += socket.accept(); firstAccept.countDown() } } catch (_: Exception) { /* closed by the test */ }
        }.apply { isDaemon = true; start() }
        closers += { socket.close(); accepted.forEach { it.close() }; acceptor.join(5_000) }
        return "http://127.0.0.1:${socket.localPort}/login"
    }
}
