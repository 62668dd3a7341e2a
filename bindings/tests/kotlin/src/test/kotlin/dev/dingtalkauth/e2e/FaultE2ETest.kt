// DingTalk misbehaving, injected at the fake (POST /_fake/faults, cleared after each test): each fault
// mode reaches the app as its own typed AuthException.BackendRejected(status, error code), on the legacy
// route (getuserinfo_bycode) and the v1.0 route (userAccessToken). Failures that leave the code unused are
// forgotten by the backend (retryable: true), so the app's retry of the same grant succeeds once DingTalk
// is back.
package dev.dingtalkauth.e2e

import dev.dingtalkauth.*
import dev.dingtalkauth.test.grantOf
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

class FaultE2ETest : E2ETest() {
    /** The fake's endpoint for each flow's exchange. */
    private fun endpoint(flow: LoginFlow) = if (flow == LoginFlow.LEGACY_SDK) "legacy" else "token"

    private fun checkFault(flow: LoginFlow, fault: JsonObject, status: Int, error: String, retrySameGrant: Boolean = true) {
        val login = runLogin(flow)
        val grant = grantOf(login.outcome)
        fake.setFault(endpoint(flow), fault)
        expectRejected(login.auth, grant, status, error, retryable = true, secret = login.code)
        fake.clearFaults()
        if (retrySameGrant) {
            assertIdentity(runBlocking { login.auth.submit(grant) }, login.user, wireName(flow))
        } else {
            // DingTalk may have spent the code after the backend gave up; a new login works.
            val next = runLogin(flow)
            assertIdentity(runBlocking { next.auth.submit(grantOf(next.outcome)) }, next.user, wireName(flow))
        }
    }

    private val status503 get() = fault("status", "status" to 503L)
    /** DingTalk's gateway holds the request far beyond the backend's timeout and never processes it. */
    private val stallBeyondTimeout get() = fault("stall", "ms" to env.upstreamTimeoutMs + 5_000)
    private val htmlBan get() = fault("html_ban")
    private val malformedJson get() = fault("malformed_json")
    private val rateLimit90019 get() = fault("rate_limit", "errcode" to 90019L)

    // Legacy route.
    @Test
    fun `legacy 503 from DingTalk is 502 dingtalk_unavailable, then the same grant succeeds`() =
        checkFault(LoginFlow.LEGACY_SDK, status503, 502, "dingtalk_unavailable")

    @Test
    fun `legacy DingTalk silent beyond the backend's timeout is 504 dingtalk_timeout, then the same grant succeeds`() =
        checkFault(LoginFlow.LEGACY_SDK, stallBeyondTimeout, 504, "dingtalk_timeout")

    @Test
    fun `legacy HTML ban page is 503 dingtalk_blocked, then the same grant succeeds`() =
        checkFault(LoginFlow.LEGACY_SDK, htmlBan, 503, "dingtalk_blocked")

    @Test
    fun `legacy malformed JSON is 502 dingtalk_bad_response, then the same grant succeeds`() =
        checkFault(LoginFlow.LEGACY_SDK, malformedJson, 502, "dingtalk_bad_response")

    @Test
    fun `legacy rate limit 90019 is 503 rate_limited, then the same grant succeeds`() =
        checkFault(LoginFlow.LEGACY_SDK, rateLimit90019, 503, "rate_limited")

    // v1.0 route (new SDK; the browser flow shares it).
    @Test
    fun `new SDK 503 from DingTalk is 502 dingtalk_unavailable, then the same grant succeeds`() =
        checkFault(LoginFlow.NEW_SDK, status503, 502, "dingtalk_unavailable")

    @Test
    fun `new SDK DingTalk silent beyond the backend's timeout is 504 dingtalk_timeout, then the same grant succeeds`() =
        checkFault(LoginFlow.NEW_SDK, stallBeyondTimeout, 504, "dingtalk_timeout")

    @Test
    fun `new SDK HTML ban page is 503 dingtalk_blocked, then the same grant succeeds`() =
        checkFault(LoginFlow.NEW_SDK, htmlBan, 503, "dingtalk_blocked")

    @Test
    fun `new SDK malformed JSON is 502 dingtalk_bad_response, then the same grant succeeds`() =
        checkFault(LoginFlow.NEW_SDK, malformedJson, 502, "dingtalk_bad_response")

    @Test
    fun `new SDK rate limit is 503 rate_limited, then the same grant succeeds`() =
        checkFault(LoginFlow.NEW_SDK, rateLimit90019, 503, "rate_limited")

    @Test
    fun `browser HTML ban page is 503 dingtalk_blocked, then the same grant succeeds`() =
        checkFault(LoginFlow.BROWSER, htmlBan, 503, "dingtalk_blocked")

    /**
     * A fault at users/me, after DingTalk issued the token: the code is spent, so the backend keeps the
     * answer with retryable false (server/README.md), and a retry of the same grant gets it again without
     * calling DingTalk.
     */
    @Test
    fun `a users-me fault after the token is a kept answer with retryable false`() {
        val login = runLogin(LoginFlow.NEW_SDK)
        val grant = grantOf(login.outcome)
        fake.setFault("me", status503)
        val first = expectRejected(login.auth, grant, 502, "dingtalk_unavailable", retryable = false, secret = login.code)
        fake.clearFaults()
        val before = fake.stats()
        val again = expectRejected(login.auth, grant, 502, "dingtalk_unavailable", retryable = false)
        assertEquals(first, again)
        assertEquals(before, fake.stats(), "the retry reached DingTalk")
        // Only a new login can succeed.
        val next = runLogin(LoginFlow.NEW_SDK)
        assertIdentity(runBlocking { next.auth.submit(grantOf(next.outcome)) }, next.user, "new_sdk")
    }

    /** A fault that lasts for `times` requests only: the retry after it succeeds without clearing. */
    @Test
    fun `a fault for one request only, then the retry of the same grant succeeds`() {
        val login = runLogin(LoginFlow.LEGACY_SDK)
        val grant = grantOf(login.outcome)
        fake.setFault("legacy", rateLimit90019, times = 1)
        expectRejected(login.auth, grant, 503, "rate_limited", retryable = true)
        assertIdentity(runBlocking { login.auth.submit(grant) }, login.user, "legacy_sdk")
    }
}

/**
 * Clock skew between the backend and DingTalk (the fake's clock moved, restored after the test): the
 * legacy signature's timestamp is refused (853002) → 502 clock_skew; the code is unused, so after the
 * clock is fixed the same grant succeeds.
 */
class ClockSkewE2ETest : E2ETest() {
    private fun checkSkew(ms: Long) {
        val login = runLogin(LoginFlow.LEGACY_SDK)
        val grant = grantOf(login.outcome)
        advanceClock(fake, ms)
        expectRejected(login.auth, grant, 502, "clock_skew", secret = login.code)
        advanceClock(fake, -ms)
        assertIdentity(runBlocking { login.auth.submit(grant) }, login.user, "legacy_sdk")
    }

    @Test
    fun `DingTalk's clock 120 s ahead is 502 clock_skew, then restored the same grant succeeds`() = checkSkew(120_000)

    @Test
    fun `DingTalk's clock 120 s behind is 502 clock_skew, then restored the same grant succeeds`() = checkSkew(-120_000)
}
