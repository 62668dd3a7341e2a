// The setup self-check against the demo's real merged manifest (as the system parsed it).
package dev.dingtalkauth.demo

import androidx.test.core.app.ActivityScenario
import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import dev.dingtalkauth.android.SetupCheck
import dev.dingtalkauth.android.SetupProblem
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class SelfCheckTest : DemoTest() {
    private fun problems(config: AuthConfig) = SetupCheck.run(app, config).map { it.problem }.toSet()

    private fun config(flows: List<LoginFlow>, redirect: String? = DEMO_REDIRECT_URI, backend: String? = "${servers.backend}/v1/login") =
        AuthConfig(clientId = "dingdemo", platform = Platform.ANDROID, flows = flows, redirectUri = redirect, backendUrl = backend)

    @Test
    fun theDemoManifestHasEveryCallbackAtTheRightNameExported() {
        val found = problems(config(listOf(LoginFlow.LEGACY_SDK, LoginFlow.NEW_SDK, LoginFlow.BROWSER)))
        for (p in listOf(
            SetupProblem.CALLBACK_ACTIVITY_MISSING, SetupProblem.CALLBACK_ACTIVITY_NOT_EXPORTED,
            SetupProblem.CALLBACK_ACTIVITY_WRONG_PACKAGE, SetupProblem.REDIRECT_FILTER_MISSING,
            SetupProblem.INTERNET_PERMISSION_MISSING, SetupProblem.LEGACY_SDK_MISSING,
        )) {
            assertTrue("$p in $found", p !in found)
        }
    }

    @Test
    fun aRedirectUriWithoutAnIntentFilterIsFound() {
        val findings = SetupCheck.run(app, config(listOf(LoginFlow.BROWSER), redirect = "https://other.example.com/cb"))
        val f = findings.single { it.problem == SetupProblem.REDIRECT_FILTER_MISSING }
        assertTrue(f.fix, f.fix.contains("autoVerify"))
    }

    @Test
    fun dingTalkMissingIsFoundForTheSdkFlowsOnly() {
        // No emulator or Robolectric device has DingTalk.
        assertTrue(SetupProblem.DINGTALK_NOT_INSTALLED in problems(config(listOf(LoginFlow.LEGACY_SDK), redirect = null)))
        assertTrue(SetupProblem.DINGTALK_NOT_INSTALLED !in problems(config(listOf(LoginFlow.BROWSER))))
    }

    @Test
    fun theBackendIsReachableAndAClosedPortIsNot() = runBlocking {
        assertNull(SetupCheck.checkBackend(config(listOf(LoginFlow.BROWSER))))
        val closed = java.net.ServerSocket(0).use { it.localPort } // bound, then closed: nobody listens
        val finding = SetupCheck.checkBackend(config(listOf(LoginFlow.BROWSER), backend = "http://127.0.0.1:$closed/v1/login"))
        assertEquals(SetupProblem.BACKEND_UNREACHABLE, finding?.problem)
    }

    @Test
    fun theSelfCheckScreenListsFindingsWithWhatToDo() {
        ActivityScenario.launch(SelfCheckActivity::class.java).use { screen ->
            TestPlatform.awaitMain("the report") { var done = false; screen.onActivity { done = it.report.text != "Checking…" }; done }
            screen.onActivity {
                val text = it.report.text.toString()
                assertTrue(text, text.contains("DingTalk (com.alibaba.android.rimet) is not installed"))
                assertTrue(text, text.contains("Fix: "))
                assertTrue(text, !text.contains("does not answer"))
            }
        }
    }
}
