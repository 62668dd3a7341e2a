#!/usr/bin/env bash
# Benchmark the Swift bindings on Linux (inside the trixie chroot, see scripts/test-ios.sh): builds the
# Rust library in release and the package's DingTalkAuthBench executable with
# `swift build -c release`, then prints medians of completeSdk() on the success path (Rust memory store,
# Swift store), the same validation written in plain Swift, and the cold start (first library call to
# first begin()) in fresh processes.
# Usage: scripts/bench-swift.sh [--iterations=N] [--cold-runs=N]
# Env:   DINGTALK_SKIP_BINDGEN=1 reuse target/release (falls back to debug, with a warning, if absent)
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/test-ios.sh" --bench "$@"
