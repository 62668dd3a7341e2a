#!/usr/bin/env bash
# macOS with Xcode only (.github/workflows/ios.yml); never run on Linux. Two phases on an iOS simulator,
# against the demo servers' addresses from scripts/with-demo-servers.sh:
#   1. the Swift package's own XCTests (ios-demo/DingTalkAuth/Tests, ios-demo/DemoKitTests) built for the
#      simulator against the XCFramework's simulator slice: the tests scripts/test-ios.sh runs on Linux;
#   2. the demo project's tests (from `xcodegen generate --spec ios-demo/project.yml`): the Keychain
#      backend's unit tests hosted by the app (a hostless SwiftPM bundle has no keychain access), and the
#      XCUITests.
#   scripts/with-demo-servers.sh scripts/ios-simulator-tests.sh
# Env: IOS_SIMULATOR (default "iPhone 16"): the simulator device name.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
: "${DINGTALK_DEMO_BACKEND:?run under scripts/with-demo-servers.sh}"
: "${DINGTALK_DEMO_FAKE:?run under scripts/with-demo-servers.sh}"
[ -d build/ios/DingTalkAuthFFI.xcframework ] || { echo "ios-simulator-tests: run scripts/build-xcframework.sh first" >&2; exit 1; }
[ -d ios-demo/DingTalkAuthDemo.xcodeproj ] || { echo "ios-simulator-tests: run xcodegen generate --spec ios-demo/project.yml first" >&2; exit 1; }
DESTINATION="platform=iOS Simulator,name=${IOS_SIMULATOR:-iPhone 16}"
mkdir -p build/ios
rm -rf build/ios/PackageTests.xcresult build/ios/UITests.xcresult
# xcodebuild passes TEST_RUNNER_<NAME> to the test process as <NAME>; the UI tests hand them to the app.
for name in DINGTALK_DEMO_BACKEND DINGTALK_DEMO_FAKE DINGTALK_DEMO_ORG_BACKEND DINGTALK_DEMO_ORG_FAKE \
    DINGTALK_DEMO_LEGACY_APP_KEY DINGTALK_DEMO_CLIENT_ID DINGTALK_DEMO_ALLOWED_CORP DINGTALK_DEMO_UPSTREAM_TIMEOUT_MS; do
  export "TEST_RUNNER_$name=${!name:-}"
done
# The local XCFramework (build-xcframework.sh), even on a release commit.
export DINGTALK_AUTH_LOCAL_XCFRAMEWORK=1

# A package with one library product has no aggregate "<name>-Package" scheme; its product scheme runs the tests.
scheme=DingTalkAuth
if xcodebuild -list 2>/dev/null | grep -qx '[[:space:]]*DingTalkAuth-Package'; then scheme=DingTalkAuth-Package; fi
echo "ios-simulator-tests: the package's XCTests (scheme $scheme) on $DESTINATION" >&2
xcodebuild test -scheme "$scheme" -destination "$DESTINATION" \
  -resultBundlePath build/ios/PackageTests.xcresult

echo "ios-simulator-tests: the demo's Keychain tests and XCUITests on $DESTINATION" >&2
xcodebuild test \
  -project ios-demo/DingTalkAuthDemo.xcodeproj \
  -scheme DingTalkAuthDemo \
  -destination "$DESTINATION" \
  -resultBundlePath build/ios/UITests.xcresult
