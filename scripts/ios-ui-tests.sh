#!/usr/bin/env bash
# Runs the demo's XCUITests on a simulator (macOS with Xcode; .github/workflows/ios.yml). Expects the
# demo servers' addresses from scripts/with-demo-servers.sh and the project from
# `xcodegen generate --spec ios-demo/project.yml`:
#   scripts/with-demo-servers.sh scripts/ios-ui-tests.sh
# Env: IOS_SIMULATOR (default "iPhone 16"): the simulator device name.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
: "${DINGTALK_DEMO_BACKEND:?run under scripts/with-demo-servers.sh}"
: "${DINGTALK_DEMO_FAKE:?run under scripts/with-demo-servers.sh}"
[ -d ios-demo/DingTalkAuthDemo.xcodeproj ] || { echo "ios-ui-tests: run xcodegen generate --spec ios-demo/project.yml first" >&2; exit 1; }
mkdir -p build/ios
rm -rf build/ios/UITests.xcresult
# xcodebuild passes TEST_RUNNER_<NAME> to the test runner as <NAME>; the UI tests hand them to the app.
export TEST_RUNNER_DINGTALK_DEMO_BACKEND="$DINGTALK_DEMO_BACKEND"
export TEST_RUNNER_DINGTALK_DEMO_FAKE="$DINGTALK_DEMO_FAKE"
export TEST_RUNNER_DINGTALK_DEMO_LEGACY_APP_KEY="${DINGTALK_DEMO_LEGACY_APP_KEY:-}"
export TEST_RUNNER_DINGTALK_DEMO_CLIENT_ID="${DINGTALK_DEMO_CLIENT_ID:-}"
# The local XCFramework (build-xcframework.sh), even on a release commit.
export DINGTALK_AUTH_LOCAL_XCFRAMEWORK=1
xcodebuild test \
  -project ios-demo/DingTalkAuthDemo.xcodeproj \
  -scheme DingTalkAuthDemo \
  -destination "platform=iOS Simulator,name=${IOS_SIMULATOR:-iPhone 16}" \
  -resultBundlePath build/ios/UITests.xcresult
