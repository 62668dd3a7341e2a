package dev.dingtalkauth.test

import dev.dingtalkauth.*
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test

/**
 * Every exported item is reachable from Kotlin with the type the README documents. What the core
 * decides (which state is accepted, which ErrCode means what) is tested once, in Rust; here each value
 * only has to arrive intact and typed.
 */
class SurfaceTest {
    private val clock = ManualClock()
    private val store = RecordingStore()
    private val auth = auth(clock, store)

    @AfterEach fun close() = auth.close()

    @Test
    fun `the generated record's defaults are the documented ones`() {
        val c = AuthConfig(clientId = CLIENT_ID, platform = Platform.ANDROID, flows = listOf(LoginFlow.LEGACY_SDK))
        assertNull(c.redirectUri)
        assertNull(c.backendUrl)
        assertNull(c.scope)
        assertEquals(600u, c.pendingTtlSeconds)
        assertEquals(10_000u, c.connectTimeoutMs)
        assertEquals(30_000u, c.requestTimeoutMs)
        assertNull(c.orgType)
        assertNull(c.corpId)
        assertFalse(c.exclusiveLogin)
        assertNull(c.exclusiveCorpId)
        assertNull(c.authorizeEndpoint)
        // The store argument defaults to none.
        DingTalkAuth(c).use { assertEquals(0u, it.pendingCount()) }
        val s = SdkResponse(flow = LoginFlow.NEW_SDK, errCode = "0")
        assertNull(s.message)
        assertNull(s.code)
        assertNull(s.state)
    }

    @Test
    fun `every AuthConfig field reaches the core`() {
        val cfg = config(
            scope = OAuthScope.OPENID_CORPID, orgType = "management", corpId = "dingcorp1", exclusiveLogin = true,
            exclusiveCorpId = "dingcorp2", authorizeEndpoint = "http://127.0.0.1:7000/oauth2/auth", ttlSeconds = 5,
        )
        auth(clock, RecordingStore(), cfg).use { a ->
            val req = a.begin(LoginFlow.BROWSER)
            val url = req.authorizeUrl!!
            assertTrue(url.startsWith("http://127.0.0.1:7000/oauth2/auth?"), url)
            for (part in listOf("client_id=$CLIENT_ID", "scope=openid%20corpid", "org_type=management",
                "corpId=dingcorp1", "exclusiveLogin=true", "exclusiveCorpId=dingcorp2")) {
                assertTrue(url.contains(part), "$part missing from $url")
            }
            assertEquals(START_MS + 5_000, req.expiresAtMs)
            assertEquals("openid corpid", req.scope)
        }
    }

    @Test
    fun `LoginRequest carries every field, per flow`() {
        val legacy = auth.begin(LoginFlow.LEGACY_SDK)
        assertEquals(LoginFlow.LEGACY_SDK, legacy.flow)
        assertEquals(CLIENT_ID, legacy.clientId)
        assertWellFormedState(legacy.state)
        assertEquals("sns_login", legacy.scope)
        assertNull(legacy.nonce)
        assertNull(legacy.authorizeUrl)
        assertEquals(START_MS + TTL_SECONDS * 1000L, legacy.expiresAtMs)

        val newSdk = auth.begin(LoginFlow.NEW_SDK)
        assertEquals("openid", newSdk.scope)
        assertTrue(newSdk.nonce!!.length >= 16)
        assertEquals(REDIRECT_URI, newSdk.redirectUri)
        assertNull(newSdk.authorizeUrl)

        val browser = auth.begin(LoginFlow.BROWSER)
        assertTrue(browser.authorizeUrl!!.startsWith("https://login.dingtalk.com/oauth2/auth?"))
        assertTrue(browser.authorizeUrl!!.contains("state=${browser.state}"))
        // The exported Debug text (toString) keeps the state out.
        assertFalse(browser.toString().contains(browser.state!!), browser.toString())
        assertCount(3, auth)
    }

