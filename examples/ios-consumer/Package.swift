// swift-tools-version:5.9
// An app-side package that adds DingTalkAuth the way apps do: by the repository's URL and a released
// version (SwiftPM resolves the tag v<version>, whose Package.swift names the XCFramework zip attached to
// the GitHub release and its checksum). The release workflow (.github/workflows/release.yml) builds it for
// iOS right after publishing, with DINGTALK_AUTH_VERSION and DINGTALK_AUTH_URL set; the defaults are the
// current release of the canonical repository (scripts/version.py --get version / repository).
import Foundation
import PackageDescription

let environment = ProcessInfo.processInfo.environment
let dingtalkAuthURL = environment["DINGTALK_AUTH_URL"] ?? "https://github.com/dingtalkauth/dingtalk-auth"
let dingtalkAuthVersion = Version(environment["DINGTALK_AUTH_VERSION"] ?? "0.1.0")!

let package = Package(
    name: "ios-consumer",
    platforms: [.iOS(.v15)],
    dependencies: [
        .package(url: dingtalkAuthURL, exact: dingtalkAuthVersion),
    ],
    targets: [
        .target(
            name: "Consumer",
            dependencies: [.product(name: "DingTalkAuth", package: "dingtalk-auth")]
        ),
    ]
)
