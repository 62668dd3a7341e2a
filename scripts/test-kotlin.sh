#!/usr/bin/env bash
# Runs the JVM (host) tests of the generated Kotlin bindings: bindings/tests/kotlin (Maven, JUnit 5).
#
#   scripts/test-kotlin.sh            # from any directory, fresh clone included
#
# What it does:
#   0. unless DINGTALK_DEMO_BACKEND is set, re-executes itself under scripts/with-demo-servers.sh, which
#      starts a reference backend + fake DingTalk pair (and one with a corpId allow-list) on loopback for
#      the end-to-end tests (src/test/kotlin/dev/dingtalkauth/e2e) and always stops them afterwards;
#   1. installs Maven and a JDK 17 with apt-get if they are missing (root only; otherwise it says what to install),
#      and checks that the POMs' versions are those of android-demo/gradle/libs.versions.toml;
#   2. makes sure the debug library and the Kotlin bindings exist and are newer than the Rust sources
#      (runs scripts/bindgen.sh debug otherwise);
#   3. extracts every ```kotlin block of README.md into target/readme-samples so the samples are compiled
#      with the tests (see "README samples" below);
#   4. runs `mvn -B test` against target/debug/libdingtalk_auth_ffi.so and prints the counts of the
#      Surefire XML reports (bindings/tests/kotlin/target/surefire-reports).
# Exits non-zero on any failure (compile error, failed test, missing tool).
#
# README samples: each block fenced exactly ```kotlin becomes its own file
# target/readme-samples/readme/SampleNN.kt with `package readme.sampleNN`, `import dev.dingtalkauth.*`
# and `import kotlinx.coroutines.*` prepended; `import` lines inside a block are moved to the top.
# A block must therefore be complete top-level declarations (fun/class/val), using only the bindings, the
# Kotlin standard library, kotlinx.coroutines and the JDK. Blocks are compiled, not run. A block whose
# fence carries more words (```kotlin ignore, e.g. Android-only code) is not compiled.
#
# Environment: KOTLIN_README (another markdown file to extract from), MVN_ARGS (extra Maven arguments), KOTLIN_TEST_VERBOSE=1 (print the whole Maven log).
#   DINGTALK_DEMO_*                the demo servers of scripts/with-demo-servers.sh; the forked test JVM
#                                  inherits them. Set DINGTALK_DEMO_BACKEND & co. to use servers already running.
#   DINGTALK_KOTLIN_E2E_SERVERS=0  do not start them (the end-to-end tests then FAIL; they never skip).
#   DINGTALK_KOTLIN_LIBDIR=DIR     run against DIR/libdingtalk_auth_ffi.so instead of the debug library, e.g.
#                                  build/size/loadable-http (scripts/size.sh: the release build linked the
#                                  shipping way, symbolizer dropped, with the http feature the tests need);
#                                  the bindings still come from the debug build of the same sources.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROJECT="$ROOT/bindings/tests/kotlin"
BINDINGS="$ROOT/build/bindings/kotlin/dev/dingtalkauth/dingtalk_auth_ffi.kt"
DEBUG_LIB="${CARGO_TARGET_DIR:-$ROOT/target}/debug/libdingtalk_auth_ffi.so"   # bindgen.sh honours CARGO_TARGET_DIR too
LIBDIR="${DINGTALK_KOTLIN_LIBDIR:-${DEBUG_LIB%/*}}"
LIB="$LIBDIR/libdingtalk_auth_ffi.so"

log() { printf '==> %s\n' "$*" >&2; }

# --- 0. demo servers for the end-to-end tests -------------------------------------------------------
if [[ -z "${DINGTALK_DEMO_BACKEND:-}" && "${DINGTALK_KOTLIN_E2E_SERVERS:-1}" != 0 ]]; then
    log "starting the demo servers (scripts/with-demo-servers.sh) for the end-to-end tests"
    exec "$ROOT/scripts/with-demo-servers.sh" "$ROOT/scripts/test-kotlin.sh" "$@"
fi
if [[ -n "${DINGTALK_DEMO_BACKEND:-}" ]]; then
    log "end-to-end tests against backend $DINGTALK_DEMO_BACKEND (fake ${DINGTALK_DEMO_FAKE:-?})"
else
    log "warning: no DINGTALK_DEMO_* servers: the end-to-end tests will fail"
fi

# --- 1. tools -------------------------------------------------------------------------------------
# shellcheck source=scripts/ensure-jdk-maven.sh
source "$ROOT/scripts/ensure-jdk-maven.sh"
# Every version comes from android-demo/gradle/libs.versions.toml (through the parent POM).
"$ROOT/scripts/jvm-versions.py" || { echo "the Maven builds' versions differ from android-demo/gradle/libs.versions.toml" >&2; exit 1; }

