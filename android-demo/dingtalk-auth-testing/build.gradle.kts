// dev.dingtalkauth:dingtalk-auth-testing: what an app adds with `testImplementation` so its JVM unit tests
// (Robolectric) run the real library: the AAR itself carries only Android natives (libdingtalk_auth_ffi.so
// per ABI, and JNA's libjnidispatch.so through jna@aar), which a desktop JVM cannot load.
//   - JNA as the desktop jar (libjnidispatch for Linux, macOS and Windows hosts);
//   - the Rust library built for the host, as the Java resource linux-x86-64/libdingtalk_auth_ffi.so,
//     where JNA looks for a library it cannot find on the system (its documented classpath lookup,
//     <os>-<arch>/<file name>): the library loads with no system property and no file to copy. Linux
//     x86-64 always (the CI runners'); a release adds macOS arm64 and x86-64 (build/host-libs, from the
//     release workflow's macOS runner); elsewhere set uniffi.component.dingtalk_auth_ffi.libraryOverride
//     to a host build (`scripts/bindgen.sh debug`);
//   - `DingTalkReplies`: the intents and URL DingTalk would send back for a LoginRequest.
// The host library comes from scripts/bindgen.sh release (build/lib/, stripped), built from the same
// commit as the AAR: the generated bindings check its API checksums when they load it.
plugins {
    alias(libs.plugins.android.library)
    `maven-publish`
    signing
}

android {
    namespace = "dev.dingtalkauth.testing"
    compileSdk = libs.versions.compileSdk.get().toInt()
    defaultConfig {
        minSdk = libs.versions.minSdk.get().toInt()
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    publishing {
        singleVariant("release") {
            withSourcesJar()
            withJavadocJar()
        }
    }
}

// build/lib/libdingtalk_auth_ffi.so → linux-x86-64/ in the Java resources (the AAR's classes.jar).
abstract class HostLibraryResources : DefaultTask() {
    @get:InputFile
    abstract val library: RegularFileProperty

    /** More hosts, laid out as JNA looks them up (darwin-aarch64/libdingtalk_auth_ffi.dylib, …). */
    @get:InputDirectory
    @get:Optional
    abstract val otherHosts: DirectoryProperty

    @get:OutputDirectory
    abstract val output: DirectoryProperty

    @TaskAction
    fun copy() {
        val out = output.get().asFile
        out.deleteRecursively()
        val dir = out.resolve("linux-x86-64").apply { mkdirs() }
        library.get().asFile.copyTo(dir.resolve("libdingtalk_auth_ffi.so"), overwrite = true)
        otherHosts.orNull?.asFile?.copyRecursively(out, overwrite = true)
    }
}
val hostLibraryResources = tasks.register<HostLibraryResources>("hostLibraryResources") {
    // A missing input fails the build here, naming the file: run scripts/bindgen.sh release first.
    library.set(rootProject.layout.projectDirectory.file("../build/lib/libdingtalk_auth_ffi.so"))
    // The release workflow adds macOS (Apple silicon and Intel) builds from its macOS runner here.
    val others = rootProject.layout.projectDirectory.dir("../build/host-libs")
    if (others.asFile.isDirectory) otherHosts.set(others)
}
androidComponents {
    onVariants { variant ->
        variant.sources.resources?.addGeneratedSourceDirectory(hostLibraryResources, HostLibraryResources::output)
    }
}

// What an app gets (api, implementation) is listed again in gradle/pom.properties, which
// scripts/check-pom.py compares with the POM Gradle writes from these lines.
dependencies {
    api(project(":dingtalk-auth"))
    // The desktop jar (the AAR's classes plus libjnidispatch for desktop hosts), beside jna@aar.
    api(libs.jna)
    // DingTalkReplies reads the extras' names from ddopenauth's constants (inlined at compile time).
    compileOnly(project(":ddopenauth-standin"))
}

// Artifact id, POM name, description and the dependencies the POM lists: gradle/pom.properties.
apply(from = rootProject.file("gradle/publishing.gradle.kts"))
