// STAND-IN for DingTalk's ddopenauth SDK (see ddopenauth-standin/README.md): the documented API's
// shape only, so that dingtalk-auth compiles. Never shipped.
package com.android.dingtalk.openauth

/** The new SDK's login request, built with [AuthLoginParamBuilder]. */
class AuthLoginParam internal constructor(
    /** ClientId (AppKey). */
    val appId: String,
    /** Redirect URI registered with DingTalk. */
    val redirectUri: String,
    /** "code". */
    val responseType: String,
    /** "openid" or "openid corpid". */
    val scope: String,
    /** "consent". */
    val prompt: String,
    /** Echoed back in the result's `state` extra. */
    val state: String,
    /** Echoed into the ID token, when DingTalk issues one. */
    val nonce: String,
) {
    /** Builder with the documented setter names. */
    class AuthLoginParamBuilder {
        private var appId = ""
        private var redirectUri = ""
        private var responseType = ""
        private var scope = ""
        private var prompt = ""
        private var state = ""
        private var nonce = ""

        /** Sets the ClientId. */
        fun appId(value: String) = apply { appId = value }
        /** Sets the redirect URI. */
        fun redirectUri(value: String) = apply { redirectUri = value }
        /** Sets the response type ("code"). */
        fun responseType(value: String) = apply { responseType = value }
        /** Sets the scope. */
        fun scope(value: String) = apply { scope = value }
        /** Sets the prompt ("consent"). */
        fun prompt(value: String) = apply { prompt = value }
        /** Sets the state. */
        fun state(value: String) = apply { state = value }
        /** Sets the nonce. */
        fun nonce(value: String) = apply { nonce = value }
        /** The parameters. */
        fun build() = AuthLoginParam(appId, redirectUri, responseType, scope, prompt, state, nonce)

        companion object {
            /** A new builder. */
            @JvmStatic
            fun newBuilder() = AuthLoginParamBuilder()
        }
    }
}
