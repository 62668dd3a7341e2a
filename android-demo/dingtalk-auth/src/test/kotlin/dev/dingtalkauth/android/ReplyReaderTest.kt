package dev.dingtalkauth.android

import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.DingTalkAuth
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import dev.dingtalkauth.SdkResponse
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class ReplyReaderTest {
    @Test
    fun wellFormedUtf16() {
        assertTrue(ReplyReader.isWellFormedUtf16("abc\uD83D\uDE00"))
        assertFalse(ReplyReader.isWellFormedUtf16("\uD83D"))
        assertFalse(ReplyReader.isWellFormedUtf16("\uDE00x"))
        assertFalse(ReplyReader.isWellFormedUtf16("x\uD83Dy"))
    }

    /** Why the reader exists: the generated Kotlin throws a non-AuthException on such text today. */
    @Test
    fun theBindingsThrowSomethingElseOnAnUnpairedSurrogate() {
        DingTalkAuth(AuthConfig("dingx", Platform.ANDROID, listOf(LoginFlow.LEGACY_SDK))).use { auth ->
            // The generated code encodes strings to UTF-8 with REPORT on malformed input: a
            // CharacterCodingException, not an AuthException, which an exported activity must never let escape.
            try {
                auth.completeSdk(SdkResponse(LoginFlow.LEGACY_SDK, "0", null, "code", "\uD800"))
                fail("accepted")
            } catch (e: java.nio.charset.CharacterCodingException) {
                // expected
            }
            val read = ReplyReader.legacy(0, null, "code", "\uD800")
            assertEquals(ReplyReader.Read.Dropped(IgnoredReason.INVALID_TEXT), read)
        }
    }

    @Test
    fun messagesAreCleanedNotDropped() {
        val read = ReplyReader.legacy(-1, "bad\uD800" + "m".repeat(2000) + "\uDE00", null, "s") as ReplyReader.Read.Ok
        assertEquals("bad\uFFFD" + "m".repeat(2000) + "\uFFFD", read.value.message)
        assertEquals("-1", read.value.errCode)
    }

    /** The limits are the core's: one character more than it accepts is dropped here, not copied. */
    @Test
    fun valuesOverTheCoresLimitsAreDropped() {
        val limits = dev.dingtalkauth.replyLimits()
        val state = "s".repeat(limits.maxStateLen.toInt())
        assertTrue(ReplyReader.legacy(0, null, "c", state) is ReplyReader.Read.Ok)
        assertEquals(ReplyReader.Read.Dropped(IgnoredReason.TOO_LONG), ReplyReader.legacy(0, null, "c", state + "s"))
        val code = "c".repeat(limits.maxCodeLen.toInt() + 1)
        assertEquals(ReplyReader.Read.Dropped(IgnoredReason.TOO_LONG), ReplyReader.legacy(0, null, code, "s"))
    }
}
