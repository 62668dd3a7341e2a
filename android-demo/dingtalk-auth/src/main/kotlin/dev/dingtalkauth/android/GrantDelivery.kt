package dev.dingtalkauth.android

import dev.dingtalkauth.AuthException
import dev.dingtalkauth.AuthGrant
import dev.dingtalkauth.BackendResponse
import dev.dingtalkauth.KeptGrant
import dev.dingtalkauth.PendingLoginStore
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/**
 * Sends the grant of an authorized login to your backend and keeps it until you [acknowledge] the
 * outcome, so that nothing between DingTalk's reply and the backend's answer loses the login:
 *
 * - a rotation or leaving the screen does not cancel the send: it runs in [scope], which should live
 *   as long as the process (the Application's), and [state] keeps the answer for the next screen;
 * - if the OS kills the app during the send, the grant is in [store] (the same store as the pending
 *   logins, e.g. [KeystorePendingLoginStore]), and the next process's `GrantDelivery` sends it again
 *   on creation;
 * - a failed send is repeated by [retry].
 *
 * Every repeat sends the same grant with the same `Idempotency-Key`, so the backend exchanges the
 * single-use code once and answers repeats with the first exchange's result. What is kept, for how
 * long (15 minutes: as long as the backend answers the idempotency key) and when it is dropped is the core's `KeptGrant`; this class only runs
 * the send and publishes its [State]. Call its methods on the main thread.
 *
 * @param store the store the grant is kept in; null keeps it in memory (survives a rotation, not
 *   process death).
 * @throws AuthException.Store if [store] fails while looking for a grant left by a previous process.
 */
class GrantDelivery(
    private val login: DingTalkLogin,
    store: PendingLoginStore?,
    private val scope: CoroutineScope,
) {
    /** Where the delivery is. */
    sealed class State {
        /** No grant to deliver: log in. */
        object Idle : State() {
            override fun toString() = "Idle"
        }

        /** [grant] is on its way to the backend. */
        class Sending(val grant: AuthGrant) : State() {
            override fun toString() = "Sending(${grant.redactedDescription()})"
        }

        /** The backend took [grant] and answered [response]: show it, then [acknowledge]. */
        class Delivered(val grant: AuthGrant, val response: BackendResponse) : State() {
            override fun toString() = "Delivered(${grant.redactedDescription()}, HTTP ${response.status})"
        }

        /** Sending [grant] failed with [error]: [retry], or show it and [acknowledge]. */
        class Failed(val grant: AuthGrant, val error: AuthException) : State() {
            override fun toString() = "Failed(${grant.redactedDescription()}, $error)"
        }
    }

    private val kept = KeptGrant(store, login.config.clientId)
    private val mutableState = MutableStateFlow<State>(State.Idle)
    private var sending: Job? = null

    /** The delivery's state; a screen created after a rotation or process death collects it anew. */
    val state: StateFlow<State> = mutableState.asStateFlow()

    init {
        // A previous process kept a grant and died before the app acknowledged it: send it again.
        kept.current()?.let(::send)
    }

    /** Keeps [grant] and sends it (a grant being sent before is superseded: the user logged in again). */
    fun deliver(grant: AuthGrant) {
        try {
            kept.keep(grant)
        } catch (e: AuthException) {
            sending?.cancel()
            mutableState.value = State.Failed(grant, e)
            return
        }
        send(grant)
    }

    /** [deliver]s the grant of an [LoginResult.Authorized]; ignores every other result. */
    fun onResult(result: LoginResult) {
        if (result is LoginResult.Authorized) deliver(result.grant)
    }

    /**
     * Sends the kept grant again after a failure. If it can no longer be delivered (older than the
     * backend's 15-minute idempotency window), the state becomes [State.Idle]: the user logs in again.
     */
    fun retry() {
        if (state.value !is State.Failed) return
        val grant = kept.current()
        if (grant == null) mutableState.value = State.Idle else send(grant)
    }

    /** The app has shown the outcome ([State.Delivered] or [State.Failed]): drops the grant. */
    fun acknowledge() {
        val grant = when (val s = state.value) {
            is State.Delivered -> s.grant
            is State.Failed -> s.grant
            else -> return
        }
        kept.acknowledge(grant.idempotencyKey())
        mutableState.value = State.Idle
    }

    private fun send(grant: AuthGrant) {
        sending?.cancel()
        val attempt = State.Sending(grant)
        mutableState.value = attempt
        sending = scope.launch {
            val outcome = try {
                State.Delivered(grant, login.submit(grant))
            } catch (e: AuthException) {
                State.Failed(grant, e)
            }
            // A newer send (or an acknowledge) replaced this attempt meanwhile: its outcome wins.
            mutableState.compareAndSet(attempt, outcome)
        }
    }
}
