// The callback activities are exported: any app can start them with anything. Every such intent ends
// exactly as expected, Ignored for its reason or Refused with its error as a reply to ignore — never a
// crash, never an authorization — and a real pending login survives it.
package dev.dingtalkauth.demo

import android.content.ComponentName
import android.content.Intent
import android.net.Uri
import androidx.test.ext.junit.runners.AndroidJUnit4
import com.android.dingtalk.openauth.utils.DDAuthConstant
import com.android.dingtalk.share.ddsharemodule.ShareConstant
import com.android.dingtalk.share.ddsharemodule.message.SendAuth
import dev.dingtalkauth.AuthException
import dev.dingtalkauth.ErrorHandling
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.LoginRequest
import dev.dingtalkauth.ReplyVerdict
import dev.dingtalkauth.android.IgnoredReason
import dev.dingtalkauth.android.LoginResult
import dev.dingtalkauth.android.ReplyReader
import dev.dingtalkauth.android.SetupCheck
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class HostileIntentsTest : DemoTest() {
    private val lone = "\uD800" // an unpaired surrogate: not valid UTF-16
    private val huge = "a".repeat(200_000)

    private fun legacyActivity() = ComponentName(app.packageName, SetupCheck.legacyCallbackName(app.packageName))
    private fun newSdkActivity() = ComponentName(app.packageName, SetupCheck.newSdkCallbackName(app.packageName))
    private fun redirectActivity() = ComponentName(app.packageName, RedirectActivity::class.java.name)

    /** A DDShare reply as DingTalk builds it, with the given fields. */
    private fun legacy(code: String?, state: String?, errCode: Int = 0): Intent {
        val resp = SendAuth.Resp()
        resp.mErrCode = errCode
        resp.code = code
        resp.state = state
        return simulator.legacyIntent(app, resp)
    }

    /** What one hostile intent must end as, exactly. */
    private class Expected(private val description: String, val matches: (LoginResult) -> Boolean) {
        override fun toString() = description
    }

    /** Dropped before the core, for [reason]. */
    private fun ignored(reason: IgnoredReason) =
        Expected("Ignored($reason)") { it is LoginResult.Ignored && it.reason == reason }

    /** Refused by the core with an [E], as a reply to ignore. */
    private inline fun <reified E : AuthException> refused() =
        Expected("Refused(${E::class.simpleName}, IGNORE_REPLY)") {
            it is LoginResult.Refused && it.error is E && it.handling == ErrorHandling.IGNORE_REPLY
        }

    /** Delivers [intent]: it ends exactly as [expected], published once, leaving [flow]'s login pending. */
    private fun harmless(flow: LoginFlow, intent: Intent, expected: Expected): LoginResult {
        val result = deliverOne(intent)
        assertTrue("$intent ended as $result, expected $expected", expected.matches(result))
        // The core's verdict: nothing any app can send may end, displace or bring back our login.
        assertEquals("$result", ReplyVerdict.NOT_FOR_US, result.verdict)
        assertEquals("the real pending login is untouched", 1, pending(flow))
        return result
    }

    /** After all that: nothing was authorized, and DingTalk's genuine reply still completes [request]. */
    private fun realLoginStillCompletes(request: LoginRequest) {
        assertTrue("no authorization", results.none { it is LoginResult.Authorized })
        val genuine = deliverOne(simulator.reply(app, request, SimulatedAnswer.APPROVE))
        assertTrue("got $genuine", genuine is LoginResult.Authorized)
    }

    @Test
    fun legacyCallbackSurvivesEverythingAndTheRealLoginStillCompletes() {
        val request = begin(LoginFlow.LEGACY_SDK)
        val flow = LoginFlow.LEGACY_SDK
        harmless(flow, Intent().setComponent(legacyActivity()), ignored(IgnoredReason.NOT_A_REPLY))
        harmless(
            flow,
            Intent().setComponent(legacyActivity())
                .putExtra(ShareConstant.EXTRA_MESSAGE_APP_PACKAGE_NAME, 42) // wrong type: DDShare reads none
                .putExtra(ShareConstant.EXTRA_COMMAND_TYPE, "one"),
            ignored(IgnoredReason.NOT_A_REPLY),
        )
        harmless(flow, legacy("code", lone), ignored(IgnoredReason.INVALID_TEXT))
        harmless(flow, legacy(lone, request.state), ignored(IgnoredReason.INVALID_TEXT))
        harmless(flow, legacy(huge, request.state), ignored(IgnoredReason.TOO_LONG))
        harmless(flow, legacy("code", huge), ignored(IgnoredReason.TOO_LONG))
        harmless(flow, legacy("forged-code", "forged-state"), refused<AuthException.StateUnknown>())
        harmless(flow, legacy("forged-code", null), refused<AuthException.StateMissing>())
        harmless(flow, legacy("forged-code", "not base64url!"), refused<AuthException.StateMalformed>())
        // A wrong-typed state extra reads as absent: the core refuses a success without state.
        val wrongType = legacy("code", request.state).apply { putExtra("android.intent.ding.EXTRA_SEND_AUTH_STATE", 7) }
        harmless(flow, wrongType, refused<AuthException.StateMissing>())
        // A cancel naming another state is refused with the state error (never shown as a cancel) and
        // never touches the real login.
        val cancel = deliverOne(legacy(null, request.state.orEmpty() + "x", errCode = -2))
        assertTrue("got $cancel", cancel is LoginResult.Refused && cancel.error is AuthException.StateUnknown)
        assertEquals(1, pending(flow))
        realLoginStillCompletes(request)
    }

    @Test
    fun newSdkCallbackSurvivesEverythingAndTheRealLoginStillCompletes() {
        val request = begin(LoginFlow.NEW_SDK)
        val flow = LoginFlow.NEW_SDK
        fun intent() = Intent().setComponent(newSdkActivity())
        val code = DDAuthConstant.CALLBACK_EXTRA_AUTH_CODE
        val state = DDAuthConstant.CALLBACK_EXTRA_STATE
        val error = DDAuthConstant.CALLBACK_EXTRA_ERROR
        val type = DDAuthConstant.CALLBACK_EXTRA_TYPE
        harmless(flow, intent(), ignored(IgnoredReason.NOT_A_REPLY))
        harmless(flow, intent().putExtra(code, 12345L).putExtra(state, request.state), ignored(IgnoredReason.NOT_A_REPLY))
        harmless(flow, intent().putExtra(code, "c").putExtra(state, intArrayOf(1)), refused<AuthException.StateMissing>())
        harmless(flow, intent().putExtra(code, "c$lone").putExtra(state, request.state), ignored(IgnoredReason.INVALID_TEXT))
        harmless(flow, intent().putExtra(code, "c").putExtra(state, request.state + lone), ignored(IgnoredReason.INVALID_TEXT))
        harmless(flow, intent().putExtra(code, huge).putExtra(state, request.state), ignored(IgnoredReason.TOO_LONG))
        // A success without a code is refused as such, before its state is looked at.
        harmless(flow, intent().putExtra(error, "0").putExtra(state, "forged"), refused<AuthException.InvalidResponse>())
        harmless(flow, intent().putExtra(error, "00").putExtra(code, "c"), refused<AuthException.InvalidResponse>())
        harmless(flow, intent().putExtra(code, "c").putExtra(state, "forged"), refused<AuthException.StateUnknown>())
        harmless(flow, intent().putExtra(error, huge), ignored(IgnoredReason.TOO_LONG))
        // The web fallback's shape (every value an empty string) with nothing in it.
        harmless(
            flow,
            intent().putExtra(code, "").putExtra(state, "").putExtra(error, "").putExtra(type, DDAuthConstant.AUTH_LOGIN_TYPE_WEB),
            ignored(IgnoredReason.NOT_A_REPLY),
        )
        // A forged web-fallback cancel naming no login of this device.
        harmless(
            flow,
            simulator.newSdkWebReply(app, null, SimulatedDingTalk.tamper(request.state!!), "-2"),
            refused<AuthException.StateUnknown>(),
        )
        realLoginStillCompletes(request)
    }

    @Test
    fun redirectActivitySurvivesEverythingAndTheRealLoginStillCompletes() {
        val request = begin(LoginFlow.BROWSER)
        val flow = LoginFlow.BROWSER
        fun view(url: String) = Intent(Intent.ACTION_VIEW, Uri.parse(url)).setComponent(redirectActivity())
        harmless(flow, Intent().setComponent(redirectActivity()), ignored(IgnoredReason.NOT_A_REPLY))
        harmless(flow, Intent(Intent.ACTION_SEND).setComponent(redirectActivity()).putExtra(Intent.EXTRA_TEXT, "hi"), ignored(IgnoredReason.NOT_A_REPLY))
        harmless(flow, view("$DEMO_REDIRECT_URI?authCode=c&state=${request.state}$lone"), ignored(IgnoredReason.INVALID_TEXT))
        harmless(flow, view("$DEMO_REDIRECT_URI?authCode=c&state=" + "s".repeat(ReplyReader.MAX_CALLBACK_URL)), ignored(IgnoredReason.TOO_LONG))
        harmless(flow, view("$DEMO_REDIRECT_URI?authCode=c&state=forged"), refused<AuthException.StateUnknown>())
        // Malformed callbacks: another endpoint, a duplicated parameter, neither code nor error, bad escapes.
        harmless(flow, view("https://evil.example/dingtalk/callback?authCode=c&state=${request.state}"), refused<AuthException.InvalidCallback>())
        harmless(flow, view("$DEMO_REDIRECT_URI?authCode=c&authCode=d&state=${request.state}"), refused<AuthException.InvalidCallback>())
        harmless(flow, view("$DEMO_REDIRECT_URI?state=${request.state}"), refused<AuthException.InvalidCallback>())
        harmless(flow, view("$DEMO_REDIRECT_URI?authCode=%ZZ&state=${request.state}"), refused<AuthException.InvalidCallback>())
        realLoginStillCompletes(request)
    }
}
