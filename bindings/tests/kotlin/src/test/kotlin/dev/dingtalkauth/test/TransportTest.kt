package dev.dingtalkauth.test

import dev.dingtalkauth.*
import dev.dingtalkauth.android.http.HttpUrlConnectionTransport
import java.io.ByteArrayOutputStream
import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test

/**
 * `submit` through the app's transport: the Android layer's [HttpUrlConnectionTransport] against
 * loopback servers the test starts and stops, with the cases core/tests/submit.rs runs through the
 * built-in client (the exact request, refusals, redirects not followed, bodies the core refuses,
 * timeouts, refused connections); then what crosses when a Kotlin transport throws.
 */
class TransportTest {
    private val clock = ManualClock()
    private val closers = mutableListOf<() -> Unit>()

    @AfterEach
    fun stopEverything() {
        closers.asReversed().forEach { runCatching(it) }
    }

    /**
     * A loopback server answering each connection with [answer] (raw bytes, or never when null), after
     * reading the request's head and its Content-Length body. Records the raw requests; counts connections.
     */
    private inner class RawServer(private val answer: ByteArray?) {
        val requests = CopyOnWriteArrayList<String>()
        val connections = AtomicInteger()
        private val socket = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
        private val open = CopyOnWriteArrayList<Socket>()
        val url = "http://127.0.0.1:${socket.localPort}/v1/login"

        init {
            val acceptor = Thread {
                try {
                    while (true) {
                        val s = socket.accept()
                        open += s
                        connections.incrementAndGet()
                        serve(s)
                    }
                } catch (_: Exception) { /* closed by the test */ }
            }.apply { isDaemon = true; start() }
            closers += { socket.close(); open.forEach { it.close() }; acceptor.join(5_000) }
        }

        private fun serve(s: Socket) {
            val input = s.getInputStream()
            val buf = ByteArrayOutputStream()
            while (true) {
                val b = input.read()
                if (b < 0) return
                buf.write(b)
                val text = buf.toString(Charsets.ISO_8859_1)
                val headEnd = text.indexOf("\r\n\r\n")
                if (headEnd < 0) continue
                val length = text.substring(0, headEnd).lines()
                    .firstOrNull { it.lowercase().startsWith("content-length:") }
                    ?.substringAfter(':')?.trim()?.toInt() ?: 0
                if (buf.size() >= headEnd + 4 + length) break
            }
            requests += buf.toString(Charsets.UTF_8)
            if (answer != null) {
                s.getOutputStream().write(answer)
                s.close()
            }
        }
    }

    private fun http(status: String, body: ByteArray, extra: String = ""): ByteArray =
        "HTTP/1.1 $status\r\nContent-Length: ${body.size}\r\n${extra}Connection: close\r\n\r\n".toByteArray() + body

    /** A fresh grant from an authenticator posting to [backendUrl] through [transport]. */
    private fun grantFor(
        backendUrl: String,
        requestTimeoutMs: Int = 5_000,
        transport: HttpTransport = HttpUrlConnectionTransport(),
    ): Pair<DingTalkAuth, AuthGrant> {
        val a = DingTalkAuth.withTimeSource(
            config(backendUrl = backendUrl, requestTimeoutMs = requestTimeoutMs, connectTimeoutMs = minOf(requestTimeoutMs, 2_000)),
            RecordingStore(), clock, transport,
        )
        closers += { a.close() }
        val state = a.begin(LoginFlow.NEW_SDK).state
        return a to grantOf(a.completeSdk(ok(LoginFlow.NEW_SDK, state)))
    }

    @Test
    fun `the grant goes out exactly, with its idempotency key, and the answer comes back`() {
        val server = RawServer(http("200 OK", """{"session":"s1"}""".toByteArray()))
        val (a, grant) = grantFor(server.url)
        assertEquals(BackendResponse(200.toUShort(), """{"session":"s1"}"""), runBlocking { a.submit(grant) })
        val request = server.requests.single()
        assertTrue(request.startsWith("POST /v1/login HTTP/1.1\r\n"), request)
        val lower = request.lowercase()
        assertTrue(lower.contains("content-type: application/json"), request)
        assertTrue(lower.contains("idempotency-key: ${grant.idempotencyKey().lowercase()}"), request)
        assertTrue(request.endsWith("\r\n\r\n" + grant.toJson()), request)
        // A retry of the same grant carries the same key.
        val again = RawServer(http("200 OK", "{}".toByteArray()))
        val (b, _) = grantFor(again.url)
        runBlocking { b.submit(grant) }
        assertTrue(again.requests.single().contains("Idempotency-Key: ${grant.idempotencyKey()}"))
    }

