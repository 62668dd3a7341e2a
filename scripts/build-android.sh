#!/usr/bin/env bash
# Builds what the dingtalk-auth AAR carries from Rust, for hosted CI or a developer with the Android NDK
# (neither is available where this repository is developed: this script runs in .github/workflows/android.yml):
#   android-demo/dingtalk-auth/src/main/jniLibs/{arm64-v8a,armeabi-v7a,x86_64,x86}/libdingtalk_auth_ffi.so
#       release, LTO, stripped, ELF LOAD segments aligned to 16 KB (Android 15+ 16 KB-page devices);
#   build/bindings/kotlin   the Kotlin bindings, generated (library mode) from the unstripped arm64 build
#                           (linked once more for shipping, without UniFFI's interface description).
# Then `gradle -p android-demo :dingtalk-auth:assembleRelease` packages the AAR.
#
#   ANDROID_NDK_HOME=/path/to/ndk scripts/build-android.sh
#
# Each ABI is built with `cargo ndk -t ABI rustc -p dingtalk-auth-ffi --lib --release --crate-type cdylib`:
# with the rlib crate type beside the cdylib in Cargo.toml, plain `cargo build` silently skips LTO.
# Env: ANDROID_API (default 24, the AAR's minSdk), ABIS (default all four), DINGTALK_HTTP=1 for the
# flavour with the library's own HTTP client (cargo feature `http`); by default the AAR has none and
# `submit` goes through the app's HttpTransport.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
API=${ANDROID_API:-24}
read -r -a abis <<<"${ABIS:-arm64-v8a armeabi-v7a x86_64 x86}"
JNI="$ROOT/android-demo/dingtalk-auth/src/main/jniLibs"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "${DINGTALK_HTTP:-0}" = 1 ]; then FEATURES=(--features http); else FEATURES=(--no-default-features); fi
over=0

[[ -n "${ANDROID_NDK_HOME:-}" && -d "${ANDROID_NDK_HOME:-}" ]] || { echo "set ANDROID_NDK_HOME to an Android NDK (r28 or newer)" >&2; exit 1; }
command -v cargo-ndk >/dev/null || cargo install cargo-ndk --locked
triple() {
    case $1 in
        arm64-v8a) echo aarch64-linux-android ;;
        armeabi-v7a) echo armv7-linux-androideabi ;;
        x86_64) echo x86_64-linux-android ;;
        x86) echo i686-linux-android ;;
        *) echo "unknown ABI $1" >&2; exit 2 ;;
    esac
}
for abi in "${abis[@]}"; do rustup target add "$(triple "$abi")" >/dev/null; done

STRIP=$(find "$ANDROID_NDK_HOME/toolchains/llvm/prebuilt" -name llvm-strip -type f | head -1)
READELF=$(find "$ANDROID_NDK_HOME/toolchains/llvm/prebuilt" -name llvm-readelf -type f | head -1)
[[ -x "$STRIP" && -x "$READELF" ]] || { echo "no llvm-strip / llvm-readelf in $ANDROID_NDK_HOME" >&2; exit 1; }

