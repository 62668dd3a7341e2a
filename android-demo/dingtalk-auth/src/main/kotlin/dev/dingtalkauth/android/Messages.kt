package dev.dingtalkauth.android

import dev.dingtalkauth.AuthException
import dev.dingtalkauth.UserMessage
import dev.dingtalkauth.errorMessage
import dev.dingtalkauth.outcomeMessage
import dev.dingtalkauth.startProblemMessage

/**
 * The sentence for the user about every result, error and start problem. The sentences and their
 * [UserMessage.key]s are the core's (`errorMessage`, `outcomeMessage`, `startProblemMessage`), the same
 * the Swift layer shows; apps that translate look their text up by key.
 */
object Messages {
    /** What happened to a reply. */
    fun message(result: LoginResult): UserMessage = when (result) {
        is LoginResult.Refused -> errorMessage(result.error)
        is LoginResult.Ignored -> message(result.reason)
        is LoginResult.Authorized, is LoginResult.Cancelled, is LoginResult.Denied,
        is LoginResult.AppIdentityMismatch, is LoginResult.Failed -> outcomeMessage(result.outcome()!!)
    }

    /** A core error (from begin, a reply, or submit). */
    fun message(error: AuthException): UserMessage = errorMessage(error)

    /** Why a flow did not start. */
    fun message(problem: StartProblem): UserMessage = startProblemMessage(problem)

    /**
     * An intent this layer dropped before the core saw it: the core's sentence for what it would have
     * said had it read it (an unreadable reply, an app without a login for the flow, a missing SDK).
     */
    private fun message(reason: IgnoredReason): UserMessage = when (reason) {
        IgnoredReason.NO_LOGIN, IgnoredReason.LOGIN_CLOSED ->
            errorMessage(AuthException.InvalidConfig("the app has no usable DingTalkLogin for this flow"))
        IgnoredReason.SDK_MISSING -> startProblemMessage(StartProblem.SDK_MISSING)
        IgnoredReason.NOT_A_REPLY, IgnoredReason.INVALID_TEXT, IgnoredReason.TOO_LONG, IgnoredReason.UNREADABLE_EXTRAS ->
            errorMessage(AuthException.InvalidResponse(reason.name.lowercase()))
    }

    /** [message]'s sentence. */
    fun describe(result: LoginResult): String = message(result).text

    /** [message]'s sentence. */
    fun describe(error: AuthException): String = message(error).text

    /** [message]'s sentence. */
    fun describe(problem: StartProblem): String = message(problem).text
}
