package dev.dingtalkauth.test

import dev.dingtalkauth.*
import java.net.URI
import java.net.URLDecoder
import java.nio.charset.StandardCharsets.UTF_8
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource

/** The browser flow: the authorize URL we build and the callback URL DingTalk redirects to. */
class BrowserTest {
    private val clock = ManualClock()
    private val store = RecordingStore()
    private val auth = auth(clock, store)

    @AfterEach fun close() = auth.close()

    private fun query(url: String): List<Pair<String, String>> =
        URI(url).rawQuery.split('&').map {
            val (k, v) = it.split('=', limit = 2)
            URLDecoder.decode(k, UTF_8) to URLDecoder.decode(v, UTF_8)
        }

    @Test
    fun `authorize URL carries every parameter DingTalk needs`() {
        val req = auth.begin(LoginFlow.BROWSER)
        val url = req.authorizeUrl!!
        assertTrue(url.startsWith("https://login.dingtalk.com/oauth2/auth?"), url)
        val q = query(url).toMap()
        assertEquals(CLIENT_ID, q["client_id"])
        assertEquals(REDIRECT_URI, q["redirect_uri"])
        assertEquals(req.state, q["state"])
        assertEquals("code", q["response_type"])
        assertEquals("consent", q["prompt"])
        assertEquals("openid", q["scope"])
        // The redirect URI is percent-encoded, not pasted raw.
        assertFalse(URI(url).rawQuery.contains("redirect_uri=https://"))
        assertEquals("openid", req.scope)
        assertEquals(REDIRECT_URI, req.redirectUri)
        assertNull(req.nonce)
        // Each parameter appears once.
        assertEquals(query(url).size, q.size)
    }

    @Test
    fun `scope openid corpid is encoded as percent-20 and org options are passed`() {
        val cfg = config(scope = OAuthScope.OPENID_CORPID, orgType = "management", corpId = "dingcorp1",
            exclusiveLogin = true, exclusiveCorpId = "dingcorp2")
        auth(clock, RecordingStore(), cfg).use { a ->
            val url = a.begin(LoginFlow.BROWSER).authorizeUrl!!
            assertTrue(url.contains("scope=openid%20corpid"), url)
            val q = query(url).toMap()
            assertEquals("openid corpid", q["scope"])
            assertEquals("management", q["org_type"])
            assertEquals("dingcorp1", q["corpId"])
            assertEquals("true", q["exclusiveLogin"])
            assertEquals("dingcorp2", q["exclusiveCorpId"])
        }
        assertFalse(auth.begin(LoginFlow.BROWSER).authorizeUrl!!.contains("exclusiveLogin=true"))
    }

