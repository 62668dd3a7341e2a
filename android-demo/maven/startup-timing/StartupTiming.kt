// Measures, in a fresh JVM, what the first call into the library costs the thread that makes it
// (DingTalkAuth(...) construction, then the first begin()), the native library load and the bindings'
// registration included. Two ways, one per JVM (the argument):
//   cold       nothing was loaded before: the first call loads the library on the calling thread;
//   preloaded  DingTalkAuthLibrary.preload() ran at "app start" and loaded it on a background thread:
//              the first call on the calling ("main") thread after the preload finished.
// Run by scripts/test-android.sh (compiled with the host build's test sources); the device counterpart
// is app/src/androidTest/.../StartupTimingTest.kt.
package dev.dingtalkauth.timing

import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.DingTalkAuth
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import dev.dingtalkauth.android.DingTalkAuthLibrary

fun main(args: Array<String>) {
    val mode = args.singleOrNull() ?: error("usage: StartupTiming cold|preloaded")
    var preloadCall = 0L
    var loadWait = 0L
    if (mode == "preloaded") {
        val p0 = System.nanoTime()
        val loading = DingTalkAuthLibrary.preload()
        preloadCall = System.nanoTime() - p0
        loading.get() // what a first screen awaits (asynchronously) before its first call
        loadWait = System.nanoTime() - p0
    } else {
        require(mode == "cold") { "unknown mode $mode" }
    }
    val t0 = System.nanoTime()
    val auth = DingTalkAuth(AuthConfig("dingtiming", Platform.ANDROID, listOf(LoginFlow.LEGACY_SDK)))
    val t1 = System.nanoTime()
    auth.begin(LoginFlow.LEGACY_SDK)
    val t2 = System.nanoTime()
    auth.close()
    println(
        "%s %.2f %.2f %.2f %.2f %.3f".format(
            mode, (t2 - t0) / 1e6, (t1 - t0) / 1e6, (t2 - t1) / 1e6, loadWait / 1e6, preloadCall / 1e6,
        ),
    )
}