    @Test
    fun `every LoginOutcome variant arrives with its fields`() {
        fun complete(errCode: String, code: String? = null, message: String? = null): LoginOutcome =
            auth.completeSdk(reply(LoginFlow.NEW_SDK, errCode, auth.begin(LoginFlow.NEW_SDK).state, message, code))
        // Exhaustive `when` over the sealed class: a new outcome kind fails compilation here.
        fun kind(outcome: LoginOutcome) = when (outcome) {
            is LoginOutcome.Authorized -> "authorized"
            is LoginOutcome.Cancelled -> "cancelled"
            is LoginOutcome.Denied -> "denied"
            is LoginOutcome.AppIdentityMismatch -> "app identity mismatch"
            is LoginOutcome.Failed -> "failed"
        }
        val app = AnsweredBy.UNKNOWN // the test replies carry no `type`
        assertEquals("authorized", kind(complete("0", code = CODE)))
        assertEquals(LoginOutcome.Cancelled("m", app), complete("-2", message = "m"))
        assertEquals(LoginOutcome.Denied(null, app), complete("-4"))
        val mismatch = complete("-4", message = "key check error")
        assertTrue(mismatch is LoginOutcome.AppIdentityMismatch && mismatch.dingtalkMessage == "key check error" &&
            mismatch.developerMessage.contains("package name"), "$mismatch")
        assertEquals(ErrorHandling.FIX_APP_SETUP, outcomeHandling(mismatch))
        assertEquals(MessageKey.APP_IDENTITY_MISMATCH, outcomeMessage(mismatch).key)
        assertEquals(LoginOutcome.Failed(FailureReason.SEND_FAILED, -3, "m", app), complete("-3", message = "m"))
        assertEquals(LoginOutcome.Failed(FailureReason.UNKNOWN, Int.MIN_VALUE, null, app), complete(Int.MIN_VALUE.toString()))
        val browser = auth.begin(LoginFlow.BROWSER).state
        assertEquals(
            LoginOutcome.Failed(FailureReason.BROWSER_ERROR, null, "server_error", AnsweredBy.BROWSER),
            auth.completeBrowser("$REDIRECT_URI?error=server_error&state=$browser"),
        )
        // The new SDK's `type` extra says which path answered.
        val web = auth.completeSdk(
            SdkResponse(LoginFlow.NEW_SDK, "0", code = CODE, state = auth.begin(LoginFlow.NEW_SDK).state, replyType = "web"),
        )
        assertEquals(AnsweredBy.DING_TALK_WEB_FALLBACK, (web as LoginOutcome.Authorized).answeredBy)
        // Every FailureReason constant exists in the generated enum.
        assertEquals(
            setOf("COMMON_FAILURE", "SEND_FAILED", "UNSUPPORTED", "UNKNOWN", "BROWSER_ERROR"),
            FailureReason.entries.map { it.name }.toSet(),
        )
    }

    @Test
    fun `AuthGrant's methods return the grant's values and its text hides the code`() {
        val state = auth.begin(LoginFlow.LEGACY_SDK).state
        clock.advanceMs(1234)
        val outcome = auth.completeSdk(ok(LoginFlow.LEGACY_SDK, state))
        grantOf(outcome).use { grant ->
            assertEquals(LoginFlow.LEGACY_SDK, grant.flow())
            assertEquals(CLIENT_ID, grant.clientId())
            assertEquals(Platform.ANDROID, grant.platform())
            assertEquals("sns_login", grant.scope())
            assertEquals(START_MS + 1234, grant.issuedAtMs())
            assertTrue(Regex("^[A-Za-z0-9_-]{43}$").matches(grant.idempotencyKey()))
            assertTrue(grant.toJson().contains("\"code\":\"$CODE\""), "the JSON for the backend carries the code")
            for (text in listOf(grant.toString(), grant.redactedDescription(), outcome.toString())) {
                assertFalse(text.contains(CODE), "code leaked: $text")
                assertFalse(text.contains(state!!), "state leaked: $text")
            }
        }
    }

