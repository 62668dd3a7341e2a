// The JVM (Robolectric) side of the shared tests' platform differences.
package dev.dingtalkauth.demo

import android.app.Application
import android.content.Intent
import androidx.test.core.app.ApplicationProvider
import android.os.Looper
import dev.dingtalkauth.PendingLoginStore
import dev.dingtalkauth.android.AesGcmCipher
import dev.dingtalkauth.android.KeystorePendingLoginStore
import javax.crypto.KeyGenerator
import org.junit.Assert.fail
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadows.ShadowPausedLooper

object TestPlatform {
    /**
     * Robolectric has no AndroidKeyStore, so the store's AES-GCM key is a JVM key, one per test (it
     * survives the simulated process death like a keystore key would). Everything else is the real
     * KeystorePendingLoginStore over SharedPreferences.
     */
    fun storeFactory(): (Application) -> PendingLoginStore {
        val key = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
        return { app ->
            KeystorePendingLoginStore(
                app.getSharedPreferences(KeystorePendingLoginStore.PREFS_NAME, 0),
                AesGcmCipher { key },
            )
        }
    }

    /** The activities [block] started (Robolectric records them) that [which] selects. */
    fun startedActivities(which: (Intent) -> Boolean, block: () -> Unit): List<Intent> {
        val app = shadowOf(ApplicationProvider.getApplicationContext<Application>())
        app.clearNextStartedActivities()
        block()
        return generateSequence { app.nextStartedActivity }.filter(which).toList()
    }

    /**
     * Runs the (paused) main looper until [done] holds: work posted from other threads (the core's
     * tokio runtime resuming `submit`) is waited for with the looper's own poll, never a sleep.
     */
    fun awaitMain(what: String, timeoutMs: Long = 30_000, done: () -> Boolean) {
        val looper = shadowOf(Looper.getMainLooper()) as ShadowPausedLooper
        val deadline = System.nanoTime() + timeoutMs * 1_000_000
        while (true) {
            looper.idle()
            if (done()) return
            val left = (deadline - System.nanoTime()) / 1_000_000
            if (left <= 0) fail("timed out after $timeoutMs ms waiting for $what")
            looper.poll(left)
        }
    }
}
