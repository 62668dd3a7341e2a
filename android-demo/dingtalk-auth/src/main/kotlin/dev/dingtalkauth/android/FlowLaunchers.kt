package dev.dingtalkauth.android

import android.app.Activity
import android.content.ActivityNotFoundException
import android.content.Context
import android.content.Intent
import android.net.Uri
import androidx.browser.customtabs.CustomTabsClient
import androidx.browser.customtabs.CustomTabsIntent
import com.android.dingtalk.openauth.AuthLoginParam
import com.android.dingtalk.openauth.DDAuthApiFactory
import com.android.dingtalk.share.ddsharemodule.DDShareApiFactory
import com.android.dingtalk.share.ddsharemodule.IDDAPIEventHandler
import com.android.dingtalk.share.ddsharemodule.message.BaseReq
import com.android.dingtalk.share.ddsharemodule.message.BaseResp
import com.android.dingtalk.share.ddsharemodule.message.SendAuth
import dev.dingtalkauth.AuthException
import dev.dingtalkauth.DingTalkAuth
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.LoginRequest
import dev.dingtalkauth.startProblemOf

/** Whether starting a flow handed the user to DingTalk or the browser. */
sealed class StartResult {
    /** DingTalk (or the browser) is in front; the reply comes to a callback activity. */
    data class Started(val request: LoginRequest) : StartResult()

    /** Nothing was started and no login is left pending; [problem] says why. */
    data class NotStarted(val problem: StartProblem, val error: AuthException? = null) : StartResult()
}

/**
 * Why a flow could not start: the core's enum (its sentences are `startProblemMessage`, the same on
 * iOS). This layer reports what `begin` failed on as the core classifies it (`startProblemOf`:
 * [StartProblem.FLOW_NOT_ENABLED], [StartProblem.STORAGE_FAILED], [StartProblem.CLOCK_FAILED],
 * [StartProblem.UNEXPECTED]), and [StartProblem.DING_TALK_NOT_INSTALLED], [StartProblem.DING_TALK_TOO_OLD],
 * [StartProblem.SDK_MISSING], [StartProblem.SEND_FAILED] and [StartProblem.NO_BROWSER]; Android can
 * always tell them apart, so never `DING_TALK_DID_NOT_OPEN`.
 */
typealias StartProblem = dev.dingtalkauth.StartProblem

/** Which optional SDKs the app ships (they are compileOnly in the AAR). */
object DingTalkSdks {
    /** DDShare (`com.alibaba.android:ddsharesdk`), for the legacy flow. */
    val legacyPresent: Boolean by lazy { present("com.android.dingtalk.share.ddsharemodule.DDShareApiFactory") }

    /** ddopenauth, for the new-SDK flow. */
    val newSdkPresent: Boolean by lazy { present("com.android.dingtalk.openauth.DDAuthApiFactory") }

    private fun present(name: String) =
        try {
            Class.forName(name, false, DingTalkSdks::class.java.classLoader)
            true
        } catch (e: ClassNotFoundException) {
            false
        } catch (e: LinkageError) {
            false
        }

    /** DingTalk's package name. */
    const val DINGTALK_PACKAGE = "com.alibaba.android.rimet"
}

internal object FlowLaunchers {
    private inline fun begun(auth: DingTalkAuth, flow: LoginFlow, start: (LoginRequest) -> StartProblem?): StartResult {
        val request = try {
            auth.begin(flow)
        } catch (e: AuthException) {
            // The core says what a failed begin is (a flow not enabled, the store, the clock, …).
            return StartResult.NotStarted(startProblemOf(e), e)
        }
        val problem = try {
            start(request)
        } catch (e: RuntimeException) {
            StartProblem.SEND_FAILED
        }
        if (problem == null) return StartResult.Started(request)
        // Nothing reached DingTalk: leave no pending login behind (every flow's, the state-less one too).
        try {
            auth.abandon(request)
        } catch (e: AuthException) {
            // The store failed again: the record expires by itself, and the start problem is the news.
        }
        return StartResult.NotStarted(problem)
    }

    fun legacySdk(activity: Activity, auth: DingTalkAuth, appId: String): StartResult {
        if (!DingTalkSdks.legacyPresent) return StartResult.NotStarted(StartProblem.SDK_MISSING)
        return begun(auth, LoginFlow.LEGACY_SDK) { request -> LegacySdkCalls.send(activity, appId, request) }
    }

    fun newSdk(activity: Activity, auth: DingTalkAuth): StartResult {
        if (!DingTalkSdks.newSdkPresent) return StartResult.NotStarted(StartProblem.SDK_MISSING)
        return begun(auth, LoginFlow.NEW_SDK) { request -> NewSdkCalls.send(activity, request) }
    }

