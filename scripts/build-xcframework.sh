#!/usr/bin/env bash
# Builds the XCFramework the Swift package `DingTalkAuth` wraps (Package.swift, binaryTarget
# "DingTalkAuthFFI"), on a Mac with Xcode and rustup. Not runnable on Linux: there it is checked by
# bash -n, shellcheck and scripts/check-ios-layout.py (scripts/test-ios.sh).
#
#   scripts/build-xcframework.sh                      development build → build/ios/DingTalkAuthFFI.xcframework
#   scripts/build-xcframework.sh --release-url URL    also writes URL + the zip's checksum into Package.swift's
#                                                     release block (commit that with the generated Swift,
#                                                     tag it, upload the zip to URL)
#
# Output:
#   build/ios/DingTalkAuthFFI.xcframework          ios-arm64 (devices) + ios-arm64_x86_64-simulator (lipo'd)
#   build/ios/DingTalkAuthFFI.xcframework.zip      + its SwiftPM checksum, printed
#   ios-demo/DingTalkAuth/Sources/DingTalkAuth/Generated/DingTalkAuth.swift   the Swift generated from the same library
#
# Deployment target: iOS 15.0, the package's floor (Package.swift `.iOS(.v15)`): Swift concurrency runs on
# the OS's own runtime from iOS 15 (no back-deployed runtime for `async` logins), and every API the package
# uses (ASWebAuthenticationSession, SwiftUI `.onOpenURL`, the Keychain calls) exists there. Rust reads
# IPHONEOS_DEPLOYMENT_TARGET, so the objects carry the same minimum and Xcode's linker does not warn.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=lib/ship-rustflags.sh source-path=SCRIPTDIR
. "$ROOT/scripts/lib/ship-rustflags.sh"

# Names Package.swift and ios-demo/project.yml rely on (checked by scripts/check-ios-layout.py).
FRAMEWORK_NAME=DingTalkAuthFFI
OUT_DIR=build/ios
XCFRAMEWORK="$OUT_DIR/$FRAMEWORK_NAME.xcframework"
GENERATED_SWIFT=ios-demo/DingTalkAuth/Sources/DingTalkAuth/Generated/DingTalkAuth.swift
LIB=libdingtalk_auth_ffi.a
DEVICE_TARGET=aarch64-apple-ios
SIM_TARGETS=(aarch64-apple-ios-sim x86_64-apple-ios)
export IPHONEOS_DEPLOYMENT_TARGET=15.0

log() { echo "build-xcframework: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Rewrites the one line between Package.swift's release markers; everything else stays as written.
write_release_block() {
  local url=$1 sum=$2 file=$3 tmp
  tmp=$(mktemp)
  awk -v url="$url" -v sum="$sum" '
    /^\/\/ BEGIN release XCFramework/ { inside = 1; print; next }
    /^\/\/ END release XCFramework/ { inside = 0 }
    inside && /^let releaseXCFramework/ {
      printf "let releaseXCFramework: (url: String, checksum: String)? = (url: \"%s\", checksum: \"%s\")\n", url, sum; next
    }
    { print }' "$file" >"$tmp"
  grep -qF "checksum: \"$sum\")" "$tmp" || { rm -f "$tmp"; die "could not write the release block into $file"; }
  cat "$tmp" >"$file"
  rm -f "$tmp"
}

RELEASE_URL=
case "${1:-}" in
  "") ;;
  --release-url) RELEASE_URL=${2:?--release-url needs a URL}; shift 2 ;;
  # Only the manifest rewrite (runs anywhere; scripts/test-ios.sh checks it on Linux).
  --write-release-block) write_release_block "${2:?URL}" "${3:?CHECKSUM}" "${4:?Package.swift path}"; exit 0 ;;
  *) die "usage: $0 [--release-url URL]" ;;
esac

[ "$(uname -s)" = Darwin ] || die "needs macOS with Xcode (xcodebuild, lipo)"
for tool in xcodebuild lipo ditto swift rustup cargo; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

size() { wc -c <"$1" | tr -d ' '; }

log "rustup targets"
rustup target add "$DEVICE_TARGET" "${SIM_TARGETS[@]}" >&2

