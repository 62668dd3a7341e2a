package dev.dingtalkauth.android

import dev.dingtalkauth.AuthException
import dev.dingtalkauth.AuthGrant
import dev.dingtalkauth.FailureReason
import dev.dingtalkauth.LoginFlow

/**
 * What became of one intent that reached a callback activity. Every intent ends as exactly one of these:
 * a hostile or broken intent is [Ignored] or [Refused], never an exception and never [Authorized].
 */
sealed class LoginResult {
    /** The flow the reply was for, as far as it is known. */
    abstract val flow: LoginFlow?

    /** DingTalk approved the login this device started: send [grant] to your backend. */
    class Authorized(override val flow: LoginFlow, val grant: AuthGrant) : LoginResult() {
        override fun toString() = "Authorized($flow, ${grant.redactedDescription()})"
    }

    /** The user backed out in DingTalk or closed the page. */
    data class Cancelled(override val flow: LoginFlow) : LoginResult()

    /** The user refused to log in. */
    data class Denied(override val flow: LoginFlow) : LoginResult()

    /** DingTalk reported another failure (`reason`, DingTalk's ErrCode and message when it gave them). */
    data class Failed(
        override val flow: LoginFlow,
        val reason: FailureReason,
        val errCode: Int?,
        val message: String?,
    ) : LoginResult()

    /**
     * The core refused the reply: its state names no login of this device (forged, tampered, replayed,
     * from another app), the login expired, or the reply is malformed. The real pending login, if any,
     * is untouched; the app should not treat this as the end of the user's login.
     */
    class Refused(override val flow: LoginFlow?, val error: AuthException) : LoginResult() {
        override fun toString() = "Refused($flow, ${error::class.simpleName})"
    }

    /** The intent is not a reply at all (no or unreadable extras, not valid text, too large). */
    data class Ignored(override val flow: LoginFlow?, val reason: IgnoredReason) : LoginResult()
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
    /** The app has no [DingTalkLogin] to hand the reply to (see [DingTalkLoginOwner]). */
    NO_LOGIN,
    /** The SDK this reply needs is not in the app. */
    SDK_MISSING,
}