# --- 2. library + bindings ------------------------------------------------------------------------
# shellcheck source=lib/kotlin-bindings.sh source-path=SCRIPTDIR
. "$ROOT/scripts/lib/kotlin-bindings.sh"
ensure_kotlin_bindings "$ROOT" "$BINDINGS" "$DEBUG_LIB"
[[ -f "$BINDINGS" ]] || { echo "no Kotlin bindings at $BINDINGS" >&2; exit 1; }
[[ -f "$LIB" ]] || { echo "no library at $LIB" >&2; exit 1; }

# --- 3. README samples ----------------------------------------------------------------------------
SAMPLES="$PROJECT/target/readme-samples"
rm -rf "$SAMPLES"
mkdir -p "$SAMPLES/readme"
n_samples=0
README="${KOTLIN_README:-$ROOT/README.md}"   # override only to test the extraction itself
if [[ -f "$README" ]]; then
    # awk writes one file per block: the fence line must be exactly ```kotlin (leading spaces allowed).
    n_samples=$(awk -v out="$SAMPLES/readme" -v src="${README##*/}" '
        function flush(   f, i) {
            f = sprintf("%s/Sample%02d.kt", out, n)
            printf "@file:Suppress(\"unused\", \"UNUSED_PARAMETER\", \"UNUSED_VARIABLE\", \"RedundantSuspendModifier\")\n" > f
            printf "// Generated by scripts/test-kotlin.sh from %s, block starting at line %d. Do not edit.\n", src, start > f
            printf "package readme.sample%02d\n\nimport dev.dingtalkauth.*\nimport kotlinx.coroutines.*\n", n > f
            for (i = 1; i <= ni; i++) print imports[i] > f
            print "" > f
            for (i = 1; i <= nb; i++) print body[i] > f
            close(f)
        }
        !inblock && /^[ \t]*```kotlin[ \t]*$/ {
            inblock = 1; n++; start = NR; nb = 0; ni = 0
            match($0, /^[ \t]*/); indent = RLENGTH
            next
        }
        inblock && /^[ \t]*```[ \t]*$/ { inblock = 0; flush(); next }
        inblock {
            line = substr($0, 1, indent) ~ /^[ \t]*$/ ? substr($0, indent + 1) : $0
            if (line ~ /^import[ \t]/) imports[++ni] = line; else body[++nb] = line
        }
        END {
            if (inblock) { print "README.md: unterminated ```kotlin block starting at line " start > "/dev/stderr"; exit 3 }
            print n + 0
        }' "$README")
fi
log "${README##*/}: $n_samples kotlin sample block(s) compiled with the tests"

# --- 4. Maven -------------------------------------------------------------------------------------
mkdir -p "$PROJECT/target"
# kotlinc does not delete classes of removed sources; start from clean class directories.
rm -rf "$PROJECT/target/classes" "$PROJECT/target/test-classes" "$PROJECT/target/surefire-reports"
MVN_LOG="$PROJECT/target/mvn-test.log"
log "mvn test (library: $LIB)"
set +e
# shellcheck disable=SC2086 # MVN_ARGS holds several arguments on purpose
mvn -B -ntp -f "$PROJECT/pom.xml" \
    -Ddingtalk.libdir="$LIBDIR" \
    -Dreadme.samples.dir="$SAMPLES" \
    ${MVN_ARGS:-} test >"$MVN_LOG" 2>&1
rc=$?
set -e

if [[ "${KOTLIN_TEST_VERBOSE:-0}" == 1 ]]; then
    cat "$MVN_LOG"
else
    # Compiler errors and per-class results up to Maven's own recap (which repeats them); the whole
    # build log stays in $MVN_LOG.
    awk '/BUILD (SUCCESS|FAILURE)/ { print; exit }
         /^\[(ERROR|WARNING)\] .*\.kt/ && !/build\/bindings/ { print; next }
         /Tests run:|<<< (FAILURE|ERROR)!/ { print; next }
         /^\[ERROR\] (Failures|Errors):|^\[ERROR\]   / { print }' "$MVN_LOG"
fi

# The counts come from the Surefire XML reports (scripts/lib/test_reports.py reads them for
# scripts/test.sh too), not from Maven's log.
counts=$(python3 "$ROOT/scripts/lib/test_reports.py" junit "$PROJECT/target/surefire-reports" | head -1) || counts=""
[[ -n "$counts" ]] && read -r passed failed skipped <<<"$counts" \
    && echo "Kotlin/JVM: $passed passed, $failed failed, $skipped skipped (bindings/tests/kotlin/target/surefire-reports)"
if [[ $rc -ne 0 ]]; then
    echo "Kotlin tests FAILED (mvn exit $rc); full log: $MVN_LOG" >&2
    exit "$rc"
fi
if [[ -z "$counts" ]]; then
    echo "no Surefire report; full log: $MVN_LOG" >&2
    exit 1
fi
echo "Kotlin tests passed ($n_samples README sample block(s) compiled)."
