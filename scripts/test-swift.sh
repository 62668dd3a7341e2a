#!/usr/bin/env bash
# Run the generated Swift bindings on Linux: `swift test` of bindings/tests/swift inside a Debian trixie
# chroot (the Swift 6 toolchain needs a newer glibc than the bookworm hosts have; see
# scripts/swift-chroot.sh), against the host-built Rust library.
#
# Usage: scripts/test-swift.sh [extra `swift test` arguments, e.g. --filter SubmitTests]
#        scripts/test-swift.sh --bench      (what scripts/bench-swift.sh runs: release build + bench)
# Env:   DINGTALK_SWIFT_CHROOT   chroot location (see swift-chroot.sh)
#        DINGTALK_DEMO_*         the demo servers of scripts/with-demo-servers.sh, passed into the chroot
#                                for the end-to-end tests (Tests/DingTalkAuthE2ETests). When
#                                DINGTALK_DEMO_BACKEND is unset, a test run re-executes itself under
#                                with-demo-servers.sh, which starts them and stops them afterwards.
#        DINGTALK_SWIFT_E2E_SERVERS=0  do not start them (the end-to-end tests then fail, they never skip)
#        DINGTALK_SKIP_BINDGEN=1 use the library and bindings already built instead of (re)building them
#        CARGO_TARGET_DIR        honoured when looking for the built library
#
# What it does, every time:
#  0. (tests only) unless DINGTALK_DEMO_BACKEND is set, re-executes itself under
#     scripts/with-demo-servers.sh, so the end-to-end tests have a backend + fake DingTalk on loopback;
#  1. ensures the chroot (swift-chroot.sh; cached outside the repository);
#  2. builds the Rust cdylib and generates the Swift bindings (scripts/bindgen.sh);
#  3. assembles a staging copy of the test package: the committed package files, the generated
#     DingTalkAuth.swift / DingTalkAuthFFI.h / module.modulemap, the .so in lib/, and every ```swift
#     block of README.md as a compile-only test source (convention below);
#  4. syncs it into <chroot>/work/dingtalk-auth-swift (only changed files are rewritten, so SwiftPM's
#     incremental build stays warm), mounts /proc in the chroot, runs `swift test`, unmounts /proc.
# Nothing is written into the repository except what cargo/bindgen produce (target/, build/).
#
# README convention: every ```swift fenced block of README.md is compiled (never run) as part of the
# test target, each in its own file, so blocks must be self-contained (no names from another block).
#   ```swift            the block becomes the body of `func readmeSampleN() async throws { ... }`:
#                       statements (`try`, `await`) and local declarations (final class ...: PendingLoginStore,
#                       struct, func) are fine; no access modifiers (public/private), extensions or protocols.
#                       `import` lines are moved to the top of the file.
#   ```swift top-level  compiled as a file of top-level declarations (extensions, protocols, public types);
#                       no statements.
#   ```swift ignore     not compiled (e.g. UIKit / AppDelegate code that cannot build on Linux); counted.
#   ```swift package    uses the Swift package's layer (swift/): compiled by scripts/test-ios.sh, skipped here.
# Compiler errors point at README.md line numbers (#sourceLocation).
set -euo pipefail

MODE=test
if [ "${1:-}" = "--bench" ]; then MODE=bench; shift; fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PKG_SRC="$ROOT/bindings/tests/swift"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
GEN="$ROOT/build/bindings/swift"
LIB_NAME=libdingtalk_auth_ffi.so

