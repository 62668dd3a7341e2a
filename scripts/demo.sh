#!/usr/bin/env bash
# The README's first command: a "Login with DingTalk" for each flow, end to end on loopback, through the
# generated Kotlin bindings on the JVM.
#
#   scripts/demo.sh            # from any directory, fresh clone included
#
# What it does:
#   1. installs Maven and a JDK 17 with apt-get if they are missing (root only; otherwise says what to install);
#   2. builds the debug library and generates the bindings (scripts/bindgen.sh debug);
#   3. compiles the demo, bindings/demo-jvm (Maven; the program is src/main/kotlin/Demo.kt);
#   4. runs it under scripts/with-demo-servers.sh, which starts the reference backend and the fake DingTalk
#      on loopback ports and always stops them, also on failure or Ctrl-C.
# Exits non-zero if a build fails or any login does not give the expected result.
#
# Other servers: if DINGTALK_DEMO_BACKEND and DINGTALK_DEMO_FAKE are set, no servers are started and the
# demo runs against those. DINGTALK_DEMO_LEGACY_APP_KEY and DINGTALK_DEMO_CLIENT_ID then default to the demo
# credentials of `dingtalk-fake demo` / `serve`; DINGTALK_DEMO_REDIRECT_URI is optional.
# Build logs: bindings/demo-jvm/target/mvn-demo.log; server logs: target/demo-servers/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROJECT="$ROOT/bindings/demo-jvm"
LIBDIR="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
LIB="$LIBDIR/libdingtalk_auth_ffi.so"

log() { printf '==> %s\n' "$*" >&2; }

# A half-given server pair is a mistake, not a reason to start our own.
if [[ -n "${DINGTALK_DEMO_BACKEND:-}" && -z "${DINGTALK_DEMO_FAKE:-}" ]] || [[ -z "${DINGTALK_DEMO_BACKEND:-}" && -n "${DINGTALK_DEMO_FAKE:-}" ]]; then
    echo "set both DINGTALK_DEMO_BACKEND and DINGTALK_DEMO_FAKE (to use those servers), or neither (to start demo servers)" >&2
    exit 2
fi

# --- 1. tools -------------------------------------------------------------------------------------
source "$ROOT/scripts/ensure-jdk-maven.sh"
command -v cargo >/dev/null 2>&1 || { echo "needs Rust (cargo): https://rustup.rs" >&2; exit 1; }

# --- 2. library + bindings ------------------------------------------------------------------------
log "building the library and generating the bindings (scripts/bindgen.sh debug)"
"$ROOT/scripts/bindgen.sh" debug >/dev/null
[[ -f "$LIB" ]] || { echo "no library at $LIB" >&2; exit 1; }

# --- 3. the demo ----------------------------------------------------------------------------------
log "compiling bindings/demo-jvm (Maven, Kotlin)"
mkdir -p "$PROJECT/target"
# kotlinc does not delete classes of removed sources; start from a clean class directory.
rm -rf "$PROJECT/target/classes"
CP_FILE="$PROJECT/target/demo.classpath"
MVN_LOG="$PROJECT/target/mvn-demo.log"
if ! mvn -B -ntp -f "$PROJECT/pom.xml" compile dependency:build-classpath \
        -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=runtime >"$MVN_LOG" 2>&1; then
    grep -E '^\[ERROR\]' "$MVN_LOG" | head -40 >&2 || true
    echo "compiling the demo failed; full log: $MVN_LOG" >&2
    exit 1
fi
RUN=(java -cp "$PROJECT/target/classes:$(cat "$CP_FILE")"
    -Djna.library.path="$LIBDIR"
    -Duniffi.component.dingtalk_auth_ffi.libraryOverride="$LIB"
    -Dfile.encoding=UTF-8 -Dsun.stdout.encoding=UTF-8 -Dsun.stderr.encoding=UTF-8 -Dstdout.encoding=UTF-8
    dev.dingtalkauth.demo.DemoKt)

# --- 4. run it ------------------------------------------------------------------------------------
if [[ -n "${DINGTALK_DEMO_BACKEND:-}" ]]; then
    log "using the servers in DINGTALK_DEMO_BACKEND and DINGTALK_DEMO_FAKE (none started)"
    export DINGTALK_DEMO_LEGACY_APP_KEY="${DINGTALK_DEMO_LEGACY_APP_KEY:-dingdemolegacyappkey}"
    export DINGTALK_DEMO_CLIENT_ID="${DINGTALK_DEMO_CLIENT_ID:-dingdemoclientid}"
    exec "${RUN[@]}"
fi
log "starting the reference backend and the fake DingTalk on loopback (scripts/with-demo-servers.sh)"
exec "$ROOT/scripts/with-demo-servers.sh" "${RUN[@]}"
