// Cancel, deny, a tampered state and a replayed reply, through the same intent path as a real reply.
package dev.dingtalkauth.demo

import androidx.test.core.app.ActivityScenario
import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.dingtalkauth.AnsweredBy
import dev.dingtalkauth.AuthException
import dev.dingtalkauth.ErrorHandling
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.LoginOutcome
import dev.dingtalkauth.outcomeHandling
import dev.dingtalkauth.android.LoginResult
import dev.dingtalkauth.android.Messages
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class OutcomesTest : DemoTest() {
    private fun answer(flow: LoginFlow, answer: SimulatedAnswer): LoginResult {
        val request = begin(flow)
        return deliverOne(simulator.reply(app, request, answer))
    }

    /** The user backed out or refused: that result, the login is over, and the screen says so. */
    private fun endedByUser(flow: LoginFlow, answer: SimulatedAnswer, expected: LoginResult) {
        ActivityScenario.launch(MainActivity::class.java).use {
            val result = answer(flow, answer)
            assertEquals(expected, result)
            assertEquals(0, pending(flow))
            val screen = onMain { app.controller.screen }
            assertEquals(Messages.describe(result), screen.status)
            assertNull(screen.identity)
        }
    }

    // DingTalk's message is kept for the developer (the simulated DingTalk sends what DDShare sends; the
    // new SDK sends none); the result says which path answered.
    @Test fun legacySdkCancel() = endedByUser(
        LoginFlow.LEGACY_SDK, SimulatedAnswer.CANCEL,
        LoginResult.Cancelled(LoginFlow.LEGACY_SDK, "user cancelled", AnsweredBy.DING_TALK_APP),
    )
    @Test fun newSdkCancel() = endedByUser(
        LoginFlow.NEW_SDK, SimulatedAnswer.CANCEL, LoginResult.Cancelled(LoginFlow.NEW_SDK, null, AnsweredBy.DING_TALK_APP),
    )
    @Test fun legacySdkDeny() = endedByUser(
        LoginFlow.LEGACY_SDK, SimulatedAnswer.DENY, LoginResult.Denied(LoginFlow.LEGACY_SDK, "auth denied", AnsweredBy.DING_TALK_APP),
    )
    @Test fun newSdkDeny() = endedByUser(
        LoginFlow.NEW_SDK, SimulatedAnswer.DENY, LoginResult.Denied(LoginFlow.NEW_SDK, null, AnsweredBy.DING_TALK_APP),
    )
    @Test fun browserDeny() = endedByUser(
        LoginFlow.BROWSER, SimulatedAnswer.DENY, LoginResult.Denied(LoginFlow.BROWSER, "access_denied", AnsweredBy.BROWSER),
    )

    /**
     * A refusal on the new SDK's web login: the SDK passes the login page's `error=access_denied` on
     * (not an ErrCode), with `type=web`. It ends the login as a denial, like the browser flow's.
     */
    @Test
    fun newSdkWebFallbackDeny() {
        ActivityScenario.launch(MainActivity::class.java).use {
            val request = begin(LoginFlow.NEW_SDK)
            val result = deliverOne(simulator.newSdkWebReply(app, null, request.state, "access_denied"))
            assertEquals(LoginResult.Denied(LoginFlow.NEW_SDK, "access_denied", AnsweredBy.DING_TALK_WEB_FALLBACK), result)
            assertEquals(0, pending(LoginFlow.NEW_SDK))
            assertEquals(Messages.describe(result), onMain { app.controller.screen.status })
        }
    }

    /**
     * ErrCode -4 with `key check error`: DingTalk did not recognise the app. Not a denial: the app's
     * setup, and the demo shows what to register (the core's developer message and this build's package
     * name and signature).
     */
    @Test
    fun legacySdkKeyCheckErrorIsTheAppsSetup() {
        ActivityScenario.launch(MainActivity::class.java).use {
            val result = answer(LoginFlow.LEGACY_SDK, SimulatedAnswer.KEY_CHECK_ERROR)
            val mismatch = result as? LoginResult.AppIdentityMismatch ?: throw AssertionError("got $result")
            assertEquals(LoginFlow.LEGACY_SDK, mismatch.flow)
            assertEquals("key check error", mismatch.dingtalkMessage)
            assertEquals(AnsweredBy.DING_TALK_APP, mismatch.answeredBy)
            assertEquals(ErrorHandling.FIX_APP_SETUP, outcomeHandling(mismatch.toOutcome()))
            assertEquals(0, pending(LoginFlow.LEGACY_SDK))
            val status = onMain { app.controller.screen.status }
            assertTrue(status, status.startsWith(Messages.describe(result)))
            assertTrue(status, status.contains(mismatch.developerMessage))
            assertTrue(status, status.contains("package name ${app.packageName}, signature "))
        }
    }

    /** The core's outcome behind [LoginResult.AppIdentityMismatch] (to ask the core what to do about it). */
    private fun LoginResult.AppIdentityMismatch.toOutcome() =
        LoginOutcome.AppIdentityMismatch(dingtalkMessage, developerMessage, answeredBy)

    /** [result] is the core's refusal with an [E], a reply the app ignores (the login it waits for waits on). */
    private inline fun <reified E : AuthException> assertIgnorableRefusal(result: LoginResult) =
        assertTrue("got $result", result is LoginResult.Refused && result.error is E && result.handling == ErrorHandling.IGNORE_REPLY)

    /**
     * A reply whose state was changed (a forged reply carrying a real code) is refused; the real
     * pending login is untouched and DingTalk's genuine reply still completes it.
     */
    private fun tampered(flow: LoginFlow) {
        ActivityScenario.launch(MainActivity::class.java).use {
            val request = begin(flow)
            val forged = deliverOne(simulator.reply(app, request, SimulatedAnswer.TAMPERED_STATE))
            assertIgnorableRefusal<AuthException.StateUnknown>(forged)
            assertEquals(1, pending(flow))
            assertNull(onMain { app.controller.screen.identity })
            // Not for this login: the screen notes it, the login waits on.
            assertEquals(Messages.describe(forged), onMain { app.controller.screen.status })
            val genuine = deliverOne(simulator.reply(app, request, SimulatedAnswer.APPROVE))
            assertTrue("got $genuine", genuine is LoginResult.Authorized)
            val screen = awaitScreen("the identity") { it.identity != null || !it.busy }
            assertTrue(screen.status, screen.identity != null)
        }
    }

    @Test fun legacySdkTamperedState() = tampered(LoginFlow.LEGACY_SDK)
    @Test fun newSdkTamperedState() = tampered(LoginFlow.NEW_SDK)
    @Test fun browserTamperedState() = tampered(LoginFlow.BROWSER)

    /** The same reply intent delivered twice (a replayed callback) authorizes once. */
    private fun replayed(flow: LoginFlow) {
        ActivityScenario.launch(MainActivity::class.java).use {
            val request = begin(flow)
            val reply = simulator.reply(app, request, SimulatedAnswer.APPROVE)
            assertTrue(deliverOne(reply) is LoginResult.Authorized)
            awaitScreen("the first login") { it.identity != null || !it.busy }
            val again = deliverOne(reply)
            assertIgnorableRefusal<AuthException.StateReused>(again)
            assertEquals(0, pending(flow))
        }
    }

    @Test fun legacySdkReplayedCallback() = replayed(LoginFlow.LEGACY_SDK)
    @Test fun browserReplayedCallback() = replayed(LoginFlow.BROWSER)
}
