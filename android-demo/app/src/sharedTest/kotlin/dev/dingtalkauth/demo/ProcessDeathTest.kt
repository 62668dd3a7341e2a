// The OS kills the app while DingTalk is in front: the pending login is in the Keystore-backed store,
// and DingTalk's reply, arriving in a new process, completes it; the demo's screen shows the identity
// once it comes back.
package dev.dingtalkauth.demo

import android.app.Activity
import android.content.ComponentName
import android.content.Intent
import androidx.test.core.app.ActivityScenario
import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.android.LoginResult
import dev.dingtalkauth.android.SetupCheck
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class ProcessDeathTest : DemoTest() {
    private fun survives(flow: LoginFlow, wire: String) {
        val request = ActivityScenario.launch(MainActivity::class.java).use { begin(flow) }
        // DingTalk is in front; the OS kills the app. What is left: SharedPreferences and the key.
        onMain { app.forgetEverythingInMemory() }
        val user = SimulatedDingTalk.User.random()
        val reply = simulator.reply(app, request, SimulatedAnswer.APPROVE, user)
        // The reply starts the callback activity in the new process, before any screen exists.
        ActivityScenario.launch<Activity>(reply).close()
        ActivityScenario.launch(MainActivity::class.java).use {
            val screen = awaitScreen("the identity after process death") { it.identity != null || (!it.busy && it.lastResult != null) }
            assertTrue("got ${screen.lastResult}", screen.lastResult is LoginResult.Authorized)
            assertEquals(screen.status, Identity(user.nick, user.unionId, wire), screen.identity)
        }
        assertEquals(0, pending(flow))
    }

    @Test fun legacySdkLoginSurvivesProcessDeath() = survives(LoginFlow.LEGACY_SDK, "legacy_sdk")
    @Test fun newSdkLoginSurvivesProcessDeath() = survives(LoginFlow.NEW_SDK, "new_sdk")
    @Test fun browserLoginSurvivesProcessDeath() = survives(LoginFlow.BROWSER, "browser")

    /**
     * After process death the one Authorized result waits for the screen. Whatever reaches the exported
     * activity before the screen is back (garbage, a forged cancel, DingTalk's reply again, a cancel
     * carrying the used state) never displaces it: the screen gets the single-use grant.
     */
    @Test
    fun theAuthorizedResultSurvivesLaterIntentsUntilTheScreenTakesIt() {
        val flow = LoginFlow.NEW_SDK
        val request = ActivityScenario.launch(MainActivity::class.java).use { begin(flow) }
        onMain { app.forgetEverythingInMemory() }
        val user = SimulatedDingTalk.User.random()
        val reply = simulator.reply(app, request, SimulatedAnswer.APPROVE, user)
        val state = request.state!!
        val callback = ComponentName(app.packageName, SetupCheck.newSdkCallbackName(app.packageName))
        for (intent in listOf(
            reply,
            Intent().setComponent(callback),
            simulator.newSdkAppReply(app, null, SimulatedDingTalk.tamper(state), "-2"),
            reply,
            simulator.newSdkAppReply(app, null, state, "-2"),
            simulator.newSdkWebReply(app, null, state, "-4"),
        )) {
            ActivityScenario.launch<Activity>(intent).close()
        }
        ActivityScenario.launch(MainActivity::class.java).use {
            val screen = awaitScreen("the identity after process death") { it.identity != null || (!it.busy && it.lastResult != null) }
            assertEquals(screen.status, Identity(user.nick, user.unionId, "new_sdk"), screen.identity)
        }
        assertEquals(0, pending(flow))
    }

    /** "Don't keep activities": the screen is destroyed and re-created; the result still reaches it. */
    @Test
    fun resultReachesARecreatedScreen() {
        ActivityScenario.launch(MainActivity::class.java).use { main ->
            val request = begin(LoginFlow.NEW_SDK)
            main.recreate()
            val result = deliverOne(simulator.reply(app, request, SimulatedAnswer.APPROVE))
            assertTrue(result is LoginResult.Authorized)
            val screen = awaitScreen("the identity") { it.identity != null || !it.busy }
            main.onActivity { assertEquals(screen.status, "Logged in as ${screen.identity?.nick}.", it.status.text.toString()) }
        }
    }
}
