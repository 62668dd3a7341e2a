package dev.dingtalkauth.demo

import android.app.Activity
import dev.dingtalkauth.AnsweredBy
import dev.dingtalkauth.AuthException
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.ReplyVerdict
import dev.dingtalkauth.android.GrantDelivery
import dev.dingtalkauth.android.LoginResult
import dev.dingtalkauth.android.Messages
import dev.dingtalkauth.android.SetupCheck
import dev.dingtalkauth.android.StartResult
import java.io.IOException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.json.JSONException
import org.json.JSONObject

/** Who the backend says logged in. */
data class Identity(val nick: String, val unionId: String, val flow: String)

/** What the demo's main screen shows. */
data class Screen(
    /** One sentence: what is happening or what went wrong. */
    val status: String = "Choose a way to log in.",
    /** The identity the backend returned, once logged in. */
    val identity: Identity? = null,
    /** True while waiting for DingTalk or the backend. */
    val busy: Boolean = false,
    /** The last reply's result (for the tests). */
    val lastResult: LoginResult? = null,
    /** Which path answered the login shown (DingTalk, the new SDK's web login, the browser). */
    val answeredBy: AnsweredBy? = null,
)

/** The demo's words for [AnsweredBy]. */
fun AnsweredBy.describe(): String = when (this) {
    AnsweredBy.DING_TALK_APP -> "DingTalk"
    AnsweredBy.DING_TALK_WEB_FALLBACK -> "DingTalk's web login (DingTalk missing or too old)"
    AnsweredBy.BROWSER -> "the browser"
    AnsweredBy.UNKNOWN -> "DingTalk (the SDK did not say how)"
}

/**
 * The demo's logic, kept out of the activities so it survives them (and is testable): starts a flow
 * (through DingTalk's SDKs or the [SimulatedDingTalk]), receives every [LoginResult] the callback
 * activities publish, hands a grant to the library's [GrantDelivery] (which sends it and keeps it
 * until this controller has shown the answer) and turns the answer into an [Identity] or a sentence.
 * Main thread only.
 */
class LoginController(private val app: DemoApp) : AutoCloseable {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)
    private val listeners = mutableListOf<(Screen) -> Unit>()

    /** The current screen. */
    var screen = Screen()
        private set(value) {
            field = value
            listeners.toList().forEach { it(value) }
        }

    // One delivery per DingTalk application (the new SDK and the browser share one). Collected before
    // observing: a grant left by a killed process is being re-sent already.
    init {
        for (flow in listOf(LoginFlow.LEGACY_SDK, LoginFlow.BROWSER)) {
            val delivery = app.grantDelivery(flow)
            scope.launch { delivery.state.collect { onDelivery(delivery, it) } }
        }
    }

    // Last: observing may deliver a result at once (one that arrived before this process had a screen).
    private val subscriptions = listOf(LoginFlow.LEGACY_SDK, LoginFlow.BROWSER).map { flow ->
        app.dingTalkLogin(flow).observe(::onResult)
    }

    /** Calls [listener] now and on every change, until the returned handle is closed. */
    fun listen(listener: (Screen) -> Unit): AutoCloseable {
        listeners += listener
        listener(screen)
        return AutoCloseable { listeners -= listener }
    }

    /**
     * Starts [flow] from [activity]: with DingTalk's SDK / the browser, or, when [simulated] is given,
     * with the simulated DingTalk answering that way.
     */
    fun start(activity: Activity, flow: LoginFlow, simulated: SimulatedAnswer?) {
        val login = app.dingTalkLogin(flow)
        if (simulated == null) {
            val started = when (flow) {
                LoginFlow.LEGACY_SDK -> login.startLegacySdk(activity)
                LoginFlow.NEW_SDK -> login.startNewSdk(activity)
                LoginFlow.BROWSER -> login.startBrowser(activity)
            }
            screen = when (started) {
                is StartResult.Started -> Screen(status = "Waiting for DingTalk…", busy = true)
                is StartResult.NotStarted -> Screen(status = started.error?.let(Messages::describe) ?: Messages.describe(started.problem))
            }
            return
        }
        val request = try {
            login.begin(flow)
        } catch (e: AuthException) {
            screen = Screen(status = Messages.describe(e))
            return
        }
        screen = Screen(status = "The simulated DingTalk is answering…", busy = true)
        val fake = app.settings.fake
        scope.launch {
            try {
                val reply = withContext(Dispatchers.IO) { SimulatedDingTalk(fake).reply(app, request, simulated) }
                app.startActivity(reply) // the same path DingTalk's reply takes
            } catch (e: IOException) {
                runCatching { login.auth.abandon(request) }
                screen = Screen(status = "The simulated DingTalk could not answer: ${e.message}")
            }
        }
    }

    /** A reply arrived at a callback activity (possibly before this process existed). */
    fun onResult(result: LoginResult) {
        if (result is LoginResult.Ignored) {
            // Not a DingTalk reply (another app's intent): never disturbs a login in progress.
            screen = screen.copy(lastResult = result)
            return
        }
        if (result.verdict == ReplyVerdict.NOT_FOR_US) {
            // Not for this login (forged, replayed, another flow's): a passing note, the login waits on.
            screen = screen.copy(status = Messages.describe(result), lastResult = result)
            return
        }
        if (result is LoginResult.AppIdentityMismatch) {
            // The app's setup, not the user: the demo (a developer's tool) shows what to register.
            screen = Screen(
                status = Messages.describe(result) + "\n\nFor the developer: " + result.developerMessage + "\n" +
                    SetupCheck.appIdentity(app).describe(),
                lastResult = result,
            )
            return
        }
        if (result !is LoginResult.Authorized) {
            screen = Screen(status = Messages.describe(result), lastResult = result)
            return
        }
        val answeredBy = result.answeredBy
        screen = Screen(status = Messages.describe(result), busy = true, lastResult = result, answeredBy = answeredBy)
        app.grantDelivery(result.flow).deliver(result.grant)
    }

    /** What the delivery of a grant reached: the screen shows it, then the grant is acknowledged. */
    private fun onDelivery(delivery: GrantDelivery, state: GrantDelivery.State) {
        when (state) {
            is GrantDelivery.State.Idle -> Unit
            // A grant a killed process left is being sent again: the screen says so.
            is GrantDelivery.State.Sending -> if (!screen.busy) screen = Screen(status = "Sending the login to the backend…", busy = true)
            is GrantDelivery.State.Delivered -> {
                val identity = parseIdentity(state.response.body)
                screen = if (identity == null) {
                    val unreadable = AuthException.UnreadableBody("not the reference backend's identity answer")
                    Screen(status = Messages.describe(unreadable), lastResult = screen.lastResult)
                } else {
                    Screen(
                        status = "Logged in as ${identity.nick}.",
                        identity = identity,
                        lastResult = screen.lastResult,
                        answeredBy = screen.answeredBy,
                    )
                }
                delivery.acknowledge()
            }
            is GrantDelivery.State.Failed -> {
                screen = Screen(status = Messages.describe(state.error), lastResult = screen.lastResult)
                delivery.acknowledge()
            }
        }
    }

    override fun close() {
        subscriptions.forEach { it.close() }
        scope.cancel()
    }

    companion object {
        /** The reference backend's answer: `{"nick", "unionId", "flow", …}`; null if it is not that. */
        fun parseIdentity(body: String): Identity? =
            try {
                val o = JSONObject(body)
                Identity(o.getString("nick"), o.getString("unionId"), o.getString("flow"))
            } catch (e: JSONException) {
                null
            }
    }
}
