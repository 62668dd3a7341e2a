// See settings.gradle.kts: a separate app depending on the published artifacts by coordinates.
buildscript {
    dependencies {
        // As in android-demo/build.gradle.kts: the catalog's Kotlin compiles this app too.
        classpath(libs.kotlin.gradle.plugin)
    }
}

plugins {
    alias(libs.plugins.android.application)
}

// The version an app would write by hand: here the product's version (root Cargo.toml), so the
// workflow tests what it just published.
val dingtalkAuthVersion: String = providers.gradleProperty("dingtalkAuthVersion").orNull
    ?: file("../../Cargo.toml").readText().substringAfter("[workspace.package]")
        .let { Regex("""(?m)^version\s*=\s*"([^"]+)"""").find(it)!!.groupValues[1] }

android {
    namespace = "com.example.consumer"
    compileSdk = libs.versions.compileSdk.get().toInt()

    defaultConfig {
        applicationId = "com.example.consumer"
        minSdk = libs.versions.minSdk.get().toInt()
        targetSdk = libs.versions.targetSdk.get().toInt()
        versionCode = 1
        versionName = "1.0"
    }

    buildTypes {
        release {
            // R8 with the library's consumer rules (JNA, the bindings): assembleRelease must shrink
            // without missing-class errors, also without the DingTalk SDKs this browser-only app omits.
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"))
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    testOptions {
        unitTests.isIncludeAndroidResources = true
    }
}

dependencies {
    // README "Install": the one line.
    implementation("dev.dingtalkauth:dingtalk-auth-android:$dingtalkAuthVersion")
    // README "Testing your app": the test artifact, and no system property or host library to set up.
    testImplementation("dev.dingtalkauth:dingtalk-auth-testing:$dingtalkAuthVersion")
    testImplementation(libs.bundles.robolectric.tests)
}
