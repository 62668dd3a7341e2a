// STAND-IN for DingTalk's ddopenauth SDK (see ddopenauth-standin/README.md): the public shape of its
// classes, in Java like the real SDK, so that dingtalk-auth compiles to the same bytecode against both.
// Never shipped.
package com.android.dingtalk.openauth;

/** The new SDK's login request, built with {@link AuthLoginParamBuilder}. */
public class AuthLoginParam {
    String mAppId;
    String mRedirectUri;
    String mResponseType;
    String mScope;
    String mPrompt;
    String mState;
    String mNonce;
    String mAltSignature;

    /** Public like the real SDK's: the builder is the documented way to fill one. */
    public AuthLoginParam() {}

    /** The ClientId (AppKey). */
    public String getAppId() { return mAppId; }

    /** The redirect URI registered with DingTalk (DingTalk only checks its domain). */
    public String getRedirectUri() { return mRedirectUri; }

    /** "code". */
    public String getResponseType() { return mResponseType; }

    /** "openid" or "openid corpid". */
    public String getScope() { return mScope; }

    /** "consent". */
    public String getPrompt() { return mPrompt; }

    /** Echoed back in the reply's {@code state} extra. */
    public String getState() { return mState; }

    /** Echoed into the ID token, when DingTalk issues one. */
    public String getNonce() { return mNonce; }

    /** A signature to send instead of the app's own (the real SDK honours it in debuggable apps only). */
    public String getAltSignature() { return mAltSignature; }

    /** Builder with the documented setter names; every field starts as "". */
    public static final class AuthLoginParamBuilder {
        private String mAppId = "";
        private String mRedirectUri = "";
        private String mResponseType = "";
        private String mScope = "";
        private String mPrompt = "";
        private String mState = "";
        private String mNonce = "";
        private String mAltSignature = "";

        /** A plain static method, as in the real SDK (no companion object). */
        public static AuthLoginParamBuilder newBuilder() { return new AuthLoginParamBuilder(); }

        public AuthLoginParamBuilder appId(String value) { mAppId = value; return this; }

        public AuthLoginParamBuilder redirectUri(String value) { mRedirectUri = value; return this; }

        public AuthLoginParamBuilder responseType(String value) { mResponseType = value; return this; }

        public AuthLoginParamBuilder scope(String value) { mScope = value; return this; }

        public AuthLoginParamBuilder prompt(String value) { mPrompt = value; return this; }

        public AuthLoginParamBuilder state(String value) { mState = value; return this; }

        public AuthLoginParamBuilder nonce(String value) { mNonce = value; return this; }

        public AuthLoginParamBuilder altSignature(String value) { mAltSignature = value; return this; }

        public AuthLoginParam build() {
            AuthLoginParam param = new AuthLoginParam();
            param.mAppId = mAppId;
            param.mRedirectUri = mRedirectUri;
            param.mResponseType = mResponseType;
            param.mScope = mScope;
            param.mPrompt = mPrompt;
            param.mState = mState;
            param.mNonce = mNonce;
            param.mAltSignature = mAltSignature;
            return param;
        }
    }
}
