// swift-tools-version:5.9
// Host (Linux) tests of the generated Swift bindings. Not the shipped iOS package: scripts/test-swift.sh
// copies this directory into a Debian trixie chroot together with the generated sources
// (Sources/DingTalkAuth/DingTalkAuth.swift, Sources/DingTalkAuthFFI/{DingTalkAuthFFI.h,module.modulemap})
// and the host-built libdingtalk_auth_ffi.so (lib/), then runs `swift test` there.
// Language mode 5: the generated code and these tests are checked for behaviour, not for Swift 6
// strict-concurrency diagnostics.
import PackageDescription

// The Rust cdylib is copied into <package>/lib by the scripts; link it and find it again at run time.
let libDir = Context.packageDirectory + "/lib"
let linkRust: [LinkerSetting] = [
    .linkedLibrary("dingtalk_auth_ffi"),
    .unsafeFlags(["-L", libDir, "-Xlinker", "-rpath", "-Xlinker", libDir]),
]

let package = Package(
    name: "DingTalkAuthHostTests",
    targets: [
        // The generated C header of the Rust scaffolding (module.modulemap renamed from DingTalkAuthFFI.modulemap).
        .systemLibrary(name: "DingTalkAuthFFI", path: "Sources/DingTalkAuthFFI"),
        // The generated Swift bindings, compiled as the module apps import.
        .target(
            name: "DingTalkAuth",
            dependencies: ["DingTalkAuthFFI"],
            path: "Sources/DingTalkAuth",
            linkerSettings: linkRust
        ),
        .executableTarget(
            name: "DingTalkAuthBench",
            dependencies: ["DingTalkAuth"],
            path: "Sources/DingTalkAuthBench",
            linkerSettings: linkRust
        ),
        .testTarget(
            name: "DingTalkAuthTests",
            dependencies: ["DingTalkAuth"],
            path: "Tests/DingTalkAuthTests",
            linkerSettings: linkRust
        ),
        // End to end on loopback: the bindings against the reference backend and the fake DingTalk that
        // scripts/with-demo-servers.sh starts (DINGTALK_DEMO_*; scripts/test-swift.sh starts them itself).
        // Without those servers every test here fails.
        .testTarget(
            name: "DingTalkAuthE2ETests",
            dependencies: ["DingTalkAuth"],
            path: "Tests/DingTalkAuthE2ETests",
            linkerSettings: linkRust
        ),
    ]
)
