package dev.dingtalkauth.android

import android.content.Context
import android.content.Intent
import android.os.Handler
import android.os.Looper
import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.AuthException
import dev.dingtalkauth.AuthGrant
import dev.dingtalkauth.BackendResponse
import dev.dingtalkauth.DingTalkAuth
import dev.dingtalkauth.HttpTransport
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.LoginOutcome
import dev.dingtalkauth.LoginRequest
import dev.dingtalkauth.PendingLoginStore
import dev.dingtalkauth.SdkResponse
import dev.dingtalkauth.UndeliveredReplies
import dev.dingtalkauth.android.http.HttpUrlConnectionTransport
import java.util.concurrent.CopyOnWriteArrayList
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch

/**
 * Implemented by your `Application`, so the callback activities DingTalk starts (in a process that
 * may have just been re-created) find the app's [DingTalkLogin] for their flow. The legacy SDK uses
 * the AppId of a legacy DingTalk app, the new SDK and browser a ClientId: usually two instances over
 * one store.
 */
interface DingTalkLoginOwner {
    /** The app's [DingTalkLogin] for [flow] (created on first use, once per process), or null. */
    fun dingTalkLogin(flow: LoginFlow): DingTalkLogin?
}

/**
 * Login with DingTalk for an Android app: one per process (create it in `Application`).
 *
 * Starts each flow from an Activity ([startLegacySdk], [startNewSdk], [startBrowser]), turns what
 * arrives at the callback activities into a [LoginResult] ([handleLegacyIntent], [handleNewSdkIntent],
 * [handleRedirect]) and hands it to [observe]rs on the main thread. Results that arrive while nobody
 * observes (after process death the observer comes back later than the reply) are kept by the core's
 * [UndeliveredReplies], in order, and handed to the next observer: every result that concerns this
 * device's login is kept, one to ignore (a forged or replayed reply, an intent that was no reply) never.
 *
 * @param store where pending logins live; [KeystorePendingLoginStore.create] survives process death.
 * @param transport how [submit] sends the grant: the platform's `HttpURLConnection` unless the app
 *   passes its own stack (an OkHttp adapter is a few lines, README).
 * @throws AuthException.InvalidConfig if [config] is unusable.
 */
