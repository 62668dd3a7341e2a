package dev.dingtalkauth.demo

import android.app.Activity
import android.content.Intent
import android.os.Bundle
import android.view.View
import android.widget.Button
import android.widget.CheckBox
import android.widget.LinearLayout
import android.widget.Spinner
import android.widget.ArrayAdapter
import android.widget.TextView
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.android.DingTalkAuthLibrary

/**
 * The demo's one screen: a button per flow, the simulated-DingTalk switch and its answer, the status
 * sentence and the identity. Plain Views built in code; the logic is [LoginController].
 */
class MainActivity : Activity() {
    private var subscription: AutoCloseable? = null

    /** The status line (tests read it). */
    lateinit var status: TextView
        private set

    /** The identity line (tests read it). */
    lateinit var identity: TextView
        private set

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val app = application as DemoApp
        val root = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL; setPadding(32, 32, 32, 32) }
        val simulate = CheckBox(this).apply { text = "Simulated DingTalk (emulators)"; isChecked = app.settings.simulate; id = R_SIMULATE }
        val answer = Spinner(this).apply {
            adapter = ArrayAdapter(this@MainActivity, android.R.layout.simple_spinner_item, SimulatedAnswer.values().map { it.name.lowercase() })
        }
        root.addView(simulate)
        root.addView(answer)
        val buttons = listOf("Log in with DingTalk (legacy SDK)" to LoginFlow.LEGACY_SDK, "Log in with DingTalk" to LoginFlow.NEW_SDK, "Log in in the browser" to LoginFlow.BROWSER)
            .map { (label, flow) ->
                Button(this).apply {
                    text = label
                    tag = flow
                    isEnabled = false // until the library is loaded (below)
                    setOnClickListener {
                        val simulated = if (simulate.isChecked) SimulatedAnswer.values()[answer.selectedItemPosition] else null
                        app.controller.start(this@MainActivity, flow, simulated)
                    }
                }
            }
        buttons.forEach(root::addView)
        root.addView(Button(this).apply {
            text = "Check setup"
            setOnClickListener { startActivity(Intent(this@MainActivity, SelfCheckActivity::class.java)) }
        })
        status = TextView(this).apply { text = "Loading…" }
        identity = TextView(this)
        root.addView(status)
        root.addView(identity)
        setContentView(root)
        // DemoApp started loading the library at process start, off the main thread: the screen binds to
        // the controller (whose DingTalkLogins call into the library) once that is done, never blocking.
        val bind = {
            buttons.forEach { it.isEnabled = true }
            subscription = app.controller.listen { screen ->
                status.text = screen.status
                identity.text = screen.identity?.let {
                    (it.member?.let { m -> describeMember(m) + "\n" } ?: "") +
                        "${it.nick}\nunionId ${it.unionId}\nvia ${it.flow}" + (screen.answeredBy?.let { by -> ", answered by ${by.describe()}" } ?: "")
                } ?: ""
                identity.visibility = if (screen.identity == null) View.GONE else View.VISIBLE
            }
        }
        val loading = DingTalkAuthLibrary.preload()
        if (loading.isDone) {
            bind()
        } else {
            loading.whenComplete { _, _ -> runOnUiThread { if (!isDestroyed) bind() } }
        }
    }

    override fun onDestroy() {
        subscription?.close()
        super.onDestroy()
    }

    private companion object {
        const val R_SIMULATE = 0x7f0b0001
    }
}
