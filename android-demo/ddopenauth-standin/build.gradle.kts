// STAND-IN for DingTalk's ddopenauth SDK (see ddopenauth-standin/README.md): the real SDK's public shape,
// in Java like the real SDK, so that dingtalk-auth compiles to the same calls against both. compileOnly
// in the library; never part of the AAR. Builds with -PdingtalkDdopenauth=real use DingTalk's AAR.
plugins {
    alias(libs.plugins.android.library)
}

android {
    namespace = "com.android.dingtalk.openauth.standin"
    compileSdk = libs.versions.compileSdk.get().toInt()
    defaultConfig { minSdk = libs.versions.minSdk.get().toInt() }
}
