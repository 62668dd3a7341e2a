// The whole login for each flow: begin → the fake DingTalk mints the code as the DingTalk app (or its
// authorize page redirects as login.dingtalk.com) would → completeSdk / completeBrowser → submit →
// reference backend → fake DingTalk → the identity back in the app.
package dev.dingtalkauth.e2e

import dev.dingtalkauth.*
import dev.dingtalkauth.test.grantOf
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.fail

class LoginE2ETest : E2ETest() {
    private fun check(flow: LoginFlow, platform: Platform = Platform.ANDROID, expected: Map<String, Long>) {
        val before = fake.stats()
        val login = runLogin(flow, platform)
        val grant = grantOf(login.outcome)
        assertEquals(flow, grant.flow())
        assertEquals(platform, grant.platform())
        assertEquals(0u, login.auth.pendingCount())
        assertFalse(grant.redactedDescription().contains(login.code))
        assertFalse(grant.toString().contains(login.code))

        val response = runBlocking { login.auth.submit(grant) }
        assertIdentity(response, login.user, wireName(flow))
        assertFalse(response.body.contains(login.code), "the backend echoed the code")

        // It really went through the fake DingTalk: one exchange, on the flow's endpoints.
        val after = fake.stats()
        for (key in listOf("legacy", "token", "me")) {
            assertEquals(expected[key] ?: 0, (after[key] ?: 0) - (before[key] ?: 0), "requests to the fake's $key endpoint")
        }
    }

    @Test
    fun `legacy SDK on Android logs in end to end`() =
        check(LoginFlow.LEGACY_SDK, expected = mapOf("legacy" to 1L))

    /** The legacy iOS SDK carries no state: the reply is bound to the single pending legacy login. */
    @Test
    fun `legacy SDK on iOS without state logs in end to end`() {
        val auth = makeAuth(LoginFlow.LEGACY_SDK, Platform.IOS)
        val request = auth.begin(LoginFlow.LEGACY_SDK)
        assertNull(request.state)
        assertEquals(env.legacyAppKey, request.clientId)
        assertEquals("sns_login", request.scope)
        val user = FakeDingTalk.user()
        val code = fake.mint("legacy_sdk", request.clientId, user = user)
        val outcome = auth.completeSdk(SdkResponse(LoginFlow.LEGACY_SDK, "0", null, code, null))
        val response = runBlocking { auth.submit(grantOf(outcome)) }
        assertIdentity(response, user, "legacy_sdk")
        assertTrue(isJsonNull(identity(response), "avatarUrl"), "the legacy flow has no avatar: ${response.body}")
    }

    @Test
    fun `new SDK on Android logs in end to end`() =
        check(LoginFlow.NEW_SDK, expected = mapOf("token" to 1L, "me" to 1L))

    @Test
    fun `new SDK on iOS logs in end to end`() =
        check(LoginFlow.NEW_SDK, Platform.IOS, mapOf("token" to 1L, "me" to 1L))

    @Test
    fun `browser flow logs in end to end`() =
        check(LoginFlow.BROWSER, expected = mapOf("token" to 1L, "me" to 1L))

    /** The browser's authorize URL carries what login.dingtalk.com needs, and the fake validated it. */
    @Test
    fun `browser authorize URL carries DingTalk's parameters and the fake shows its consent page`() {
        val auth = makeAuth(LoginFlow.BROWSER)
        val request = auth.begin(LoginFlow.BROWSER)
        val url = request.authorizeUrl ?: fail("browser request without authorizeUrl")
        assertEquals(env.clientId, queryValue(url, "client_id"))
        assertEquals(E2E_REDIRECT_URI, queryValue(url, "redirect_uri"))
        assertEquals("code", queryValue(url, "response_type"))
        assertEquals("consent", queryValue(url, "prompt"))
        assertEquals("openid", queryValue(url, "scope"))
        assertEquals(request.state, queryValue(url, "state"))
        // Mode "page" (the default): the consent page, not a redirect.
        val page = Http.send("GET", url)
        assertEquals(200, page.statusCode(), page.body())
        assertTrue(page.body().contains("id=\"approve\""), page.body())
    }

    /**
     * A device whose clock is two hours off (a Kotlin TimeSource) still logs in: the grant's issuedAtMs
     * is the device's time, and only the backend's clock takes part in DingTalk's signature check.
     */
    @Test
    fun `a device clock two hours off does not stop a login`() {
        val offset = -2 * 3600 * 1000L
        val deviceClock = object : TimeSource {
            override fun nowMs(): Long = System.currentTimeMillis() + offset
        }
        for (flow in listOf(LoginFlow.LEGACY_SDK, LoginFlow.NEW_SDK)) {
            val login = runLogin(flow, time = deviceClock)
            val grant = grantOf(login.outcome)
            val skew = grant.issuedAtMs() - System.currentTimeMillis()
            assertTrue(skew in (offset - 60_000)..(offset + 60_000), "issuedAtMs follows the device clock ($skew ms)")
            assertIdentity(runBlocking { login.auth.submit(grant) }, login.user, wireName(flow))
        }
    }
}
