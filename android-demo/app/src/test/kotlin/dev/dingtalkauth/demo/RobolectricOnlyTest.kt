// Checks that need Robolectric's control of the system (package manager, started activities); the
// shared tests cover the rest on both the JVM and a device.
package dev.dingtalkauth.demo

import android.content.ComponentName
import android.content.Intent
import android.content.pm.ActivityInfo
import android.content.pm.PackageInfo
import androidx.test.core.app.ActivityScenario
import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import dev.dingtalkauth.android.SetupCheck
import dev.dingtalkauth.android.SetupProblem
import dev.dingtalkauth.android.StartProblem
import dev.dingtalkauth.android.StartResult
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf

@RunWith(AndroidJUnit4::class)
class RobolectricOnlyTest : DemoTest() {
    private fun config(flows: List<LoginFlow>) =
        AuthConfig(clientId = "dingdemo", platform = Platform.ANDROID, flows = flows, redirectUri = DEMO_REDIRECT_URI)

    @Test
    fun dingTalkInstalledClearsTheFinding() {
        assertTrue(SetupCheck.run(app, config(listOf(LoginFlow.LEGACY_SDK))).any { it.problem == SetupProblem.DINGTALK_NOT_INSTALLED })
        shadowOf(app.packageManager).installPackage(PackageInfo().apply { packageName = SimulatedDingTalk.DINGTALK_PACKAGE })
        assertTrue(SetupCheck.run(app, config(listOf(LoginFlow.LEGACY_SDK))).none { it.problem == SetupProblem.DINGTALK_NOT_INSTALLED })
    }

    @Test
    fun aCallbackActivityThatIsNotExportedIsFound() {
        val name = SetupCheck.newSdkCallbackName(app.packageName)
        val info = app.packageManager.getActivityInfo(ComponentName(app.packageName, name), 0)
        assertTrue("the merged manifest exports it", info.exported)
        shadowOf(app.packageManager).addOrUpdateActivity(ActivityInfo(info).apply { exported = false })
        val f = SetupCheck.run(app, config(listOf(LoginFlow.NEW_SDK))).single { it.problem == SetupProblem.CALLBACK_ACTIVITY_NOT_EXPORTED }
        assertTrue(f.fix, f.fix.contains("exported"))
    }

    /** An app whose Kotlin package differs from its applicationId declared the callback in the wrong place. */
    @Test
    fun aCallbackActivityInTheWrongPackageIsFound() {
        val expected = ComponentName(app.packageName, SetupCheck.legacyCallbackName(app.packageName))
        val info = shadowOf(app.packageManager).removeActivity(expected)
        shadowOf(app.packageManager).addOrUpdateActivity(
            ActivityInfo(info).apply { name = "dev.dingtalkauth.other.ddshare.DDShareActivity" },
        )
        val f = SetupCheck.run(app, config(listOf(LoginFlow.LEGACY_SDK))).single {
            it.problem == SetupProblem.CALLBACK_ACTIVITY_WRONG_PACKAGE
        }
        assertTrue(f.message, f.message.contains("dev.dingtalkauth.other.ddshare.DDShareActivity"))
        assertTrue(f.fix, f.fix.contains(expected.className))
    }

    @Test
    fun legacyStartWithoutDingTalkLeavesNoPendingLogin() {
        ActivityScenario.launch(MainActivity::class.java).use { main ->
            var started: StartResult? = null
            main.onActivity { started = login(LoginFlow.LEGACY_SDK).startLegacySdk(it) }
            assertEquals(StartResult.NotStarted(StartProblem.DING_TALK_NOT_INSTALLED), started)
            assertEquals(0, pending(LoginFlow.LEGACY_SDK))
        }
    }

    @Test
    fun browserStartOpensTheAuthorizeUrl() {
        ActivityScenario.launch(MainActivity::class.java).use { main ->
            var started: StartResult? = null
            main.onActivity { started = login(LoginFlow.BROWSER).startBrowser(it) }
            val request = (started as StartResult.Started).request
            val opened: Intent = shadowOf(app).nextStartedActivity
            assertEquals(Intent.ACTION_VIEW, opened.action)
            assertEquals(request.authorizeUrl, opened.dataString)
            assertTrue(opened.dataString!!.startsWith("${servers.fake}/oauth2/auth?"))
            assertEquals(1, pending(LoginFlow.BROWSER))
        }
    }
}
