package dev.dingtalkauth.android

import dev.dingtalkauth.AuthException
import dev.dingtalkauth.FailureReason
import dev.dingtalkauth.LoginFlow

/** A sentence for the user (English) for every result and error; apps translate or replace them. */
object Messages {
    /** The flow as users know it. */
    fun flow(flow: LoginFlow?) = when (flow) {
        LoginFlow.LEGACY_SDK -> "DingTalk (legacy SDK)"
        LoginFlow.NEW_SDK -> "DingTalk"
        LoginFlow.BROWSER -> "DingTalk in the browser"
        null -> "DingTalk"
    }

    /** What happened to a reply. */
    fun describe(result: LoginResult): String = when (result) {
        is LoginResult.Authorized -> "DingTalk confirmed your login. Signing you in…"
        is LoginResult.Cancelled -> "You cancelled the login in ${flow(result.flow)}."
        is LoginResult.Denied -> "You declined to share your DingTalk identity with this app."
        is LoginResult.Failed -> when (result.reason) {
            FailureReason.UNSUPPORTED -> "This version of DingTalk does not support logging in to other apps. Please update DingTalk."
            FailureReason.SEND_FAILED -> "The login request could not be sent to DingTalk. Please try again."
            FailureReason.BROWSER_ERROR -> "DingTalk's login page reported a problem (${result.message ?: "no details"})."
            else -> "DingTalk could not complete the login" +
                (result.errCode?.let { " (code $it)" } ?: "") + ". Please try again."
        }
        is LoginResult.Refused -> describe(result.error)
        is LoginResult.Ignored -> when (result.reason) {
            IgnoredReason.NO_LOGIN -> "The app is not set up to receive DingTalk logins."
            IgnoredReason.SDK_MISSING -> "This app cannot read replies from that DingTalk SDK."
            else -> "A message that was not a DingTalk login reply was ignored."
        }
    }

    /** A sentence for a core error (from begin, a reply, or submit). */
    fun describe(error: AuthException): String = when (error) {
        is AuthException.StateExpired -> "The login took too long. Please start again."
        is AuthException.StateReused -> "This login reply was already used. Please start again."
        is AuthException.StateUnknown, is AuthException.FlowMismatch, is AuthException.StateMalformed ->
            "A login reply that does not belong to a login started on this device was ignored."
        is AuthException.StateMissing -> "A login reply without its security check was ignored."
        is AuthException.NoPendingLogin, is AuthException.AmbiguousPendingLogin ->
            "No login is waiting for this reply. Please start again."
        is AuthException.InvalidResponse, is AuthException.InvalidCallback ->
            "DingTalk's reply could not be understood, so it was ignored."
        is AuthException.Network -> "Could not reach the server. Check your connection and try again."
        is AuthException.Timeout -> "The server took too long to answer. Please try again."
        is AuthException.BackendRejected -> "The server refused the login (HTTP ${error.status})."
        is AuthException.UnreadableBody -> "The server's answer could not be read."
        is AuthException.HttpUnavailable -> "This app cannot contact its server."
        is AuthException.Store -> "The device could not store the login in progress. Please try again."
        is AuthException.InvalidConfig -> "The app's DingTalk login is misconfigured (${error.reason})."
        else -> "The login failed unexpectedly. Please try again."
    }

    /** Why a flow did not start. */
    fun describe(problem: StartProblem): String = when (problem) {
        StartProblem.CONFIG -> "This login method is not enabled in the app."
        StartProblem.DINGTALK_NOT_INSTALLED -> "DingTalk is not installed. Install it, or log in with the browser."
        StartProblem.DINGTALK_TOO_OLD -> "This version of DingTalk is too old. Please update it."
        StartProblem.SDK_MISSING -> "This app was built without that DingTalk SDK."
        StartProblem.SEND_FAILED -> "The login request could not be handed to DingTalk."
        StartProblem.NO_BROWSER -> "No browser is installed to open DingTalk's login page."
    }
}
