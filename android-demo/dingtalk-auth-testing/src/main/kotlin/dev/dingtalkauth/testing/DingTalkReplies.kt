package dev.dingtalkauth.testing

import android.content.ComponentName
import android.content.Context
import android.content.Intent
import android.net.Uri
import com.android.dingtalk.openauth.utils.DDAuthConstant
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.LoginRequest
import dev.dingtalkauth.android.SetupCheck

/**
 * What DingTalk sends back for a [LoginRequest], built without DingTalk, for an app's unit tests: hand
 * the result to the same `DingTalkLogin.handle…` call (or start the same activity) a real reply reaches.
 * The code is whatever the test chooses; a test of the whole login gives the backend a fake that
 * accepts it (the reference backend against its fake DingTalk, or the app's own stub).
 *
 * ```
 * val request = login.begin(LoginFlow.BROWSER)
 * val result = login.handleRedirect(DingTalkReplies.browserApproved(request, code = "test-code"))
 * ```
 */
object DingTalkReplies {
    /**
     * The browser flow: the redirect DingTalk's login page sends to the app (`ACTION_VIEW` on
     * `redirectUri?authCode=…&state=…`), as `DingTalkLogin.handleRedirect` takes it.
     */
    fun browserApproved(request: LoginRequest, code: String): Intent =
        redirect(request, "authCode" to code)

    /** The browser flow when the user refuses: the redirect with DingTalk's `error` parameter. */
    fun browserDenied(request: LoginRequest, error: String = "access_denied"): Intent =
        redirect(request, "error" to error)

    /**
     * The new SDK (ddopenauth): the intent DingTalk sends to `<package>.ddauth.DDAuthActivity` when the
     * user approves, as `DingTalkLogin.handleNewSdkIntent` takes it.
     */
    fun newSdkApproved(context: Context, request: LoginRequest, code: String): Intent =
        newSdk(context, request).putExtra(DDAuthConstant.CALLBACK_EXTRA_AUTH_CODE, code)

    /** The new SDK's reply with DingTalk's ErrCode (`-2` the user backed out, `-4` refused). */
    fun newSdkFailed(context: Context, request: LoginRequest, errCode: String = "-2"): Intent =
        newSdk(context, request).putExtra(DDAuthConstant.CALLBACK_EXTRA_ERROR, errCode)

    /**
     * The legacy SDK (DDShare): its `SendAuth.Resp` fields, for
     * `DingTalkLogin.handleLegacyReply(errCode, errStr, code, state)`.
     */
    fun legacyApproved(request: LoginRequest, code: String): LegacyReply =
        LegacyReply(errCode = 0, errStr = null, code = code, state = request.state)

    /** The legacy SDK's failure (`-2` the user backed out, `-4` refused), with DingTalk's message. */
    fun legacyFailed(request: LoginRequest, errCode: Int = -2, errStr: String? = null): LegacyReply =
        LegacyReply(errCode = errCode, errStr = errStr, code = null, state = request.state)

    /** The fields of DDShare's `SendAuth.Resp` a legacy reply carries. */
    data class LegacyReply(val errCode: Int, val errStr: String?, val code: String?, val state: String?)

    private fun redirect(request: LoginRequest, answer: Pair<String, String>): Intent {
        require(request.flow == LoginFlow.BROWSER) { "a browser redirect answers a browser login, not ${request.flow}" }
        val uri = Uri.parse(requireNotNull(request.redirectUri) { "the browser login has no redirect URI" })
            .buildUpon()
            .appendQueryParameter(answer.first, answer.second)
            .apply { request.state?.let { appendQueryParameter("state", it) } }
            .build()
        return Intent(Intent.ACTION_VIEW, uri).addCategory(Intent.CATEGORY_BROWSABLE)
    }

    private fun newSdk(context: Context, request: LoginRequest): Intent {
        require(request.flow == LoginFlow.NEW_SDK) { "a new-SDK reply answers a new-SDK login, not ${request.flow}" }
        val intent = Intent()
            .setComponent(ComponentName(context.packageName, SetupCheck.newSdkCallbackName(context.packageName)))
            .putExtra(DDAuthConstant.CALLBACK_EXTRA_TYPE, DDAuthConstant.AUTH_LOGIN_TYPE_APP)
        request.state?.let { intent.putExtra(DDAuthConstant.CALLBACK_EXTRA_STATE, it) }
        return intent
    }
}
