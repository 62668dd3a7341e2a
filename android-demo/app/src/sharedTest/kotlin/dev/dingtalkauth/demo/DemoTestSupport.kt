// Shared by the JVM tests (src/test, Robolectric) and the instrumented tests (src/androidTest, an
// emulator in hosted CI): the servers, the app set-up, delivering intents and waiting for the screen.
// What differs per platform is in TestPlatform (one file in each of src/test and src/androidTest).
package dev.dingtalkauth.demo

import android.app.Activity
import android.content.Intent
import android.os.Bundle
import androidx.test.core.app.ActivityScenario
import androidx.test.core.app.ApplicationProvider
import androidx.test.platform.app.InstrumentationRegistry
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.LoginRequest
import dev.dingtalkauth.android.DingTalkAuthLibrary
import dev.dingtalkauth.android.DingTalkLogin
import dev.dingtalkauth.android.LoginResult
import org.junit.After
import org.junit.Assert.fail
import org.junit.Before

/**
 * The reference backend + fake DingTalk started by scripts/with-demo-servers.sh: from the environment
 * on the JVM, from instrumentation arguments (`-e dingtalkBackend http://10.0.2.2:PORT` …) on a device.
 * Missing servers fail the test: these tests exist to prove the whole path works.
 */
class TestServers(val backend: String, val fake: String, val legacyAppKey: String, val clientId: String) {
    companion object {
        fun load(): TestServers {
            val args: Bundle = try {
                InstrumentationRegistry.getArguments()
            } catch (e: IllegalStateException) {
                Bundle()
            }
            fun need(env: String, arg: String): String =
                System.getenv(env)?.takeIf { it.isNotEmpty() }
                    ?: args.getString(arg)?.takeIf { it.isNotEmpty() }
                    ?: fail("$env (instrumentation argument $arg) is not set: run scripts/test-android.sh, which starts the servers") as Nothing
            return TestServers(
                backend = need("DINGTALK_DEMO_BACKEND", "dingtalkBackend"),
                fake = need("DINGTALK_DEMO_FAKE", "dingtalkFake"),
                legacyAppKey = need("DINGTALK_DEMO_LEGACY_APP_KEY", "dingtalkLegacyAppKey"),
                clientId = need("DINGTALK_DEMO_CLIENT_ID", "dingtalkClientId"),
            )
        }
    }
}

/** Base of the integration tests: a demo app pointed at the test servers, and a log of every result. */
abstract class DemoTest {
    protected lateinit var app: DemoApp
    protected lateinit var servers: TestServers
    /** Every result the app's DingTalkLogins published since the test began (main thread). */
    protected val results = mutableListOf<LoginResult>()
    private val subscriptions = mutableListOf<AutoCloseable>()

    @Before
    fun setUpDemo() {
        servers = TestServers.load()
        app = ApplicationProvider.getApplicationContext()
        // DemoApp started it; MainActivity binds at once only when it is done (else after a post).
        DingTalkAuthLibrary.preload().get()
        DemoApp.storeFactory = TestPlatform.storeFactory()
        onMain {
            app.forgetEverythingInMemory()
            DemoSettings(servers.backend, servers.fake, servers.legacyAppKey, servers.clientId, simulate = true).save(app)
            subscribeResults()
        }
    }

    @After
    fun tearDownDemo() {
        onMain {
            subscriptions.forEach { it.close() }
            subscriptions.clear()
            app.forgetEverythingInMemory()
        }
        DemoApp.storeFactory = null
    }

    /** (Re-)subscribes [results] to the app's current DingTalkLogins. */
    protected fun subscribeResults() {
        for (flow in listOf(LoginFlow.LEGACY_SDK, LoginFlow.BROWSER)) {
            subscriptions += app.dingTalkLogin(flow).observe { results += it }
        }
    }

    protected fun <T> onMain(block: () -> T): T {
        var out: Result<T>? = null
        InstrumentationRegistry.getInstrumentation().runOnMainSync { out = runCatching(block) }
        return out!!.getOrThrow()
    }

    protected fun login(flow: LoginFlow): DingTalkLogin = app.dingTalkLogin(flow)

    protected fun begin(flow: LoginFlow): LoginRequest = onMain { login(flow).begin(flow) }

    protected val simulator get() = SimulatedDingTalk(servers.fake)

    /**
     * Delivers [intent] exactly as the system delivers DingTalk's (or the browser's) reply: it starts
     * the activity the intent names or resolves to. Returns the results it published.
     */
    protected fun deliver(intent: Intent): List<LoginResult> {
        val before = onMain { results.size }
        ActivityScenario.launch<Activity>(intent).close()
        return onMain { results.drop(before) }
    }

    /** The one result [deliver]ing [intent] published. */
    protected fun deliverOne(intent: Intent): LoginResult {
        val got = deliver(intent)
        if (got.size != 1) fail("expected one result, got $got")
        return got.single()
    }

    /** The screen once [done] holds (the backend's answer arrives on the main thread). */
    protected fun awaitScreen(what: String, done: (Screen) -> Boolean): Screen {
        TestPlatform.awaitMain(what) { done(app.controller.screen) }
        return onMain { app.controller.screen }
    }

    /** Pending logins of [flow]'s DingTalkLogin. */
    protected fun pending(flow: LoginFlow): Int = onMain { login(flow).auth.pendingCount().toInt() }
}
