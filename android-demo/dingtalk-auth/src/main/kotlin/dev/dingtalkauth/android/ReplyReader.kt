package dev.dingtalkauth.android

import android.content.Intent
import android.os.Bundle
import com.android.dingtalk.openauth.utils.DDAuthConstant
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.SdkResponse
import dev.dingtalkauth.replyLimits

/**
 * Turns what arrives at the exported callback activities into the core's inputs, or says why not.
 * Any app on the device can send these activities anything, so every value is checked before the core
 * sees it: the generated Kotlin throws a non-[dev.dingtalkauth.AuthException] on text that is not valid
 * UTF-16, and a value longer than the core's own limit ([replyLimits]) is not worth copying out of
 * the intent: the core would refuse it anyway. (The limits count UTF-8 bytes, these checks UTF-16
 * units, never more than the bytes: nothing the core would take is dropped.)
 */
object ReplyReader {
    private val limits = replyLimits()

    /** The longest `state` the core accepts. */
    val MAX_STATE: Int get() = limits.maxStateLen.toInt()
    /** The longest auth code the core accepts. */
    val MAX_CODE: Int get() = limits.maxCodeLen.toInt()
    /** The longest DingTalk message the core keeps, in characters (a longer one is cut). */
    val MAX_MESSAGE: Int get() = limits.maxMessageChars.toInt()
    /** The longest new-SDK error code ("0", "-2", …) the core reads. */
    val MAX_ERROR_CODE: Int get() = limits.maxErrCodeLen.toInt()
    /** The longest new-SDK `type` extra the core reads. */
    val MAX_REPLY_TYPE: Int get() = limits.maxReplyTypeLen.toInt()
    /** The longest callback URL the core accepts. */
    val MAX_CALLBACK_URL: Int get() = limits.maxCallbackUrlLen.toInt()

    /** A reply made ready for the core, or the reason it was dropped. */
    sealed class Read<out T> {
        /** Ready for the core. */
        data class Ok<T>(val value: T) : Read<T>()
        /** Dropped before the core. */
        data class Dropped(val reason: IgnoredReason) : Read<Nothing>()
    }

    /** True if [s] has no unpaired surrogate (so it encodes to UTF-8). */
    fun isWellFormedUtf16(s: CharSequence): Boolean {
        var i = 0
        while (i < s.length) {
            val c = s[i]
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length || !Character.isLowSurrogate(s[i + 1])) return false
                i += 2
                continue
            }
            if (Character.isLowSurrogate(c)) return false
            i++
        }
        return true
    }

    private class Drop(val reason: IgnoredReason) : Exception()

    /** A value that must be exact (state, code): absent stays absent; bad text or too long drops the reply. */
    private fun exact(value: String?, max: Int): String? {
        if (value == null) return null
        if (value.length > max) throw Drop(IgnoredReason.TOO_LONG)
        if (!isWellFormedUtf16(value)) throw Drop(IgnoredReason.INVALID_TEXT)
        return value
    }

    /**
     * DingTalk's free-text message: informational only, so it is cleaned instead of dropping the reply
     * (the core cuts it to its own length).
     */
    private fun message(value: String?): String? {
        if (value == null || isWellFormedUtf16(value)) return value
        val b = StringBuilder(value.length)
        var i = 0
        while (i < value.length) {
            val c = value[i]
            when {
                Character.isHighSurrogate(c) && i + 1 < value.length && Character.isLowSurrogate(value[i + 1]) -> {
                    b.append(c).append(value[i + 1]); i += 2; continue
                }
                Character.isSurrogate(c) -> b.append('\uFFFD')
                else -> b.append(c)
            }
            i++
        }
        return b.toString()
    }

    private inline fun <T> guarded(block: () -> T): Read<T> =
        try {
            Read.Ok(block())
        } catch (d: Drop) {
            Read.Dropped(d.reason)
        } catch (e: RuntimeException) {
            // BadParcelableException, ClassCastException inside a Bundle, …: a sender's doing, not ours.
            Read.Dropped(IgnoredReason.UNREADABLE_EXTRAS)
        }

    /**
     * The legacy SDK's reply (DDShare `BaseResp` / `SendAuth.Resp` fields, as received). [errCode] is
     * `mErrCode`; [code] and [state] are `SendAuth.Resp.code` / `.state` (absent for other responses).
     */
    fun legacy(errCode: Int, errStr: String?, code: String?, state: String?): Read<SdkResponse> = guarded {
        SdkResponse(
            flow = LoginFlow.LEGACY_SDK,
            errCode = errCode.toString(),
            message = message(errStr),
            code = exact(code, MAX_CODE),
            state = exact(state, MAX_STATE),
        )
    }

    /**
     * The new SDK's reply: the string extras [DDAuthConstant] names on the intent to
     * `<applicationId>.ddauth.DDAuthActivity` (`authCode`, `state`, `error`, and `type`: `app` when
     * DingTalk answered, `web` when the SDK's own web login did). The web login sends an empty string
     * for each parameter its redirect lacked, so an empty value counts as absent. (The names are the
     * SDK's compile-time constants: Kotlin copies them here, so reading a reply never loads the SDK.)
     */
    fun newSdk(intent: Intent?): Read<SdkResponse> = guarded {
        val extras: Bundle = intent?.extras ?: throw Drop(IgnoredReason.NOT_A_REPLY)
        // getString returns null for a value of another type (it logs the ClassCastException).
        fun extra(name: String, max: Int) = exact(extras.getString(name)?.takeIf { it.isNotEmpty() }, max)
        val code = extra(DDAuthConstant.CALLBACK_EXTRA_AUTH_CODE, MAX_CODE)
        val state = extra(DDAuthConstant.CALLBACK_EXTRA_STATE, MAX_STATE)
        // An ErrCode ("0", "-2", "-4"), or from the web fallback the login page's own `error` value
        // (`access_denied`, …), which the core reads like DingTalk's message: up to its length, counted
        // in characters (at most two UTF-16 units each).
        val error = extra(DDAuthConstant.CALLBACK_EXTRA_ERROR, maxOf(MAX_ERROR_CODE, 2 * MAX_MESSAGE))
        val errCode = when {
            error != null -> error
            code != null -> "0"
            else -> throw Drop(IgnoredReason.NOT_A_REPLY)
        }
        // Which path answered: informational (the core reads an unknown or missing one as UNKNOWN), so a
        // value the core would not take is passed as absent rather than dropping a genuine reply.
        val type = extras.getString(DDAuthConstant.CALLBACK_EXTRA_TYPE)
            ?.takeIf { it.length <= MAX_REPLY_TYPE && isWellFormedUtf16(it) }
        SdkResponse(flow = LoginFlow.NEW_SDK, errCode = errCode, message = null, code = code, state = state, replyType = type)
    }

    /** The browser flow's redirect: an `ACTION_VIEW` intent whose data is the callback URL. */
    fun redirect(intent: Intent?): Read<String> = guarded {
        if (intent == null || intent.action != Intent.ACTION_VIEW) throw Drop(IgnoredReason.NOT_A_REPLY)
        val url = intent.dataString ?: throw Drop(IgnoredReason.NOT_A_REPLY)
        exact(url, MAX_CALLBACK_URL)!!
    }
}
