#!/usr/bin/env bash
# The backend as two instances sharing one Redis replay store: server/backend/tests/cluster.rs
# starts one redis-server (a plain process on a free loopback port, --save '' --appendonly no), the
# fake DingTalk (in the test process) and two backend processes per scenario, and kills them when each test ends (also
# when it panics). This script makes sure the five scenarios really ran: it fails when fewer than
# five printed "CLUSTER SCENARIO PASSED", never skips.
#
# Redis: `redis-server` from PATH, else Debian's `redis-tools` package is installed (apt-get). That
# package ships the server binary as redis-check-rdb, which runs as a server when called through a
# link named redis-server; unlike the `redis-server` package it installs no system service, so
# nothing is left running on port 6379. Prints one summary line:
#   Server cluster summary: N scenarios passed (...)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
EXPECTED=5
die() { echo "test-server-cluster.sh: $*" >&2; exit 1; }

WORK=$(mktemp -d)
test_pid=
cleanup() {
    # The test binary runs in its own process group: whatever it started goes with it, even if it
    # was killed before its guards could run.
    if [ -n "$test_pid" ]; then kill -TERM -- "-$test_pid" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

redis=$(command -v redis-server || true)
if [ -z "$redis" ]; then
    if ! command -v redis-check-rdb >/dev/null; then
        echo "installing Debian's redis-tools (for its Redis server binary)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends redis-tools >/dev/null \
            || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends redis-tools >/dev/null; } \
            || die "cannot install redis-tools (run as root, or install redis-server)"
    fi
    ln -s "$(command -v redis-check-rdb)" "$WORK/redis-server"
    redis=$WORK/redis-server
fi
"$redis" --version

start=$(date +%s)
log=$WORK/cluster.log
# --workspace: the same features as test.sh's `cargo test --workspace`, so its build is reused.
set +e
DINGTALK_TEST_REDIS_SERVER=$redis setsid cargo test --workspace --test cluster -- \
    --ignored --nocapture >"$log" 2>&1 &
test_pid=$!
wait "$test_pid"
rc=$?
set -e
cat "$log"
passed=$(grep -c '^CLUSTER SCENARIO PASSED' "$log" || true)
[ "$rc" = 0 ] || die "cluster tests failed (exit $rc)"
[ "$passed" = "$EXPECTED" ] || die "only $passed of $EXPECTED cluster scenarios ran"
echo "Server cluster summary: $passed scenarios passed (2 backends, 1 redis-server, the fake DingTalk) in $(( $(date +%s) - start )) s"