# One static library per target. `cargo rustc --crate-type staticlib`, not `cargo build`: the façade's
# Cargo.toml also lists the rlib crate type (the Rust tests link it), and when an rlib is among the crate
# types of one build, cargo does not run link-time optimisation, so the static library would ship without
# it (larger). Asking for the staticlib alone lets the release profile's `lto = true` apply.
# Without the `http` feature by default (`submit` goes through the app's HttpTransport, e.g. the
# package's URLSessionTransport); DINGTALK_HTTP=1 builds the flavour with the library's own client.
if [ "${DINGTALK_HTTP:-0}" = 1 ]; then FEATURES=(--features http); else FEATURES=(--no-default-features); fi
for target in "$DEVICE_TARGET" "${SIM_TARGETS[@]}"; do
  log "cargo rustc --release --target $target --crate-type staticlib"
  RUSTFLAGS="${RUSTFLAGS:-} $(ship_remap_flags)" \
    cargo rustc -q -p dingtalk-auth-ffi --lib --release --target "$target" --crate-type staticlib "${FEATURES[@]}"
done

rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR/device" "$OUT_DIR/simulator" "$OUT_DIR/headers" "$OUT_DIR/bindings"

# Headers, module map and Swift from the device library itself (library mode reads the UniFFI metadata
# of the unstripped archive), so the bindings cannot drift from the binary they ship with.
cargo build -q -p dingtalk-auth-ffi --features bindgen --bin uniffi-bindgen
target_dir=${CARGO_TARGET_DIR:-$ROOT/target}
"$target_dir/debug/uniffi-bindgen" generate --library "$target_dir/$DEVICE_TARGET/release/$LIB" \
  --language swift --out-dir "$OUT_DIR/bindings" --no-format
cp "$OUT_DIR/bindings/$FRAMEWORK_NAME.h" "$OUT_DIR/headers/"
# An XCFramework's headers expose a Clang module only through a file named module.modulemap.
cp "$OUT_DIR/bindings/$FRAMEWORK_NAME.modulemap" "$OUT_DIR/headers/module.modulemap"
mkdir -p "$(dirname "$GENERATED_SWIFT")"
cp "$OUT_DIR/bindings/DingTalkAuth.swift" "$GENERATED_SWIFT"

cp "$target_dir/$DEVICE_TARGET/release/$LIB" "$OUT_DIR/device/$LIB"
# The simulator runs arm64 (Apple silicon) and x86_64 (Intel Macs): one fat library for the simulator slice.
sim_libs=()
for target in "${SIM_TARGETS[@]}"; do sim_libs+=("$target_dir/$target/release/$LIB"); done
lipo -create "${sim_libs[@]}" -output "$OUT_DIR/simulator/$LIB"

xcodebuild -create-xcframework \
  -library "$OUT_DIR/device/$LIB" -headers "$OUT_DIR/headers" \
  -library "$OUT_DIR/simulator/$LIB" -headers "$OUT_DIR/headers" \
  -output "$XCFRAMEWORK" >&2

ZIP="$XCFRAMEWORK.zip"
(cd "$OUT_DIR" && ditto -c -k --sequesterRsrc --keepParent "$FRAMEWORK_NAME.xcframework" "$FRAMEWORK_NAME.xcframework.zip")
CHECKSUM=$(swift package compute-checksum "$ZIP")

echo "slice sizes (static libraries before the app's linker dead-strips them):"
echo "  ios-arm64                    $(size "$OUT_DIR/device/$LIB") bytes"
for target in "${SIM_TARGETS[@]}"; do
  echo "  simulator $target  $(size "$target_dir/$target/release/$LIB") bytes"
done
echo "  ios-arm64_x86_64-simulator   $(size "$OUT_DIR/simulator/$LIB") bytes (lipo)"
echo "xcframework: $XCFRAMEWORK"
echo "zip:         $ZIP ($(size "$ZIP") bytes)"
echo "checksum:    $CHECKSUM"

if [ -n "$RELEASE_URL" ]; then
  write_release_block "$RELEASE_URL" "$CHECKSUM" Package.swift
  log "Package.swift now points at $RELEASE_URL; commit it with $GENERATED_SWIFT (git add -f) and tag the commit"
fi
