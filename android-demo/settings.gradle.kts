// The Android side of dingtalk-auth: the library (→ AAR) and a demo app. The Rust core is built into
// dingtalk-auth/src/main/jniLibs by scripts/build-android.sh (cargo-ndk), and its Kotlin bindings are
// generated into build/generated/uniffi by the same script, before Gradle runs.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "dingtalk-auth-android"

include(":dingtalk-auth")
// Published beside it for apps' JVM unit tests (dingtalk-auth-testing/build.gradle.kts).
include(":dingtalk-auth-testing")
include(":app")
// Compile-time stand-in for DingTalk's ddopenauth SDK, which is on no public Maven repository: replace
// it with the AAR DingTalk distributes (see ddopenauth-standin/README.md).
include(":ddopenauth-standin")
