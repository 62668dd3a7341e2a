package dev.dingtalkauth.test

import dev.dingtalkauth.*
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test

/** A bad configuration is refused when the object is built, with a message naming the field. */
class ConfigTest {
    private fun refused(cfg: AuthConfig, field: String) {
        val e = expectAuthError<AuthException.InvalidConfig> { DingTalkAuth(cfg, null).close() }
        assertTrue(e.message!!.contains(field), "message should name $field: ${e.message}")
        // withTimeSource validates the same way.
        expectAuthError<AuthException.InvalidConfig> { DingTalkAuth.withTimeSource(cfg, null, ManualClock()).close() }
    }

    @Test
    fun `a good config builds, with or without a store`() {
        DingTalkAuth(config(), null).close()
        DingTalkAuth(config(backendUrl = "https://api.example.com/login"), RecordingStore()).close()
        DingTalkAuth(config(backendUrl = "http://127.0.0.1:8080/login"), null).close()
        DingTalkAuth(config(backendUrl = "http://10.0.2.2:8080/login"), null).close()
        DingTalkAuth(config(backendUrl = "http://localhost:8080/login"), null).close()
        DingTalkAuth(config(platform = Platform.IOS, redirectUri = "http://127.0.0.1:9000/cb"), null).close()
    }

    @Test fun `empty client id`() = refused(config(clientId = ""), "client_id")
    @Test fun `client id with whitespace`() = refused(config(clientId = "ding abc"), "client_id")
    @Test fun `client id too long`() = refused(config(clientId = "d".repeat(129)), "client_id")
    @Test fun `redirect uri over plain http to a public host`() = refused(config(redirectUri = "http://app.example.com/cb"), "redirect_uri")
    @Test fun `redirect uri with a fragment`() = refused(config(redirectUri = "https://app.example.com/cb#x"), "redirect_uri")
    @Test fun `redirect uri that is not a URL`() = refused(config(redirectUri = "not a url"), "redirect_uri")
    @Test fun `backend over plain http to a public host`() = refused(config(backendUrl = "http://api.example.com/login"), "backend_url")
    @Test fun `backend with another scheme`() = refused(config(backendUrl = "ftp://api.example.com/"), "backend_url")
    @Test fun `backend without host`() = refused(config(backendUrl = "https:///login"), "backend_url")
    @Test fun `zero ttl`() = refused(config(ttlSeconds = 0), "pending_ttl_seconds")
    @Test fun `ttl over an hour`() = refused(config(ttlSeconds = 3601), "pending_ttl_seconds")
    @Test fun `zero connect timeout`() = refused(config(connectTimeoutMs = 0), "connect_timeout_ms")
    @Test fun `zero request timeout`() = refused(config(requestTimeoutMs = 0), "request_timeout_ms")
    @Test fun `request timeout over five minutes`() = refused(config(requestTimeoutMs = 300_001), "request_timeout_ms")
    @Test fun `empty corp id`() = refused(config(corpId = ""), "corp_id")
    @Test fun `org type with a tab`() = refused(config(orgType = "a\tb"), "org_type")
    @Test fun `exclusive corp id with a space`() = refused(config(exclusiveCorpId = "a b"), "exclusive_corp_id")

    @Test fun `no flow enabled`() = refused(config(flows = emptyList()), "flows")
    @Test fun `a flow listed twice`() = refused(config(flows = listOf(LoginFlow.BROWSER, LoginFlow.BROWSER)), "flows")
    @Test fun `new SDK without a redirect uri`() = refused(config(flows = listOf(LoginFlow.NEW_SDK), redirectUri = null), "redirect_uri")
    @Test fun `browser without a redirect uri`() = refused(config(flows = listOf(LoginFlow.BROWSER), redirectUri = null), "redirect_uri")
    @Test fun `authorize endpoint over plain http to a public host`() =
        refused(config(authorizeEndpoint = "http://login.example.com/oauth2/auth"), "authorize_endpoint")

    @Test
    fun `a legacy-only app needs no redirect uri, and other flows are refused`() {
        DingTalkAuth.withTimeSource(config(flows = listOf(LoginFlow.LEGACY_SDK), redirectUri = null), null, ManualClock()).use {
            assertWellFormedState(it.begin(LoginFlow.LEGACY_SDK).state)
            val e = expectAuthError<AuthException.InvalidConfig> { it.begin(LoginFlow.NEW_SDK) }
            assertTrue(e.reason.contains("flows"), e.reason)
            expectAuthError<AuthException.InvalidConfig> { it.begin(LoginFlow.BROWSER) }
            expectAuthError<AuthException.InvalidConfig>(CODE) { it.completeSdk(ok(LoginFlow.NEW_SDK, "S".repeat(43))) }
            expectAuthError<AuthException.InvalidConfig>(CODE) {
                it.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=${"S".repeat(43)}")
            }
            assertCount(1, it)
        }
    }

    @Test
    fun `an SDK answer that claims to be a browser answer is InvalidResponse`() {
        DingTalkAuth.withTimeSource(config(), null, ManualClock()).use {
            val state = it.begin(LoginFlow.BROWSER).state
            expectAuthError<AuthException.InvalidResponse>(CODE, state) { it.completeSdk(ok(LoginFlow.BROWSER, state)) }
            assertCount(1, it)
        }
    }

    @Test
    fun `a loopback authorize endpoint (fake DingTalk) is used in the browser URL`() {
        DingTalkAuth.withTimeSource(config(authorizeEndpoint = "http://127.0.0.1:7000/oauth2/auth"), null, ManualClock()).use {
            assertTrue(it.begin(LoginFlow.BROWSER).authorizeUrl!!.startsWith("http://127.0.0.1:7000/oauth2/auth?"))
        }
    }

    @Test
    fun `the defaults of the generated record are the documented ones`() {
        val c = AuthConfig(clientId = CLIENT_ID, platform = Platform.ANDROID, flows = listOf(LoginFlow.LEGACY_SDK))
        assertNull(c.redirectUri)
        assertNull(c.backendUrl)
        assertNull(c.scope)
        assertEquals(600u, c.pendingTtlSeconds)
        assertEquals(10_000u, c.connectTimeoutMs)
        assertEquals(30_000u, c.requestTimeoutMs)
        assertFalse(c.exclusiveLogin)
        assertNull(c.authorizeEndpoint)
        DingTalkAuth(c).use { assertEquals(0u, it.pendingCount()) }
    }

    @Test
    fun `init logging is callable more than once and the last level wins`() {
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
    }
}
