#!/usr/bin/env bash
# The size of the mobile library as it ships, checked against its budgets.
#
#   scripts/size.sh            build, measure, print the breakdown, fail when a budget is exceeded
#   SIZE_REPORT=FILE           also write the numbers to FILE (BENCHMARKS.md quotes them)
#   SIZE_NIGHTLY=1             also build the default library with std rebuilt for size (nightly with
#                              rust-src: `-Zbuild-std`, no backtrace symbolizer, no panic locations) and
#                              hold it to the goals themselves; skipped with a note when no such toolchain
#
# What ships is a cdylib (Android) or a staticlib (iOS) of dingtalk-auth-ffi, built ON ITS OWN:
# bindings/Cargo.toml also lists the `lib` (rlib) crate type for the Rust tests, and cargo silently skips
# LTO for a unit whose crate types include an rlib. So this script, like scripts/build-android.sh and
# scripts/build-xcframework.sh, builds with `cargo rustc --crate-type cdylib` (or staticlib), which
# overrides the list. Two kinds of build: each Android ABI (scripts/check-ship-link-abis.sh: the goal is
# per ABI; no NDK here, so a stand-in link, see that script), and x86_64-linux, linked the way the
# Android build links (lld with identical-code folding and packed relative relocations: Android's
# `android+relr` form; `relr` needs minSdk 28, the `android` form works below), which loads on this host:
# the panic check runs on it, and it measures the `http` flavour.
#
# Measured: every symbol stripped (a copy; the built library keeps its symbol table because UniFFI's
# library-mode bindgen reads its metadata from it), and gzip -9 of that. Two builds, as the shipping
# scripts make them: `default`, what the AAR and the XCFramework ship (`--no-default-features`: the
# grant goes through the app's HttpTransport; no network code, no tokio), and `http`, the flavour with
# the library's own HTTP client (reqwest + rustls). A staticlib is measured where a target for it is
# installed (an Apple target on a Mac).
#
# Budgets (bytes): the goals (scripts/lib/ship-rustflags.sh), on stable Rust, for every build: default
# <= 512 KiB and <= 256 KB gzip -9 on each Android ABI and on x86_64 Linux; http <= 2 MiB and <= 1.1 MB gzip
# -9. The default build meets them because scripts/lib/ship-link.sh drops std's backtrace symbolizer (with
# SHIP_KEEP_SYMBOLIZER=1 this script fails, as it should: that is not what ships), the core parses URLs
# itself, and x86 keeps frame pointers. BENCHMARKS.md says what the remaining bytes buy. Lowering a
# budget is always welcome.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# The goals (scripts/lib/ship-rustflags.sh) are the budgets; a lower budget may be asked for.
# shellcheck source=lib/ship-rustflags.sh source-path=SCRIPTDIR
. "$ROOT/scripts/lib/ship-rustflags.sh"
BUDGET_HTTP=${BUDGET_HTTP:-$SHIP_GOAL_HTTP}
BUDGET_HTTP_GZIP=${BUDGET_HTTP_GZIP:-$SHIP_GOAL_HTTP_GZIP}
BUDGET_DEFAULT=${BUDGET_DEFAULT:-$SHIP_GOAL_DEFAULT}
BUDGET_DEFAULT_GZIP=${BUDGET_DEFAULT_GZIP:-$SHIP_GOAL_DEFAULT_GZIP}

# Its own target directory: the crate-type override and the link flags must not mix with other builds.
TARGET_DIR="$ROOT/target/size"
OUT="$ROOT/build/size"
mkdir -p "$OUT"

