// An internal app's backend (DINGTALK_DEMO_MEMBER_*, started with `--corp-id`): every login is resolved to
// a member of the fake's organisation, and the app reads that member typed, with `readLoginAnswer`.
package dev.dingtalkauth.e2e

import dev.dingtalkauth.*
import dev.dingtalkauth.test.grantOf
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.fail

class MemberE2ETest : E2ETest() {
    /** The fake organisation's one member, as DingTalk's account side knows them (server/fake's default user). */
    private val memberAccount = buildJsonObject {
        put("nick", "Kotlin E2E member")
        put("unionId", "fakeUnionId0001")
        put("openId", "open-member")
    }

    private fun memberLogin(flow: LoginFlow, user: kotlinx.serialization.json.JsonObject = memberAccount) =
        runLogin(flow, backend = env.memberBackend, via = memberFake, user = user)

    @Test
    fun `every flow's answer carries the member, typed`() {
        for (flow in LoginFlow.entries) {
            val login = memberLogin(flow)
            val response = runBlocking { login.auth.submit(grantOf(login.outcome)) }
            val answer = readLoginAnswer(response)
            assertEquals(wireName(flow), answer.flow)
            assertEquals("fakeUnionId0001", answer.unionId)
            assertEquals(identity(response).str("sessionToken"), answer.sessionToken)
            val member = answer.member ?: fail("$flow: no member in ${response.body}")
            assertEquals(env.memberCorp, member.corpId)
            assertEquals("fakeUserId0001", member.userId)
            assertEquals("张三", member.name)
            assertEquals("Engineer", member.title)
            assertEquals(listOf(1uL), member.departmentIds)
            assertEquals(false, member.admin)
            assertEquals(true, member.active)
            // Personal data only when the backend's operator enables it; the demo backend does not.
            assertNull(member.mobile)
            assertNull(member.email)
            // Printing the answer (logs) never shows the session token.
            assertFalse(answer.toString().contains(answer.sessionToken), answer.toString())
            assertTrue(answer.toString().contains("fakeUserId0001"), answer.toString())
        }
    }

    @Test
    fun `an account outside the organisation is refused, and a plain backend's answer has no member`() {
        val outsider = memberLogin(LoginFlow.NEW_SDK, user = FakeDingTalk.user())
        expectRejected(outsider.auth, grantOf(outsider.outcome), 403, "not_org_member", retryable = false)

        val plain = runLogin(LoginFlow.NEW_SDK)
        val answer = readLoginAnswer(runBlocking { plain.auth.submit(grantOf(plain.outcome)) })
        assertEquals(plain.user.str("unionId"), answer.unionId)
        assertNull(answer.member)
    }

    @Test
    fun `a body that is not a login answer is UnreadableBody naming the field, never the body`() {
        val body = """{"flow":"new_sdk","unionId":"u","openId":"o","nick":"n","sessionToken":"SECRET-TOKEN","expiresIn":60,"member":{"corpId":"c","userId":7}}"""
        val e = try {
            readLoginAnswer(BackendResponse(200u, body))
            fail("a member without a string userId was read")
        } catch (e: AuthException.UnreadableBody) {
            e
        }
        assertTrue(e.reason.contains("member.userId"), e.reason)
        assertFalse(e.toString().contains("SECRET"), e.toString())
        assertEquals(ErrorHandling.LOG_IN_AGAIN, errorHandling(e))
    }
}
