package dev.dingtalkauth.android

import dev.dingtalkauth.AnsweredBy
import dev.dingtalkauth.AuthException
import dev.dingtalkauth.AuthGrant
import dev.dingtalkauth.ErrorHandling
import dev.dingtalkauth.FailureReason
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.LoginOutcome
import dev.dingtalkauth.LoginReply
import dev.dingtalkauth.ReplyVerdict
import dev.dingtalkauth.errorHandling
import dev.dingtalkauth.replyVerdict

/**
 * What became of one intent that reached a callback activity. Every intent ends as exactly one of these:
 * a hostile or broken intent is [Ignored] or [Refused], never an exception and never [Authorized].
 */
sealed class LoginResult {
    /** The flow the reply was for, as far as it is known. */
    abstract val flow: LoginFlow?

    /**
     * DingTalk approved the login this device started: send [grant] to your backend. [answeredBy] says
     * which path answered (DingTalk itself, the new SDK's web login, the browser): useful in support logs.
     */
    class Authorized(override val flow: LoginFlow, val grant: AuthGrant, val answeredBy: AnsweredBy) : LoginResult() {
        override fun toString() = "Authorized($flow, ${grant.redactedDescription()}, $answeredBy)"
    }

    /** The user backed out in DingTalk or closed the page. [dingtalkMessage] is for logs, never the user. */
    data class Cancelled(override val flow: LoginFlow, val dingtalkMessage: String?, val answeredBy: AnsweredBy) : LoginResult()

    /** The user refused to log in. [dingtalkMessage] is for logs, never the user. */
    data class Denied(override val flow: LoginFlow, val dingtalkMessage: String?, val answeredBy: AnsweredBy) : LoginResult()

    /**
     * DingTalk did not recognise the app (ErrCode -4 with `key check error`): the package name or the
     * signing certificate is not the one registered in DingTalk's console. Not the user's refusal: the
     * app's setup. [developerMessage] says what to register (see [SetupCheck.appIdentity] for this build's
     * values).
     */
    data class AppIdentityMismatch(
        override val flow: LoginFlow,
        val dingtalkMessage: String?,
        val developerMessage: String,
        val answeredBy: AnsweredBy,
    ) : LoginResult()

    /** DingTalk reported another failure (`reason`, DingTalk's ErrCode and message when it gave them). */
    data class Failed(
        override val flow: LoginFlow,
        val reason: FailureReason,
        val errCode: Int?,
        val dingtalkMessage: String?,
        val answeredBy: AnsweredBy,
    ) : LoginResult()

    /**
     * The core refused the reply. [handling] says what to do: usually [ErrorHandling.IGNORE_REPLY] (its
     * state names no login of this device: forged, tampered, replayed, from another app, or malformed;
     * the real pending login, if any, is untouched and keeps waiting), [ErrorHandling.START_AGAIN] when
     * this login can no longer finish (it expired).
     */
    class Refused(override val flow: LoginFlow?, val error: AuthException) : LoginResult() {
        /** What the app should do about [error] (the core's classification, the same on iOS). */
        val handling: ErrorHandling get() = errorHandling(error)

        override fun toString() = "Refused($flow, ${error::class.simpleName})"
    }

    /** The intent is not a reply at all (no or unreadable extras, not valid text, too large). */
    data class Ignored(override val flow: LoginFlow?, val reason: IgnoredReason) : LoginResult()

    /** DingTalk's verdict, for the results that carry one. */
    internal fun outcome(): LoginOutcome? = when (this) {
        is Authorized -> LoginOutcome.Authorized(grant, answeredBy)
        is Cancelled -> LoginOutcome.Cancelled(dingtalkMessage, answeredBy)
        is Denied -> LoginOutcome.Denied(dingtalkMessage, answeredBy)
        is AppIdentityMismatch -> LoginOutcome.AppIdentityMismatch(dingtalkMessage, developerMessage, answeredBy)
        is Failed -> LoginOutcome.Failed(reason, errCode, dingtalkMessage, answeredBy)
        is Refused, is Ignored -> null
    }

    /** This result as the core's [LoginReply] (what [dev.dingtalkauth.UndeliveredReplies] keeps); null if it never reached the core. */
    internal fun toReply(): LoginReply? {
        val flow = flow ?: return null
        return when (this) {
            is Refused -> LoginReply.Refused(flow, error)
            is Ignored -> null
            else -> LoginReply.Outcome(flow, outcome()!!)
        }
    }

    /**
     * Whether this result concerns a login this device began: the core's verdict on the reply
     * ([replyVerdict]; the same rule on iOS). [ReplyVerdict.ANSWER]: DingTalk's verdict on our login;
     * [ReplyVerdict.LOGIN_FAILED]: our login cannot finish (it expired, the store failed, …);
     * [ReplyVerdict.NOT_FOR_US]: anything any app could have sent, and every [Ignored] intent. Only the
     * first two may end a waiting login, bring the app back or be kept for a screen that is not there yet.
     */
    val verdict: ReplyVerdict get() = toReply()?.let(::replyVerdict) ?: ReplyVerdict.NOT_FOR_US

    internal companion object {
        /** What [outcome] of a [flow] reply is. */
        fun of(flow: LoginFlow, outcome: LoginOutcome): LoginResult = when (outcome) {
            is LoginOutcome.Authorized -> Authorized(flow, outcome.grant, outcome.answeredBy)
            is LoginOutcome.Cancelled -> Cancelled(flow, outcome.dingtalkMessage, outcome.answeredBy)
            is LoginOutcome.Denied -> Denied(flow, outcome.dingtalkMessage, outcome.answeredBy)
            is LoginOutcome.AppIdentityMismatch ->
                AppIdentityMismatch(flow, outcome.dingtalkMessage, outcome.developerMessage, outcome.answeredBy)
            is LoginOutcome.Failed -> Failed(flow, outcome.reason, outcome.errCode, outcome.dingtalkMessage, outcome.answeredBy)
        }

        /** A reply the core kept while nobody observed. */
        fun of(reply: LoginReply): LoginResult = when (reply) {
            is LoginReply.Outcome -> of(reply.flow, reply.outcome)
            is LoginReply.Refused -> Refused(reply.flow, reply.error)
        }
    }
}

/** Why an intent was [LoginResult.Ignored]. */
enum class IgnoredReason {
    /** Nothing that looks like a DingTalk reply (no code, no error, no URL). */
    NOT_A_REPLY,
    /** A value is not valid UTF-16 text (an unpaired surrogate), so it cannot have come from DingTalk. */
    INVALID_TEXT,
    /** A value is longer than DingTalk ever sends. */
    TOO_LONG,
    /** Reading the intent's extras failed (a malformed Parcel, a wrong type). */
    UNREADABLE_EXTRAS,
    /** The app has no [DingTalkLogin] to hand the reply to (see [DingTalkLoginOwner]), or building it failed. */
    NO_LOGIN,
    /** The [DingTalkLogin] the reply reached was closed: the app's doing, not the sender's. */
    LOGIN_CLOSED,
    /** The SDK this reply needs is not in the app. */
    SDK_MISSING,
}