die() { echo "size.sh: $*" >&2; exit 1; }
# lld: the linker Android's NDK uses.
# shellcheck source=lib/apt.sh source-path=SCRIPTDIR
source "$ROOT/scripts/lib/apt.sh"
need_command ld.lld lld
# The flags every shipped build uses (scripts/lib/ship-rustflags.sh: lld through scripts/lib/ship-link.sh,
# which drops std's backtrace symbolizer, SHIP_KEEP_SYMBOLIZER=1 to keep it), plus RELR packing on the
# shipped link (below; the NDK's lld also knows android+relr, same size).
HOST=x86_64-unknown-linux-gnu
# On x86_64 Linux, rustc 1.90+ links with its own rust-lld by putting its -B directory first, where
# ship-link.sh would never be reached: `-C link-self-contained=-linker` (stable on this target only)
# turns that off, and rust-lld (a recent lld, as in current NDKs) stays the real linker behind ship-link.
LINK_FLAGS="$SHIP_LLD_FLAGS -C link-self-contained=-linker $(ship_remap_flags) $(ship_target_flags "$HOST")"
SHIP_REAL_LD=$(rustc --print sysroot)/lib/rustlib/$HOST/bin/gcc-ld/ld.lld
[ -x "$SHIP_REAL_LD" ] || SHIP_REAL_LD=$(command -v ld.lld)
export SHIP_REAL_LD

failures=0
report=()
say() { echo "$*"; report+=("$*"); }

# measure LABEL BUDGET [GZIP_BUDGET] -- cargo arguments
measure() {
    local label=$1 budget=$2 gzip_budget=$3; shift 4
    # An explicit --target keeps RUSTFLAGS off build scripts and proc-macros, which run on this host:
    # Debian's lld 14 writes RELR without the GLIBC_ABI_DT_RELR tag glibc wants. (The measured library
    # is never loaded here; Android's loader reads RELR natively.)
    # Twice, as build-android.sh does: the first link still carries UniFFI's interface description
    # (bindgen reads it); the second, which ships, leaves it out (ship_metadata_map). Only the façade
    # crate is linked again: the extra arguments after `--` reach its rustc alone. The first link has no
    # RELR, so glibc loads it (lld writes RELR without the GLIBC_ABI_DT_RELR tag glibc requires; Android's
    # loader needs none): the panic check below runs on it, and test.sh's Kotlin run loads the http one.
    # The nightly build has its own target directory (its std is not the toolchain's).
    local -a cargo=(cargo)
    local target_dir=$TARGET_DIR flags=$LINK_FLAGS
    if [ "$label" = nightly ]; then
        cargo=(cargo +nightly) target_dir=$TARGET_DIR-nightly flags="$LINK_FLAGS -Zlocation-detail=none"
    fi
    local built="$target_dir/$HOST/release/libdingtalk_auth_ffi.so" map="$OUT/no-metadata-$label.map"
    RUSTFLAGS="$flags" CARGO_TARGET_DIR="$target_dir" \
        "${cargo[@]}" rustc -q -p dingtalk-auth-ffi --lib --release --target "$HOST" --crate-type cdylib "$@"
    ship_metadata_map "$built" "$map"
    local loadable="$OUT/loadable-$label/libdingtalk_auth_ffi.so"
    mkdir -p "${loadable%/*}" && cp "$built" "$loadable"
    RUSTFLAGS="$flags" CARGO_TARGET_DIR="$target_dir" \
        "${cargo[@]}" rustc -q -p dingtalk-auth-ffi --lib --release --target "$HOST" --crate-type cdylib "$@" \
        -- -C link-arg=-Wl,--version-script="$map" -C link-arg=-Wl,--pack-dyn-relocs=relr
    if nm -D --defined-only "$built" | grep -q ' UNIFFI_META_'; then
        die "$label: UniFFI's interface description is still exported"
    fi
    local shipped="$OUT/libdingtalk_auth_ffi-$label.so"
    strip --strip-all -o "$shipped" "$built"
    local size gz
    size=$(stat -c %s "$shipped")
    gz=$(gzip -9c "$shipped" | wc -c)
    say "$(printf '%-8s stripped %9d B (%4d KiB)  gzip -9 %8d B   budgets %d B / gzip %s B' "$label" "$size" $((size / 1024)) "$gz" "$budget" "$gzip_budget")"
    python3 "$ROOT/scripts/size-breakdown.py" "$built" 12
    # What the patch must not change: a panic in an export is still caught and becomes a typed error.
    # With the patch, no backtrace frame gets a name (the symbolizer is gone, not merely unused).
    local -a names=(--expect-no-names)
    [ "${SHIP_KEEP_SYMBOLIZER:-0}" = 1 ] && names=()
    python3 "$ROOT/scripts/lib/check-caught-panic.py" "$loadable" "${names[@]}" || {
        echo "size.sh: $label: a panic in an export is not caught as a typed error" >&2
        failures=$((failures + 1))
    }
    if [ "$size" -gt "$budget" ]; then
        echo "size.sh: $label is $size B, over its budget of $budget B" >&2
        failures=$((failures + 1))
    fi
    if [ "$gzip_budget" != - ] && [ "$gz" -gt "$gzip_budget" ]; then
        echo "size.sh: $label gzip -9 is $gz B, over its budget of $gzip_budget B" >&2
        failures=$((failures + 1))
    fi
    return 0
}