# The flags of every shipped build (scripts/lib/ship-rustflags.sh: remapped paths, lld with identical-
# code folding, and each target's own: frame pointers on x86), so the size scripts/size.sh checks is the
# size that ships. Relocations packed in
# Android's own format: `relr` needs an API 28 loader, minSdk is 24. NDK r28+ links with 16 KB
# max-page-size by default; say it explicitly for older NDKs too.
# shellcheck source=lib/ship-rustflags.sh source-path=SCRIPTDIR
. "$ROOT/scripts/lib/ship-rustflags.sh"
remap=$(ship_remap_flags)
SHIP_FLAGS="${RUSTFLAGS:-} $SHIP_LLD_FLAGS -C link-arg=-Wl,--pack-dyn-relocs=android $remap -C link-arg=-Wl,-z,max-page-size=16384"
NM=$(find "$ANDROID_NDK_HOME/toolchains/llvm/prebuilt" -name llvm-nm -type f | head -1)
export NM
# The NDK's lld, behind scripts/lib/ship-link.sh (which drops std's backtrace symbolizer; it fails the
# build rather than ship an object it does not recognise; SHIP_KEEP_SYMBOLIZER=1 turns it off).
SHIP_REAL_LD=$(find "$ANDROID_NDK_HOME/toolchains/llvm/prebuilt" -name ld.lld \( -type f -o -type l \) | head -1)
[ -n "$SHIP_REAL_LD" ] || { echo "no ld.lld in $ANDROID_NDK_HOME" >&2; exit 1; }
export SHIP_REAL_LD
rm -rf "$JNI" build/android-bindgen && mkdir -p build/android-bindgen
for abi in "${abis[@]}"; do
    t=$(triple "$abi")
    echo "==> $abi ($t, API $API)"
    RUSTFLAGS="$SHIP_FLAGS $(ship_target_flags "$t")"
    export RUSTFLAGS
    built="$TARGET_DIR/$t/release/libdingtalk_auth_ffi.so"
    # Linked twice (ship_metadata_map): the first library still describes its interface, and the
    # first ABI's copy is what the Kotlin bindings are generated from; the second, shipped, does not.
    cargo ndk -t "$abi" --platform "$API" rustc -p dingtalk-auth-ffi --lib --release --crate-type cdylib "${FEATURES[@]}"
    [ "$abi" = "${abis[0]}" ] && cp "$built" build/android-bindgen/
    ship_metadata_map "$built" "build/android-bindgen/no-metadata-$abi.map"
    cargo ndk -t "$abi" --platform "$API" rustc -p dingtalk-auth-ffi --lib --release --crate-type cdylib "${FEATURES[@]}" \
        -- -C link-arg=-Wl,--version-script="$ROOT/build/android-bindgen/no-metadata-$abi.map"
    mkdir -p "$JNI/$abi"
    "$STRIP" --strip-all -o "$JNI/$abi/libdingtalk_auth_ffi.so" "$built"
    # Every LOAD segment must be aligned to at least 16 KB (0x4000).
    while read -r align; do
        (( align >= 16384 )) || { echo "$abi: a LOAD segment is aligned to $align, below 16 KB" >&2; exit 1; }
    done < <("$READELF" -lW "$JNI/$abi/libdingtalk_auth_ffi.so" | awk '$1 == "LOAD" { print $NF }')
    # The size goal holds per ABI on the real NDK link too (scripts/size.sh checks stand-ins of it).
    size=$(stat -c %s "$JNI/$abi/libdingtalk_auth_ffi.so")
    gz=$(gzip -9c "$JNI/$abi/libdingtalk_auth_ffi.so" | wc -c)
    goal=$SHIP_GOAL_DEFAULT goal_gz=$SHIP_GOAL_DEFAULT_GZIP
    [ "${DINGTALK_HTTP:-0}" = 1 ] && goal=$SHIP_GOAL_HTTP goal_gz=$SHIP_GOAL_HTTP_GZIP
    echo "    $size bytes ($gz gzip -9; goals $goal / $goal_gz), 16 KB-aligned"
    if [ "$size" -gt "$goal" ] || [ "$gz" -gt "$goal_gz" ]; then
        echo "$abi: over the size goal" >&2
        over=$((over + 1))
    fi
done
[ "$over" = 0 ] || { echo "$over ABI(s) over the size goal" >&2; exit 1; }

# Bindings from the first ABI's Android build of the same sources, before its interface description
# was left out (unstripped: library mode reads UniFFI's metadata symbols).
cargo build -q -p dingtalk-auth-ffi --features bindgen --bin uniffi-bindgen
rm -rf build/bindings/kotlin && mkdir -p build/bindings
"$TARGET_DIR/debug/uniffi-bindgen" generate --library build/android-bindgen/libdingtalk_auth_ffi.so \
    --language kotlin --out-dir build/bindings/kotlin --no-format
echo "jniLibs in $JNI; Kotlin bindings in build/bindings/kotlin"
