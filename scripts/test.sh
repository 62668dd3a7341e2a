#!/usr/bin/env bash
# The one test command (README, .ci/run): every layer, each failing loudly when it cannot run.
#   1. rustfmt + clippy -D warnings        4. generated Kotlin on the JVM (scripts/test-kotlin.sh)
#   2. Rust unit/property/integration tests 5. generated Swift on Linux   (scripts/test-swift.sh)
#   2b. two backends sharing Redis (scripts/test-server-cluster.sh)
#   3. cargo-fuzz, bounded (nightly)        6. Android library + demo under Robolectric (scripts/test-android.sh)
#                                           7. the iOS Swift package + demo logic on Linux (scripts/test-ios.sh)
#                                           8. the shipped library's size budgets (scripts/size.sh)
# Installs what it needs (Maven/JDK, aapt, lld, redis-tools via apt, cargo-fuzz via cargo, the Swift
# chroot via debootstrap). Needs the nightly toolchain (fuzzing, the Android type-check).
# Env: FUZZ_SECONDS (per target, default 20; 0 skips fuzzing, and the summary then says the run was partial).
#
# The summary counts only tests that ran and passed: skipped / ignored tests are listed by name and
# counted apart, and every layer (and the README samples each language compiles) must count above zero.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LOGS="$ROOT/target/test-logs"
mkdir -p "$LOGS"
step() { printf '\n=== %s\n' "$*"; }
die() { echo "test.sh: $*" >&2; exit 1; }
skipped_names=()   # tests that were skipped or ignored, by layer
partial=()         # layers (or parts) this run did not execute

command -v cargo >/dev/null || die "cargo is missing: install Rust (stable) with rustup"
cargo fmt --version >/dev/null 2>&1 || die "rustfmt is missing: rustup component add rustfmt"
cargo clippy --version >/dev/null 2>&1 || die "clippy is missing: rustup component add clippy"

step "rustfmt and clippy"
cargo fmt --all -- --check
cargo clippy -q --workspace --all-targets -- -D warnings
# The mobile library without HTTP must build too (the size-goal variant).
cargo clippy -q -p dingtalk-auth-ffi --no-default-features -- -D warnings

step "Rust tests"
cargo test --workspace 2>&1 | tee "$LOGS/rust.log"
rust_passed=$(awk '/^test result:/ {for (i = 1; i <= NF; i++) if ($(i+1) ~ /^passed/) s += $i} END {print s + 0}' "$LOGS/rust.log")
# Ignored tests are listed, except those ignored only because the cluster step below runs them.
while read -r name; do skipped_names+=("Rust: $name"); done < <(grep -v 'ignored, needs redis-server: scripts/test-server-cluster.sh' "$LOGS/rust.log" | sed -n 's/^test \(.*\) \.\.\. ignored.*/\1/p')
[ "$rust_passed" -gt 0 ] || die "no Rust test ran"

step "backend cluster: two instances sharing Redis"
scripts/test-server-cluster.sh 2>&1 | tee "$LOGS/cluster.log"
cluster_passed=$(sed -n 's/^Server cluster summary: \([0-9]*\) scenarios passed.*/\1/p' "$LOGS/cluster.log")
[ "${cluster_passed:-0}" -gt 0 ] || die "no server cluster summary"

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
        (cd core && cargo +nightly fuzz run -s none "$target" -- -max_total_time="$fuzz_seconds" 2>&1 \
            | grep -E "^Done [0-9]+ runs|panicked|SUMMARY")
    done
fi

step "generated Kotlin on the JVM"
scripts/bindgen.sh debug
scripts/test-kotlin.sh 2>&1 | tee "$LOGS/kotlin.log"
# Surefire's "Tests run" includes skipped tests: subtract them, and name them from the XML reports.
kotlin_run=$(sed -n 's/^Kotlin\/JVM summary: Tests run: \([0-9]*\), Failures: 0, Errors: 0.*/\1/p' "$LOGS/kotlin.log" | tail -1)
kotlin_skipped=$(sed -n 's/^Kotlin\/JVM summary: Tests run: [0-9]*, Failures: 0, Errors: 0, Skipped: \([0-9]*\).*/\1/p' "$LOGS/kotlin.log" | tail -1)
{ [ -n "$kotlin_run" ] && [ -n "$kotlin_skipped" ]; } || die "no Kotlin test summary"
kotlin_passed=$((kotlin_run - kotlin_skipped))
while read -r name; do skipped_names+=("Kotlin: $name"); done < <(python3 - "$ROOT/bindings/tests/kotlin/target/surefire-reports" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
for f in sorted(glob.glob(sys.argv[1] + "/TEST-*.xml")):
    for case in ET.parse(f).getroot().iter("testcase"):
        if case.find("skipped") is not None:
            print(case.get("classname"), case.get("name"))
PY
)
kotlin_samples=$(sed -n 's/^Kotlin tests passed (\([0-9]*\) README sample.*/\1/p' "$LOGS/kotlin.log" | tail -1)
[ "$kotlin_passed" -gt 0 ] || die "no Kotlin test ran"
[ "${kotlin_samples:-0}" -gt 0 ] || die "no README kotlin sample was compiled"

