// Measures, in a fresh JVM, the time from DingTalkAuth(...) construction to the first begin(),
// including loading the native library through JNA. Run by scripts/test-android.sh (compiled into the
// bindings jar by bindings.pom.xml); the device counterpart is app/src/androidTest/.../StartupTimingTest.kt.
package dev.dingtalkauth.timing

import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.DingTalkAuth
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform

fun main() {
    val t0 = System.nanoTime()
    val auth = DingTalkAuth(AuthConfig("dingtiming", Platform.ANDROID, listOf(LoginFlow.LEGACY_SDK)))
    val t1 = System.nanoTime()
    auth.begin(LoginFlow.LEGACY_SDK)
    val t2 = System.nanoTime()
    auth.begin(LoginFlow.LEGACY_SDK)
    val t3 = System.nanoTime()
    auth.close()
    println(
        "JVM startup: first begin() %.1f ms after DingTalkAuth(...) began (construction with library load %.1f ms, begin %.2f ms; a second begin %.2f ms)"
            .format((t2 - t0) / 1e6, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6),
    )
}
