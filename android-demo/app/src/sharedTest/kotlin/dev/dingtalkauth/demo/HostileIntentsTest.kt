// The callback activities are exported: any app can start them with anything. Every such intent ends
// as Ignored or Refused as a reply to ignore — never a crash, never an authorization — and a real
// pending login survives it.
package dev.dingtalkauth.demo

import android.content.ComponentName
import android.content.Intent
import android.net.Uri
import androidx.test.ext.junit.runners.AndroidJUnit4
import com.android.dingtalk.share.ddsharemodule.ShareConstant
import com.android.dingtalk.share.ddsharemodule.message.SendAuth
import dev.dingtalkauth.AuthException
import dev.dingtalkauth.ErrorHandling
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.LoginRequest
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

    /** Delivers [intent] and checks it ended as Ignored/Refused, published once, leaving [flow]'s login pending. */
    private fun harmless(flow: LoginFlow, intent: Intent, expect: (LoginResult) -> Boolean = { true }): LoginResult {
        val result = deliverOne(intent)
        // Never for this login: dropped before the core, or refused by it as a reply to ignore.
        assertTrue(
            "$intent ended as $result",
            result is LoginResult.Ignored || (result is LoginResult.Refused && result.handling == ErrorHandling.IGNORE_REPLY),
        )
        assertTrue("unexpected $result", expect(result))
        assertEquals("the real pending login is untouched", 1, pending(flow))
        return result
    }

    private fun ignoredBecause(reason: IgnoredReason): (LoginResult) -> Boolean =
        { it is LoginResult.Ignored && it.reason == reason }

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
        harmless(flow, Intent().setComponent(legacyActivity()), ignoredBecause(IgnoredReason.NOT_A_REPLY))
        harmless(
            flow,
            Intent().setComponent(legacyActivity())
                .putExtra(ShareConstant.EXTRA_MESSAGE_APP_PACKAGE_NAME, 42) // wrong type
                .putExtra(ShareConstant.EXTRA_COMMAND_TYPE, "one"),
        )
        harmless(flow, legacy("code", lone), ignoredBecause(IgnoredReason.INVALID_TEXT))
        harmless(flow, legacy(lone, request.state), ignoredBecause(IgnoredReason.INVALID_TEXT))
        harmless(flow, legacy(huge, request.state), ignoredBecause(IgnoredReason.TOO_LONG))
        harmless(flow, legacy("code", huge), ignoredBecause(IgnoredReason.TOO_LONG))
        harmless(flow, legacy("forged-code", "forged-state"))
        harmless(flow, legacy("forged-code", null))
        // A wrong-typed state extra reads as absent: the core refuses a success without state.
        val wrongType = legacy("code", request.state).apply { putExtra("android.intent.ding.EXTRA_SEND_AUTH_STATE", 7) }
        harmless(flow, wrongType)
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
        harmless(flow, intent(), ignoredBecause(IgnoredReason.NOT_A_REPLY))
        harmless(flow, intent().putExtra(ReplyReader.EXTRA_NEW_SDK_CODE, 12345L).putExtra(ReplyReader.EXTRA_NEW_SDK_STATE, request.state), ignoredBecause(IgnoredReason.NOT_A_REPLY))
        harmless(flow, intent().putExtra(ReplyReader.EXTRA_NEW_SDK_CODE, "c").putExtra(ReplyReader.EXTRA_NEW_SDK_STATE, intArrayOf(1)))
        harmless(flow, intent().putExtra(ReplyReader.EXTRA_NEW_SDK_CODE, "c$lone").putExtra(ReplyReader.EXTRA_NEW_SDK_STATE, request.state), ignoredBecause(IgnoredReason.INVALID_TEXT))
        harmless(flow, intent().putExtra(ReplyReader.EXTRA_NEW_SDK_CODE, "c").putExtra(ReplyReader.EXTRA_NEW_SDK_STATE, request.state + lone), ignoredBecause(IgnoredReason.INVALID_TEXT))
        harmless(flow, intent().putExtra(ReplyReader.EXTRA_NEW_SDK_CODE, huge).putExtra(ReplyReader.EXTRA_NEW_SDK_STATE, request.state), ignoredBecause(IgnoredReason.TOO_LONG))
        // (With the real state, a malformed reply would use the login up: the state is single-use, and
        // only DingTalk ever sees it. Here a sender that does not know it.)
        harmless(flow, intent().putExtra(ReplyReader.EXTRA_NEW_SDK_ERROR, "0").putExtra(ReplyReader.EXTRA_NEW_SDK_STATE, "forged"))
        harmless(flow, intent().putExtra(ReplyReader.EXTRA_NEW_SDK_ERROR, "00").putExtra(ReplyReader.EXTRA_NEW_SDK_CODE, "c"))
        harmless(flow, intent().putExtra(ReplyReader.EXTRA_NEW_SDK_CODE, "c").putExtra(ReplyReader.EXTRA_NEW_SDK_STATE, "forged"))
        harmless(flow, intent().putExtra(ReplyReader.EXTRA_NEW_SDK_ERROR, huge), ignoredBecause(IgnoredReason.TOO_LONG))
        realLoginStillCompletes(request)
    }

    @Test
    fun redirectActivitySurvivesEverythingAndTheRealLoginStillCompletes() {
        val request = begin(LoginFlow.BROWSER)
        val flow = LoginFlow.BROWSER
        fun view(url: String) = Intent(Intent.ACTION_VIEW, Uri.parse(url)).setComponent(redirectActivity())
        harmless(flow, Intent().setComponent(redirectActivity()), ignoredBecause(IgnoredReason.NOT_A_REPLY))
        harmless(flow, Intent(Intent.ACTION_SEND).setComponent(redirectActivity()).putExtra(Intent.EXTRA_TEXT, "hi"), ignoredBecause(IgnoredReason.NOT_A_REPLY))
        harmless(flow, view("$DEMO_REDIRECT_URI?authCode=c&state=${request.state}$lone"), ignoredBecause(IgnoredReason.INVALID_TEXT))
        harmless(flow, view("$DEMO_REDIRECT_URI?authCode=c&state=" + "s".repeat(ReplyReader.MAX_CALLBACK_URL)), ignoredBecause(IgnoredReason.TOO_LONG))
        harmless(flow, view("https://evil.example/dingtalk/callback?authCode=c&state=${request.state}"))
        harmless(flow, view("$DEMO_REDIRECT_URI?authCode=c&state=forged"))
        harmless(flow, view("$DEMO_REDIRECT_URI?authCode=c&authCode=d&state=${request.state}"))
        harmless(flow, view("$DEMO_REDIRECT_URI?state=${request.state}"))
        harmless(flow, view("$DEMO_REDIRECT_URI?authCode=%ZZ&state=${request.state}"))
        realLoginStillCompletes(request)
    }
}
