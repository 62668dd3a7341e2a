package dev.dingtalkauth.test

import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import dev.dingtalkauth.*
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test

/** `submit` posts the grant to the app's backend; here a loopback server started by the test. */
class SubmitTest {
    private val clock = ManualClock()
    private val closers = mutableListOf<() -> Unit>()

    @AfterEach
    fun stopEverything() {
        closers.asReversed().forEach { runCatching(it) }
    }

    private class Received(val method: String, val path: String, val headers: Map<String, List<String>>, val body: String)

    /** An HTTP server on 127.0.0.1:0 answering every request with [status] and [body]. */
    private fun server(
        status: Int,
        body: ByteArray,
        contentType: String = "application/json",
        headers: Map<String, String> = emptyMap(),
    ): Pair<String, List<Received>> {
        val received = CopyOnWriteArrayList<Received>()
        val http = HttpServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
        val pool = Executors.newFixedThreadPool(2)
        http.executor = pool
        http.createContext("/") { ex: HttpExchange ->
            ex.use {
                val reqBody = ex.requestBody.readAllBytes().toString(Charsets.UTF_8)
                received += Received(ex.requestMethod, ex.requestURI.toString(),
                    ex.requestHeaders.mapKeys { it.key.lowercase() }, reqBody)
                ex.responseHeaders.add("Content-Type", contentType)
                headers.forEach { (k, v) -> ex.responseHeaders.add(k, v) }
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
    fun `200 returns the backend's answer, the body is the grant JSON and the Idempotency-Key is set`() {
        val (url, received) = server(200, """{"session":"abc"}""".toByteArray())
        val (a, grant) = grantFor(url)
        val resp = runBlocking { a.submit(grant) }
        assertEquals(200.toUShort(), resp.status)
        assertEquals("""{"session":"abc"}""", resp.body)

        assertEquals(1, received.size)
        val r = received.single()
        assertEquals("POST", r.method)
        assertEquals("/api/dingtalk/login", r.path)
        assertEquals(grant.toJson(), r.body)
        assertEquals(listOf(grant.idempotencyKey()), r.headers["idempotency-key"])
        assertTrue(r.headers["content-type"]!!.single().startsWith("application/json"))
        assertFalse(r.headers.containsKey("authorization"))
    }

    @Test
    fun `a redirect is BackendRejected and never followed, even to a live server`() {
        for (status in listOf(301, 302, 303, 307, 308)) {
            // Where a followed redirect would land: a live server that records every request.
            val (target, targetHits) = server(200, """{"session":"stolen"}""".toByteArray())
            val (url, hits) = server(status, ByteArray(0), headers = mapOf("Location" to target))
            val (a, grant) = grantFor(url)
            val e = expectAuthError<AuthException.BackendRejected>(CODE) { runBlocking { a.submit(grant) } }
            assertEquals(status.toUShort(), e.status)
            assertEquals(1, hits.size)
            // Following it would have finished a request to the target before submit returned.
            assertEquals(0, targetHits.size, "the code was carried to the redirect target ($status)")
        }
    }

    @Test
    fun `the idempotency key is the README's hash of the state and the code`() {
        val a = auth(clock, RecordingStore(), config())
        closers += { a.close() }
        val state = a.begin(LoginFlow.NEW_SDK).state!!
        val grant = grantOf(a.completeSdk(ok(LoginFlow.NEW_SDK, state)))
        // base64url(SHA-256("dingtalk-auth idempotency v1" NUL || SHA-256(state) || NUL || code))
        val sha = { bytes: ByteArray -> java.security.MessageDigest.getInstance("SHA-256").digest(bytes) }
        val input = "dingtalk-auth idempotency v1\u0000".toByteArray() + sha(state.toByteArray()) +
            "\u0000$CODE".toByteArray()
        val expected = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(sha(input))
        assertEquals(expected, grant.idempotencyKey())
    }

    @Test
    fun `the grant JSON is wire format v1`() {
        val (_, grant) = grantFor(null)
        val json = grant.toJson()
        val key = grant.idempotencyKey()
        assertTrue(Regex("^[A-Za-z0-9_-]{43}$").matches(key), "idempotency key shape")
        assertEquals(key, grant.idempotencyKey(), "stable per grant")
        val expected = """{"version":1,"flow":"new_sdk","client_id":"$CLIENT_ID","platform":"android",""" +
            """"code":"$CODE","scope":"openid","issued_at_ms":$START_MS,"idempotency_key":"$key"}"""
        assertEquals(expected, json)
        // Two logins never share a key.
        val (_, other) = grantFor(null)
        assertNotEquals(key, other.idempotencyKey())
    }

    @Test
    fun `resubmitting the same grant sends the same Idempotency-Key`() {
        val (url, received) = server(201, """{}""".toByteArray())
        val (a, grant) = grantFor(url)
        runBlocking {
            assertEquals(201.toUShort(), a.submit(grant).status)
            assertEquals(201.toUShort(), a.submit(grant).status)
        }
        assertEquals(2, received.size)
        assertEquals(received[0].headers["idempotency-key"], received[1].headers["idempotency-key"])
        assertEquals(received[0].body, received[1].body)
    }

    @Test
    fun `4xx is BackendRejected with status and body`() {
        val (url, _) = server(403, """{"error":"org_not_allowed"}""".toByteArray())
        val (a, grant) = grantFor(url)
        val e = expectAuthError<AuthException.BackendRejected>(CODE) { runBlocking { a.submit(grant) } }
        assertEquals(403.toUShort(), e.status)
        assertEquals("""{"error":"org_not_allowed"}""", e.body)
    }

    @Test
    fun `5xx is BackendRejected with status and body, even HTML`() {
        val html = "<html><body>banned for 5 minutes</body></html>"
        val (url, _) = server(503, html.toByteArray(), "text/html")
        val (a, grant) = grantFor(url)
        val e = expectAuthError<AuthException.BackendRejected>(CODE) { runBlocking { a.submit(grant) } }
        assertEquals(503.toUShort(), e.status)
        assertEquals(html, e.body)
    }

    @Test
    fun `a 2xx body that is not UTF-8 is UnreadableBody`() {
        val (url, _) = server(200, byteArrayOf(0xff.toByte(), 0xfe.toByte(), 0x41, 0xc3.toByte()))
        val (a, grant) = grantFor(url)
        expectAuthError<AuthException.UnreadableBody>(CODE) { runBlocking { a.submit(grant) } }
    }

    @Test
    fun `a server that accepts and never answers is Timeout`() {
        val socket = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
        val held = CopyOnWriteArrayList<Socket>()
        val acceptor = Thread {
            try { while (true) held += socket.accept() } catch (_: Exception) { /* closed by the test */ }
        }.apply { isDaemon = true; start() }
        closers += { socket.close(); held.forEach { it.close() }; acceptor.join(5_000) }

        val (a, grant) = grantFor("http://127.0.0.1:${socket.localPort}/login", requestTimeoutMs = 300)
        val started = System.nanoTime()
        expectAuthError<AuthException.Timeout>(CODE) { runBlocking { a.submit(grant) } }
        val tookMs = (System.nanoTime() - started) / 1_000_000
        assertTrue(tookMs in 250..5_000, "timeout after ${tookMs} ms, configured 300 ms")
    }

    @Test
    fun `a refused connection is Network`() {
        val port = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }
        val (a, grant) = grantFor("http://127.0.0.1:$port/login")
        expectAuthError<AuthException.Network>(CODE) { runBlocking { a.submit(grant) } }
    }

    @Test
    fun `without a backend url submit is HttpUnavailable`() {
        val (a, grant) = grantFor(null)
        expectAuthError<AuthException.HttpUnavailable>(CODE) { runBlocking { a.submit(grant) } }
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
            grants.map { g -> async { a.submit(g).status } }.awaitAll()
        }
        assertEquals(List(8) { 200.toUShort() }, statuses)
        assertEquals(grants.map { it.idempotencyKey() }.toSet(), received.flatMap { it.headers["idempotency-key"]!! }.toSet())
    }
}
