package dev.dingtalkauth.demo

import android.app.Activity
import dev.dingtalkauth.AnsweredBy
import dev.dingtalkauth.AuthException
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.OrgMember
import dev.dingtalkauth.ReplyVerdict
import dev.dingtalkauth.readLoginAnswer
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

/**
 * Who the backend says logged in; for an internal app's backend (configured with the organisation's
 * corp id) also the organisation's [member].
 */
data class Identity(val nick: String, val unionId: String, val flow: String, val member: OrgMember? = null)

/** The screen's lines for [member]: name, title, departments (the ids the organisation gave them). */
fun describeMember(member: OrgMember): String = listOfNotNull(
    member.name ?: member.userId,
    member.title?.takeIf { it.isNotEmpty() },
    member.departmentIds?.let { "departments ${it.joinToString()}" },
).joinToString("\n")

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
 * activities publish, sends a grant to the backend and turns the answer into an [Identity] or a
 * sentence. Main thread only.
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
        val flow = result.flow
        app.dingTalkLogin(flow).submit(result.grant, scope) { answer ->
            screen = answer.fold(
                onSuccess = { response ->
                    try {
                        // The core reads the reference backend's answer; an unreadable one is UnreadableBody.
                        val answer = readLoginAnswer(response)
                        val identity = Identity(answer.nick, answer.unionId, answer.flow, answer.member)
                        val name = answer.member?.name ?: answer.nick
                        Screen(status = "Logged in as $name.", identity = identity, lastResult = result, answeredBy = answeredBy)
                    } catch (e: AuthException) {
                        Screen(status = Messages.describe(e), lastResult = result)
                    }
                },
                onFailure = { e ->
                    Screen(
                        status = Messages.describe(e as? AuthException ?: AuthException.Internal(e.toString())),
                        lastResult = result,
                    )
                },
            )
        }
    }

    override fun close() {
        subscriptions.forEach { it.close() }
        scope.cancel()
    }
}
