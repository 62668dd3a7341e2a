package dev.dingtalkauth.android

import android.Manifest
import android.content.ComponentName
import android.content.Context
import android.content.Intent
import android.content.pm.ApplicationInfo
import android.content.pm.PackageManager
import android.net.Uri
import android.content.pm.verify.domain.DomainVerificationManager
import android.content.pm.verify.domain.DomainVerificationUserState
import android.os.Build
import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.Platform
import dev.dingtalkauth.SetupSeverity
import dev.dingtalkauth.dingtalkUnavailableSeverity
import java.net.InetSocketAddress
import java.net.Socket
import java.net.URI
import java.security.MessageDigest
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/** One thing the setup check found, with what to do about it. */
data class SetupFinding(
    /** What is wrong. */
    val problem: SetupProblem,
    /** [SetupSeverity.ERROR]: a flow cannot work; [SetupSeverity.WARNING]: it works only in some cases. */
    val severity: SetupSeverity,
    /** What was found, in a sentence. */
    val message: String,
    /** What to do, in a sentence. */
    val fix: String,
)

/** The problems [SetupCheck] recognises. */
enum class SetupProblem {
    /** DingTalk is not installed, or not visible to the app (Android 11+ `<queries>`). */
    DINGTALK_NOT_INSTALLED,
    /** The legacy flow is configured but DDShare (ddsharesdk) is not in the app. */
    LEGACY_SDK_MISSING,
    /** The new-SDK flow is configured but ddopenauth is not in the app. */
    NEW_SDK_MISSING,
    /** No activity at the exact name DingTalk calls. */
    CALLBACK_ACTIVITY_MISSING,
    /** The callback activity is declared under another package than the applicationId. */
    CALLBACK_ACTIVITY_WRONG_PACKAGE,
    /** The callback activity exists but DingTalk may not start it. */
    CALLBACK_ACTIVITY_NOT_EXPORTED,
    /** No activity of the app opens the redirect URI. */
    REDIRECT_FILTER_MISSING,
    /** The activity whose filter matches the redirect URI is not exported: a browser cannot start it. */
    REDIRECT_ACTIVITY_NOT_EXPORTED,
    /**
     * The redirect URI's intent filter lacks `android.intent.category.DEFAULT`: a browser starts the
     * redirect with `startActivity`, which only resolves filters with that category.
     */
    REDIRECT_FILTER_NOT_DEFAULT,
    /** The https redirect URI's domain is not verified for the app (Android 12+ opens it in the browser). */
    REDIRECT_NOT_APP_LINK,
    /** `submit` cannot reach the network. */
    INTERNET_PERMISSION_MISSING,
    /** The backend does not accept connections. */
    BACKEND_UNREACHABLE,
}

/**
 * What DingTalk's console must have registered for this app (its "Android" share settings: the package
 * name and the signature), as this installed build reads.
 */
data class AppIdentity(
    /** The applicationId of this build (with any `applicationIdSuffix` of its variant). */
    val packageName: String,
    /**
     * The signature DingTalk checks, in the console's form: MD5 of each signing certificate, 32 lowercase
     * hex digits without separators (one per signer; DingTalk's SDK joins them without a separator).
     */
    val signatures: List<String>,
    /** True for a debuggable build (usually the debug variant, signed with the debug keystore). */
    val debuggable: Boolean,
) {
    /** What to enter in DingTalk's console for this build, and which build it describes. */
    fun describe(): String {
        val build = if (debuggable) {
            "a debuggable build (usually the debug variant, signed with this machine's debug keystore): " +
                "the release build has its own signature to register"
        } else {
            "a release (non-debuggable) build"
        }
        val signature = when (signatures.size) {
            0 -> "(no signing certificate readable)"
            else -> signatures.joinToString("")
        }
        return "DingTalk console, Android: package name $packageName, signature $signature — for $build."
    }
}

/**
 * Checks the app's setup from what the system knows about it (PackageManager reads the merged
 * manifest): the callback activities at the names DingTalk calls, exported, the redirect URI's intent
 * filter, the INTERNET permission, DingTalk's visibility; and, separately, whether the backend answers.
 * Only the configured flows are checked. An empty list means nothing was found.
 */