step "Android library and demo on the JVM (Robolectric)"
scripts/test-android.sh 2>&1 | tee "$LOGS/android.log"
android_passed=$(sed -n 's/^Android: \([0-9]*\) tests passed$/\1/p' "$LOGS/android.log" | tail -1)
[ "${android_passed:-0}" -gt 0 ] || die "no Android test summary"

step "generated Swift on Linux (trixie chroot)"
DINGTALK_SKIP_BINDGEN=1 scripts/test-swift.sh 2>&1 | tee "$LOGS/swift.log"
# XCTest's "Executed N tests, with S tests skipped and 0 failures" counts skipped tests in N.
swift_line=$(grep -Eo 'Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?0 failures' "$LOGS/swift.log" | tail -1 || true)
swift_run=$(grep -Eo '^Executed [0-9]+' <<<"$swift_line" | grep -Eo '[0-9]+' || true)
swift_skipped=$(grep -Eo '[0-9]+ tests? skipped' <<<"$swift_line" | grep -Eo '[0-9]+' || true)
swift_testing=$(grep -Eo 'Test run with [0-9]+ tests? (in [0-9]+ suites? )?passed' "$LOGS/swift.log" | tail -1 | grep -Eo '[0-9]+' | head -1 || true)
swift_passed=$(( ${swift_run:-0} - ${swift_skipped:-0} + ${swift_testing:-0} ))
while read -r name; do skipped_names+=("Swift: $name"); done < <(sed -n "s/.*Test Case '\(.*\)' skipped.*/\1/p" "$LOGS/swift.log" | sort -u)
swift_samples=$(sed -n 's/^README.md swift blocks: \([0-9]*\) compiled.*/\1/p' "$LOGS/swift.log" | tail -1)
[ "$swift_passed" -gt 0 ] || die "no Swift test ran"
[ "${swift_samples:-0}" -gt 0 ] || die "no README swift sample was compiled"

step "the shipped library's size (scripts/size.sh)"
scripts/size.sh 2>&1 | tee "$LOGS/size.log"
size_line=$(awk '/^(http|no-http) +stripped/ {printf "%s%s %s B", sep, $1, $3; sep = ", "}' "$LOGS/size.log")

step "iOS Swift package and demo logic on Linux (trixie chroot), macOS-only parts linted"
DINGTALK_SKIP_BINDGEN=1 scripts/test-ios.sh 2>&1 | tee "$LOGS/ios.log"
ios_passed=$(sed -n 's/^iOS package summary: \([0-9]*\) tests passed.*/\1/p' "$LOGS/ios.log" | tail -1)
[ "${ios_passed:-0}" -gt 0 ] || die "no iOS test summary"

step "summary"
echo "Rust:   $rust_passed tests passed"
echo "Server cluster: $cluster_passed scenarios passed (2 backends + Redis)"
echo "Kotlin: $kotlin_passed tests passed (JVM, generated bindings; $kotlin_samples README samples compiled)"
echo "Swift:  $swift_passed tests passed (Linux, generated bindings; $swift_samples README samples compiled)"
echo "Android: $android_passed tests passed (Robolectric, library + demo app)"
echo "iOS package: $ios_passed tests passed (Linux, Swift package + demo logic)"
echo "Size:   $size_line, within budget"
if ((${#skipped_names[@]})); then
    echo "Skipped or ignored (not counted as passed): ${#skipped_names[@]}"
    printf '  %s\n' "${skipped_names[@]}"
fi
total=$((rust_passed + cluster_passed + kotlin_passed + swift_passed + android_passed + ios_passed))
tail_note=""
((${#skipped_names[@]})) && tail_note=", ${#skipped_names[@]} skipped"
if ((${#partial[@]})); then
    echo "PARTIAL RUN: not executed: ${partial[*]}"
    echo "partial: $total passed, 0 failed$tail_note"
else
    echo "$total passed, 0 failed$tail_note"
fi
