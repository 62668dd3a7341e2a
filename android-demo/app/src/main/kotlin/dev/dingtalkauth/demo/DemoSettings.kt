package dev.dingtalkauth.demo

import android.content.Context

/**
 * Where the demo's servers are and which DingTalk apps it uses. Defaults: the reference backend and
 * the fake DingTalk started on the host (`cargo run -p dingtalk-fake -- demo`), reached from an
 * emulator as 10.0.2.2, with the fake's demo credentials. Tests and hosted CI override them.
 */
data class DemoSettings(
    /** Reference backend base URL; grants go to `$backend/v1/login`. */
    val backend: String = "http://10.0.2.2:8080",
    /** Fake DingTalk base URL (its `/_fake/` control API and `/oauth2/auth` page). */
    val fake: String = "http://10.0.2.2:8081",
    /** The legacy SDK's AppId (the fake's demo legacy AppKey). */
    val legacyAppId: String = "dingdemolegacyappkey",
    /** The new SDK's and the browser flow's ClientId (the fake's demo ClientId). */
    val clientId: String = "dingdemoclientid",
    /** True: the simulated DingTalk answers instead of DingTalk's SDKs (emulators have no DingTalk). */
    val simulate: Boolean = true,
) {
    /** Persists these settings for the next start of the app. */
    fun save(context: Context) {
        context.getSharedPreferences(PREFS, Context.MODE_PRIVATE).edit()
            .putString("backend", backend).putString("fake", fake)
            .putString("legacyAppId", legacyAppId).putString("clientId", clientId)
            .putBoolean("simulate", simulate)
            .commit()
    }

    companion object {
        private const val PREFS = "demo-settings"

        /** The saved settings, defaults where none were saved. */
        fun load(context: Context): DemoSettings {
            val p = context.getSharedPreferences(PREFS, Context.MODE_PRIVATE)
            val d = DemoSettings()
            return DemoSettings(
                backend = p.getString("backend", null) ?: d.backend,
                fake = p.getString("fake", null) ?: d.fake,
                legacyAppId = p.getString("legacyAppId", null) ?: d.legacyAppId,
                clientId = p.getString("clientId", null) ?: d.clientId,
                simulate = p.getBoolean("simulate", d.simulate),
            )
        }
    }
}

/** The demo's redirect URI: an https App Link handled by [RedirectActivity]. */
const val DEMO_REDIRECT_URI = "https://app.example.com/dingtalk/callback"
