// A whole login per flow, through the demo app: begin → the simulated DingTalk asks the fake DingTalk
// for a code and builds DingTalk's reply intent → the exported callback activity → the core → the
// reference backend (which exchanges the code at the fake) → the identity on the demo's screen.
package dev.dingtalkauth.demo

import androidx.test.core.app.ActivityScenario
import androidx.test.ext.junit.runners.AndroidJUnit4
import com.android.dingtalk.openauth.DDAuthApiFactory
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.android.LoginResult
import dev.dingtalkauth.android.StartResult
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class LoginFlowsTest : DemoTest() {
    private fun loginShowsIdentity(flow: LoginFlow, wire: String) {
        ActivityScenario.launch(MainActivity::class.java).use { main ->
            val request = begin(flow)
            assertEquals(1, pending(flow))
            val user = SimulatedDingTalk.User.random()
            val result = deliverOne(simulator.reply(app, request, SimulatedAnswer.APPROVE, user))
            assertTrue("got $result", result is LoginResult.Authorized)
            assertEquals(0, pending(flow))
            val screen = awaitScreen("the identity of $flow") { it.identity != null || !it.busy }
            assertEquals(screen.status, Identity(user.nick, user.unionId, wire), screen.identity)
            main.onActivity { assertTrue(it.identity.text.contains(user.nick)) }
        }
    }

    @Test
    fun legacySdkLoginShowsTheIdentity() = loginShowsIdentity(LoginFlow.LEGACY_SDK, "legacy_sdk")

    @Test
    fun newSdkLoginShowsTheIdentity() = loginShowsIdentity(LoginFlow.NEW_SDK, "new_sdk")

    @Test
    fun browserLoginShowsTheIdentity() = loginShowsIdentity(LoginFlow.BROWSER, "browser")

    /** The new-SDK launcher hands ddopenauth (here its stand-in) exactly what the core asked for. */
    @Test
    fun newSdkLauncherPassesTheRequestToDdOpenAuth() {
        ActivityScenario.launch(MainActivity::class.java).use { main ->
            DDAuthApiFactory.lastLogin = null
            var started: StartResult? = null
            main.onActivity { started = login(LoginFlow.NEW_SDK).startNewSdk(it) }
            val request = (started as? StartResult.Started)?.request ?: throw AssertionError("not started: $started")
            val param = DDAuthApiFactory.lastLogin ?: throw AssertionError("ddopenauth's authLogin() was not called")
            assertEquals(request.state, param.state)
            assertEquals(servers.clientId, param.appId)
            assertEquals(DEMO_REDIRECT_URI, param.redirectUri)
            assertEquals("openid", param.scope)
            assertEquals("code", param.responseType)
            assertEquals("consent", param.prompt)
            assertEquals(request.nonce, param.nonce)
            // And DingTalk's answer to that request completes the login.
            val result = deliverOne(simulator.reply(app, request, SimulatedAnswer.APPROVE))
            assertTrue("got $result", result is LoginResult.Authorized)
            val screen = awaitScreen("the identity") { it.identity != null || !it.busy }
            assertNotNull(screen.status, screen.identity)
        }
    }
}
