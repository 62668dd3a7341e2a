// How the two published modules (dingtalk-auth → dingtalk-auth-android, dingtalk-auth-testing) are
// published: the release variant as dev.dingtalkauth:<artifactId>:<version> (group and version: the root
// build.gradle.kts, from Cargo.toml), with the POM Maven Central requires (name, description, URL,
// license, SCM, developers; Gradle adds the dependencies, JNA as <type>aar</type>), to
//   - `localRepo`: android-demo/build/repo, a file repository (`publishAllPublicationsToLocalRepoRepository`),
//     which the hosted workflow publishes to and builds android-demo/consumer against by coordinates;
//   - `mavenCentral`: Sonatype's OSSRH-compatible staging endpoint for the Central Portal, only when
//     the credentials are given (Gradle properties mavenCentralUsername / mavenCentralPassword, e.g. as
//     ORG_GRADLE_PROJECT_mavenCentralUsername from the release workflow's secrets).
// Signed (Maven Central requires .asc signatures) when signingInMemoryKey (an ASCII-armoured private key)
// and signingInMemoryKeyPassword are given; without them nothing is signed and local publishing works.
// Applied with apply(from = …) after the module sets extra["artifactId"], ["pomName"], ["pomDescription"].
val repository: String = rootProject.layout.projectDirectory.file("../Cargo.toml").asFile.readText()
    .let { Regex("""(?m)^repository\s*=\s*"([^"]+)"""").find(it) ?: error("Cargo.toml: no repository") }
    .groupValues[1]
val slug = repository.removePrefix("https://github.com/")

configure<PublishingExtension> {
    publications {
        register<MavenPublication>("release") {
            artifactId = project.extra["artifactId"] as String
            // AGP creates the component when the variants are known.
            afterEvaluate { from(components["release"]) }
            pom {
                name.set(project.extra["pomName"] as String)
                description.set(project.extra["pomDescription"] as String)
                url.set(repository)
                inceptionYear.set("2026")
                licenses {
                    // The crates' `license = "MIT OR Apache-2.0"` (Cargo.toml): both, the user's choice.
                    license {
                        name.set("MIT License")
                        url.set("https://opensource.org/license/mit")
                        distribution.set("repo")
                    }
                    license {
                        name.set("Apache License, Version 2.0")
                        url.set("https://www.apache.org/licenses/LICENSE-2.0.txt")
                        distribution.set("repo")
                    }
                }
                developers {
                    developer {
                        id.set("dingtalkauth")
                        name.set("The dingtalk-auth authors")
                        url.set(repository)
                    }
                }
                scm {
                    url.set(repository)
                    connection.set("scm:git:$repository.git")
                    developerConnection.set("scm:git:ssh://git@github.com/$slug.git")
                    tag.set("v${project.version}")
                }
                issueManagement {
                    system.set("GitHub")
                    url.set("$repository/issues")
                }
            }
        }
    }
    repositories {
        maven {
            name = "localRepo"
            url = rootProject.layout.buildDirectory.dir("repo").get().asFile.toURI()
        }
        val user = providers.gradleProperty("mavenCentralUsername").orNull
        val password = providers.gradleProperty("mavenCentralPassword").orNull
        if (user != null && password != null) {
            maven {
                name = "mavenCentral"
                url = uri("https://ossrh-staging-api.central.sonatype.com/service/local/staging/deploy/maven2/")
                credentials {
                    username = user
                    this.password = password
                }
            }
        }
    }
}

val signingKey = providers.gradleProperty("signingInMemoryKey").orNull
if (signingKey != null) {
    configure<SigningExtension> {
        useInMemoryPgpKeys(signingKey, providers.gradleProperty("signingInMemoryKeyPassword").orNull)
        sign(the<PublishingExtension>().publications)
    }
}
