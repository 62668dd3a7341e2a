package dev.dingtalkauth.android

import android.app.Activity
import android.content.Intent
import android.os.Bundle
import dev.dingtalkauth.ReplyVerdict

/**
 * Base of the exported activities DingTalk (and, for the redirect, the browser) starts with a reply.
 * It reads the reply through the app's [DingTalkLogin] (from [DingTalkLoginOwner]), which publishes the
 * result to the app's observers, brings the app's task back when the intent was a reply for this device's
 * login (never for an intent any other app could have sent), and finishes. It shows nothing: declare it
 * with a translucent or no-display theme.
 *
 * Exported: any app can start it with anything; every intent ends as a [LoginResult], never a crash.
 */
abstract class DingTalkCallbackActivity : Activity() {
    /** The result of the last intent this activity handled (for tests and subclasses). */
    var lastResult: LoginResult? = null
        private set

    /** The app's [DingTalkLogin]; by default from an `Application` that is a [DingTalkLoginOwner]. */
    protected open fun dingTalkLogin(): DingTalkLogin? = (application as? DingTalkLoginOwner)?.dingTalkLogin(flow)

    /** Reads [intent] with [login]. */
    protected abstract fun read(login: DingTalkLogin, intent: Intent?): LoginResult

    /** The flow this activity receives. */
    protected abstract val flow: dev.dingtalkauth.LoginFlow

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        // A re-created instance (after a configuration change) has handled its intent already.
        if (savedInstanceState == null) handle(intent) else finish()
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        handle(intent)
    }

    private fun handle(intent: Intent?) {
        val result = try {
            val login = dingTalkLogin()
            if (login == null) LoginResult.Ignored(flow, IgnoredReason.NO_LOGIN) else read(login, intent)
        } catch (e: Exception) {
            // The app's own dingTalkLogin() failed (an AuthException.InvalidConfig while it builds the
            // DingTalkLogin, …): an exported activity reports that, it never crashes on it.
            LoginResult.Ignored(flow, IgnoredReason.NO_LOGIN)
        }
        lastResult = result
        onResult(result)
        // Only a reply for this device's login may bring the app back; anyone can send the others.
        if (result.verdict != ReplyVerdict.NOT_FOR_US) returnToApp()
        finish()
    }

    /** Called with every result before the activity finishes; the default does nothing. */
    protected open fun onResult(result: LoginResult) = Unit

    /** Brings the app's task to the front (the launcher activity, re-created after process death). */
    protected open fun returnToApp() {
        val launch = packageManager.getLaunchIntentForPackage(packageName) ?: return
        launch.addFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_SINGLE_TOP)
        runCatching { startActivity(launch) }
    }
}

/** Declare a subclass at `<applicationId>.ddshare.DDShareActivity` (exported) for the legacy SDK. */
open class DingTalkLegacySdkActivity : DingTalkCallbackActivity() {
    override val flow get() = dev.dingtalkauth.LoginFlow.LEGACY_SDK
    override fun read(login: DingTalkLogin, intent: Intent?) = login.handleLegacyIntent(intent)
}

/** Declare a subclass at `<applicationId>.ddauth.DDAuthActivity` (exported) for the new SDK. */
open class DingTalkNewSdkActivity : DingTalkCallbackActivity() {
    override val flow get() = dev.dingtalkauth.LoginFlow.NEW_SDK
    override fun read(login: DingTalkLogin, intent: Intent?) = login.handleNewSdkIntent(intent)
}

/**
 * Declare a subclass with an intent filter for your redirect URI (`VIEW`, `BROWSABLE`, your scheme,
 * host and path; `android:autoVerify="true"` for an https App Link) for the browser flow.
 */
open class DingTalkRedirectActivity : DingTalkCallbackActivity() {
    override val flow get() = dev.dingtalkauth.LoginFlow.BROWSER
    override fun read(login: DingTalkLogin, intent: Intent?) = login.handleRedirect(intent)
}
