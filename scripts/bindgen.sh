#!/usr/bin/env bash
# Builds the host cdylib and generates the Kotlin and Swift bindings from that exact binary
# (library mode), so the bindings can never drift from the library they load.
#   scripts/bindgen.sh [debug|release]   → target/<profile>/libdingtalk_auth_ffi.so, build/bindings/{kotlin,swift}
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-debug}
case "$profile" in
  debug) flags=() ;;
  release) flags=(--release) ;;
  *) echo "usage: $0 [debug|release]" >&2; exit 2 ;;
esac
cargo build -q -p dingtalk-auth-ffi "${flags[@]}"
lib="target/$profile/libdingtalk_auth_ffi.so"
for lang in kotlin swift; do
  rm -rf "build/bindings/$lang"
  cargo run -q -p dingtalk-auth-ffi --features bindgen --bin uniffi-bindgen -- \
    generate --library "$lib" --language "$lang" --out-dir "build/bindings/$lang" --no-format
done
echo "bindings for $lib in build/bindings/{kotlin,swift}"
