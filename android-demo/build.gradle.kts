// Versions: gradle/libs.versions.toml, shared with the Maven builds (see its header).
buildscript {
    dependencies {
        // AGP 9 compiles Kotlin itself with the Kotlin Gradle plugin it depends on; this puts the
        // catalog's Kotlin on the build classpath instead, so Gradle and the Maven builds compile with
        // the same Kotlin (AGP 9.0 release notes, "built-in Kotlin": a higher KGP on the classpath wins).
        classpath(libs.kotlin.gradle.plugin)
    }
}

// The product's one version (the root Cargo.toml's `[workspace.package] version`, checked by
// scripts/version.py) and the group every published module shares: dev.dingtalkauth:<module>:<version>.
val productVersion: String = rootProject.layout.projectDirectory.file("../Cargo.toml").asFile.readText()
    .substringAfter("[workspace.package]")
    .let { Regex("""(?m)^version\s*=\s*"([^"]+)"""").find(it) ?: error("Cargo.toml: no [workspace.package] version") }
    .groupValues[1]
subprojects {
    group = "dev.dingtalkauth"
    version = productVersion
}

// Plugins are declared here once (not applied) so every module uses the same versions.
plugins {
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.android.library) apply false
}

// -PdingtalkDdopenauth=real (hosted CI's real-ddopenauth job): every module that uses ddopenauth's Java
// stand-in gets DingTalk's AAR instead, at the catalog's version (Maven Central).
if (providers.gradleProperty("dingtalkDdopenauth").orNull == "real") {
    val ddopenauth = libs.dingtalk.ddopenauth.get().let { "${it.module}:${it.versionConstraint.requiredVersion}" }
    subprojects {
        configurations.configureEach {
            resolutionStrategy.dependencySubstitution {
                substitute(project(":ddopenauth-standin")).using(module(ddopenauth)).because("the real SDK, not its stand-in")
            }
        }
    }
}
