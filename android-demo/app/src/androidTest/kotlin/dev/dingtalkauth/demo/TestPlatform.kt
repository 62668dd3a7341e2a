// The device (instrumented) side of the shared tests' platform differences.
package dev.dingtalkauth.demo

import android.app.Activity
import android.app.Application
import android.app.Instrumentation
import android.content.Intent
import androidx.test.platform.app.InstrumentationRegistry
import dev.dingtalkauth.PendingLoginStore
import org.junit.Assert.fail

object TestPlatform {
    /** On a device the app's own store is used: AES-GCM under a real AndroidKeyStore key. */
    fun storeFactory(): ((Application) -> PendingLoginStore)? = null

    /**
     * The activities [block] started that [which] selects, intercepted before they start (an emulator
     * has no DingTalk, and the real ddopenauth's web login would load login.dingtalk.com).
     */
    fun startedActivities(which: (Intent) -> Boolean, block: () -> Unit): List<Intent> {
        val seen = java.util.concurrent.CopyOnWriteArrayList<Intent>()
        val monitor = object : Instrumentation.ActivityMonitor() {
            override fun onStartActivity(intent: Intent): Instrumentation.ActivityResult? =
                if (which(intent)) Instrumentation.ActivityResult(Activity.RESULT_CANCELED, null).also { seen += intent } else null
        }
        val instrumentation = InstrumentationRegistry.getInstrumentation()
        instrumentation.addMonitor(monitor)
        try {
            block()
            instrumentation.waitForIdleSync()
        } finally {
            instrumentation.removeMonitor(monitor)
        }
        return seen.toList()
    }

    /** The main looper runs by itself here: wait for it to go idle until [done] holds. */
    fun awaitMain(what: String, timeoutMs: Long = 30_000, done: () -> Boolean) {
        val instrumentation = InstrumentationRegistry.getInstrumentation()
        val deadline = System.nanoTime() + timeoutMs * 1_000_000
        while (true) {
            instrumentation.waitForIdleSync()
            var ok = false
            instrumentation.runOnMainSync { ok = done() }
            if (ok) return
            if (System.nanoTime() > deadline) fail("timed out after $timeoutMs ms waiting for $what")
        }
    }
}
