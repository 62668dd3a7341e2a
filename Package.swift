// swift-tools-version:5.9
// The Swift package `DingTalkAuth`, added to an app by this repository's git URL. It is small on purpose:
// the sources live under ios-demo/DingTalkAuth/ (see its README.md), beside the demo app that uses them
// (ios-demo/), as the Android library sits beside its demo in android-demo/.
//
// The Rust core comes in as the target `DingTalkAuthFFI`:
// - Apple platforms: an XCFramework `binaryTarget` (static library + C header + module map), built by
//   scripts/build-xcframework.sh. Which one is chosen without editing this file by hand:
//     * `releaseXCFramework` below is nil on development commits: the local build/ios/… path is used;
//     * `scripts/build-xcframework.sh --release-url URL` rewrites the marked block with that URL and the
//       zip's checksum (a release commit); apps adding the package at that tag download it;
//     * DINGTALK_AUTH_LOCAL_XCFRAMEWORK=1 in the environment forces the local path even on a release commit.
// - Linux (how every Swift test here runs, scripts/test-ios.sh): a `systemLibrary` over the generated C
//   header, linked against the host-built libdingtalk_auth_ffi.so (-L/rpath given on the command line, so
//   the manifest needs no unsafeFlags, which SwiftPM refuses in a package added as a dependency).
//
// The generated Swift (ios-demo/DingTalkAuth/Sources/DingTalkAuth/Generated/DingTalkAuth.swift) is produced
// from the built library by scripts/bindgen.sh / build-xcframework.sh and is not committed on development
// branches.
import Foundation
import PackageDescription

// BEGIN release XCFramework (written by scripts/build-xcframework.sh --release-url; do not edit by hand)
let releaseXCFramework: (url: String, checksum: String)? = nil
// END release XCFramework

/// Where scripts/build-xcframework.sh puts the development XCFramework (inside the package, as SwiftPM requires).
let localXCFrameworkPath = "build/ios/DingTalkAuthFFI.xcframework"

#if os(Linux)
let ffiTarget: Target = .systemLibrary(name: "DingTalkAuthFFI", path: "ios-demo/DingTalkAuth/Sources/DingTalkAuthFFI")
let rustLinkerSettings: [LinkerSetting] = [.linkedLibrary("dingtalk_auth_ffi")]
// The Swift side of the bindings benchmark (scripts/bench-swift.sh): a release-built executable against the
// host library. Linux only: on Apple platforms the package ships a library for iOS and nothing else.
let linuxOnlyTargets: [Target] = [
    .executableTarget(
        name: "DingTalkAuthBench",
        dependencies: ["DingTalkAuth"],
        path: "ios-demo/DingTalkAuth/Benchmarks/DingTalkAuthBench"
    ),
]
#else
let forceLocal = ProcessInfo.processInfo.environment["DINGTALK_AUTH_LOCAL_XCFRAMEWORK"] == "1"
let ffiTarget: Target = {
    if let release = releaseXCFramework, !forceLocal {
        return .binaryTarget(name: "DingTalkAuthFFI", url: release.url, checksum: release.checksum)
    }
    return .binaryTarget(name: "DingTalkAuthFFI", path: localXCFrameworkPath)
}()
let rustLinkerSettings: [LinkerSetting] = []
let linuxOnlyTargets: [Target] = []
#endif

let package = Package(
    name: "DingTalkAuth",
    // iOS 15: Swift concurrency on the OS's own runtime (no back-deployed runtime for the async logins),
    // `.onOpenURL`, and every API the layer uses. macOS 12 only so the sources type-check on a Mac host:
    // the XCFramework has no macOS slice, so apps build for iOS.
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "DingTalkAuth", targets: ["DingTalkAuth"]),
        // For an app's test target only: DingTalk's answers without DingTalk (`DingTalkReplies`), the
        // counterpart of the Android artifact `dingtalk-auth-testing`.
        .library(name: "DingTalkAuthTesting", targets: ["DingTalkAuthTesting"]),
    ],
    targets: [
        ffiTarget,
        // The generated bindings (Generated/) and the thin Swift layer over them, one module.
        .target(
            name: "DingTalkAuth",
            dependencies: ["DingTalkAuthFFI"],
            path: "ios-demo/DingTalkAuth/Sources/DingTalkAuth",
            exclude: ["Generated/README.md"],
            linkerSettings: rustLinkerSettings
        ),
        // DingTalk's replies for an app's tests. No XCTest inside: usable from any test framework.
        .target(
            name: "DingTalkAuthTesting",
            dependencies: ["DingTalkAuth"],
            path: "ios-demo/DingTalkAuth/Testing"
        ),
        // The demo app's logic (view models, simulated DingTalk), compiled into ios-demo's app target by
        // XcodeGen and tested here on Linux. Not a product: apps never see it.
        .target(
            name: "DingTalkAuthDemoKit",
            dependencies: ["DingTalkAuth"],
            path: "ios-demo/DemoKit"
        ),
        // The generated code and the layer over it: every exported item reachable, errors and Swift
        // callbacks (store, clock) crossing the boundary, threads, lifetimes, and the layer's own glue
        // (URL routing, SDK adapters, continuations, stores, the setup check). The rules themselves are
        // tested once, in Rust (core/tests).
        .testTarget(
            name: "DingTalkAuthTests",
            dependencies: ["DingTalkAuth"],
            path: "ios-demo/DingTalkAuth/Tests/DingTalkAuthTests",
            exclude: ["Fixtures"]
        ),
        // Tests written as an app's would be, with DingTalkAuthTesting (README "Testing your app").
        .testTarget(
            name: "DingTalkAuthTestingTests",
            dependencies: ["DingTalkAuth", "DingTalkAuthTesting"],
            path: "ios-demo/DingTalkAuth/Tests/DingTalkAuthTestingTests"
        ),
        // Whole logins through the bindings against the reference backend and the fake DingTalk that
        // scripts/with-demo-servers.sh starts (DINGTALK_DEMO_*; scripts/test-ios.sh starts them itself).
        // Without those servers every test here fails.
        .testTarget(
            name: "DingTalkAuthE2ETests",
            dependencies: ["DingTalkAuth"],
            path: "ios-demo/DingTalkAuth/Tests/DingTalkAuthE2ETests"
        ),
        // Whole logins through the demo's view models against the reference backend + fake DingTalk
        // (DINGTALK_DEMO_* from scripts/with-demo-servers.sh; without them these tests fail).
        .testTarget(
            name: "DingTalkAuthDemoKitTests",
            dependencies: ["DingTalkAuthDemoKit", "DingTalkAuth"],
            path: "ios-demo/DemoKitTests"
        ),
    ] + linuxOnlyTargets
)
