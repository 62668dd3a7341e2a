// STAND-IN for DingTalk's ddopenauth SDK (see ddopenauth-standin/README.md). Never shipped.
package com.android.dingtalk.openauth;

import android.content.Context;

/** Creates {@link IDDAuthApi} instances. */
public class DDAuthApiFactory {
    /** The API for one login. */
    public static IDDAuthApi createDDAuthApi(Context context, AuthLoginParam param) {
        return new DDAuthApi(context, param);
    }
}
