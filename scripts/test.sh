#!/usr/bin/env bash
# The one test command (README, .ci/run): every layer, each failing loudly when it cannot run.
#   1. rustfmt + clippy -D warnings        4. generated Kotlin on the JVM (scripts/test-kotlin.sh)
#   2. Rust unit/property/integration tests 5. generated Swift on Linux   (scripts/test-swift.sh)
#   2b. two backends sharing Redis (scripts/test-server-cluster.sh)
#   3. cargo-fuzz, bounded (nightly)
# Installs what it needs (Maven/JDK via apt, cargo-fuzz via cargo, the Swift chroot via debootstrap).
# Env: FUZZ_SECONDS (per target, default 20; 0 skips fuzzing and says so).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LOGS="$ROOT/target/test-logs"
mkdir -p "$LOGS"
step() { printf '\n=== %s\n' "$*"; }
die() { echo "test.sh: $*" >&2; exit 1; }

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

step "backend cluster: two instances sharing Redis"
scripts/test-server-cluster.sh 2>&1 | tee "$LOGS/cluster.log"
cluster_passed=$(sed -n 's/^Server cluster summary: \([0-9]*\) scenarios passed.*/\1/p' "$LOGS/cluster.log")
[ -n "$cluster_passed" ] || die "no server cluster summary"

step "fuzzing (cargo-fuzz)"
fuzz_seconds=${FUZZ_SECONDS:-20}
if [ "$fuzz_seconds" = 0 ]; then
    echo "FUZZING SKIPPED: FUZZ_SECONDS=0"
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
kotlin_passed=$(sed -n 's/^Kotlin\/JVM summary: Tests run: \([0-9]*\), Failures: 0, Errors: 0.*/\1/p' "$LOGS/kotlin.log" | tail -1)
[ -n "$kotlin_passed" ] || die "no Kotlin test summary"

step "generated Swift on Linux (trixie chroot)"
DINGTALK_SKIP_BINDGEN=1 scripts/test-swift.sh 2>&1 | tee "$LOGS/swift.log"
swift_passed=$(grep -Eo 'Executed [0-9]+ tests?, with 0 failures' "$LOGS/swift.log" | tail -1 | grep -Eo '[0-9]+' | head -1 || true)
swift_testing=$(grep -Eo 'Test run with [0-9]+ tests? (in [0-9]+ suites? )?passed' "$LOGS/swift.log" | tail -1 | grep -Eo '[0-9]+' | head -1 || true)
swift_passed=$(( ${swift_passed:-0} + ${swift_testing:-0} ))
[ "$swift_passed" -gt 0 ] || die "no Swift test ran"

step "summary"
echo "Rust:   $rust_passed tests passed"
echo "Server cluster: $cluster_passed scenarios passed (2 backends + Redis)"
echo "Kotlin: $kotlin_passed tests passed (JVM, generated bindings)"
echo "Swift:  $swift_passed tests passed (Linux, generated bindings)"
echo "$((rust_passed + cluster_passed + kotlin_passed + swift_passed)) passed, 0 failed"
