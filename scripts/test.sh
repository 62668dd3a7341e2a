#!/usr/bin/env bash
# The one test command (README, .ci/run): every layer, each failing loudly when it cannot run.
#   1. rustfmt + clippy -D warnings        4. generated Kotlin on the JVM (scripts/test-kotlin.sh)
#   2. Rust unit/property/integration tests 5. Android library + demo under Robolectric (scripts/test-android.sh)
#   2b. backends sharing Redis: plain, TLS, Cluster, AOF restart (scripts/test-server-cluster.sh)
#   2c. the internal-app backend: JWTs checked by PyJWT, the workbench page in Chromium
#       (scripts/test-server-enterprise.sh)
#   5b. the published Android artifacts by coordinates: a consumer app (scripts/test-android-consumer.sh)
#   3. cargo-fuzz, bounded (nightly)        6. the shipped library's size budgets (scripts/size.sh), on x86_64
#                                              Linux and all four Android ABIs, with the link patch checked on each
#                                           7. Swift on Linux: the generated bindings, the iOS package layer
#                                              and the demo's logic, one package (scripts/test-ios.sh)
# Installs what it needs (Maven/JDK, aapt, lld, redis-tools via apt, cargo-fuzz via cargo, the Swift
# chroot via debootstrap). Needs the nightly toolchain (fuzzing, the Android type-check).
# Env: FUZZ_SECONDS (per target, default 20; 0 skips fuzzing, and the summary then says the run was partial).
#
# Counts come from machine-readable reports, read by scripts/lib/test_reports.py: JUnit XML (Surefire for
# Kotlin and Android, `swift test --xunit-output` for Swift), libtest's summary lines for Rust, and the
# cluster script's own summary line. The summary counts only tests that ran and passed: skipped / ignored
# tests are listed by name and counted apart, and every layer (and the README samples each language
# compiles) must count above zero.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LOGS="$ROOT/target/test-logs"
mkdir -p "$LOGS"
step() { printf '\n=== %s\n' "$*"; }
die() { echo "test.sh: $*" >&2; exit 1; }
skipped_names=()   # tests that were skipped or ignored, by layer
partial=()         # layers (or parts) this run did not execute
failed_total=0

# count LABEL READER-ARGS...: reads one layer's reports (scripts/lib/test_reports.py), sets `passed`, adds
# its skipped tests to the list by name, and fails when a test failed or none ran.
count() {
    local label=$1 out line
    shift
    out=$(python3 "$ROOT/scripts/lib/test_reports.py" "$@") || die "$label: no test report to read"
    line=$(head -n 1 <<<"$out")
    local failed skipped
    read -r passed failed skipped <<<"$line"
    while read -r name; do [ -n "$name" ] && skipped_names+=("$label: $name"); done < <(tail -n +2 <<<"$out")
    failed_total=$((failed_total + failed))
    [ "$failed" -eq 0 ] || die "$label: $failed test(s) failed"
    [ "$passed" -gt 0 ] || die "no $label test ran"
    echo "$label: $passed passed, $skipped skipped (from the reports)"
}

command -v cargo >/dev/null || die "cargo is missing: install Rust (stable) with rustup"
cargo fmt --version >/dev/null 2>&1 || die "rustfmt is missing: rustup component add rustfmt"
cargo clippy --version >/dev/null 2>&1 || die "clippy is missing: rustup component add clippy"

step "one product version (scripts/version.py)"
python3 scripts/version.py

step "rustfmt and clippy"
cargo fmt --all -- --check
cargo clippy -q --workspace --all-targets -- -D warnings
# The mobile library without HTTP must build too (the size-goal variant).
cargo clippy -q -p dingtalk-auth-ffi --no-default-features -- -D warnings

step "Rust tests"
cargo test --workspace 2>&1 | tee "$LOGS/rust.log"
# Ignored tests are listed, except those ignored only because the cluster step below runs them.
count Rust libtest "$LOGS/rust.log" --run-elsewhere 'needs redis-server: scripts/test-server-cluster\.sh'
rust_passed=$passed

step "backend cluster: instances sharing Redis (plain, TLS, 3-master Cluster, AOF restart)"
scripts/test-server-cluster.sh 2>&1 | tee "$LOGS/cluster.log"
cluster_passed=$(sed -n 's/^Server cluster summary: \([0-9]*\) scenarios passed.*/\1/p' "$LOGS/cluster.log")
[ "${cluster_passed:-0}" -gt 0 ] || die "no server cluster summary"

step "backend for internal apps: session tokens checked by PyJWT, the workbench page in headless Chromium"
scripts/test-server-enterprise.sh 2>&1 | tee "$LOGS/enterprise.log"
enterprise_passed=$(sed -n 's/^Server enterprise summary: \([0-9]*\) checks passed.*/\1/p' "$LOGS/enterprise.log")
[ "${enterprise_passed:-0}" -gt 0 ] || die "no server enterprise summary"

