#!/usr/bin/env bash
# JVM micro-benchmark of the generated Kotlin bindings over the release library.
#
#   scripts/bench-kotlin.sh [cold-runs]      # from any directory; default 9 cold JVM runs
#
# Prints, as medians:
#   - one completeSdk (new SDK, success path) through the bindings, with the library's memory store and
#     with a Kotlin store, next to the same validation written directly in Kotlin in the same JVM;
#   - the time from the first call into the library (loading it) to the first begin() returning,
#     each in a fresh JVM.
# Needs what scripts/test-kotlin.sh needs (Maven, JDK 17, cargo); builds the release library and its
# bindings itself (scripts/bindgen.sh release).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROJECT="$ROOT/bindings/tests/kotlin"
LIBDIR="${CARGO_TARGET_DIR:-$ROOT/target}/release"
COLD_RUNS="${1:-9}"

log() { printf '==> %s\n' "$*" >&2; }
if ! command -v mvn >/dev/null || ! command -v java >/dev/null; then
    echo "needs Maven and a JDK 17 (scripts/test-kotlin.sh installs them)" >&2; exit 1
fi

log "scripts/bindgen.sh release (release library + bindings generated from that exact binary)"
"$ROOT/scripts/bindgen.sh" release >&2

log "compiling the benchmark"
mkdir -p "$PROJECT/target"
rm -rf "$PROJECT/target/classes"   # kotlinc keeps classes of deleted sources
CP_FILE="$PROJECT/target/bench.classpath"
if ! mvn -B -q -ntp -f "$PROJECT/pom.xml" compile dependency:build-classpath \
        -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=runtime >"$PROJECT/target/mvn-bench.log" 2>&1; then
    cat "$PROJECT/target/mvn-bench.log" >&2
    exit 1
fi
CP="$PROJECT/target/classes:$(cat "$CP_FILE")"
JAVA=(java -cp "$CP" -Djna.library.path="$LIBDIR" -Duniffi.component.dingtalk_auth_ffi.libraryOverride="$LIBDIR/libdingtalk_auth_ffi.so")
MAIN=dev.dingtalkauth.bench.BenchKt

log "library: $LIBDIR/libdingtalk_auth_ffi.so ($(stat -c %s "$LIBDIR/libdingtalk_auth_ffi.so") bytes)"
log "steady state (one JVM)"
"${JAVA[@]}" "$MAIN" steady

log "cold start ($COLD_RUNS fresh JVMs)"
total=() ctor=() first=()
for ((i = 0; i < COLD_RUNS; i++)); do
    line=$("${JAVA[@]}" "$MAIN" cold)
    total+=("$(sed -E 's/.*load_to_first_begin_ns=([0-9]+).*/\1/' <<<"$line")")
    ctor+=("$(sed -E 's/.*construct_ns=([0-9]+).*/\1/' <<<"$line")")
    first+=("$(sed -E 's/.*first_begin_ns=([0-9]+).*/\1/' <<<"$line")")
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f ms", m / 1e6}'; }
echo "first call (load library + JNA register + construct) to first begin() returning: $(med "${total[@]}") median of $COLD_RUNS"
echo "  of which constructing DingTalkAuth (library load): $(med "${ctor[@]}"); first begin(): $(med "${first[@]}")"
