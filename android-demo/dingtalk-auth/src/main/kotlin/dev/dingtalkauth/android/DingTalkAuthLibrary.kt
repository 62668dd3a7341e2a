package dev.dingtalkauth.android

import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.DingTalkAuth
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import dev.dingtalkauth.replyLimits
import java.util.concurrent.CompletableFuture
import java.util.concurrent.atomic.AtomicBoolean

/**
 * Loading the library: the first call into it loads the native library and registers the generated
 * bindings (JNA) on the calling thread, which costs a few hundred milliseconds on a slow device. Call
 * [preload] in `Application.onCreate`: the load then runs on a background thread while the app starts,
 * and the first [DingTalkLogin] or `DingTalkAuth` on the main thread finds it done. A screen that must
 * not block can wait for [preload]'s future before it creates them.
 */
object DingTalkAuthLibrary {
    private val started = AtomicBoolean(false)
    private val loaded = CompletableFuture<Unit>()

    /**
     * Starts loading on a background thread, once per process, and returns at once. The future
     * completes when the library is ready, or exceptionally if it cannot be loaded (then the first call
     * on any thread reports the same failure).
     */
    @JvmStatic
    fun preload(): CompletableFuture<Unit> {
        if (started.compareAndSet(false, true)) {
            val loader = Thread({
                try {
                    replyLimits() // the cheapest call: it makes the bindings load and check the library
                    warmUp()
                    loaded.complete(Unit)
                } catch (t: Throwable) {
                    loaded.completeExceptionally(t)
                }
            }, "dingtalk-auth-load")
            loader.isDaemon = true
            loader.start()
        }
        return loaded
    }

    /**
     * The bindings' classes load lazily, per type, on the thread that first uses them: one throwaway
     * login on an in-memory store (never persisted, nothing sent) loads those a first `DingTalkAuth(...)`
     * and `begin()` use, so the app's own first call does not pay for them on the main thread.
     */
    private fun warmUp() {
        val auth = DingTalkAuth(AuthConfig("dingtalkpreload", Platform.ANDROID, listOf(LoginFlow.LEGACY_SDK)))
        try {
            auth.begin(LoginFlow.LEGACY_SDK)
        } finally {
            auth.close()
        }
    }

    /** True once [preload] has finished loading the library. */
    val isLoaded: Boolean get() = loaded.isDone && !loaded.isCompletedExceptionally
}