object SetupCheck {
    /** Where DingTalk's legacy SDK delivers its reply, for [packageName]. */
    fun legacyCallbackName(packageName: String) = "$packageName.ddshare.DDShareActivity"

    /** Where DingTalk's new SDK delivers its reply, for [packageName]. */
    fun newSdkCallbackName(packageName: String) = "$packageName.ddauth.DDAuthActivity"

    /**
     * This app's package name and signing certificate digest, read with [PackageManager]
     * (`GET_SIGNING_CERTIFICATES` on API 28+, `GET_SIGNATURES` below), in the form DingTalk's console
     * asks for when the app registers for login and share ("填入包名及签名",
     * https://open.dingtalk.com/document/dingstart/mini-app-android-platform-application-authorization-login-access):
     * the MD5 of the certificate, 32 lowercase hex digits, no colons — what DingTalk's SDKs compute
     * from `PackageInfo` and send to DingTalk, which compares it with the registered one (a mismatch is
     * ErrCode -4 `key check error`). Not `keytool`'s colon-separated upper-case fingerprint.
     */
    fun appIdentity(context: Context): AppIdentity {
        val pm = context.packageManager
        val pkg = context.packageName
        val certificates = try {
            if (Build.VERSION.SDK_INT >= 28) {
                // The certificates that sign the APK now (not past ones of a rotated key): what
                // GET_SIGNATURES, which DingTalk's SDK reads, reports too.
                pm.getPackageInfo(pkg, PackageManager.GET_SIGNING_CERTIFICATES).signingInfo?.apkContentsSigners
            } else {
                @Suppress("DEPRECATION")
                pm.getPackageInfo(pkg, PackageManager.GET_SIGNATURES).signatures
            }
        } catch (e: PackageManager.NameNotFoundException) {
            null
        }.orEmpty()
        val debuggable = (context.applicationInfo.flags and ApplicationInfo.FLAG_DEBUGGABLE) != 0
        return AppIdentity(pkg, certificates.map { md5Hex(it.toByteArray()) }, debuggable)
    }

    private fun md5Hex(bytes: ByteArray): String =
        MessageDigest.getInstance("MD5").digest(bytes).joinToString("") { "%02x".format(it.toInt() and 0xff) }

    /** The checks that need no network. */
    fun run(context: Context, config: AuthConfig): List<SetupFinding> {
        val pm = context.packageManager
        val pkg = context.packageName
        val out = mutableListOf<SetupFinding>()
        val flows = config.flows.toSet()

        // How serious a missing DingTalk is for these flows is the core's rule (the same on iOS): an
        // error for the legacy SDK, a warning for the new SDK (it falls back to its web login).
        val unavailable = dingtalkUnavailableSeverity(config.flows, Platform.ANDROID)
        if (unavailable != null) {
            if (!isInstalled(pm, DingTalkSdks.DINGTALK_PACKAGE)) {
                val visibility = if (Build.VERSION.SDK_INT >= 30) {
                    " On Android 11 and later an app only sees DingTalk if its manifest has " +
                        "<queries><package android:name=\"${DingTalkSdks.DINGTALK_PACKAGE}\"/></queries> " +
                        "(the dingtalk-auth AAR adds it; check that no tools:node=\"remove\" drops it)."
                } else {
                    ""
                }
                out += SetupFinding(
                    SetupProblem.DINGTALK_NOT_INSTALLED,
                    unavailable,
                    "DingTalk (${DingTalkSdks.DINGTALK_PACKAGE}) is not installed or not visible to this app.$visibility",
                    "Install DingTalk, or offer the browser flow: the legacy SDK needs DingTalk; the new SDK falls " +
                        "back to a web page.",
                )
            }
        }
        if (LoginFlow.LEGACY_SDK in flows) {
            out += sdkFindings(
                pm, pkg, DingTalkSdks.legacyPresent, SetupProblem.LEGACY_SDK_MISSING, "legacy SDK (ddsharesdk)",
                "DingTalk's com.alibaba.android:ddsharesdk (Maven Central)", legacyCallbackName(pkg), "DDShareActivity",
                "legacy SDK",
            )
        }
        if (LoginFlow.NEW_SDK in flows) {
            out += sdkFindings(
                pm, pkg, DingTalkSdks.newSdkPresent, SetupProblem.NEW_SDK_MISSING, "new SDK (ddopenauth)",
                "DingTalk's ddopenauth AAR", newSdkCallbackName(pkg), "DDAuthActivity", "new SDK",
            )
        }
        val redirect = config.redirectUri
        if (LoginFlow.BROWSER in flows && redirect != null) out += redirectFindings(context, pm, pkg, redirect)

        if (config.backendUrl != null && pm.checkPermission(Manifest.permission.INTERNET, pkg) != PackageManager.PERMISSION_GRANTED) {
            out += SetupFinding(
                SetupProblem.INTERNET_PERMISSION_MISSING, SetupSeverity.ERROR,
                "The app does not have the INTERNET permission, so the grant cannot reach your backend.",
                "Add <uses-permission android:name=\"android.permission.INTERNET\"/> (the AAR declares it; check " +
                    "that manifest merging keeps it).",
            )
        }
        return out
    }

