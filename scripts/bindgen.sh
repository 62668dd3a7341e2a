#!/usr/bin/env bash
# Builds the host cdylib and generates the Kotlin and Swift bindings from that exact binary
# (library mode), so the bindings can never drift from the library they load.
#   scripts/bindgen.sh [debug|release]
#     → $CARGO_TARGET_DIR/<profile>/libdingtalk_auth_ffi.so (keeps the symbol table UniFFI reads)
#     → build/bindings/{kotlin,swift}
#     → release only: build/lib/libdingtalk_auth_ffi.so, the shipped artifact with every symbol stripped
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
profile=${1:-debug}
case "$profile" in
  debug) flags=() ;;
  release) flags=(--release) ;;
  *) echo "usage: $0 [debug|release]" >&2; exit 2 ;;
esac
target_dir=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build -q -p dingtalk-auth-ffi "${flags[@]}"
cargo build -q -p dingtalk-auth-ffi --features bindgen --bin uniffi-bindgen
lib="$target_dir/$profile/libdingtalk_auth_ffi.so"
for lang in kotlin swift; do
  # Generate beside the destination and swap it in, so a reader never sees a half-written directory.
  tmp=$(mktemp -d "$ROOT/build/.bindings-$lang.XXXXXX" 2>/dev/null || { mkdir -p "$ROOT/build" && mktemp -d "$ROOT/build/.bindings-$lang.XXXXXX"; })
  "$target_dir/debug/uniffi-bindgen" generate --library "$lib" --language "$lang" --out-dir "$tmp" --no-format
  mkdir -p build/bindings
  rm -rf "build/bindings/$lang.old"
  [ -d "build/bindings/$lang" ] && mv "build/bindings/$lang" "build/bindings/$lang.old"
  mv "$tmp" "build/bindings/$lang"
  rm -rf "build/bindings/$lang.old"
done
if [ "$profile" = release ]; then
  mkdir -p build/lib
  strip --strip-all -o build/lib/libdingtalk_auth_ffi.so "$lib"
  echo "shipped artifact: build/lib/libdingtalk_auth_ffi.so ($(stat -c %s build/lib/libdingtalk_auth_ffi.so) bytes)"
fi
echo "bindings for $lib in build/bindings/{kotlin,swift}"
