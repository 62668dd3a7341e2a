package dev.dingtalkauth.demo

import android.app.Application
import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import dev.dingtalkauth.PendingLoginStore
import dev.dingtalkauth.android.DingTalkAuthLibrary
import dev.dingtalkauth.android.DingTalkLogin
import dev.dingtalkauth.android.DingTalkLoginOwner
import dev.dingtalkauth.android.GrantDelivery
import dev.dingtalkauth.android.KeystorePendingLoginStore
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel

/**
 * Owns the demo's two [DingTalkLogin]s (the legacy AppId, and the ClientId for the new SDK and the
 * browser), over one Keystore-backed store, and the [LoginController]. All are created on first use:
 * after the OS killed the process, DingTalk's reply re-creates them from the store.
 */
open class DemoApp : Application(), DingTalkLoginOwner {
    private var legacy: DingTalkLogin? = null
    private var v1: DingTalkLogin? = null
    private var controllerInstance: LoginController? = null
    private var deliveryScope: CoroutineScope? = null
    private val deliveries = mutableMapOf<String, GrantDelivery>()

    override fun onCreate() {
        super.onCreate()
        // Load the library while the app starts, off the main thread (MainActivity waits for it).
        DingTalkAuthLibrary.preload()
    }

    /** The settings the logins were built with. */
    val settings: DemoSettings get() = DemoSettings.load(this)

    /** The pending-login store; tests replace the AndroidKeyStore key (absent off-device) with a JVM one. */
    protected open fun makeStore(): PendingLoginStore = storeFactory?.invoke(this) ?: KeystorePendingLoginStore.create(this)

    @Synchronized
    override fun dingTalkLogin(flow: LoginFlow): DingTalkLogin {
        val s = settings
        return when (flow) {
            LoginFlow.LEGACY_SDK -> legacy ?: DingTalkLogin(
                this,
                AuthConfig(
                    clientId = s.legacyAppId,
                    platform = Platform.ANDROID,
                    flows = listOf(LoginFlow.LEGACY_SDK),
                    backendUrl = "${s.backend}/v1/login",
                ),
                sharedStore(),
            ).also { legacy = it }
            LoginFlow.NEW_SDK, LoginFlow.BROWSER -> v1 ?: DingTalkLogin(
                this,
                AuthConfig(
                    clientId = s.clientId,
                    platform = Platform.ANDROID,
                    flows = listOf(LoginFlow.NEW_SDK, LoginFlow.BROWSER),
                    redirectUri = DEMO_REDIRECT_URI,
                    backendUrl = "${s.backend}/v1/login",
                    // The demo's browser flow goes to the fake DingTalk's authorize page.
                    authorizeEndpoint = "${s.fake}/oauth2/auth",
                ),
                sharedStore(),
            ).also { v1 = it }
        }
    }

    private var store: PendingLoginStore? = null
    private fun sharedStore(): PendingLoginStore = store ?: makeStore().also { store = it }

    /**
     * The library's delivery of [flow]'s grants to the backend, one per DingTalk application, over the
     * same store as the pending logins: a grant whose send the process did not see answered is sent
     * again when this is first called in the next process.
     */
    @Synchronized
    fun grantDelivery(flow: LoginFlow): GrantDelivery {
        val login = dingTalkLogin(flow)
        val scope = deliveryScope ?: CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate).also { deliveryScope = it }
        return deliveries.getOrPut(login.config.clientId) { GrantDelivery(login, sharedStore(), scope) }
    }

    /** The demo's screen logic (process-scoped, so it outlives activities). */
    val controller: LoginController
        @Synchronized get() = controllerInstance ?: LoginController(this).also { controllerInstance = it }

    /**
     * Forgets every in-memory object, as if the OS had killed the process: what survives is what a
     * new process would find (SharedPreferences, the keystore key). Used by the tests.
     */
    @Synchronized
    fun forgetEverythingInMemory() {
        controllerInstance?.close()
        controllerInstance = null
        deliveryScope?.cancel()
        deliveryScope = null
        deliveries.clear()
        legacy?.close()
        v1?.close()
        legacy = null
        v1 = null
        store = null
    }

    companion object {
        /** Test seam: builds the store instead of [KeystorePendingLoginStore.create]. */
        @Volatile
        var storeFactory: ((Application) -> PendingLoginStore)? = null
    }
}
