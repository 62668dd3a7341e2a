// Checks that need Robolectric's control of the system (package manager, started activities); the
// shared tests cover the rest on both the JVM and a device.
package dev.dingtalkauth.demo

import android.content.ComponentName
import android.content.Intent
import android.content.IntentFilter
import android.content.pm.ActivityInfo
import android.content.pm.PackageInfo
import android.content.pm.Signature
import android.content.pm.SigningInfo
import android.net.Uri
import android.os.PatternMatcher
import androidx.test.core.app.ActivityScenario
import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import dev.dingtalkauth.android.AppIdentity
import dev.dingtalkauth.android.SetupCheck
import dev.dingtalkauth.android.SetupProblem
import dev.dingtalkauth.android.StartProblem
import dev.dingtalkauth.android.StartResult
import java.io.File
import kotlin.io.path.createTempDirectory
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

    /**
     * The signature SetupCheck prints is the console's form of the certificate the app is signed with.
     * The certificate is made here by keytool and its MD5 fingerprint computed by openssl: nothing of the
     * library's own code computes the expected value.
     */
    @Test
    fun appIdentityPrintsTheSignatureInTheConsolesForm() {
        val dir = createTempDirectory("signing").toFile()
        try {
            val keystore = File(dir, "k.p12")
            val cert = File(dir, "cert.der")
            run(
                keytool(), "-genkeypair", "-keystore", keystore.path, "-storetype", "PKCS12", "-storepass", "android",
                "-keypass", "android", "-alias", "k", "-keyalg", "RSA", "-keysize", "2048", "-validity", "1",
                "-dname", "CN=SetupCheck test",
            )
            run(keytool(), "-exportcert", "-keystore", keystore.path, "-storepass", "android", "-alias", "k", "-file", cert.path)
            // "MD5 Fingerprint=AB:CD:…" → "abcd…"
            val expected = run("openssl", "x509", "-inform", "DER", "-in", cert.path, "-noout", "-fingerprint", "-md5")
                .substringAfter('=').trim().replace(":", "").lowercase()
            assertEquals(32, expected.length)

            val signature = Signature(cert.readBytes())
            val info = shadowOf(app.packageManager).getInternalMutablePackageInfo(app.packageName)
            @Suppress("DEPRECATION")
            info.signatures = arrayOf(signature)
            info.signingInfo = SigningInfo().also { shadowOf(it).setSignatures(arrayOf(signature)) }

            val identity = SetupCheck.appIdentity(app)
            assertEquals(AppIdentity(app.packageName, listOf(expected), debuggable = identity.debuggable), identity)
            assertTrue(identity.describe(), identity.describe().contains("package name ${app.packageName}, signature $expected "))
        } finally {
            dir.deleteRecursively()
        }
    }

    private fun keytool() = File(System.getProperty("java.home"), "bin/keytool").path

    /** Runs a command, returns its standard output; fails the test if it fails. */
    private fun run(vararg command: String): String {
        val p = ProcessBuilder(*command).redirectErrorStream(true).start()
        val out = p.inputStream.bufferedReader().readText()
        assertEquals("${command.joinToString(" ")}: $out", 0, p.waitFor())
        return out
    }

    @Test
    fun aRedirectActivityThatIsNotExportedIsFound() {
        val component = ComponentName(app.packageName, RedirectActivity::class.java.name)
        val info = app.packageManager.getActivityInfo(component, 0)
        assertTrue(SetupCheck.run(app, config(listOf(LoginFlow.BROWSER))).none { it.problem == SetupProblem.REDIRECT_ACTIVITY_NOT_EXPORTED })
        shadowOf(app.packageManager).addOrUpdateActivity(ActivityInfo(info).apply { exported = false })
        val f = SetupCheck.run(app, config(listOf(LoginFlow.BROWSER))).single()
        assertEquals(SetupProblem.REDIRECT_ACTIVITY_NOT_EXPORTED, f.problem)
        assertTrue(f.message, f.message.contains(RedirectActivity::class.java.name))
    }

    @Test
    fun aRedirectFilterWithoutCategoryDefaultIsFound() {
        val component = ComponentName(app.packageName, RedirectActivity::class.java.name)
        assertTrue(SetupCheck.run(app, config(listOf(LoginFlow.BROWSER))).none { it.problem == SetupProblem.REDIRECT_FILTER_NOT_DEFAULT })
        val uri = Uri.parse(DEMO_REDIRECT_URI)
        val pm = shadowOf(app.packageManager)
        pm.clearIntentFilterForActivity(component)
        pm.addIntentFilterForActivity(
            component,
            IntentFilter(Intent.ACTION_VIEW).apply {
                addCategory(Intent.CATEGORY_BROWSABLE)
                addDataScheme(uri.scheme)
                addDataAuthority(uri.host, null)
                addDataPath(uri.path, PatternMatcher.PATTERN_LITERAL)
            },
        )
        val f = SetupCheck.run(app, config(listOf(LoginFlow.BROWSER))).single()
        assertEquals(SetupProblem.REDIRECT_FILTER_NOT_DEFAULT, f.problem)
        assertTrue(f.fix, f.fix.contains("android.intent.category.DEFAULT"))
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
