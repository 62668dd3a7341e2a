// The demo app. Its integration tests live once in src/sharedTest and run twice: as JVM unit tests under
// Robolectric (src/test adds the JVM-only bits) and as instrumented tests on an emulator (src/androidTest).
// Both need the reference backend + fake DingTalk: see .github/workflows/android.yml.
plugins {
    alias(libs.plugins.android.application)
}

// The host-built Rust library for the JVM unit tests (scripts/bindgen.sh debug builds it).
val hostLibrary = rootProject.layout.projectDirectory.file("../target/debug/libdingtalk_auth_ffi.so").asFile

android {
    namespace = "dev.dingtalkauth.demo"
    compileSdk = libs.versions.compileSdk.get().toInt()

    defaultConfig {
        applicationId = "dev.dingtalkauth.demo"
        minSdk = libs.versions.minSdk.get().toInt()
        targetSdk = libs.versions.targetSdk.get().toInt()
        versionCode = 1
        versionName = project.version.toString()
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
    }

    sourceSets {
        getByName("test") { java.srcDir("src/sharedTest/kotlin") }
        getByName("androidTest") { java.srcDir("src/sharedTest/kotlin") }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    testOptions {
        // Robolectric reads the merged manifest and resources through AGP's test_config.properties.
        unitTests.isIncludeAndroidResources = true
        unitTests.all {
            it.systemProperty("uniffi.component.dingtalk_auth_ffi.libraryOverride", hostLibrary.absolutePath)
            // The servers of scripts/with-demo-servers.sh reach the tests through DINGTALK_DEMO_* (inherited).
        }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"))
        }
    }
}

dependencies {
    implementation(project(":dingtalk-auth"))
    implementation(libs.kotlinx.coroutines.android)
    // The demo ships DDShare (legacy flow) and ddopenauth: the Java stand-in (its authLogin() starts
    // DingTalk if installed, nothing else: use the simulated DingTalk), or DingTalk's real AAR with
    // -PdingtalkDdopenauth=real (hosted CI's real-ddopenauth job; see the root build.gradle.kts).
    implementation(libs.dingtalk.ddsharesdk)
    implementation(project(":ddopenauth-standin"))

    testImplementation(libs.bundles.robolectric.tests)
    // JNA's desktop jar beside jna@aar (which has Android natives only), as in dingtalk-auth's own tests.
    testImplementation(libs.jna) { artifact { type = "jar" } }

    androidTestImplementation(libs.androidx.test.core)
    androidTestImplementation(libs.androidx.test.ext.junit)
    androidTestImplementation(libs.androidx.test.runner)
}
