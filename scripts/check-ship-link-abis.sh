#!/usr/bin/env bash
# Checks that scripts/lib/ship-link.sh's patch applies to the default library of every Android ABI,
# where there is no NDK (here): builds it for aarch64, armv7 (Thumb-2), i686 and x86_64 Android with
# the toolchain's own std for those targets (`rustup target add`), links each through the stand-in
# driver scripts/lib/android-link-standin.sh (lld through ship-link.sh, without bionic's libraries),
# and fails unless each object was patched and the symbolizer's crates are gone from the result.
# Prints each ABI's stripped size and gzip -9: an estimate (no NDK libunwind, no crt objects; hosted
# CI's scripts/build-android.sh prints the real sizes).
#
#   scripts/check-ship-link-abis.sh        (ABIS="aarch64-linux-android ..." to choose)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
read -r -a triples <<<"${ABIS:-aarch64-linux-android armv7-linux-androideabi i686-linux-android x86_64-linux-android}"
rustup target add "${triples[@]}" >/dev/null 2>&1 || rustup target add "${triples[@]}"

# shellcheck source=lib/ship-rustflags.sh source-path=SCRIPTDIR
. "$ROOT/scripts/lib/ship-rustflags.sh"
# rust-lld (a recent lld, as the NDK's) is the real linker; the build's own flags as build-android.sh.
SHIP_REAL_LD=$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld/ld.lld
[ -x "$SHIP_REAL_LD" ] || SHIP_REAL_LD=$(command -v ld.lld)
export SHIP_REAL_LD
RUSTFLAGS="$SHIP_LLD_FLAGS -C link-arg=-Wl,--pack-dyn-relocs=android $(ship_remap_flags) -C link-arg=-Wl,-z,max-page-size=16384"
export RUSTFLAGS
TARGET_DIR="$ROOT/target/size-android"
OUT="$ROOT/build/size/android-standin"
rm -rf "$OUT" && mkdir -p "$OUT"
export SHIP_LINK_LOG="$OUT/ship-link.log"
for t in "${triples[@]}"; do
    var=CARGO_TARGET_$(echo "$t" | tr 'a-z-' 'A-Z_')_LINKER
    export "$var=$ROOT/scripts/lib/android-link-standin.sh"
    # Linked again every time (a missing output makes cargo relink), so that each patch is logged.
    rm -f "$TARGET_DIR/$t/release/libdingtalk_auth_ffi.so" "$TARGET_DIR/$t/release/deps/libdingtalk_auth_ffi.so"
    # One target per call: cargo takes --crate-type for a single target only.
    CARGO_TARGET_DIR="$TARGET_DIR" cargo rustc -q -p dingtalk-auth-ffi --lib --release --crate-type cdylib \
        --no-default-features --target "$t"
done

failures=0 total_gz=0
for t in "${triples[@]}"; do
    built="$TARGET_DIR/$t/release/libdingtalk_auth_ffi.so"
    stripped="$OUT/libdingtalk_auth_ffi-$t.so"
    llvm-strip --strip-all -o "$stripped" "$built" 2>/dev/null || strip --strip-all -o "$stripped" "$built"
    size=$(stat -c %s "$stripped")
    gz=$(gzip -9c "$stripped" | wc -c)
    total_gz=$((total_gz + gz))
    # Functions of the symbolizer's crates themselves (a std generic instantiated for one of their types,
    # such as RawVec<gimli::…>::grow_one, belongs to alloc and may stay).
    left=$(llvm-nm -C "$built" | awk '{ $1 = $2 = ""; print }' | grep -c -E '^ *<?(addr2line|gimli|miniz_oxide)::' || true)
    printf '%-26s stripped %8d B  gzip -9 %7d B  symbolizer symbols left: %d\n' "$t" "$size" "$gz" "$left"
    [ "$left" = 0 ] || { echo "check-ship-link-abis: $t still links the symbolizer" >&2; failures=$((failures + 1)); }
done
echo "ship-link patched:"
sed 's/^/  /' "$SHIP_LINK_LOG"
patched=$(grep -c 'returns at once' "$SHIP_LINK_LOG" || true)
[ "$patched" -ge "${#triples[@]}" ] || { echo "check-ship-link-abis: $patched patched objects for ${#triples[@]} targets" >&2; failures=$((failures + 1)); }
echo "the four ABIs' gzip -9 total (the AAR's native part, estimated): $total_gz B"
[ "$failures" = 0 ] || exit 1
echo "check-ship-link-abis: the patch applies to every ABI"
