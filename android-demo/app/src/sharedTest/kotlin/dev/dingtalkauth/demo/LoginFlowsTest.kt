// A whole login per flow, through the demo app: begin → the simulated DingTalk asks the fake DingTalk
// for a code and builds DingTalk's reply intent → the exported callback activity → the core → the
// reference backend (which exchanges the code at the fake) → the identity on the demo's screen.
package dev.dingtalkauth.demo

import android.content.Intent
import androidx.test.core.app.ActivityScenario
import androidx.test.ext.junit.runners.AndroidJUnit4
import com.android.dingtalk.openauth.utils.DDAuthConstant
import dev.dingtalkauth.AnsweredBy
import dev.dingtalkauth.AuthException
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.PendingLoginStore
import dev.dingtalkauth.StoreException
import dev.dingtalkauth.android.LoginResult
import dev.dingtalkauth.android.StartProblem
import dev.dingtalkauth.android.StartResult
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class LoginFlowsTest : DemoTest() {
    private fun loginShowsIdentity(flow: LoginFlow, wire: String, answeredBy: AnsweredBy) {
        ActivityScenario.launch(MainActivity::class.java).use { main ->
            val request = begin(flow)
            assertEquals(1, pending(flow))
            val user = SimulatedDingTalk.User.random()
            val result = deliverOne(simulator.reply(app, request, SimulatedAnswer.APPROVE, user))
            assertEquals("got $result", answeredBy, (result as? LoginResult.Authorized)?.answeredBy)
            assertEquals(0, pending(flow))
            val screen = awaitScreen("the identity of $flow") { it.identity != null || !it.busy }
            assertEquals(screen.status, Identity(user.nick, user.unionId, wire), screen.identity)
            assertEquals(answeredBy, screen.answeredBy)
            main.onActivity { assertTrue(it.identity.text.contains(user.nick)) }
        }
    }

    @Test
    fun legacySdkLoginShowsTheIdentity() = loginShowsIdentity(LoginFlow.LEGACY_SDK, "legacy_sdk", AnsweredBy.DING_TALK_APP)

    @Test
    fun newSdkLoginShowsTheIdentity() = loginShowsIdentity(LoginFlow.NEW_SDK, "new_sdk", AnsweredBy.DING_TALK_APP)

    @Test
    fun browserLoginShowsTheIdentity() = loginShowsIdentity(LoginFlow.BROWSER, "browser", AnsweredBy.BROWSER)

    /**
     * The new-SDK launcher hands ddopenauth exactly what the core asked for, and ddopenauth sends it on:
     * to DingTalk (`dingtalk://dingtalkclient/action/auth_login`; the stand-in always does that) or, with
     * DingTalk missing, to its own web login (`AuthWebviewActivity`; the real SDK, in hosted CI). Either
     * way the request travels in the SDK's `EXTRA_MESSAGE_*` extras. Against a ddopenauth the launcher
     * was not compiled for (a Kotlin stand-in's `Companion`), this is where it would crash.
     */
    @Test
    fun newSdkLauncherPassesTheRequestToDdOpenAuth() {
        ActivityScenario.launch(MainActivity::class.java).use { main ->
            var started: StartResult? = null
            val sent = TestPlatform.startedActivities(::isDdOpenAuthRequest) {
                main.onActivity { started = login(LoginFlow.NEW_SDK).startNewSdk(it) }
            }
            val request = (started as? StartResult.Started)?.request ?: throw AssertionError("not started: $started")
            val param = sent.singleOrNull() ?: throw AssertionError("ddopenauth started no login (or several): $sent")
            assertEquals(request.state, param.getStringExtra(DDAuthConstant.EXTRA_MESSAGE_STATE))
            assertEquals(servers.clientId, param.getStringExtra(DDAuthConstant.EXTRA_MESSAGE_APP_ID))
            assertEquals(DEMO_REDIRECT_URI, param.getStringExtra(DDAuthConstant.EXTRA_MESSAGE_REDIRECT_URI))
            assertEquals("openid", param.getStringExtra(DDAuthConstant.EXTRA_MESSAGE_SCOPE))
            assertEquals("code", param.getStringExtra(DDAuthConstant.EXTRA_MESSAGE_RESPONSE_TYPE))
            assertEquals("consent", param.getStringExtra(DDAuthConstant.EXTRA_MESSAGE_PROMPT))
            assertEquals(request.nonce, param.getStringExtra(DDAuthConstant.EXTRA_MESSAGE_NONCE))
            assertEquals(app.packageName, param.getStringExtra(DDAuthConstant.EXTRA_MESSAGE_APP_PACKAGE_NAME))
            // And DingTalk's answer to that request completes the login.
            val result = deliverOne(simulator.reply(app, request, SimulatedAnswer.APPROVE))
            assertTrue("got $result", result is LoginResult.Authorized)
            val screen = awaitScreen("the identity") { it.identity != null || !it.busy }
            assertNotNull(screen.status, screen.identity)
        }
    }

    /**
     * The new SDK's web fallback answers the same login through the same activity, with `type=web`: the
     * result and the demo's screen say so.
     */
    @Test
    fun newSdkWebFallbackReplyShowsTheIdentity() {
        ActivityScenario.launch(MainActivity::class.java).use {
            val request = begin(LoginFlow.NEW_SDK)
            val user = SimulatedDingTalk.User.random()
            val result = deliverOne(simulator.reply(app, request, SimulatedAnswer.APPROVE_IN_WEB_FALLBACK, user))
            assertEquals("got $result", AnsweredBy.DING_TALK_WEB_FALLBACK, (result as? LoginResult.Authorized)?.answeredBy)
            assertEquals(0, pending(LoginFlow.NEW_SDK))
            val screen = awaitScreen("the identity") { it.identity != null || !it.busy }
            assertEquals(screen.status, Identity(user.nick, user.unionId, "new_sdk"), screen.identity)
            assertEquals(AnsweredBy.DING_TALK_WEB_FALLBACK, screen.answeredBy)
        }
    }

    /** A store that cannot write fails begin(): that start problem is the storage's, not a disabled flow. */
    @Test
    fun aStoreFailureAtBeginReadsAsStorage() {
        onMain { app.forgetEverythingInMemory() }
        DemoApp.storeFactory = { UnwritableStore() }
        ActivityScenario.launch(MainActivity::class.java).use { main ->
            var started: StartResult? = null
            main.onActivity { started = login(LoginFlow.BROWSER).startBrowser(it) }
            val notStarted = started as? StartResult.NotStarted ?: throw AssertionError("started: $started")
            assertEquals(StartProblem.STORAGE_FAILED, notStarted.problem)
            assertTrue("got ${notStarted.error}", notStarted.error is AuthException.Store)
        }
    }

    /** Reads like an empty store; every write fails, as a full or broken disk does. */
    private class UnwritableStore : PendingLoginStore {
        override fun put(key: String, value: String) = throw StoreException.Failed("disk full")
        override fun get(key: String): String? = null
        override fun remove(key: String) = Unit
        override fun keys(): List<String> = emptyList()
    }

    private companion object {
        /** The SDK's web login activity (the stand-in has none). */
        const val AUTH_WEBVIEW_ACTIVITY = "com.android.dingtalk.openauth.web.AuthWebviewActivity"

        /** An intent ddopenauth's `authLogin()` starts: to DingTalk, or to its web login. */
        fun isDdOpenAuthRequest(intent: Intent) =
            intent.data?.toString() == "dingtalk://dingtalkclient/action/auth_login" ||
                intent.component?.className == AUTH_WEBVIEW_ACTIVITY
    }
}
