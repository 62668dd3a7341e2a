package dev.dingtalkauth.test

import dev.dingtalkauth.*
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test

/**
 * Core rules that no Rust test pins yet. They belong in core's tests (core/src/config.rs
 * `each_bad_field_is_named`, core/tests/login.rs); each moves there and leaves this file, which then goes.
 */
class NotYetInRustTest {
    private val clock = ManualClock()
    private val auth = auth(clock, RecordingStore())

    @AfterEach fun close() = auth.close()

    @Test
    fun `an exclusive corp id with a space and a zero request timeout are refused by name`() {
        for ((bad, field) in listOf(config(exclusiveCorpId = "a b") to "exclusive_corp_id",
            config(requestTimeoutMs = 0) to "request_timeout_ms")) {
            val e = expectAuthError<AuthException.InvalidConfig> { DingTalkAuth(bad, null).close() }
            assertTrue(e.reason.contains(field), e.reason)
        }
    }

    @Test
    fun `a state of exactly 1024 characters is only unknown, one more is malformed`() {
        expectAuthError<AuthException.StateUnknown>(CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, "a".repeat(1024))) }
        expectAuthError<AuthException.StateMalformed>(CODE) { auth.completeSdk(ok(LoginFlow.NEW_SDK, "a".repeat(1025))) }
    }

    @Test
    fun `discard forgets unknown states quietly and refuses what cannot be a state`() {
        auth.discard("nothing-like-this")
        expectAuthError<AuthException.StateMalformed> { auth.discard("") }
        expectAuthError<AuthException.StateMalformed> { auth.discard("a b") }
    }

    @Test
    fun `only the iOS legacy flow is stateless`() {
        auth.begin(LoginFlow.LEGACY_SDK)
        expectAuthError<AuthException.StateMissing>(CODE) { auth.completeSdk(ok(LoginFlow.LEGACY_SDK, null)) }
        auth(clock, RecordingStore(), config(platform = Platform.IOS)).use { ios ->
            assertWellFormedState(ios.begin(LoginFlow.NEW_SDK).state)
            expectAuthError<AuthException.StateMissing>(CODE) { ios.completeSdk(ok(LoginFlow.NEW_SDK, null)) }
        }
    }
}