echo "=== the mobile library as shipped, by default and with its own HTTP client (x86_64-linux cdylib, LTO, opt-level z, lld ICF + RELR, no backtrace symbolizer, stripped)"
measure default "$BUDGET_DEFAULT" "$BUDGET_DEFAULT_GZIP" -- --no-default-features
measure http "$BUDGET_HTTP" "$BUDGET_HTTP_GZIP" -- --features http
if [ "${SIZE_NIGHTLY:-0}" = 1 ]; then
    if rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
        measure nightly "$SHIP_GOAL_DEFAULT" "$SHIP_GOAL_DEFAULT_GZIP" -- --no-default-features \
            -Zbuild-std=std,panic_unwind -Zbuild-std-features=panic-unwind,optimize_for_size
    else
        echo "(SIZE_NIGHTLY=1 but no nightly toolchain with rust-src: the nightly build is not measured)"
    fi
fi

# The default library for each Android ABI: the goal is per ABI, and the 32-bit and x86 builds are not
# the x86_64-linux stand-in's size (i686 code is the largest). Built for the Android targets with the
# toolchain's own std and linked as build-android.sh links them, by a stand-in for the NDK's driver
# (scripts/check-ship-link-abis.sh says how close that is), and held to the same budgets.
echo "=== the default library per Android ABI (stand-in link: lld, LLVM libunwind, no NDK)"
abi_log="$OUT/android-abis.log"
if BUDGET=$BUDGET_DEFAULT BUDGET_GZIP=$BUDGET_DEFAULT_GZIP "$ROOT/scripts/check-ship-link-abis.sh" 2>&1 | tee "$abi_log"; then
    :
else
    failures=$((failures + 1))
fi
while read -r line; do report+=("android $line"); done < <(grep ' stripped ' "$abi_log")

# The iOS staticlib, where an Apple target is installed (not on Linux hosts).
if rustup target list --installed 2>/dev/null | grep -q '^aarch64-apple-ios$'; then
    CARGO_TARGET_DIR="$TARGET_DIR" cargo rustc -q -p dingtalk-auth-ffi --lib --release --no-default-features \
        --target aarch64-apple-ios --crate-type staticlib
    say "ios-a    staticlib $(stat -c %s "$TARGET_DIR/aarch64-apple-ios/release/libdingtalk_auth_ffi.a") B (unstripped archive)"
else
    echo "(no aarch64-apple-ios target installed: the iOS staticlib is measured by scripts/build-xcframework.sh on a Mac)"
fi

[ -n "${SIZE_REPORT:-}" ] && printf '%s\n' "${report[@]}" >"$SIZE_REPORT"
[ "$failures" = 0 ] || die "$failures budget(s) exceeded"
echo "size: every budget met"
