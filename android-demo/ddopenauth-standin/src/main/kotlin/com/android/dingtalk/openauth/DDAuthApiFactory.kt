// STAND-IN for DingTalk's ddopenauth SDK (see ddopenauth-standin/README.md). Never shipped.
package com.android.dingtalk.openauth

import android.content.Context

/** Starts a new-SDK login. */
interface IDDAuthApi {
    /** Opens DingTalk (or its H5 page); the result arrives in `<applicationId>.ddauth.DDAuthActivity`. */
    fun authLogin()
}

/** Creates [IDDAuthApi] instances. */
object DDAuthApiFactory {
    /** Stand-in only: the parameters of the last [IDDAuthApi.authLogin] call, for the host tests. */
    @Volatile
    @JvmStatic
    var lastLogin: AuthLoginParam? = null

    /** The API for one login. The stand-in's [IDDAuthApi.authLogin] records [param] and starts nothing. */
    @JvmStatic
    fun createDDAuthApi(context: Context, param: AuthLoginParam): IDDAuthApi = object : IDDAuthApi {
        override fun authLogin() {
            lastLogin = param
        }
    }
}