log() { echo "test-swift: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (chroot and mount need it)"
[ -f "$PKG_SRC/Package.swift" ] || die "missing $PKG_SRC/Package.swift"

# --- 0. demo servers for the end-to-end tests ---------------------------------------------------------
# The E2E tests talk to a reference backend + fake DingTalk on host loopback (the chroot shares the
# host's network namespace). Start them around this whole script unless they are already running.
if [ "$MODE" = test ] && [ -z "${DINGTALK_DEMO_BACKEND:-}" ] && [ "${DINGTALK_SWIFT_E2E_SERVERS:-1}" != 0 ]; then
    log "starting the demo servers (scripts/with-demo-servers.sh) for the end-to-end tests"
    exec "$ROOT/scripts/with-demo-servers.sh" "$ROOT/scripts/test-swift.sh" "$@"
fi

# --- 1. chroot ---------------------------------------------------------------------------------------
CH=$("$ROOT/scripts/swift-chroot.sh") || die "could not prepare the Swift chroot"
[ -d "$CH" ] || die "swift-chroot.sh did not return a directory"

# --- 2. library + bindings ---------------------------------------------------------------------------
if [ "$MODE" = bench ]; then PROFILE=release; else PROFILE=debug; fi
generate() {
    local profile=$1
    if [ -x "$ROOT/scripts/bindgen.sh" ]; then
        (cd "$ROOT" && scripts/bindgen.sh "$profile") >&2
    else
        local flag=()
        [ "$profile" = release ] && flag=(--release)
        (cd "$ROOT" &&
            cargo build -p dingtalk-auth-ffi "${flag[@]}" &&
            cargo run -q -p dingtalk-auth-ffi --features bindgen --bin uniffi-bindgen -- generate \
                --library "$TARGET_DIR/$profile/$LIB_NAME" --language swift --out-dir build/bindings/swift --no-format) >&2
    fi
}
if [ "${DINGTALK_SKIP_BINDGEN:-}" = 1 ]; then
    if [ "$MODE" = bench ] && [ ! -f "$TARGET_DIR/release/$LIB_NAME" ]; then
        log "warning: no release library; benchmarking the debug one"
        PROFILE=debug
    fi
    log "DINGTALK_SKIP_BINDGEN=1: using the existing $PROFILE library and bindings"
else
    # The bindings are always generated from the debug library: the release profile strips symbols,
    # and with them the UniFFI metadata library-mode bindgen reads. The API is the same in both.
    log "building the debug library and generating the Swift bindings"
    generate debug || die "building the library / generating the bindings failed"
    if [ "$PROFILE" = release ]; then
        log "building the release library"
        (cd "$ROOT" && cargo build -q -p dingtalk-auth-ffi --release) >&2 || die "cargo build --release failed"
    fi
fi
SO="$TARGET_DIR/$PROFILE/$LIB_NAME"
for f in "$SO" "$GEN/DingTalkAuth.swift" "$GEN/DingTalkAuthFFI.h" "$GEN/DingTalkAuthFFI.modulemap"; do
    [ -f "$f" ] || die "missing $f (did the bindings generation run?)"
done

# --- 3. staging tree ---------------------------------------------------------------------------------
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

(cd "$PKG_SRC" && tar -cf - --exclude=./.build --exclude=./lib --exclude=./.gitignore \
    --exclude=./Package.resolved --exclude=./Tests/DingTalkAuthTests/ReadmeSamples .) | tar -xf - -C "$STAGE"
# (the generated-source directories are empty in git, so they do not exist in a fresh clone)
mkdir -p "$STAGE/Sources/DingTalkAuth" "$STAGE/Sources/DingTalkAuthFFI"
cp "$GEN/DingTalkAuth.swift" "$STAGE/Sources/DingTalkAuth/DingTalkAuth.swift"
cp "$GEN/DingTalkAuthFFI.h" "$STAGE/Sources/DingTalkAuthFFI/DingTalkAuthFFI.h"
cp "$GEN/DingTalkAuthFFI.modulemap" "$STAGE/Sources/DingTalkAuthFFI/module.modulemap"
mkdir -p "$STAGE/lib"
cp "$SO" "$STAGE/lib/$LIB_NAME"

# README samples (see the convention above).
SAMPLES="$STAGE/Tests/DingTalkAuthTests/ReadmeSamples"
mkdir -p "$SAMPLES"
README_COUNTS="0 0 0"
if [ -f "$ROOT/README.md" ]; then
    README_COUNTS=$(awk -v out="$SAMPLES" '
        function flush(   f, i, kind) {
            f = sprintf("%s/ReadmeSample%02d.swift", out, n)
            print "// Generated by scripts/test-swift.sh from README.md line " start ". Compiled, never run." > f
            print "import Foundation" > f
            print "import DingTalkAuth" > f
            for (i = 1; i <= nimp; i++) print imp[i] > f
            if (mode == "top-level") {
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
        !inblock && /^[ \t]*```[ \t]*swift([ \t].*)?$/ {
            inblock = 1; start = NR; nbody = 0; nimp = 0
            match($0, /^[ \t]*/); indent = RLENGTH
            info = $0; sub(/^[ \t]*```[ \t]*swift[ \t]*/, "", info); sub(/[ \t]+$/, "", info)
            mode = "body"
            if (info ~ /(^|[ \t,])(ignore|package)([ \t,]|$)/) mode = "ignore"
            else if (info ~ /(^|[ \t,])top-level([ \t,]|$)/) mode = "top-level"
            next
        }
        inblock && /^[ \t]*```[ \t]*$/ {
            inblock = 0
            if (mode == "ignore") { ignored++ } else { n++; flush(); if (mode == "top-level") top++ }
            next
        }
        inblock {
            line = $0
            if (indent > 0 && substr(line, 1, indent) ~ /^[ \t]*$/) line = substr(line, indent + 1)
            # imports cannot live inside a function: hoist them (a blank line keeps the numbering).
            if (mode != "top-level" && line ~ /^[ \t]*(@testable[ \t]+)?import[ \t]/) { imp[++nimp] = line; line = "" }
            body[++nbody] = line
        }
        END {
            if (inblock) { print "unterminated ```swift block starting at README.md line " start > "/dev/stderr"; exit 1 }
            print n + 0, top + 0, ignored + 0
        }' "$ROOT/README.md") || die "could not extract the README samples"
fi
read -r README_N README_TOP README_IGNORED <<<"$README_COUNTS"
log "README.md: $README_N swift block(s) compiled ($README_TOP top-level), $README_IGNORED marked ignore"

# --- 4. sync into the chroot and run -----------------------------------------------------------------
WORK_IN=/work/dingtalk-auth-swift
WORK="$CH$WORK_IN"
mkdir -p "$WORK"
exec 8>"$CH/work/.dingtalk-auth-swift.lock"
flock 8   # one run at a time per chroot (tests and bench share the staging directory)

# Copy changed files only; delete what is no longer part of the package (outside .build).
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

# The demo servers' addresses (see step 0) go in; nothing else of the host environment does.
DEMO_ENV=()
while read -r name; do DEMO_ENV+=("$name=${!name}"); done < <(compgen -e | grep '^DINGTALK_DEMO_' || true)
if [ "$MODE" = test ]; then
    if [ ${#DEMO_ENV[@]} -gt 0 ]; then
        log "end-to-end tests against backend ${DINGTALK_DEMO_BACKEND:-?} (fake ${DINGTALK_DEMO_FAKE:-?})"
    else
        log "warning: no DINGTALK_DEMO_* servers: the end-to-end tests will fail"
    fi
fi
in_chroot() {
    chroot "$CH" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        "${DEMO_ENV[@]+"${DEMO_ENV[@]}"}" \
        /bin/sh -c "cd $WORK_IN && $*"
}

ARGS=
if [ $# -gt 0 ]; then ARGS=$(printf '%q ' "$@"); fi
LOG="$STAGE/swift.log"
if [ "$MODE" = bench ]; then
    log "swift build -c release (in the chroot)"
    in_chroot "swift build -c release --product DingTalkAuthBench" >&2 || die "swift build -c release failed"
    log "running the benchmark against $SO"
    in_chroot ".build/release/DingTalkAuthBench $ARGS" || die "the benchmark failed"
    exit 0
fi

log "swift test (in the chroot)"
set +e
in_chroot "swift test $ARGS" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e

echo "----- summary -----"
grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$LOG" | tail -n 1 || true
grep -E "^.*Test run with [0-9]+ tests?" "$LOG" | tail -n 1 || true
echo "README.md swift blocks: $README_N compiled, $README_IGNORED ignored"
if [ "$status" -ne 0 ]; then die "swift test failed (exit $status)"; fi
executed=$(grep -Eo "Executed [0-9]+ tests?" "$LOG" | tail -n 1 | grep -Eo "[0-9]+" || echo 0)
if [ "${executed:-0}" -eq 0 ] && [ $# -eq 0 ]; then die "swift test reported success but ran no XCTest tests"; fi
log "ok"