step "fuzzing (cargo-fuzz)"
fuzz_seconds=${FUZZ_SECONDS:-20}
if [ "$fuzz_seconds" = 0 ]; then
    echo "FUZZING SKIPPED: FUZZ_SECONDS=0"
    partial+=("fuzzing (FUZZ_SECONDS=0)")
elif ! rustup run nightly rustc --version >/dev/null 2>&1; then
    die "no nightly toolchain for cargo-fuzz (rustup toolchain install nightly), or run with FUZZ_SECONDS=0"
else
    command -v cargo-fuzz >/dev/null || cargo install -q cargo-fuzz --locked
    for target in callback sdk_reply; do
        # The whole output goes to a log, so a target that no longer builds says why.
        if ! (cd core && cargo +nightly fuzz run -s none "$target" -- -max_total_time="$fuzz_seconds") \
            >"$LOGS/fuzz-$target.log" 2>&1; then
            tail -40 "$LOGS/fuzz-$target.log"
            die "fuzz target $target failed (log: $LOGS/fuzz-$target.log)"
        fi
        grep -E "^Done [0-9]+ runs" "$LOGS/fuzz-$target.log"
    done
fi

step "generated Kotlin on the JVM"
scripts/bindgen.sh debug
scripts/test-kotlin.sh 2>&1 | tee "$LOGS/kotlin.log"
count Kotlin junit "$ROOT/bindings/tests/kotlin/target/surefire-reports"
kotlin_passed=$passed
kotlin_samples=$(sed -n 's/^Kotlin tests passed (\([0-9]*\) README sample.*/\1/p' "$LOGS/kotlin.log" | tail -1)
[ "${kotlin_samples:-0}" -gt 0 ] || die "no README kotlin sample was compiled"

step "Android library and demo on the JVM (Robolectric)"
scripts/test-android.sh 2>&1 | tee "$LOGS/android.log"
count Android junit "$ROOT/target/android/host/surefire-reports"
android_passed=$passed

step "Android artifacts by coordinates: a consumer app against host builds of them (scripts/test-android-consumer.sh)"
scripts/test-android-consumer.sh 2>&1 | tee "$LOGS/android-consumer.log"
count "Android consumer" junit "$ROOT/target/android/consumer/surefire-reports"
consumer_passed=$passed

step "the shipped library's size, x86_64 Linux and each Android ABI, and std's backtrace symbolizer dropped on each (scripts/size.sh)"
scripts/size.sh 2>&1 | tee "$LOGS/size.log"
size_line=$(awk '/^(default|http|nightly) +stripped/ {printf "%s%s %s B", sep, $1, $3; sep = ", "}
                 /^[a-z0-9_]+-linux-android[a-z]* +stripped/ {printf "%s%s %s B", sep, $1, $3; sep = ", "}' "$LOGS/size.log")

step "Swift on Linux (trixie chroot): generated bindings, iOS package, demo logic; macOS-only parts linted"
DINGTALK_SKIP_BINDGEN=1 scripts/test-ios.sh 2>&1 | tee "$LOGS/swift.log"
count Swift junit "$ROOT/target/swift-reports"
swift_passed=$passed
swift_samples=$(sed -n 's/^Swift summary: \([0-9]*\) README samples compiled.*/\1/p' "$LOGS/swift.log" | tail -1)
[ "${swift_samples:-0}" -gt 0 ] || die "no README swift sample was compiled"

step "summary"
echo "Rust:   $rust_passed tests passed"
echo "Server cluster: $cluster_passed scenarios passed (2 backends + Redis)"
echo "Server enterprise: $enterprise_passed checks passed (PyJWT, headless Chromium)"
echo "Kotlin: $kotlin_passed tests passed (JVM, generated bindings; $kotlin_samples README samples compiled)"
echo "Android: $android_passed tests passed (Robolectric, library + demo app)"
echo "Android consumer: $consumer_passed tests passed (by coordinates: dingtalk-auth-android + dingtalk-auth-testing)"
echo "Swift:  $swift_passed tests passed (Linux: generated bindings, iOS package layer, demo logic; $swift_samples README samples compiled)"
echo "Size:   $size_line, within budget"
if ((${#skipped_names[@]})); then
    echo "Skipped or ignored (not counted as passed): ${#skipped_names[@]}"
    printf '  %s\n' "${skipped_names[@]}"
fi
total=$((rust_passed + cluster_passed + enterprise_passed + kotlin_passed + android_passed + consumer_passed + swift_passed))
tail_note=""
((${#skipped_names[@]})) && tail_note=", ${#skipped_names[@]} skipped"
if ((${#partial[@]})); then
    echo "PARTIAL RUN: not executed: ${partial[*]}"
    echo "partial: $total passed, $failed_total failed$tail_note"
else
    echo "$total passed, $failed_total failed$tail_note"
fi
