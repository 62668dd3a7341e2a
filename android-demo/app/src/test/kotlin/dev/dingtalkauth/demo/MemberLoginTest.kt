// An internal app's login (the backend scripts/with-demo-servers.sh starts with --corp-id): the demo reads
// the backend's answer with the core's readLoginAnswer and shows the organisation's member: name, title,
// departments. JVM only: the emulator run in hosted CI has no member backend.
package dev.dingtalkauth.demo

import androidx.test.core.app.ActivityScenario
import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.android.LoginResult
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class MemberLoginTest : DemoTest() {
    private fun need(name: String): String =
        System.getenv(name)?.takeIf { it.isNotEmpty() }
            ?: fail("$name is not set: run scripts/test-android.sh, which starts the servers") as Nothing

    @Test
    fun memberLoginShowsNameTitleAndDepartments() {
        val backend = need("DINGTALK_DEMO_MEMBER_BACKEND")
        val fake = need("DINGTALK_DEMO_MEMBER_FAKE")
        val corp = need("DINGTALK_DEMO_MEMBER_CORP")
        onMain {
            app.forgetEverythingInMemory()
            DemoSettings(backend, fake, servers.legacyAppKey, servers.clientId, simulate = true).save(app)
            subscribeResults()
        }
        ActivityScenario.launch(MainActivity::class.java).use { main ->
            val request = begin(LoginFlow.NEW_SDK)
            // The fake organisation's one member, as DingTalk's account side knows them.
            val member = SimulatedDingTalk.User("Android member", "fakeUnionId0001", "open-member")
            val result = deliverOne(SimulatedDingTalk(fake).reply(app, request, SimulatedAnswer.APPROVE, member))
            assertTrue("got $result", result is LoginResult.Authorized)
            val screen = awaitScreen("the member") { it.identity != null || !it.busy }
            val m = screen.identity?.member ?: fail("no member on the screen: ${screen.status}") as Nothing
            assertEquals(corp, m.corpId)
            assertEquals("fakeUserId0001", m.userId)
            assertEquals("张三", m.name)
            assertEquals("Engineer", m.title)
            assertEquals(listOf(1uL), m.departmentIds)
            assertNull("personal data only when the backend's operator enables it", m.mobile)
            assertEquals("Logged in as 张三.", screen.status)
            main.onActivity {
                val shown = it.identity.text.toString()
                for (part in listOf("张三", "Engineer", "departments 1")) assertTrue(shown, shown.contains(part))
            }
        }
    }

    @Test
    fun aPlainBackendsIdentityHasNoMember() {
        ActivityScenario.launch(MainActivity::class.java).use { main ->
            val request = begin(LoginFlow.NEW_SDK)
            val user = SimulatedDingTalk.User.random()
            deliverOne(simulator.reply(app, request, SimulatedAnswer.APPROVE, user))
            val screen = awaitScreen("the identity") { it.identity != null || !it.busy }
            assertEquals(screen.status, Identity(user.nick, user.unionId, "new_sdk"), screen.identity)
            main.onActivity { assertTrue(!it.identity.text.contains("departments")) }
        }
    }
}
