// STAND-IN for DingTalk's ddopenauth SDK (see ddopenauth-standin/README.md). Never shipped.
package com.android.dingtalk.openauth;

import android.app.Activity;
import android.content.Context;
import android.content.Intent;
import android.net.Uri;
import com.android.dingtalk.openauth.utils.DDAuthConstant;

/**
 * The stand-in's login: what the real SDK sends DingTalk when DingTalk is installed and new enough, an
 * {@code ACTION_VIEW} of {@code dingtalk://dingtalkclient/action/auth_login} carrying the request in
 * {@link DDAuthConstant}'s {@code EXTRA_MESSAGE_*} extras. It never falls back to a web page (the real
 * SDK's {@code AuthWebviewActivity} is not part of the stand-in), and like the real SDK it swallows a
 * failure to start the activity.
 */
public class DDAuthApi implements IDDAuthApi {
    private final Context mContext;
    private final AuthLoginParam mParam;

    public DDAuthApi(Context context, AuthLoginParam param) {
        if (context == null) throw new IllegalArgumentException("Context is null");
        if (param == null) throw new IllegalArgumentException("AuthLoginParam is null");
        mContext = context;
        mParam = param;
    }

    @Override
    public void authLogin() {
        Intent intent = new Intent(Intent.ACTION_VIEW, Uri.parse("dingtalk://dingtalkclient/action/auth_login"))
                .putExtra(DDAuthConstant.EXTRA_MESSAGE_APP_PACKAGE_NAME, mContext.getPackageName())
                .putExtra(DDAuthConstant.EXTRA_MESSAGE_APP_SIGNATURE, mParam.getAltSignature())
                .putExtra(DDAuthConstant.EXTRA_MESSAGE_APP_ID, mParam.getAppId())
                .putExtra(DDAuthConstant.EXTRA_MESSAGE_REDIRECT_URI, mParam.getRedirectUri())
                .putExtra(DDAuthConstant.EXTRA_MESSAGE_STATE, mParam.getState())
                .putExtra(DDAuthConstant.EXTRA_MESSAGE_NONCE, mParam.getNonce())
                .putExtra(DDAuthConstant.EXTRA_MESSAGE_SCOPE, mParam.getScope())
                .putExtra(DDAuthConstant.EXTRA_MESSAGE_RESPONSE_TYPE, mParam.getResponseType())
                .putExtra(DDAuthConstant.EXTRA_MESSAGE_PROMPT, mParam.getPrompt());
        if (!(mContext instanceof Activity)) intent.addFlags(Intent.FLAG_ACTIVITY_NEW_TASK);
        try {
            mContext.startActivity(intent);
        } catch (RuntimeException e) {
            // DingTalk is not installed: the real SDK would have opened its web page instead.
        }
    }
}
