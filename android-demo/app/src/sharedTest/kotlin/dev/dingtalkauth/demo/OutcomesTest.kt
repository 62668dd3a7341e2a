// Cancel, deny, a tampered state and a replayed reply, through the same intent path as a real reply.
package dev.dingtalkauth.demo

import androidx.test.core.app.ActivityScenario
import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.dingtalkauth.AuthException
import dev.dingtalkauth.ErrorHandling
import dev.dingtalkauth.LoginFlow
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

    private fun cancelled(flow: LoginFlow) = endedByUser(flow, SimulatedAnswer.CANCEL, LoginResult.Cancelled(flow))
    private fun denied(flow: LoginFlow) = endedByUser(flow, SimulatedAnswer.DENY, LoginResult.Denied(flow))

    @Test fun legacySdkCancel() = cancelled(LoginFlow.LEGACY_SDK)
    @Test fun newSdkCancel() = cancelled(LoginFlow.NEW_SDK)
    @Test fun legacySdkDeny() = denied(LoginFlow.LEGACY_SDK)
    @Test fun newSdkDeny() = denied(LoginFlow.NEW_SDK)
    @Test fun browserDeny() = denied(LoginFlow.BROWSER)

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
