package dev.dingtalkauth.test

import dev.dingtalkauth.*
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test

/**
 * Core rules that no Rust test pins yet. They belong in core/tests/login.rs; each moves there and leaves
 * this file, which then goes.
 */
class NotYetInRustTest {
    private val clock = ManualClock()
    private val auth = auth(clock, RecordingStore())

    @AfterEach fun close() = auth.close()

    @Test
    fun `discard forgets unknown states quietly and refuses what cannot be a state`() {
        auth.discard("nothing-like-this")
        expectAuthError<AuthException.StateMalformed> { auth.discard("") }
        expectAuthError<AuthException.StateMalformed> { auth.discard("a b") }
    }

    @Test
    fun `an Android legacy success without state is StateMissing`() {
        auth.begin(LoginFlow.LEGACY_SDK)
        expectAuthError<AuthException.StateMissing>(CODE) { auth.completeSdk(ok(LoginFlow.LEGACY_SDK, null)) }
    }
}