    @Test
    fun `the decisions exported for the platform layers are reachable and typed`() {
        val handling: ErrorHandling = errorHandling(AuthException.StateUnknown())
        assertEquals(ErrorHandling.IGNORE_REPLY, handling)
        val refused: UserMessage = errorMessage(AuthException.BackendRejected(409.toUShort(), "{}"))
        assertEquals(MessageKey.SERVER_REFUSED, refused.key)
        assertTrue(refused.text.contains("409"), refused.text)
        assertEquals(MessageKey.CANCELLED, outcomeMessage(LoginOutcome.Cancelled(null, AnsweredBy.DING_TALK_APP)).key)
        assertEquals(MessageKey.NO_BROWSER, startProblemMessage(StartProblem.NO_BROWSER).key)
        val limits: ReplyLimits = replyLimits()
        assertTrue(listOf(limits.maxStateLen, limits.maxCodeLen, limits.maxErrCodeLen, limits.maxMessageChars,
            limits.maxCallbackUrlLen).all { it > 0u }, "$limits")
        // The default argument (no redirect URI) is generated too.
        assertEquals(CallbackKind.SDK_REPLY, classifyCallbackUrl("$CLIENT_ID://reply?x=1", listOf(CLIENT_ID)))
        assertEquals(CallbackKind.BROWSER_REDIRECT, classifyCallbackUrl("$REDIRECT_URI?authCode=x", emptyList(), REDIRECT_URI))
        assertEquals(CallbackKind.OTHER, classifyCallbackUrl("https://other.example.com/", listOf(CLIENT_ID), REDIRECT_URI))
        // Which replies may end a waiting login or be kept, a failed begin as a start problem, and how
        // serious a missing DingTalk is: each decided in Rust, reachable here.
        assertEquals(ReplyVerdict.NOT_FOR_US, replyVerdict(LoginReply.Refused(LoginFlow.NEW_SDK, AuthException.StateUnknown())))
        assertEquals(ReplyVerdict.LOGIN_FAILED, replyVerdict(LoginReply.Refused(LoginFlow.NEW_SDK, AuthException.StateExpired())))
        assertEquals(
            ReplyVerdict.ANSWER,
            replyVerdict(LoginReply.Outcome(LoginFlow.BROWSER, LoginOutcome.Denied(null, AnsweredBy.BROWSER))),
        )
        assertEquals(StartProblem.STORAGE_FAILED, startProblemOf(AuthException.Store("disk full")))
        assertEquals(SetupSeverity.ERROR, dingtalkUnavailableSeverity(listOf(LoginFlow.LEGACY_SDK), Platform.ANDROID))
        assertNull(dingtalkUnavailableSeverity(listOf(LoginFlow.BROWSER), Platform.IOS))
    }

    @Test
    fun `abandon forgets a login whose launch failed`() {
        val request = auth.begin(LoginFlow.BROWSER)
        assertEquals(32, request.pendingLoginId.length)
        assertEquals(1u, auth.pendingCount())
        auth.abandon(request)
        assertEquals(0u, auth.pendingCount())
    }

    @Test
    fun `discard and pendingCount`() {
        val keep = auth.begin(LoginFlow.BROWSER).state!!
        val drop = auth.begin(LoginFlow.BROWSER).state!!
        assertCount(2, auth)
        auth.discard(drop)
        assertCount(1, auth)
        grantOf(auth.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=$keep"))
        assertCount(0, auth)
    }

    @Test
    fun `initLogging is callable more than once and the last level wins`() {
        // The host build logs to the process's stderr (fd 2), which the JVM cannot intercept: point fd 2
        // at a file for the duration, through libc.
        val file = kotlin.io.path.createTempFile("dingtalk-log", ".txt").toFile()
        val libc = com.sun.jna.NativeLibrary.getInstance("c")
        fun call(name: String, vararg args: Any): Int = libc.getFunction(name).invokeInt(args)
        val saved = call("dup", 2)
        val fd = call("open", file.absolutePath, 0x41 /* O_WRONLY | O_CREAT */, 0x180 /* 0600 */)
        assertTrue(saved >= 0 && fd >= 0)
        try {
            call("dup2", fd, 2)
            DingTalkAuth(config(), null).use { a ->
                initLogging(LogLevel.WARN)
                a.begin(LoginFlow.NEW_SDK)            // an INFO line: filtered out
                initLogging(LogLevel.INFO)
                a.begin(LoginFlow.BROWSER)            // now written
                initLogging(LogLevel.ERROR)
                a.begin(LoginFlow.LEGACY_SDK)         // filtered out again
            }
        } finally {
            call("dup2", saved, 2)
            call("close", fd)
            call("close", saved)
        }
        val log = file.readText()
        file.delete()
        assertTrue(log.contains("began a browser login"), log)
        assertFalse(log.contains("began a new_sdk login"), log)
        assertFalse(log.contains("began a legacy_sdk login"), log)
        assertEquals(setOf("ERROR", "WARN", "INFO", "DEBUG", "TRACE"), LogLevel.entries.map { it.name }.toSet())
    }
}
