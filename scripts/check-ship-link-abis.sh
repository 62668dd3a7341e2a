#!/usr/bin/env bash
# The default library (no HTTP client: what the AAR ships) for each Android ABI, where there is no NDK
# (here): built for aarch64, armv7 (Thumb-2), i686 and x86_64 Android with the toolchain's own std for
# those targets (`rustup target add`), linked as scripts/build-android.sh links it — through
# scripts/lib/ship-link.sh's patch, twice (the shipped link leaves out UniFFI's interface description),
# with LLVM's libunwind for the target's architecture linked in as the NDK's clang does
# (scripts/lib/android-libunwind.sh) — by a stand-in for the NDK's clang driver
# (scripts/lib/android-link-standin.sh: lld, without bionic's other libraries, which are shared and cost
# nothing in the library). Fails unless each object was patched and the symbolizer's crates are gone.
# Prints each ABI's stripped size and gzip -9, and holds them to BUDGET / BUDGET_GZIP when given
# (scripts/size.sh passes the goals). An estimate within a few KiB: the NDK's crt objects and its own
# build of libunwind differ; hosted CI's scripts/build-android.sh prints the real sizes.
#
#   scripts/check-ship-link-abis.sh        (ABIS="aarch64-linux-android ..." to choose)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
read -r -a triples <<<"${ABIS:-aarch64-linux-android armv7-linux-androideabi i686-linux-android x86_64-linux-android}"
rustup target add "${triples[@]}" >/dev/null 2>&1 || rustup target add "${triples[@]}"

# shellcheck source=lib/ship-rustflags.sh source-path=SCRIPTDIR
. "$ROOT/scripts/lib/ship-rustflags.sh"
# shellcheck source=lib/android-libunwind.sh source-path=SCRIPTDIR
. "$ROOT/scripts/lib/android-libunwind.sh"
# shellcheck source=lib/apt.sh source-path=SCRIPTDIR
. "$ROOT/scripts/lib/apt.sh"
need_command curl curl
need_command llvm-nm llvm
# rust-lld (a recent lld, as the NDK's) is the real linker; the build's own flags as build-android.sh.
SHIP_REAL_LD=$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld/ld.lld
[ -x "$SHIP_REAL_LD" ] || SHIP_REAL_LD=$(command -v ld.lld)
export SHIP_REAL_LD
FLAGS="$SHIP_LLD_FLAGS -C link-arg=-Wl,--pack-dyn-relocs=android $(ship_remap_flags) -C link-arg=-Wl,-z,max-page-size=16384"
TARGET_DIR="$ROOT/target/size-android"
OUT="$ROOT/build/size/android-standin"
rm -rf "$OUT" && mkdir -p "$OUT"
export SHIP_LINK_LOG="$OUT/ship-link.log"
export NM=llvm-nm
for t in "${triples[@]}"; do
    var=CARGO_TARGET_$(echo "$t" | tr 'a-z-' 'A-Z_')_LINKER
    export "$var=$ROOT/scripts/lib/android-link-standin.sh"
    STANDIN_LIBUNWIND=$(android_libunwind "$t")
    export STANDIN_LIBUNWIND
    built="$TARGET_DIR/$t/release/libdingtalk_auth_ffi.so"
    # Linked again every time (a missing output makes cargo relink), so that each patch is logged.
    # One target per call: cargo takes --crate-type for a single target only. Twice, as build-android.sh
    # does (ship_metadata_map): the second link, measured, leaves UniFFI's interface description out.
    for link in describe ship; do
        rm -f "$built" "$TARGET_DIR/$t/release/deps/libdingtalk_auth_ffi.so"
        extra=()
        if [ "$link" = ship ]; then
            ship_metadata_map "$built.described" "$OUT/no-metadata-$t.map"
            extra=(-- -C "link-arg=-Wl,--version-script=$OUT/no-metadata-$t.map")
        fi
        RUSTFLAGS="$FLAGS $(ship_target_flags "$t")" CARGO_TARGET_DIR="$TARGET_DIR" cargo rustc -q -p dingtalk-auth-ffi --lib --release --crate-type cdylib \
            --no-default-features --target "$t" "${extra[@]}"
        [ "$link" = describe ] && mv "$built" "$built.described"
    done
    rm -f "$built.described"
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
    printf '%-26s stripped %8d B (%3d KiB)  gzip -9 %7d B  symbolizer symbols left: %d\n' "$t" "$size" $((size / 1024)) "$gz" "$left"
    if [ -n "${BUDGET:-}" ] && [ "$size" -gt "$BUDGET" ]; then
        echo "check-ship-link-abis: $t is $size B, over its budget of $BUDGET B" >&2
        failures=$((failures + 1))
    fi
    if [ -n "${BUDGET_GZIP:-}" ] && [ "$gz" -gt "$BUDGET_GZIP" ]; then
        echo "check-ship-link-abis: $t gzip -9 is $gz B, over its budget of $BUDGET_GZIP B" >&2
        failures=$((failures + 1))
    fi
    [ "$left" = 0 ] || { echo "check-ship-link-abis: $t still links the symbolizer" >&2; failures=$((failures + 1)); }
done
echo "ship-link patched:"
sed 's/^/  /' "$SHIP_LINK_LOG"
patched=$(grep -c 'returns at once' "$SHIP_LINK_LOG" || true)
[ "$patched" -ge "${#triples[@]}" ] || { echo "check-ship-link-abis: $patched patched objects for ${#triples[@]} targets" >&2; failures=$((failures + 1)); }
echo "the four ABIs' gzip -9 total (the AAR's native part, estimated): $total_gz B"
[ "$failures" = 0 ] || exit 1
echo "check-ship-link-abis: the patch applies to every ABI${BUDGET:+, and each is within $BUDGET B / gzip ${BUDGET_GZIP:-?} B}"
