// STAND-IN for DingTalk's ddopenauth SDK (com.android.dingtalk.openauth), which no public Maven
// repository serves. It has the documented API's shape only, so the library compiles; it is compileOnly
// everywhere and never shipped. An app that uses the new-SDK flow adds DingTalk's real AAR instead.
plugins {
    alias(libs.plugins.android.library)
}

android {
    namespace = "com.android.dingtalk.openauth.standin"
    compileSdk = libs.versions.compileSdk.get().toInt()
    defaultConfig { minSdk = libs.versions.minSdk.get().toInt() }
}
