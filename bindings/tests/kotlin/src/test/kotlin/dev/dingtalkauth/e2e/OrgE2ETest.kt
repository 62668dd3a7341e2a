// The backend with a corpId allow-list (DINGTALK_DEMO_ORG_*, scope openid corpid): a user who picked an
// organisation that is not on the list gets 403 corp_not_allowed; one on the list gets in, with the corpId
// in the identity; scope openid cannot prove an organisation and is refused before DingTalk is called.
package dev.dingtalkauth.e2e

import dev.dingtalkauth.*
import dev.dingtalkauth.test.grantOf
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.fail

class OrgE2ETest : E2ETest() {
    private fun orgLogin(flow: LoginFlow, corpId: String, scope: OAuthScope = OAuthScope.OPENID_CORPID) =
        runLogin(flow, backend = env.orgBackend, via = orgFake, scope = scope, user = FakeDingTalk.user(corpId))

    @Test
    fun `new SDK user of an organisation not on the list is 403 corp_not_allowed`() {
        val login = orgLogin(LoginFlow.NEW_SDK, "dingcorp-other")
        assertEquals("openid corpid", login.request.scope)
        val grant = grantOf(login.outcome)
        expectRejected(login.auth, grant, 403, "corp_not_allowed", retryable = false, secret = login.code)
        // The code is spent: the same grant gets the same answer.
        expectRejected(login.auth, grant, 403, "corp_not_allowed", retryable = false)
    }

    @Test
    fun `new SDK user of the allowed organisation logs in with its corpId`() {
        val login = orgLogin(LoginFlow.NEW_SDK, env.allowedCorp)
        val response = runBlocking { login.auth.submit(grantOf(login.outcome)) }
        assertIdentity(response, login.user, "new_sdk", corpId = env.allowedCorp)
    }

    @Test
    fun `browser user of an organisation not on the list is 403 corp_not_allowed`() {
        val login = orgLogin(LoginFlow.BROWSER, "dingcorp-other")
        assertEquals("openid corpid", queryValue(login.request.authorizeUrl ?: fail("no authorizeUrl"), "scope"))
        expectRejected(login.auth, grantOf(login.outcome), 403, "corp_not_allowed", secret = login.code)
    }

    @Test
    fun `browser user of the allowed organisation logs in with its corpId`() {
        val login = orgLogin(LoginFlow.BROWSER, env.allowedCorp)
        val response = runBlocking { login.auth.submit(grantOf(login.outcome)) }
        assertIdentity(response, login.user, "browser", corpId = env.allowedCorp)
    }

    /** Scope openid cannot prove the organisation: refused before DingTalk is called. */
    @Test
    fun `scope openid against the allow-list is 403 corp_scope_required without calling DingTalk`() {
        val before = orgFake.stats()
        val login = orgLogin(LoginFlow.NEW_SDK, env.allowedCorp, scope = OAuthScope.OPENID)
        assertEquals("openid", login.request.scope)
        expectRejected(login.auth, grantOf(login.outcome), 403, "corp_scope_required", retryable = false)
        assertEquals(before["token"], orgFake.stats()["token"], "DingTalk was called")
    }

    /** Without an allow-list, the corpId (scope openid corpid) is passed through. */
    @Test
    fun `the plain backend returns the corpId of scope openid corpid`() {
        val login = runLogin(LoginFlow.NEW_SDK, scope = OAuthScope.OPENID_CORPID, user = FakeDingTalk.user("dingcorp-any"))
        val response = runBlocking { login.auth.submit(grantOf(login.outcome)) }
        assertIdentity(response, login.user, "new_sdk", corpId = "dingcorp-any")
    }
}
