package dev.dingtalkauth.android.http

import dev.dingtalkauth.HttpRequest
import dev.dingtalkauth.HttpResponse
import dev.dingtalkauth.HttpTransport
import dev.dingtalkauth.TransportException
import java.io.IOException
import java.io.InputStream
import java.net.HttpURLConnection
import java.net.SocketTimeoutException
import java.net.URL
import java.util.concurrent.atomic.AtomicBoolean
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * [HttpTransport] over the platform's [HttpURLConnection] (Android and any JVM): no dependency beyond
 * the OS. `submit` hands it the request and reads the answer itself; this class only moves the bytes.
 *
 * - Redirects are never followed (`instanceFollowRedirects = false`): a 3xx is returned as an answer.
 * - `connectTimeoutMs` becomes the connect timeout; `timeoutMs` both the per-read timeout and a
 *   deadline for the whole exchange (`HttpURLConnection` has no total timeout of its own: the
 *   connection is closed when it passes). Either ends in [TransportException.Timeout].
 * - The blocking I/O runs on [Dispatchers.IO]; cancelling the caller closes the connection.
 *
 * @param configure called with each connection before it connects: e.g. set an `SSLSocketFactory`
 *   for certificate pinning. Apps on OkHttp use their own client instead (README).
 */
class HttpUrlConnectionTransport(
    private val configure: (HttpURLConnection) -> Unit = {},
) : HttpTransport {
    override suspend fun send(request: HttpRequest): HttpResponse = withContext(Dispatchers.IO) {
        val connection = try {
            URL(request.url).openConnection() as HttpURLConnection
        } catch (e: IOException) {
            throw TransportException.Network(describe(e))
        }
        val deadlinePassed = AtomicBoolean(false)
        // Closes the connection when the deadline passes, and when the caller is cancelled.
        val watchdog = launch {
            try {
                delay(request.timeoutMs.toLong())
                deadlinePassed.set(true)
            } finally {
                connection.disconnect()
            }
        }
        try {
            exchange(connection, request) { e -> deadlinePassed.get() || e is SocketTimeoutException }
        } catch (e: IOException) {
            throw if (deadlinePassed.get() || e is SocketTimeoutException) {
                TransportException.Timeout()
            } else {
                TransportException.Network(describe(e))
            }
        } finally {
            watchdog.cancel()
            connection.disconnect()
        }
    }

    private fun exchange(c: HttpURLConnection, request: HttpRequest, isTimeout: (IOException) -> Boolean): HttpResponse {
        c.instanceFollowRedirects = false
        c.connectTimeout = millis(request.connectTimeoutMs)
        c.readTimeout = millis(request.timeoutMs)
        c.useCaches = false
        c.requestMethod = request.method
        request.headers.forEach { (name, value) -> c.setRequestProperty(name, value) }
        configure(c)
        c.doOutput = true
        c.setFixedLengthStreamingMode(request.body.size)
        c.outputStream.use { it.write(request.body) }
        val status = c.responseCode
        if (status < 0) throw TransportException.Network("the answer is not HTTP")
        val headers = c.headerFields
            .filterKeys { it != null }
            .mapKeys { it.key!! }
            .mapValues { it.value.lastOrNull().orEmpty() }
        val body = try {
            // The body of an error status is on the error stream; either may be absent.
            val stream = if (status >= 400) c.errorStream else c.inputStream
            stream?.use { readAtMost(it, request.maxResponseBytes.toLong() + 1) } ?: ByteArray(0)
        } catch (e: IOException) {
            if (isTimeout(e)) throw e
            throw TransportException.Body(status.toUShort(), describe(e))
        }
        // The platform's stream ends quietly when the server closes early: a body shorter than its
        // Content-Length is a broken answer, not a short one.
        val declared = c.contentLengthLong
        if (declared > body.size && body.size <= request.maxResponseBytes.toLong()) {
            throw TransportException.Body(status.toUShort(), "the body ended before its Content-Length")
        }
        return HttpResponse(status.toUShort(), headers, body)
    }

    private fun readAtMost(input: InputStream, limit: Long): ByteArray {
        val out = java.io.ByteArrayOutputStream()
        val buffer = ByteArray(8192)
        while (out.size() < limit) {
            val n = input.read(buffer, 0, minOf(buffer.size.toLong(), limit - out.size()).toInt())
            if (n < 0) break
            out.write(buffer, 0, n)
        }
        return out.toByteArray()
    }

    private fun millis(ms: UInt): Int = minOf(ms, Int.MAX_VALUE.toUInt()).toInt()

    /** The exception's class and message: what went wrong, without a stack trace. */
    private fun describe(e: Exception): String = listOfNotNull(e.javaClass.simpleName, e.message).joinToString(": ")
}