    @Test
    fun `authCode and state complete the login`() {
        val req = auth.begin(LoginFlow.BROWSER)
        val grant = grantOf(auth.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=${req.state}"))
        assertEquals(LoginFlow.BROWSER, grant.flow())
        assertTrue(grant.toJson().contains("\"code\":\"$CODE\""))
        assertCount(0, auth)
    }

    @Test
    fun `parameter order, extra parameters and percent-encoding are tolerated`() {
        val req = auth.begin(LoginFlow.BROWSER)
        val encodedCode = CODE.substring(0, 4) + "%" + "%02X".format(CODE[4].code) + CODE.substring(5)
        val grant = grantOf(auth.completeBrowser("$REDIRECT_URI?state=${req.state}&foo=bar&authCode=$encodedCode"))
        assertTrue(grant.toJson().contains("\"code\":\"$CODE\""))
    }

    @Test
    fun `a replayed callback is StateReused`() {
        val req = auth.begin(LoginFlow.BROWSER)
        val url = "$REDIRECT_URI?authCode=$CODE&state=${req.state}"
        grantOf(auth.completeBrowser(url))
        expectAuthError<AuthException.StateReused>(CODE, req.state) { auth.completeBrowser(url) }
    }

    @Test
    fun `a callback after the ttl is StateExpired`() {
        val req = auth.begin(LoginFlow.BROWSER)
        clock.advanceSeconds(TTL_SECONDS + 1L)
        expectAuthError<AuthException.StateExpired>(CODE, req.state) {
            auth.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=${req.state}")
        }
    }

    @Test
    fun `authCode without state is StateMissing, unknown state is StateUnknown`() {
        auth.begin(LoginFlow.BROWSER)
        expectAuthError<AuthException.StateMissing>(CODE) { auth.completeBrowser("$REDIRECT_URI?authCode=$CODE") }
        expectAuthError<AuthException.StateUnknown>(CODE) { auth.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=${"Q".repeat(43)}") }
        assertCount(1, auth)
    }

    @Test
    fun `error=access_denied is Denied and consumes the login`() {
        val req = auth.begin(LoginFlow.BROWSER)
        assertEquals(LoginOutcome.Denied, auth.completeBrowser("$REDIRECT_URI?error=access_denied&state=${req.state}"))
        assertCount(0, auth)
    }

    @Test
    fun `any other error is Failed BROWSER_ERROR with the error text and no number`() {
        val req = auth.begin(LoginFlow.BROWSER)
        val outcome = auth.completeBrowser("$REDIRECT_URI?error=server_error&state=${req.state}")
        assertEquals(LoginOutcome.Failed(FailureReason.BROWSER_ERROR, null, "server_error"), outcome)
        assertCount(0, auth)
    }

    @ParameterizedTest
    @ValueSource(strings = [
        "http://app.example.com/dingtalk/callback",          // scheme
        "https://evil.example.com/dingtalk/callback",        // host
        "https://app.example.com.evil.com/dingtalk/callback",// host suffix trick
        "https://app.example.com:8443/dingtalk/callback",    // port
        "https://app.example.com/dingtalk/callback2",        // path
        "https://app.example.com/dingtalk",                  // path prefix
        "https://app.example.com/DINGTALK/callback",         // path case
        "myapp://app.example.com/dingtalk/callback",         // custom scheme
        "https://user@evil.example.com/dingtalk/callback",   // userinfo
    ])
    fun `a callback that is not the redirect URI is InvalidCallback`(base: String) {
        val req = auth.begin(LoginFlow.BROWSER)
        expectAuthError<AuthException.InvalidCallback>(CODE, req.state) {
            auth.completeBrowser("$base?authCode=$CODE&state=${req.state}")
        }
        assertCount(1, auth) // nothing consumed by a forged callback
    }

    @Test
    fun `the redirect URI with an explicit default port and upper-case host still matches`() {
        val req = auth.begin(LoginFlow.BROWSER)
        grantOf(auth.completeBrowser("https://APP.example.com:443/dingtalk/callback?authCode=$CODE&state=${req.state}"))
    }

    @ParameterizedTest
    @ValueSource(strings = [
        "authCode={code}&authCode={code}x&state={state}",
        "authCode={code}&state={state}&state={state}",
        "error=access_denied&error=x&state={state}",
        "auth%43ode={code}&authCode={code}&state={state}",   // an encoded name is still the same name
    ])
    fun `duplicated parameters are InvalidCallback`(q: String) {
        val state = auth.begin(LoginFlow.BROWSER).state!!
        expectAuthError<AuthException.InvalidCallback>(CODE, state) {
            auth.completeBrowser("$REDIRECT_URI?" + q.replace("{state}", state).replace("{code}", CODE))
        }
        assertCount(1, auth)
    }

    @ParameterizedTest
    @ValueSource(strings = ["", "?", "?state={state}", "?foo=bar", "?authCode=&state={state}",
        "?authCode={code}&error=access_denied&state={state}", "?authCode=a%20b&state={state}"])
    fun `missing or contradictory parts are InvalidCallback`(q: String) {
        val state = auth.begin(LoginFlow.BROWSER).state!!
        expectAuthError<AuthException.InvalidCallback>(CODE, state) {
            auth.completeBrowser(REDIRECT_URI + q.replace("{state}", state).replace("{code}", CODE))
        }
        assertCount(1, auth)
    }

    @ParameterizedTest
    @ValueSource(strings = ["not a url", "", "https://", "/dingtalk/callback?authCode=x&state=y", "https://app.example.com/dingtalk/callback?authCode=%ZZ&state=x"])
    fun `garbage is InvalidCallback`(url: String) {
        expectAuthError<AuthException.InvalidCallback>(CODE) { auth.completeBrowser(url) }
    }

    @Test
    fun `an oversized callback is InvalidCallback before anything else`() {
        val req = auth.begin(LoginFlow.BROWSER)
        val padding = "x".repeat(9 * 1024)
        expectAuthError<AuthException.InvalidCallback>(CODE, req.state) {
            auth.completeBrowser("$REDIRECT_URI?authCode=$CODE&state=${req.state}&pad=$padding")
        }
        expectAuthError<AuthException.InvalidCallback>(CODE) { auth.completeBrowser("x".repeat(1_000_000)) }
        assertCount(1, auth)
        // Just under the limit is fine.
        val fits = "$REDIRECT_URI?authCode=$CODE&state=${req.state}&pad="
        grantOf(auth.completeBrowser(fits + "y".repeat(8 * 1024 - fits.length)))
    }

    @Test
    fun `a fragment-carried answer is not accepted as query`() {
        val req = auth.begin(LoginFlow.BROWSER)
        expectAuthError<AuthException.InvalidCallback>(CODE, req.state) {
            auth.completeBrowser("$REDIRECT_URI#authCode=$CODE&state=${req.state}")
        }
    }
}
