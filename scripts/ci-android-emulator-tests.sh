#!/usr/bin/env bash
# Hosted CI only (.github/workflows/android.yml, inside reactivecircus/android-emulator-runner): runs the
# shared integration tests (android-demo/app/src/sharedTest) as instrumented tests on the running
# emulator, against the reference backend + fake DingTalk started on the runner's loopback by
# scripts/with-demo-servers.sh. The emulator reaches the runner's 127.0.0.1 as 10.0.2.2.
# First, alone in a fresh process each, the startup measurements of StartupTimingTest (the first call into
# the library with and without DingTalkAuthLibrary.preload()); then the whole suite; then prints the
# timing lines the measurements logged.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z "${DINGTALK_DEMO_BACKEND:-}" ]]; then
    exec "$ROOT/scripts/with-demo-servers.sh" "$ROOT/scripts/ci-android-emulator-tests.sh" "$@"
fi
on_device() { echo "${1/127.0.0.1/10.0.2.2}"; }
arg() { echo "-Pandroid.testInstrumentationRunnerArguments.$1=$2"; }
connected() {
    gradle -p "$ROOT/android-demo" --no-daemon :app:connectedDebugAndroidTest \
        "$(arg dingtalkBackend "$(on_device "$DINGTALK_DEMO_BACKEND")")" \
        "$(arg dingtalkFake "$(on_device "$DINGTALK_DEMO_FAKE")")" \
        "$(arg dingtalkLegacyAppKey "$DINGTALK_DEMO_LEGACY_APP_KEY")" \
        "$(arg dingtalkClientId "$DINGTALK_DEMO_CLIENT_ID")" "$@"
}
adb logcat -c || true
# The startup measurements first, each alone in a fresh instrumentation process (a cold library).
for t in firstCallLoadingTheLibrary firstCallAfterPreload; do
    connected "$(arg class "dev.dingtalkauth.demo.StartupTimingTest#$t")"
done
connected
echo "startup timing on the device (first call into the library, fresh process each):"
adb logcat -d -s DingTalkAuthTiming:I | grep -E "first call" || { echo "no timing line in logcat" >&2; exit 1; }