    @Test
    fun `a refusal keeps its status and body`() {
        for (status in listOf("409 Conflict", "502 Bad Gateway")) {
            val server = RawServer(http(status, """{"error":"x"}""".toByteArray()))
            val (a, grant) = grantFor(server.url)
            val e = expectAuthError<AuthException.BackendRejected>(CODE) { runBlocking { a.submit(grant) } }
            assertEquals(status.take(3).toUShort(), e.status)
            assertEquals("""{"error":"x"}""", e.body)
        }
    }

    /** The target counts connections: a followed redirect could not go unnoticed. */
    @Test
    fun `redirects are reported, never followed`() {
        for (status in listOf("301 Moved Permanently", "302 Found", "303 See Other", "307 Temporary Redirect", "308 Permanent Redirect")) {
            val target = RawServer(http("200 OK", "followed".toByteArray()))
            val server = RawServer(http(status, ByteArray(0), "Location: ${target.url}\r\n"))
            val (a, grant) = grantFor(server.url)
            val e = expectAuthError<AuthException.BackendRejected>(CODE) { runBlocking { a.submit(grant) } }
            assertEquals(status.take(3).toUShort(), e.status, status)
            assertEquals(0, target.connections.get(), "$status was followed")
        }
    }

    @Test
    fun `bodies the core refuses are UnreadableBody`() {
        val answers = listOf(
            http("200 OK", byteArrayOf(0xff.toByte(), 0xfe.toByte(), 0x41)),
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort".toByteArray(),
            http("200 OK", ByteArray(1024 * 1024 + 1) { 'a'.code.toByte() }),
        )
        for (answer in answers) {
            val (a, grant) = grantFor(RawServer(answer).url)
            expectAuthError<AuthException.UnreadableBody>(CODE) { runBlocking { a.submit(grant) } }
        }
    }

    @Test
    fun `a silent server is a Timeout after the configured time, a closed port a Network error`() {
        val silent = RawServer(null)
        val (a, grant) = grantFor(silent.url, requestTimeoutMs = 300)
        val started = System.nanoTime()
        expectAuthError<AuthException.Timeout>(CODE) { runBlocking { a.submit(grant) } }
        val elapsedMs = (System.nanoTime() - started) / 1_000_000
        assertTrue(elapsedMs in 250..10_000, "timed out after $elapsedMs ms")
        assertEquals(1, silent.requests.size, "the request did reach the server")

        val closedPort = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }
        val (b, g) = grantFor("http://127.0.0.1:$closedPort/v1/login")
        expectAuthError<AuthException.Network>(CODE) { runBlocking { b.submit(g) } }
    }

    /** What a Kotlin transport throws crosses as a typed error, never as `AuthException.Internal`. */
    @Test
    fun `a transport's exceptions become typed errors`() {
        val thrown = listOf(
            TransportException.Timeout() to AuthException.Timeout::class,
            TransportException.Network("proxy said no") to AuthException.Network::class,
            TransportException.Body(200.toUShort(), "reset") to AuthException.UnreadableBody::class,
            TransportException.Body(503.toUShort(), "reset") to AuthException.BackendRejected::class,
            // Not a TransportException: an app's stack may throw anything.
            IllegalStateException("interceptor failed") to AuthException.Network::class,
            java.io.IOException("stream closed") to AuthException.Network::class,
        )
        for ((exception, expected) in thrown) {
            val transport = object : HttpTransport {
                override suspend fun send(request: HttpRequest): HttpResponse = throw exception
            }
            val (a, grant) = grantFor("https://backend.example/v1/login", transport = transport)
            val e = assertThrows(AuthException::class.java) { runBlocking { a.submit(grant) } }
            assertEquals(expected, e::class, "$exception became $e")
            assertNoLeak(e, CODE)
            if (exception is IllegalStateException) assertTrue(e.message!!.contains("interceptor failed"), e.message)
        }
    }

    /** An app's transport (here: one that answers from memory) is what `submit` uses. */
    @Test
    fun `the transport is handed the whole request`() {
        val seen = CopyOnWriteArrayList<HttpRequest>()
        val transport = object : HttpTransport {
            override suspend fun send(request: HttpRequest): HttpResponse {
                seen += request
                return HttpResponse(201.toUShort(), mapOf("Content-Type" to "application/json"), "{}".toByteArray())
            }
        }
        val (a, grant) = grantFor("https://backend.example/v1/login", requestTimeoutMs = 4_321, transport = transport)
        assertEquals(BackendResponse(201.toUShort(), "{}"), runBlocking { a.submit(grant) })
        val r = seen.single()
        assertEquals("POST", r.method)
        assertEquals("https://backend.example/v1/login", r.url)
        assertEquals(grant.idempotencyKey(), r.headers["Idempotency-Key"])
        assertEquals(grant.toJson(), r.body.toString(Charsets.UTF_8))
        assertEquals(2_000u to 4_321u, r.connectTimeoutMs to r.timeoutMs)
    }
}
