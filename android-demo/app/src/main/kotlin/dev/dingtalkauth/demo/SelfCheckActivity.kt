package dev.dingtalkauth.demo

import android.app.Activity
import android.os.Bundle
import android.widget.ScrollView
import android.widget.TextView
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.android.SetupCheck
import dev.dingtalkauth.android.SetupFinding
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch

/**
 * The setup self-check: what to register in DingTalk's console for this build (package name and
 * signature), then every finding with what to do, or "nothing found".
 */
class SelfCheckActivity : Activity() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)

    /** The report (tests read it). */
    lateinit var report: TextView
        private set

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        report = TextView(this).apply { text = "Checking…" }
        setContentView(ScrollView(this).apply { addView(report) })
        scope.launch {
            report.text = SetupCheck.appIdentity(this@SelfCheckActivity).describe() + "\n\n" +
                render(SelfCheck.run(application as DemoApp))
        }
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }

    private fun render(findings: List<SetupFinding>) =
        if (findings.isEmpty()) {
            "Nothing to fix: the callback activities, the redirect filter and the backend are in place."
        } else {
            findings.joinToString("\n\n") { "${it.severity}: ${it.message}\nFix: ${it.fix}" }
        }
}

/** The demo's self-check: both DingTalk configurations, and the backend. */
object SelfCheck {
    /** Findings for the legacy and the ClientId configuration, without duplicates, then the backend's. */
    suspend fun run(app: DemoApp): List<SetupFinding> {
        val legacy = app.dingTalkLogin(LoginFlow.LEGACY_SDK).config
        val v1 = app.dingTalkLogin(LoginFlow.BROWSER).config
        val local = (SetupCheck.run(app, legacy) + SetupCheck.run(app, v1)).distinct()
        return local + listOfNotNull(SetupCheck.checkBackend(v1))
    }
}
