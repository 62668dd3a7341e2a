// STAND-IN for DingTalk's ddopenauth SDK (see ddopenauth-standin/README.md). Never shipped.
package com.android.dingtalk.openauth.utils;

/** The names the SDK uses: the reply's extras and the request's extras. */
public class DDAuthConstant {
    /** {@link #CALLBACK_EXTRA_TYPE} when DingTalk answered. */
    public static final String AUTH_LOGIN_TYPE_APP = "app";
    /** {@link #CALLBACK_EXTRA_TYPE} when the SDK's own web login answered. */
    public static final String AUTH_LOGIN_TYPE_WEB = "web";
    /** The reply's extras, delivered to {@code <applicationId>.ddauth.DDAuthActivity}. */
    public static final String CALLBACK_EXTRA_AUTH_CODE = "authCode";
    public static final String CALLBACK_EXTRA_ERROR = "error";
    public static final String CALLBACK_EXTRA_STATE = "state";
    public static final String CALLBACK_EXTRA_TYPE = "type";
    /** The request's extras, sent to DingTalk (or the SDK's web login). */
    public static final String EXTRA_MESSAGE_APP_ID = "android.intent.ding.EXTRA_MESSAGE_APP_ID";
    public static final String EXTRA_MESSAGE_APP_PACKAGE_NAME = "android.intent.ding.EXTRA_MESSAGE_APP_PACKAGE_NAME";
    public static final String EXTRA_MESSAGE_APP_SIGNATURE = "android.intent.ding.EXTRA_MESSAGE_APP_SIGNATURE";
    public static final String EXTRA_MESSAGE_NONCE = "android.intent.ding.EXTRA_MESSAGE_NONCE";
    public static final String EXTRA_MESSAGE_PROMPT = "android.intent.ding.EXTRA_MESSAGE_PROMPT";
    public static final String EXTRA_MESSAGE_REDIRECT_URI = "android.intent.ding.EXTRA_MESSAGE_REDIRECT_URI";
    public static final String EXTRA_MESSAGE_RESPONSE_TYPE = "android.intent.ding.EXTRA_MESSAGE_RESPONSE_TYPE";
    public static final String EXTRA_MESSAGE_SCOPE = "android.intent.ding.EXTRA_MESSAGE_SCOPE";
    public static final String EXTRA_MESSAGE_SDK_VERSION = "android.intent.ding.EXTRA_MESSAGE_SDK_VERSION";
    public static final String EXTRA_MESSAGE_STATE = "android.intent.ding.EXTRA_MESSAGE_STATE";
}
