package com.example.consumer

import android.app.Activity
import android.app.Application
import android.os.Bundle
import android.widget.TextView
import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.AuthException
import dev.dingtalkauth.AuthGrant
import dev.dingtalkauth.BackendResponse
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import dev.dingtalkauth.android.DingTalkAuthLibrary
import dev.dingtalkauth.android.DingTalkLogin
import dev.dingtalkauth.android.DingTalkLoginOwner
import dev.dingtalkauth.android.DingTalkRedirectActivity
import dev.dingtalkauth.android.KeystorePendingLoginStore
import dev.dingtalkauth.android.LoginResult
import dev.dingtalkauth.android.Messages
import dev.dingtalkauth.android.StartResult
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch

/** The browser flow's configuration; the backend is the reference backend's `POST /v1/login`. */
fun consumerConfig(backend: String = "https://api.example.com") = AuthConfig(
    clientId = "dingxxxxxxxxxxxx",
    platform = Platform.ANDROID,
    flows = listOf(LoginFlow.BROWSER),
    redirectUri = "https://app.example.com/dingtalk/callback",
    backendUrl = "$backend/v1/login",
)

/** One DingTalkLogin for the process, and the login in progress, both outliving any activity. */
class ConsumerApp : Application(), DingTalkLoginOwner {
    private val login by lazy { DingTalkLogin(this, consumerConfig(), KeystorePendingLoginStore.create(this)) }
    val session by lazy { GrantDelivery(login, CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)) }

    override fun dingTalkLogin(flow: LoginFlow) = login

    override fun onCreate() {
        super.onCreate()
        DingTalkAuthLibrary.preload()
    }
}

/**
 * Sends the grant in a scope that outlives the activity (a rotation does not cancel it) and keeps the
 * grant until the backend answered: a failed submit can be retried with [retry], which sends the same
 * grant and so the same idempotency key (the backend exchanges the code once and answers the retry
 * with the same result).
 */
class GrantDelivery(private val login: DingTalkLogin, private val scope: CoroutineScope) {
    sealed class State {
        object Idle : State()
        class Sending(val grant: AuthGrant) : State()
        class Failed(val grant: AuthGrant, val error: AuthException) : State()
        class LoggedIn(val response: BackendResponse) : State()
    }

    private val mutableState = MutableStateFlow<State>(State.Idle)
    val state: StateFlow<State> = mutableState

    /** Called with each login result; sends an authorized one's grant. */
    fun onResult(result: LoginResult) {
        if (result is LoginResult.Authorized) send(result.grant)
    }

    /** Sends a failed grant again (same idempotency key). */
    fun retry() {
        (state.value as? State.Failed)?.let { send(it.grant) }
    }

    private fun send(grant: AuthGrant) {
        mutableState.value = State.Sending(grant)
        scope.launch {
            mutableState.value = try {
                State.LoggedIn(login.submit(grant))
            } catch (e: AuthException) {
                State.Failed(grant, e)
            }
        }
    }
}

/** The redirect URI's activity: the library reads the reply and hands it to the observers. */
class RedirectActivity : DingTalkRedirectActivity()

class LoginActivity : Activity() {
    private var subscription: AutoCloseable? = null
    private var stateJob: kotlinx.coroutines.Job? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val app = application as ConsumerApp
        val login = app.dingTalkLogin(LoginFlow.BROWSER)
        val text = TextView(this).apply { text = "Log in with DingTalk" }.also(::setContentView)
        text.setOnClickListener {
            (login.startBrowser(this) as? StartResult.NotStarted)?.let { text.text = Messages.describe(it.problem) }
        }
        subscription = login.observe { result ->
            text.text = Messages.describe(result)
            app.session.onResult(result)
        }
        stateJob = CoroutineScope(Dispatchers.Main.immediate).launch {
            app.session.state.collect { state ->
                when (state) {
                    is GrantDelivery.State.LoggedIn -> text.text = "Welcome! ${state.response.body}"
                    is GrantDelivery.State.Failed -> text.text = Messages.describe(state.error)
                    else -> Unit
                }
            }
        }
    }

    override fun onDestroy() {
        subscription?.close()
        stateJob?.cancel()
        super.onDestroy()
    }
}
