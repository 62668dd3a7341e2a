// STAND-IN for DingTalk's ddopenauth SDK (see ddopenauth-standin/README.md). Never shipped.
package com.android.dingtalk.openauth;

/** Starts a new-SDK login. */
public interface IDDAuthApi {
    /** Opens DingTalk (or the SDK's web page); the reply arrives in {@code <applicationId>.ddauth.DDAuthActivity}. */
    void authLogin();
}
