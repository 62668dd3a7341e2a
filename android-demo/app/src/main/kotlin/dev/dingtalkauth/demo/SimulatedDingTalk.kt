package dev.dingtalkauth.demo

import android.content.ComponentName
import android.content.Context
import android.content.Intent
import android.net.Uri
import android.os.Bundle
import com.android.dingtalk.openauth.utils.DDAuthConstant
import com.android.dingtalk.share.ddsharemodule.ShareConstant
import com.android.dingtalk.share.ddsharemodule.message.SendAuth
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.LoginRequest
import dev.dingtalkauth.android.SetupCheck
import java.io.IOException
import java.net.HttpURLConnection
import java.net.URL
import org.json.JSONObject

/** What the simulated DingTalk answers. */
enum class SimulatedAnswer {
    /** The user approves in DingTalk. */
    APPROVE,
    /** New SDK only: the user approves in the SDK's own web login (DingTalk missing or too old). */
    APPROVE_IN_WEB_FALLBACK,
    /** The user backs out. */
    CANCEL,
    /** The user refuses. */
    DENY,
    /**
     * Legacy SDK: DingTalk does not recognise the app (ErrCode -4 with the message `key check error`:
     * package name or signing certificate not the ones registered in the console). Elsewhere a denial.
     */
    KEY_CHECK_ERROR,
    /** A reply whose state was changed on the way. */
    TAMPERED_STATE,
}

/**
 * Plays DingTalk's part on an emulator, where DingTalk cannot be installed: asks the fake DingTalk to
 * mint a code for the pending login (`POST /_fake/mint`, or its authorize page for the browser flow)
 * and builds the intent DingTalk would send, to the same activity with the same extras. Nothing is
 * delivered here: [reply] blocks on the network (call it off the main thread) and returns the intent;
 * `startActivity` delivers it exactly as a real reply arrives.
 */
class SimulatedDingTalk(private val fakeBase: String) {
    /** A user the fake logs in; unique per call so a test can recognise its identity. */
    data class User(val nick: String, val unionId: String, val openId: String) {
        /** As the fake's `/_fake/` endpoints take it. */
        fun toJson(): JSONObject = JSONObject().put("nick", nick).put("unionId", unionId).put("openId", openId)

        companion object {
            /** A fresh user. */
            fun random(): User {
                val tag = java.util.UUID.randomUUID().toString().take(8)
                return User("Android demo $tag", "union-$tag", "open-$tag")
            }
        }
    }

    /** DingTalk's reply to [request] for the app [context], as [answer]. */
    fun reply(context: Context, request: LoginRequest, answer: SimulatedAnswer, user: User = User.random()): Intent {
        val state = request.state?.let { if (answer == SimulatedAnswer.TAMPERED_STATE) tamper(it) else it }
        return when (request.flow) {
            LoginFlow.LEGACY_SDK -> {
                val resp = SendAuth.Resp()
                when (answer) {
                    SimulatedAnswer.APPROVE, SimulatedAnswer.APPROVE_IN_WEB_FALLBACK, SimulatedAnswer.TAMPERED_STATE -> {
                        resp.mErrCode = 0
                        resp.code = mint("legacy_sdk", request.clientId, null, user)
                    }
                    SimulatedAnswer.CANCEL -> { resp.mErrCode = -2; resp.mErrStr = "user cancelled" }
                    SimulatedAnswer.DENY -> { resp.mErrCode = -4; resp.mErrStr = "auth denied" }
                    SimulatedAnswer.KEY_CHECK_ERROR -> { resp.mErrCode = -4; resp.mErrStr = "key check error" }
                }
                resp.state = state
                legacyIntent(context, resp)
            }
            LoginFlow.NEW_SDK -> {
                val code = when (answer) {
                    SimulatedAnswer.APPROVE, SimulatedAnswer.APPROVE_IN_WEB_FALLBACK, SimulatedAnswer.TAMPERED_STATE ->
                        mint("new_sdk", request.clientId, request.scope, user)
                    else -> null
                }
                val error = when (answer) {
                    SimulatedAnswer.CANCEL -> "-2"
                    SimulatedAnswer.DENY, SimulatedAnswer.KEY_CHECK_ERROR -> "-4"
                    else -> null
                }
                if (answer == SimulatedAnswer.APPROVE_IN_WEB_FALLBACK) {
                    newSdkWebReply(context, code, state, error)
                } else {
                    newSdkAppReply(context, code, state, error)
                }
            }
            LoginFlow.BROWSER -> {
                // The fake's authorize page, told to approve (or deny) at once, redirects like
                // login.dingtalk.com; the Location is what the browser hands to the app.
                val mode = if (answer == SimulatedAnswer.DENY || answer == SimulatedAnswer.KEY_CHECK_ERROR) "deny" else "approve"
                post("/_fake/browser", JSONObject().put("mode", mode).put("user", user.toJson()))
                var location = redirectOf(request.authorizeUrl ?: throw IOException("no authorize URL"))
                if (answer == SimulatedAnswer.TAMPERED_STATE && request.state != null) {
                    location = location.replace("state=" + Uri.encode(request.state), "state=" + Uri.encode(state))
                }
                if (answer == SimulatedAnswer.CANCEL) {
                    // A browser has no cancel reply: the user closes the tab and no redirect comes.
                    throw IOException("the browser flow has no cancel reply")
                }
                Intent(Intent.ACTION_VIEW, Uri.parse(location))
                    .addCategory(Intent.CATEGORY_BROWSABLE)
                    .setPackage(context.packageName)
            }
        }.addFlags(Intent.FLAG_ACTIVITY_NEW_TASK)
    }