    /**
     * Whether the configured backend accepts a TCP connection within [timeoutMs]; null if it does (or
     * none is configured). Runs on [Dispatchers.IO].
     */
    suspend fun checkBackend(config: AuthConfig, timeoutMs: Int = 3000): SetupFinding? {
        val url = config.backendUrl ?: return null
        val problem = withContext(Dispatchers.IO) {
            try {
                val uri = URI(url)
                val host = uri.host ?: return@withContext "the URL has no host"
                val port = if (uri.port != -1) uri.port else if (uri.scheme.equals("https", true)) 443 else 80
                Socket().use { it.connect(InetSocketAddress(host, port), timeoutMs) }
                null
            } catch (e: Exception) {
                e.javaClass.simpleName + (e.message?.let { ": $it" } ?: "")
            }
        }
        return problem?.let {
            SetupFinding(
                SetupProblem.BACKEND_UNREACHABLE, SetupSeverity.ERROR,
                "The backend at $url does not answer ($it).",
                "Start the backend, check the URL (an emulator reaches the host's loopback as 10.0.2.2), and " +
                    "the device's network.",
            )
        }
    }

    private fun isInstalled(pm: PackageManager, name: String) =
        try {
            pm.getPackageInfo(name, 0)
            true
        } catch (e: PackageManager.NameNotFoundException) {
            false
        }

    /** An SDK flow needs its SDK in the app and its callback activity where DingTalk calls it. */
    private fun sdkFindings(
        pm: PackageManager, pkg: String, sdkPresent: Boolean, missing: SetupProblem, sdkName: String,
        dependency: String, callback: String, simpleName: String, what: String,
    ): List<SetupFinding> {
        val sdk = if (sdkPresent) {
            emptyList()
        } else {
            listOf(
                SetupFinding(
                    missing, SetupSeverity.ERROR,
                    "DingTalk's $sdkName is not in the app.",
                    "Add $dependency to the app's dependencies.",
                ),
            )
        }
        return sdk + callbackFindings(pm, pkg, callback, simpleName, what)
    }

    private fun callbackFindings(pm: PackageManager, pkg: String, expected: String, simpleName: String, what: String): List<SetupFinding> {
        val info = try {
            pm.getActivityInfo(ComponentName(pkg, expected), 0)
        } catch (e: PackageManager.NameNotFoundException) {
            null
        }
        if (info != null) {
            return if (info.exported) {
                emptyList()
            } else {
                listOf(
                    SetupFinding(
                        SetupProblem.CALLBACK_ACTIVITY_NOT_EXPORTED, SetupSeverity.ERROR,
                        "$expected is not exported, so DingTalk cannot deliver the $what reply.",
                        "Declare it with android:exported=\"true\".",
                    ),
                )
            }
        }
        val elsewhere = try {
            pm.getPackageInfo(pkg, PackageManager.GET_ACTIVITIES).activities.orEmpty()
                .map { it.name }.firstOrNull { it.endsWith(".$simpleName") }
        } catch (e: PackageManager.NameNotFoundException) {
            null
        }
        return listOf(
            if (elsewhere != null) {
                SetupFinding(
                    SetupProblem.CALLBACK_ACTIVITY_WRONG_PACKAGE, SetupSeverity.ERROR,
                    "The $what callback is declared as $elsewhere, but DingTalk calls exactly $expected " +
                        "(the applicationId, not the Kotlin package).",
                    "Declare the activity with android:name=\"$expected\" (mind applicationIdSuffix in debug builds).",
                )
            } else {
                SetupFinding(
                    SetupProblem.CALLBACK_ACTIVITY_MISSING, SetupSeverity.ERROR,
                    "No activity $expected: DingTalk has nowhere to deliver the $what reply.",
                    "Declare an exported activity at exactly that name (a subclass of the library's callback activity).",
                )
            },
        )
    }

