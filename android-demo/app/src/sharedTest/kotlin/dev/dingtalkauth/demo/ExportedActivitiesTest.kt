// What the exported callback activities do besides reading a reply: they never crash on the app's own
// failure, bring the app to the front only for a reply to its own login, and label a reply that reached
// a closed DingTalkLogin as the app's doing.
package dev.dingtalkauth.demo

import android.app.Activity
import android.app.Application
import android.content.ComponentName
import android.content.Intent
import android.os.Bundle
import androidx.test.core.app.ActivityScenario
import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.android.DingTalkCallbackActivity
import dev.dingtalkauth.android.IgnoredReason
import dev.dingtalkauth.android.LoginResult
import dev.dingtalkauth.android.SetupCheck
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

/** Application.ActivityLifecycleCallbacks with nothing to do by default. */
private open class EmptyLifecycleCallbacks : Application.ActivityLifecycleCallbacks {
    override fun onActivityCreated(activity: Activity, savedInstanceState: Bundle?) = Unit
    override fun onActivityStarted(activity: Activity) = Unit
    override fun onActivityResumed(activity: Activity) = Unit
    override fun onActivityPaused(activity: Activity) = Unit
    override fun onActivityStopped(activity: Activity) = Unit
    override fun onActivitySaveInstanceState(activity: Activity, outState: Bundle) = Unit
    override fun onActivityDestroyed(activity: Activity) = Unit
}

@RunWith(AndroidJUnit4::class)
class ExportedActivitiesTest : DemoTest() {
    private fun newSdkActivity() = ComponentName(app.packageName, SetupCheck.newSdkCallbackName(app.packageName))

    /** The intents that bring the app's launcher activity to the front. */
    private fun isReturnToApp(intent: Intent) = intent.component?.className == MainActivity::class.java.name

    /** Starts the activity [intent] names and returns what it started that brings the app back. */
    private fun returnsToApp(intent: Intent): List<Intent> =
        TestPlatform.startedActivities(::isReturnToApp) { ActivityScenario.launch<Activity>(intent).close() }

    /**
     * The app's dingTalkLogin() throws the library's own typed exception (a checked AuthException, not a
     * RuntimeException: here an unusable ClientId): the exported activity reports it and finishes.
     */
    @Test
    fun aTypedExceptionFromTheAppsDingTalkLoginDoesNotCrashTheActivity() {
        onMain {
            app.forgetEverythingInMemory()
            DemoSettings(servers.backend, servers.fake, servers.legacyAppKey, clientId = "", simulate = true).save(app)
        }
        val reply = Intent().setComponent(newSdkActivity()).putExtra("authCode", "c").putExtra("state", "s")
        // Nothing is published (the app has no DingTalkLogin): the activity's own record says what it made of it.
        var result: LoginResult? = null
        val recorder = object : EmptyLifecycleCallbacks() {
            override fun onActivityDestroyed(activity: Activity) {
                if (activity is DingTalkCallbackActivity) result = activity.lastResult
            }
        }
        app.registerActivityLifecycleCallbacks(recorder)
        try {
            ActivityScenario.launch<Activity>(reply).close()
        } finally {
            app.unregisterActivityLifecycleCallbacks(recorder)
        }
        assertEquals(LoginResult.Ignored(LoginFlow.NEW_SDK, IgnoredReason.NO_LOGIN), result)
    }

    /** A reply any app could have sent never brings the app to the front; DingTalk's reply to our login does. */
    @Test
    fun onlyAReplyForOurLoginBringsTheAppBack() {
        val request = begin(LoginFlow.NEW_SDK)
        val forged = simulator.newSdkAppReply(app, null, SimulatedDingTalk.tamper(request.state!!), "-2")
        assertEquals("a forged cancel", emptyList<Intent>(), returnsToApp(forged))
        assertEquals("an empty intent", emptyList<Intent>(), returnsToApp(Intent().setComponent(newSdkActivity())))
        assertEquals(1, pending(LoginFlow.NEW_SDK))
        val genuine = returnsToApp(simulator.reply(app, request, SimulatedAnswer.CANCEL))
        assertEquals("DingTalk's reply to our login: $genuine", 1, genuine.size)
    }

    /** A reply that reaches a DingTalkLogin the app closed is the library's state, not the sender's fault. */
    @Test
    fun aReplyToAClosedDingTalkLoginSaysSo() {
        val request = begin(LoginFlow.NEW_SDK)
        val login = login(LoginFlow.NEW_SDK)
        val reply = simulator.reply(app, request, SimulatedAnswer.APPROVE)
        onMain { login.close() }
        val result = onMain { login.handleNewSdkIntent(reply) }
        assertEquals(LoginResult.Ignored(LoginFlow.NEW_SDK, IgnoredReason.LOGIN_CLOSED), result)
        assertTrue(results.none { it is LoginResult.Authorized })
    }
}
