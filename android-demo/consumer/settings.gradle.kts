// An app that uses dingtalk-auth the way any app does: by Maven coordinates only (no project
// dependency, no source), from the file repository `gradle -p android-demo publishAllPublicationsToLocalRepoRepository`
// writes (android-demo/build/repo), or another one with -PdingtalkAuthRepo=URL. Built with R8
// (assembleRelease) and tested under Robolectric with dev.dingtalkauth:dingtalk-auth-testing by the
// Android workflow. A build of its own: `gradle -p android-demo/consumer …`.
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
        maven {
            name = "dingtalkAuth"
            url = java.net.URI(
                providers.gradleProperty("dingtalkAuthRepo")
                    .getOrElse(settingsDir.resolve("../build/repo").canonicalFile.toURI().toString()),
            )
            content { includeGroup("dev.dingtalkauth") }
        }
        google()
        mavenCentral()
    }
    // The same versions as the library (Android Gradle plugin, Kotlin, test libraries).
    versionCatalogs {
        create("libs") { from(files("../gradle/libs.versions.toml")) }
    }
}

rootProject.name = "dingtalk-auth-consumer"
