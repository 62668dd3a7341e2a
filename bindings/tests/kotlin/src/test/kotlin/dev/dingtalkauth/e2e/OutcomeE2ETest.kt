// The user backs out or refuses: each ends in its own outcome at the app, the login is over (a late
// success reply for it yields nothing), and nothing reaches DingTalk's exchange endpoints (checked with
// the fake's /_fake/stats after trying to submit whatever the late reply gave).
package dev.dingtalkauth.e2e

import dev.dingtalkauth.*
import dev.dingtalkauth.test.describe
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.CsvSource
import org.junit.jupiter.api.fail
import kotlinx.coroutines.runBlocking

class OutcomeE2ETest : E2ETest() {
    private fun assertNoExchange(before: Map<String, Long>) {
        val after = fake.stats()
        for (key in listOf("legacy", "token", "me")) {
            assertEquals(before[key], after[key], "the fake's $key endpoint was called")
        }
    }

    /**
     * The user cancels or refuses: that outcome, and the login is over. A success reply arriving later
     * for the same state, carrying a real code (a duplicate delivery, or another app replaying the
     * reply), must not yield a grant. If it does, the grant is submitted, reaches DingTalk, and the
     * stats check fails: "nothing reaches DingTalk" is observed, not assumed.
     */
    private fun checkSdk(flow: LoginFlow, errCode: String, expected: LoginOutcome) {
        val before = fake.stats()
        val auth = makeAuth(flow)
        val request = auth.begin(flow)
        assertEquals(1u, auth.pendingCount())
        val outcome = auth.completeSdk(SdkResponse(flow, errCode, null, null, request.state))
        assertEquals(expected, outcome, "expected ${describe(expected)}, got ${describe(outcome)}")
        assertEquals(0u, auth.pendingCount())
        val code = fake.mint(
            flow = wireName(flow),
            clientId = request.clientId,
            scope = if (flow == LoginFlow.NEW_SDK) request.scope else null,
            user = FakeDingTalk.user(),
        )
        val late = try {
            auth.completeSdk(SdkResponse(flow, "0", null, code, request.state))
        } catch (e: AuthException.StateReused) {
            null // refused as a replay: the login is over
        }
        if (late is LoginOutcome.Authorized) runBlocking { auth.submit(late.grant) }
        assertNoExchange(before)
        assertNull(late, "a late success reply was not refused as StateReused: ${late?.let { describe(it) }}")
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource("LEGACY_SDK, -2", "NEW_SDK, -2", "LEGACY_SDK, -4", "NEW_SDK, -4")
    fun `an SDK cancel or deny is that outcome and nothing reaches DingTalk`(flow: LoginFlow, errCode: String) =
        checkSdk(
            flow,
            errCode,
            // The replies carry no message; the legacy SDK always answers through the app, the new SDK's
            // reply here has no `type`.
            (if (flow == LoginFlow.LEGACY_SDK) AnsweredBy.DING_TALK_APP else AnsweredBy.UNKNOWN).let { by ->
                if (errCode == "-2") LoginOutcome.Cancelled(null, by) else LoginOutcome.Denied(null, by)
            },
        )

    /** login.dingtalk.com in deny mode redirects with error=access_denied and the state. */
    @Test
    fun `browser deny is Denied and nothing reaches DingTalk`() {
        val before = fake.stats()
        val auth = makeAuth(LoginFlow.BROWSER)
        val request = auth.begin(LoginFlow.BROWSER)
        fake.setBrowser("deny")
        val location = fake.authorize(request.authorizeUrl ?: fail("no authorizeUrl"))
        assertEquals("access_denied", queryValue(location, "error"), location)
        assertEquals(request.state, queryValue(location, "state"), location)
        assertNull(queryValue(location, "authCode"), location)
        val outcome = auth.completeBrowser(location)
        assertEquals(LoginOutcome.Denied("access_denied", AnsweredBy.BROWSER), outcome, "expected Denied, got ${describe(outcome)}")
        assertEquals(0u, auth.pendingCount())
        assertNoExchange(before)
    }

    /**
     * The browser has no cancel answer: the app discards the login when the user closes the browser. A
     * callback arriving afterwards (the user approved in a tab left open) is refused.
     */
    @Test
    fun `browser closed then a late callback is refused`() {
        val before = fake.stats()
        val auth = makeAuth(LoginFlow.BROWSER)
        val request = auth.begin(LoginFlow.BROWSER)
        auth.discard(request.state ?: fail("no state"))
        assertEquals(0u, auth.pendingCount())
        fake.setBrowser("approve", FakeDingTalk.user())
        val location = fake.authorize(request.authorizeUrl ?: fail("no authorizeUrl"))
        val code = queryValue(location, "authCode") ?: fail("no authCode in $location")
        try {
            val outcome = auth.completeBrowser(location)
            fail("a discarded login completed: ${describe(outcome)}")
        } catch (e: AuthException.StateUnknown) {
            // discard removed the record: the state names nothing any more
            assertTrue(!e.toString().contains(code))
        }
        assertNoExchange(before)
    }
}
