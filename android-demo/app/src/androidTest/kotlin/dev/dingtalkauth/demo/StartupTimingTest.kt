// Device only (hosted CI): the time from DingTalkAuth(...) construction to the first begin(), including
// loading the native library, in a fresh test process. scripts/ci-android-emulator-tests.sh prints it.
package dev.dingtalkauth.demo

import android.os.SystemClock
import android.util.Log
import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.DingTalkAuth
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class StartupTimingTest {
    @Test
    fun firstBeginIncludingLibraryLoad() {
        val start = SystemClock.elapsedRealtimeNanos()
        val auth = DingTalkAuth(AuthConfig("dingtiming", Platform.ANDROID, listOf(LoginFlow.LEGACY_SDK)))
        val request = auth.begin(LoginFlow.LEGACY_SDK)
        val ms = (SystemClock.elapsedRealtimeNanos() - start) / 1e6
        auth.close()
        Log.i("DingTalkAuthTiming", "first begin %.1f ms after DingTalkAuth(...) (library load included if first in process)".format(ms))
        assertTrue(request.state != null)
    }
}