class DingTalkLogin(
    context: Context,
    /** The configuration [auth] was built with. */
    val config: AuthConfig,
    store: PendingLoginStore?,
    transport: HttpTransport = HttpUrlConnectionTransport(),
) : AutoCloseable {
    private val appContext: Context = context.applicationContext ?: context
    private val main = Handler(Looper.getMainLooper())
    private val observers = CopyOnWriteArrayList<(LoginResult) -> Unit>()
    private val undelivered = UndeliveredReplies()

    /** Set by [close]: replies arriving afterwards are [IgnoredReason.LOGIN_CLOSED]. */
    @Volatile
    private var closed = false

    /** The core. Use it directly for anything this class does not wrap. */
    val auth: DingTalkAuth = DingTalkAuth(config, store, transport)

    // --- starting a flow --------------------------------------------------------------------------

    /** Legacy SDK (DDShare `SendAuth.Req`). [ddShareAppId] is the AppId registered for DDShare. */
    fun startLegacySdk(activity: android.app.Activity, ddShareAppId: String = config.clientId): StartResult =
        FlowLaunchers.legacySdk(activity, auth, ddShareAppId)

    /** New SDK (ddopenauth `AuthLoginParamBuilder` → `authLogin()`). */
    fun startNewSdk(activity: android.app.Activity): StartResult = FlowLaunchers.newSdk(activity, auth)

    /** Browser flow: a Custom Tab when a browser supports them, else a plain `ACTION_VIEW`. */
    fun startBrowser(activity: android.app.Activity): StartResult = FlowLaunchers.browser(activity, auth)

    /** Begins a login without starting anything (a custom launcher, or the demo's simulated DingTalk). */
    fun begin(flow: LoginFlow): LoginRequest = auth.begin(flow)

    // --- replies --------------------------------------------------------------------------------------

    /** The legacy SDK's reply, from `IDDAPIEventHandler.onResp`'s fields. Publishes the result. */
    fun handleLegacyReply(errCode: Int, errStr: String?, code: String?, state: String?): LoginResult =
        handling(LoginFlow.LEGACY_SDK) { complete(LoginFlow.LEGACY_SDK, ReplyReader.legacy(errCode, errStr, code, state)) }

    /** The intent DingTalk sent to `<applicationId>.ddshare.DDShareActivity`, read through DDShare. */
    fun handleLegacyIntent(intent: Intent?, ddShareAppId: String = config.clientId): LoginResult =
        handling(LoginFlow.LEGACY_SDK) {
            when (val read = LegacySdkReplies.read(appContext, intent, ddShareAppId)) {
                is LegacySdkReplies.Reply -> complete(
                    LoginFlow.LEGACY_SDK,
                    ReplyReader.legacy(read.errCode, read.errStr, read.code, read.state),
                )
                is LegacySdkReplies.NotAReply -> LoginResult.Ignored(LoginFlow.LEGACY_SDK, read.reason)
            }
        }

    /** The intent DingTalk's new SDK sent to `<applicationId>.ddauth.DDAuthActivity`. */
    fun handleNewSdkIntent(intent: Intent?): LoginResult =
        handling(LoginFlow.NEW_SDK) { complete(LoginFlow.NEW_SDK, ReplyReader.newSdk(intent)) }

    /** The browser flow's redirect (`ACTION_VIEW` with the callback URL) to your redirect activity. */
    fun handleRedirect(intent: Intent?): LoginResult =
        handling(LoginFlow.BROWSER) {
            when (val read = ReplyReader.redirect(intent)) {
                is ReplyReader.Read.Dropped -> LoginResult.Ignored(LoginFlow.BROWSER, read.reason)
                is ReplyReader.Read.Ok -> guardCore(LoginFlow.BROWSER) { auth.completeBrowser(read.value) }
            }
        }

    /** Publishes what [read] makes of a reply, or, once [close]d, that this object no longer reads any. */
    private inline fun handling(flow: LoginFlow, read: () -> LoginResult): LoginResult =
        publish(if (closed) LoginResult.Ignored(flow, IgnoredReason.LOGIN_CLOSED) else read())

    private fun complete(flow: LoginFlow, read: ReplyReader.Read<SdkResponse>): LoginResult =
        when (read) {
            is ReplyReader.Read.Dropped -> LoginResult.Ignored(flow, read.reason)
            is ReplyReader.Read.Ok -> guardCore(flow) { auth.completeSdk(read.value) }
        }

    private inline fun guardCore(flow: LoginFlow, call: () -> LoginOutcome): LoginResult =
        try {
            LoginResult.of(flow, call())
        } catch (e: AuthException) {
            LoginResult.Refused(flow, e)
        } catch (e: RuntimeException) {
            // The inputs were checked, so this is the library's own failure: closed meanwhile (the
            // bindings refuse a destroyed object), or the bindings' InternalException. The reply still
            // ends as "not read" rather than crashing an exported activity.
            LoginResult.Ignored(flow, if (closed) IgnoredReason.LOGIN_CLOSED else IgnoredReason.UNREADABLE_EXTRAS)
        }

    // --- delivery -------------------------------------------------------------------------------------

    /**
     * Calls [observer] on the main thread with every result from now on, and at once, oldest first, with
     * the results no observer has seen that the core kept. Returns a handle that stops the calls (call
     * it in `onDestroy`).
     */
    fun observe(observer: (LoginResult) -> Unit): AutoCloseable {
        checkMain()
        observers += observer
        undelivered.takeAll().forEach { observer(LoginResult.of(it)) }
        return AutoCloseable { observers -= observer }
    }

    private fun publish(result: LoginResult): LoginResult {
        onMain {
            if (observers.isEmpty()) result.toReply()?.let(undelivered::offer) else observers.forEach { it(result) }
        }
        return result
    }

    private fun onMain(block: () -> Unit) {
        if (Looper.myLooper() == Looper.getMainLooper()) block() else main.post(block)
    }

    private fun checkMain() =
        check(Looper.myLooper() == Looper.getMainLooper()) { "observe() must be called on the main thread" }

    // --- backend --------------------------------------------------------------------------------------

    /** Posts the grant to the configured backend on the library's runtime (suspends, never blocks). */
    suspend fun submit(grant: AuthGrant): BackendResponse = auth.submit(grant)

    /**
     * [submit] from callback code: runs in [scope] and calls [onResult] on the main thread with the
     * backend's answer or the [AuthException] (cancellation of [scope] calls nothing).
     */
    fun submit(grant: AuthGrant, scope: CoroutineScope, onResult: (Result<BackendResponse>) -> Unit): Job =
        scope.launch(Dispatchers.Main.immediate) {
            val result = try {
                Result.success(auth.submit(grant))
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                Result.failure(e)
            }
            onResult(result)
        }

    /**
     * Releases the core. The kept results stay readable (a result posted to the main thread before
     * this call may still arrive); they are freed with this object.
     */
    override fun close() {
        closed = true
        auth.close()
    }
}