    /** The intent DingTalk's DDShare sends to `<applicationId>.ddshare.DDShareActivity`. */
    fun legacyIntent(context: Context, resp: SendAuth.Resp): Intent {
        val extras = Bundle()
        resp.toBundle(extras)
        return Intent()
            .setComponent(ComponentName(context.packageName, SetupCheck.legacyCallbackName(context.packageName)))
            .putExtras(extras)
            .putExtra(ShareConstant.EXTRA_MESSAGE_APP_PACKAGE_NAME, DINGTALK_PACKAGE)
            .putExtra(ShareConstant.EXTRA_COMMAND_TYPE, resp.type)
    }

    /**
     * DingTalk's reply to the new SDK's login, as ddopenauth's callback activity receives it: the
     * [DDAuthConstant] extras that are present, and `type` = `app`.
     */
    fun newSdkAppReply(context: Context, code: String?, state: String?, error: String?): Intent {
        val intent = Intent().setComponent(newSdkCallback(context))
        code?.let { intent.putExtra(DDAuthConstant.CALLBACK_EXTRA_AUTH_CODE, it) }
        error?.let { intent.putExtra(DDAuthConstant.CALLBACK_EXTRA_ERROR, it) }
        state?.let { intent.putExtra(DDAuthConstant.CALLBACK_EXTRA_STATE, it) }
        return intent.putExtra(DDAuthConstant.CALLBACK_EXTRA_TYPE, DDAuthConstant.AUTH_LOGIN_TYPE_APP)
    }

    /**
     * The reply of ddopenauth's own web login (`AuthWebviewActivity`, used when DingTalk is missing or
     * too old), as that SDK sends it: the redirect's `authCode`, `state` and `error` query parameters,
     * each an empty string when the redirect lacked it, and `type` = `web`, to the same activity.
     */
    fun newSdkWebReply(context: Context, code: String?, state: String?, error: String?): Intent =
        Intent().setComponent(newSdkCallback(context))
            .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_CLEAR_TOP)
            .putExtra(DDAuthConstant.CALLBACK_EXTRA_AUTH_CODE, code.orEmpty())
            .putExtra(DDAuthConstant.CALLBACK_EXTRA_STATE, state.orEmpty())
            .putExtra(DDAuthConstant.CALLBACK_EXTRA_ERROR, error.orEmpty())
            .putExtra(DDAuthConstant.CALLBACK_EXTRA_TYPE, DDAuthConstant.AUTH_LOGIN_TYPE_WEB)

    private fun newSdkCallback(context: Context) =
        ComponentName(context.packageName, SetupCheck.newSdkCallbackName(context.packageName))

    /** `POST /_fake/mint`: the code DingTalk would hand back for [clientId]. */
    fun mint(flow: String, clientId: String, scope: String?, user: User): String {
        val body = JSONObject().put("flow", flow).put("clientId", clientId).put("user", user.toJson())
        if (scope != null) body.put("scope", scope)
        val answer = JSONObject(post("/_fake/mint", body))
        return answer.optString("code").ifEmpty { throw IOException("the fake minted no code: $answer") }
    }

    private fun post(path: String, body: JSONObject): String {
        val c = URL(fakeBase + path).openConnection() as HttpURLConnection
        try {
            c.requestMethod = "POST"
            c.connectTimeout = 5000
            c.readTimeout = 10000
            c.doOutput = true
            c.setRequestProperty("Content-Type", "application/json")
            c.outputStream.use { it.write(body.toString().toByteArray()) }
            val status = c.responseCode
            val text = (if (status in 200..299) c.inputStream else c.errorStream)?.use { it.readBytes().decodeToString() } ?: ""
            if (status !in 200..299) throw IOException("fake DingTalk $path: HTTP $status $text")
            return text
        } finally {
            c.disconnect()
        }
    }

    private fun redirectOf(url: String): String {
        val c = URL(url).openConnection() as HttpURLConnection
        try {
            c.instanceFollowRedirects = false
            c.connectTimeout = 5000
            c.readTimeout = 10000
            val status = c.responseCode
            return c.getHeaderField("Location")?.takeIf { status == 302 }
                ?: throw IOException("the authorize page did not redirect (HTTP $status)")
        } finally {
            c.disconnect()
        }
    }

    companion object {
        /** DingTalk's package name, which DDShare replies carry. */
        const val DINGTALK_PACKAGE = "com.alibaba.android.rimet"

        /** [state] with its last character changed: what an attacker's forged reply looks like. */
        fun tamper(state: String): String =
            if (state.isEmpty()) "x" else state.dropLast(1) + (if (state.last() == 'A') 'B' else 'A')
    }
}
