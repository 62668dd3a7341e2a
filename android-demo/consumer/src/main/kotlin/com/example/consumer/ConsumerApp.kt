package com.example.consumer

import android.app.Activity
import android.app.Application
import android.os.Bundle
import android.widget.TextView
import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import dev.dingtalkauth.android.DingTalkAuthLibrary
import dev.dingtalkauth.android.DingTalkLogin
import dev.dingtalkauth.android.DingTalkLoginOwner
import dev.dingtalkauth.android.DingTalkRedirectActivity
import dev.dingtalkauth.android.GrantDelivery
import dev.dingtalkauth.android.KeystorePendingLoginStore
import dev.dingtalkauth.android.Messages
import dev.dingtalkauth.android.StartResult
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
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
    private val store by lazy { KeystorePendingLoginStore.create(this) }
    private val login by lazy { DingTalkLogin(this, consumerConfig(), store) }

    /** The library's delivery: sends the grant in the process's scope and keeps it until acknowledged. */
    val session by lazy { GrantDelivery(login, store, CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)) }

    override fun dingTalkLogin(flow: LoginFlow) = login

    override fun onCreate() {
        super.onCreate()
        DingTalkAuthLibrary.preload()
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
            when (app.session.state.value) {
                is GrantDelivery.State.Failed -> app.session.retry()
                else -> (login.startBrowser(this) as? StartResult.NotStarted)?.let { text.text = Messages.describe(it.problem) }
            }
        }
        subscription = login.observe { result ->
            text.text = Messages.describe(result)
            app.session.onResult(result)
        }
        stateJob = CoroutineScope(Dispatchers.Main.immediate).launch {
            app.session.state.collect { state ->
                when (state) {
                    // Keep what the backend answered (the app's session) first, then acknowledge: the
                    // grant is dropped only once nothing can lose the answer any more.
                    is GrantDelivery.State.Delivered -> {
                        text.text = "Welcome! ${state.response.body}"
                        app.session.acknowledge()
                    }
                    is GrantDelivery.State.Failed -> text.text = Messages.describe(state.error) + " (tap to retry)"
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