    private fun redirectFindings(context: Context, pm: PackageManager, pkg: String, redirectUri: String): List<SetupFinding> {
        val view = Intent(Intent.ACTION_VIEW, Uri.parse(redirectUri))
            .addCategory(Intent.CATEGORY_BROWSABLE)
            .setPackage(pkg)
        val matches = pm.queryIntentActivities(view, PackageManager.GET_RESOLVED_FILTER)
        if (matches.isEmpty()) {
            return listOf(
                SetupFinding(
                    SetupProblem.REDIRECT_FILTER_MISSING, SetupSeverity.ERROR,
                    "No activity of this app opens $redirectUri, so the browser cannot hand the login back.",
                    "Add an intent filter (VIEW, DEFAULT, BROWSABLE, with the URI's scheme, host and path) to your " +
                        "redirect activity" + if (redirectUri.startsWith("https:")) ", with android:autoVerify=\"true\"." else ".",
                ),
            )
        }
        // What a browser's startActivity cannot reach: an activity that is not exported, a filter without
        // category DEFAULT (startActivity resolves implicit intents with MATCH_DEFAULT_ONLY).
        val unreachable = matches.flatMap { match ->
            val activity = match.activityInfo
            val name = activity?.name ?: return@flatMap emptyList()
            listOfNotNull(
                if (!activity.exported) {
                    SetupFinding(
                        SetupProblem.REDIRECT_ACTIVITY_NOT_EXPORTED, SetupSeverity.ERROR,
                        "$name opens $redirectUri but is not exported, so the browser cannot start it.",
                        "Declare it with android:exported=\"true\".",
                    )
                } else {
                    null
                },
                if (match.filter?.hasCategory(Intent.CATEGORY_DEFAULT) == false) {
                    SetupFinding(
                        SetupProblem.REDIRECT_FILTER_NOT_DEFAULT, SetupSeverity.ERROR,
                        "The intent filter of $name for $redirectUri has no category DEFAULT, so the " +
                            "browser's startActivity does not find it.",
                        "Add <category android:name=\"android.intent.category.DEFAULT\"/> to the filter.",
                    )
                } else {
                    null
                },
            )
        }
        if (unreachable.isNotEmpty()) return unreachable
        if (redirectUri.startsWith("https:", ignoreCase = true) && Build.VERSION.SDK_INT >= 31) {
            // Android 12+: an https link whose domain is not verified opens in the browser, not in the app.
            val host = Uri.parse(redirectUri).host
            val state = try {
                context.getSystemService(DomainVerificationManager::class.java)
                    ?.getDomainVerificationUserState(pkg)?.hostToStateMap?.get(host)
            } catch (e: Exception) {
                null // no verification service (or not allowed to ask): cannot tell, say nothing
            }
            if (state == DomainVerificationUserState.DOMAIN_STATE_NONE) {
                return listOf(
                    SetupFinding(
                        SetupProblem.REDIRECT_NOT_APP_LINK, SetupSeverity.WARNING,
                        "$host is not verified for this app, so Android opens $redirectUri in the browser.",
                        "Set android:autoVerify=\"true\" on the filter and publish " +
                            "https://$host/.well-known/assetlinks.json with this app's signing certificate.",
                    ),
                )
            }
        }
        return emptyList()
    }
}
