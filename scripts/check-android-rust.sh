#!/usr/bin/env bash
# Type-checks the Rust library for the four Android targets without an NDK, so the Android-only code
# (logcat through android_logger, cfg(target_os = "android") paths) is compiled here on every change:
#   cargo +nightly check -Zbuild-std -p dingtalk-auth-ffi --no-default-features --target <each>
# The no-HTTP build needs no C compiler. The HTTP build is not checked here: ring's build script compiles
# C for the target, and Debian's clang with --target=<triple>24 (with or without -ffreestanding) stops at
# the first libc header ring includes (<assert.h>, <string.h>): they must come from Android's bionic
# sysroot, which only the NDK ships. hosted CI builds it with the NDK (scripts/build-android.sh).
# Needs a nightly toolchain; adds its rust-src component if missing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
targets=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android i686-linux-android)
rustup run nightly rustc --version >/dev/null 2>&1 || { echo "no nightly toolchain: rustup toolchain install nightly" >&2; exit 1; }
rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src' \
    || rustup component add rust-src --toolchain nightly >&2
args=()
for t in "${targets[@]}"; do args+=(--target "$t"); done
start=$(date +%s)
cargo +nightly check -Zbuild-std -q -p dingtalk-auth-ffi --no-default-features "${args[@]}"
echo "Android targets (${targets[*]}): the no-HTTP library type-checks ($(( $(date +%s) - start )) s)"
