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
# overrides the list. x86_64-linux stands in for one Android ABI (no NDK here), linked the way the
# Android build links: lld with identical-code folding and packed relative relocations (Android's
# `android+relr` form; `relr` needs minSdk 28, the `android` form works below).
#
# Measured: every symbol stripped (a copy; the built library keeps its symbol table because UniFFI's
# library-mode bindgen reads its metadata from it), and gzip -9 of that. Two builds, as the shipping
# scripts make them: `default`, what the AAR and the XCFramework ship (`--no-default-features`: the
# grant goes through the app's HttpTransport; no network code, no tokio), and `http`, the flavour with
# the library's own HTTP client (reqwest + rustls). A staticlib is measured where a target for it is
# installed (an Apple target on a Mac).
#
# Budgets (bytes). The goals: default ≤ 512 KiB and ≤ 256 KB gzip -9; http ≤ 2 MiB and ≤ 1.1 MB gzip
# -9. Where a goal is not met on stable Rust, the budget is the smallest honest build plus a little
# room, the miss is printed, and BENCHMARKS.md says what the remaining bytes buy. Lowering a budget is
# always welcome.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BUDGET_HTTP=${BUDGET_HTTP:-2097152}            # 2 MiB: the goal
BUDGET_HTTP_GZIP=${BUDGET_HTTP_GZIP:-1100000}   # 1.1 MB: the goal
BUDGET_DEFAULT=${BUDGET_DEFAULT:-680960}        # 665 KiB (628 KiB + ~36 KiB for the typed login answer, readLoginAnswer); the goal, 512 KiB, needs nightly (BENCHMARKS.md)
BUDGET_DEFAULT_GZIP=${BUDGET_DEFAULT_GZIP:-335872}  # 328 KiB (310 KiB + the typed login answer); the goal, 256 KB, likewise
GOAL_DEFAULT=524288
GOAL_DEFAULT_GZIP=256000

# Its own target directory: the crate-type override and the link flags must not mix with other builds.
TARGET_DIR="$ROOT/target/size"
OUT="$ROOT/build/size"
mkdir -p "$OUT"

die() { echo "size.sh: $*" >&2; exit 1; }
command -v ld.lld >/dev/null || {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "size.sh: installing lld (the linker Android's NDK uses)" >&2
        { apt-get install -y -qq lld || { apt-get update -qq && apt-get install -y -qq lld; }; } >/dev/null
    fi
    command -v ld.lld >/dev/null || die "ld.lld is missing: apt-get install lld"
}
# The flags every shipped build uses (scripts/lib/ship-rustflags.sh), plus RELR packing: Debian
# bookworm's lld 14 spells it --pack-dyn-relocs=relr; the NDK's lld also knows android+relr (same size).
# shellcheck source=lib/ship-rustflags.sh source-path=SCRIPTDIR
. "$ROOT/scripts/lib/ship-rustflags.sh"
HOST=x86_64-unknown-linux-gnu
LINK_FLAGS="$SHIP_LLD_FLAGS -C link-arg=-Wl,--pack-dyn-relocs=relr $(ship_remap_flags)"

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
    # crate is linked again: the extra argument after `--` reaches its rustc alone.
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
    RUSTFLAGS="$flags" CARGO_TARGET_DIR="$target_dir" \
        "${cargo[@]}" rustc -q -p dingtalk-auth-ffi --lib --release --target "$HOST" --crate-type cdylib "$@" \
        -- -C link-arg=-Wl,--version-script="$map"
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
    if [ "$size" -gt "$budget" ]; then
        echo "size.sh: $label is $size B, over its budget of $budget B" >&2
        failures=$((failures + 1))
    fi
    if [ "$gzip_budget" != - ] && [ "$gz" -gt "$gzip_budget" ]; then
        echo "size.sh: $label gzip -9 is $gz B, over its budget of $gzip_budget B" >&2
        failures=$((failures + 1))
    fi
    if [ "$label" = default ]; then
        [ "$size" -gt "$GOAL_DEFAULT" ] &&
            say "         the goal of $GOAL_DEFAULT B is missed by $((size - GOAL_DEFAULT)) B on stable Rust (BENCHMARKS.md)"
        [ "$gz" -gt "$GOAL_DEFAULT_GZIP" ] &&
            say "         the gzip goal of $GOAL_DEFAULT_GZIP B is missed by $((gz - GOAL_DEFAULT_GZIP)) B (BENCHMARKS.md)"
    fi
    return 0
}

echo "=== the mobile library as shipped, by default and with its own HTTP client (x86_64-linux cdylib, LTO, opt-level z, lld ICF + RELR, stripped)"
measure default "$BUDGET_DEFAULT" "$BUDGET_DEFAULT_GZIP" -- --no-default-features
measure http "$BUDGET_HTTP" "$BUDGET_HTTP_GZIP" -- --features http
if [ "${SIZE_NIGHTLY:-0}" = 1 ]; then
    if rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
        measure nightly "$GOAL_DEFAULT" "$GOAL_DEFAULT_GZIP" -- --no-default-features \
            -Zbuild-std=std,panic_unwind -Zbuild-std-features=panic-unwind,optimize_for_size
    else
        echo "(SIZE_NIGHTLY=1 but no nightly toolchain with rust-src: the nightly build is not measured)"
    fi
fi

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
