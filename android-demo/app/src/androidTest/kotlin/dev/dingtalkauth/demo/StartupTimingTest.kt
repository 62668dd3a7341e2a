// Device only (hosted CI): what the first call into the library costs the calling thread, in a fresh
// test process (scripts/ci-android-emulator-tests.sh runs each test alone first, then prints the lines):
// loading the library on that thread, or after DingTalkAuthLibrary.preload() loaded it on a background
// thread (what the demo does in Application.onCreate). The JVM counterpart is
// android-demo/maven/startup-timing/StartupTiming.kt.
package dev.dingtalkauth.demo

import android.os.SystemClock
import android.util.Log
import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.DingTalkAuth
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import dev.dingtalkauth.android.DingTalkAuthLibrary
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class StartupTimingTest {
    /** DingTalkAuth(...) + the first begin(), in ms. */
    private fun firstCall(): Double {
        val start = SystemClock.elapsedRealtimeNanos()
        val auth = DingTalkAuth(AuthConfig("dingtiming", Platform.ANDROID, listOf(LoginFlow.LEGACY_SDK)))
        val request = auth.begin(LoginFlow.LEGACY_SDK)
        val ms = (SystemClock.elapsedRealtimeNanos() - start) / 1e6
        auth.close()
        assertTrue(request.state != null)
        return ms
    }

    @Test
    fun firstCallLoadingTheLibrary() {
        // The demo app's onCreate has started a preload in this process, so the library may be loaded
        // (or half loaded: this call then waits for it) by now; the line says which.
        val loaded = DingTalkAuthLibrary.isLoaded
        Log.i(TAG, "first call %.1f ms on the calling thread (library already loaded in this process: %s)".format(firstCall(), loaded))
    }

    @Test
    fun firstCallAfterPreload() {
        val start = SystemClock.elapsedRealtimeNanos()
        DingTalkAuthLibrary.preload().get()
        val loadMs = (SystemClock.elapsedRealtimeNanos() - start) / 1e6
        Log.i(TAG, "first call %.1f ms on the calling thread after preload() (its load done %.1f ms after this test began)".format(firstCall(), loadMs))
    }

    private companion object {
        const val TAG = "DingTalkAuthTiming"
    }
}
