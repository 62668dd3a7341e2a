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
// Applied with apply(from = …) by each published module.
//
// Every POM field (and the artifact id) comes from gradle/pom.properties, its one home, under the keys
// of every module and of this module's directory name. scripts/check-pom.py reads the same file and
// fails on a published POM that says anything else, dependencies included.
val repository: String = rootProject.layout.projectDirectory.file("../Cargo.toml").asFile.readText()
    .let { Regex("""(?m)^repository\s*=\s*"([^"]+)"""").find(it) ?: error("Cargo.toml: no repository") }
    .groupValues[1].trimEnd('/')
val pomHome = rootProject.layout.projectDirectory.file("gradle/pom.properties").asFile
val pomProperties = java.util.Properties().apply { pomHome.reader(Charsets.UTF_8).use { load(it) } }
// ${repository}, ${slug}, ${version} in the home's values (see its header).
val pomPlaceholders = mapOf(
    "repository" to repository,
    "slug" to repository.removePrefix("https://github.com/"),
    "version" to project.version.toString(),
)
fun pomValue(key: String): String {
    val raw = pomProperties.getProperty(key) ?: error("$pomHome: no $key")
    return Regex("""\$\{(\w+)\}""").replace(raw) { m ->
        pomPlaceholders[m.groupValues[1]] ?: error("$pomHome: $key: unknown placeholder ${m.value}")
    }
}
// license.1.*, license.2.*, …: as many as the home numbers from 1.
fun pomNumbered(prefix: String): List<String> =
    generateSequence(1) { it + 1 }.map { "$prefix.$it" }.takeWhile { pomProperties.containsKey("$it.name") }.toList()
val publishedModule = project.name

configure<PublishingExtension> {
    publications {
        register<MavenPublication>("release") {
            artifactId = pomValue("$publishedModule.artifactId")
            // AGP creates the component when the variants are known.
            afterEvaluate { from(components["release"]) }
            pom {
                name.set(pomValue("$publishedModule.name"))
                description.set(pomValue("$publishedModule.description"))
                url.set(pomValue("url"))
                inceptionYear.set(pomValue("inceptionYear"))
                licenses {
                    for (key in pomNumbered("license")) {
                        license {
                            name.set(pomValue("$key.name"))
                            url.set(pomValue("$key.url"))
                            distribution.set(pomValue("$key.distribution"))
                        }
                    }
                }
                developers {
                    for (key in pomNumbered("developer")) {
                        developer {
                            id.set(pomValue("$key.id"))
                            name.set(pomValue("$key.name"))
                            url.set(pomValue("$key.url"))
                        }
                    }
                }
                scm {
                    url.set(pomValue("scm.url"))
                    connection.set(pomValue("scm.connection"))
                    developerConnection.set(pomValue("scm.developerConnection"))
                    tag.set(pomValue("scm.tag"))
                }
                issueManagement {
                    system.set(pomValue("issueManagement.system"))
                    url.set(pomValue("issueManagement.url"))
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