    fun browser(activity: Activity, auth: DingTalkAuth): StartResult =
        begun(auth, LoginFlow.BROWSER) { request ->
            val uri = Uri.parse(request.authorizeUrl ?: return@begun StartProblem.FLOW_NOT_ENABLED)
            if (openInBrowser(activity, uri)) null else StartProblem.NO_BROWSER
        }

    /** A Custom Tab if some browser offers them, else a plain `ACTION_VIEW`; false if neither opens. */
    fun openInBrowser(context: Context, uri: Uri): Boolean {
        val customTabs = try {
            CustomTabsClient.getPackageName(context, null) != null
        } catch (e: RuntimeException) {
            false
        }
        if (customTabs) {
            try {
                CustomTabsIntent.Builder().setShowTitle(true).build().launchUrl(context, uri)
                return true
            } catch (e: ActivityNotFoundException) {
                // fall through to ACTION_VIEW
            }
        }
        return try {
            val view = Intent(Intent.ACTION_VIEW, uri).addCategory(Intent.CATEGORY_BROWSABLE)
            if (context !is Activity) view.addFlags(Intent.FLAG_ACTIVITY_NEW_TASK)
            context.startActivity(view)
            true
        } catch (e: ActivityNotFoundException) {
            false
        }
    }
}

/** Calls into DDShare; loaded only when [DingTalkSdks.legacyPresent]. */
internal object LegacySdkCalls {
    fun send(activity: Activity, appId: String, request: LoginRequest): StartProblem? {
        val api = DDShareApiFactory.createDDShareApi(activity, appId, true)
        if (!api.isDDAppInstalled()) return StartProblem.DING_TALK_NOT_INSTALLED
        val req = SendAuth.Req()
        req.scope = request.scope // "sns_login"
        req.state = request.state
        if (api.getDDSupportAPI() < req.getSupportVersion()) return StartProblem.DING_TALK_TOO_OLD
        return if (api.sendReq(req)) null else StartProblem.SEND_FAILED
    }
}

/** Reads a DDShare reply intent through DDShare's own parser; loaded only when the SDK is present. */
internal object LegacySdkReplies {
    sealed class Read
    class Reply(val errCode: Int, val errStr: String?, val code: String?, val state: String?) : Read()
    class NotAReply(val reason: IgnoredReason) : Read()

    fun read(context: Context, intent: Intent?, appId: String): Read {
        if (!DingTalkSdks.legacyPresent) return NotAReply(IgnoredReason.SDK_MISSING)
        if (intent == null) return NotAReply(IgnoredReason.NOT_A_REPLY)
        return Parser.parse(context, intent, appId)
    }

    private object Parser {
        fun parse(context: Context, intent: Intent, appId: String): Read {
            var resp: BaseResp? = null
            val handled = try {
                DDShareApiFactory.createDDShareApi(context, appId, false).handleIntent(
                    intent,
                    object : IDDAPIEventHandler {
                        override fun onReq(req: BaseReq?) = Unit
                        override fun onResp(r: BaseResp?) {
                            resp = r
                        }
                    },
                )
            } catch (e: RuntimeException) {
                // DDShare reads extras without guarding against a hostile sender's types.
                return NotAReply(IgnoredReason.UNREADABLE_EXTRAS)
            }
            val r = resp
            if (!handled || r == null) return NotAReply(IgnoredReason.NOT_A_REPLY)
            val auth = r as? SendAuth.Resp ?: return NotAReply(IgnoredReason.NOT_A_REPLY) // a share reply
            return Reply(auth.mErrCode, auth.mErrStr, auth.code, auth.state)
        }
    }
}

/** Calls into ddopenauth; loaded only when [DingTalkSdks.newSdkPresent]. */
internal object NewSdkCalls {
    fun send(activity: Activity, request: LoginRequest): StartProblem? {
        val param = AuthLoginParam.AuthLoginParamBuilder.newBuilder()
            .appId(request.clientId)
            .redirectUri(request.redirectUri ?: return StartProblem.FLOW_NOT_ENABLED)
            .responseType(request.responseType ?: return StartProblem.FLOW_NOT_ENABLED)
            .scope(request.scope)
            .prompt(request.prompt ?: return StartProblem.FLOW_NOT_ENABLED)
            .state(request.state ?: return StartProblem.FLOW_NOT_ENABLED)
            .nonce(request.nonce ?: "")
            .build()
        DDAuthApiFactory.createDDAuthApi(activity, param).authLogin()
        return null
    }
}
