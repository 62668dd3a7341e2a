#!/usr/bin/env bash
# The backend as several instances sharing Redis: server/backend/tests/cluster.rs starts, per
# scenario, redis-server processes on free loopback ports (plain, TLS, a 3-master Cluster, AOF),
# the fake DingTalk (in the test process) and backend processes, and kills them when each test ends
# (also when it panics). This script provides Redis and TLS certificates (made here with openssl),
# runs the tests and makes sure every scenario really ran: it fails when fewer than $EXPECTED
# printed "CLUSTER SCENARIO PASSED", never skips.
#
# Redis: `redis-server` from PATH, else Debian's `redis-tools` package is installed (apt-get; it
# also brings redis-cli, used to create the Cluster and read INFO). That package ships the server
# binary as redis-check-rdb, which runs as a server when called through a link named redis-server;
# unlike the `redis-server` package it installs no system service, so nothing is left running on
# port 6379. Every step is bounded (`timeout`), so a deadlock fails instead of hanging CI. Prints:
#   Server cluster summary: N scenarios passed (...)
#   REDIS COMMANDS PER LOGIN: ... (commands per login at 1 and 50 waiters)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
EXPECTED=18
# The whole cargo run: build (warm) plus every scenario; each scenario's own steps are bounded too.
BOUND=${DINGTALK_CLUSTER_TEST_BOUND:-1800}
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

# shellcheck source=lib/apt.sh source-path=SCRIPTDIR
source "$ROOT/scripts/lib/apt.sh"

redis=$(command -v redis-server || true)
if [ -z "$redis" ] || ! command -v redis-cli >/dev/null; then
    if ! command -v redis-check-rdb >/dev/null || ! command -v redis-cli >/dev/null; then
        echo "installing Debian's redis-tools (for its Redis server binary and redis-cli)"
        apt_install redis-tools
    fi
fi
if [ -z "$redis" ]; then
    ln -s "$(command -v redis-check-rdb)" "$WORK/redis-server"
    redis=$WORK/redis-server
fi
need_command openssl openssl
"$redis" --version

# A CA, a server certificate it signs (localhost, 127.0.0.1) and an unrelated CA (and the same
# server key signed by it) for the "certificate refused" cases: made fresh for every run, never committed.
tls=$WORK/tls
mkdir -p "$tls"
(
    cd "$tls"
    ca() { # name
        openssl req -x509 -new -nodes -newkey rsa:2048 -days 2 -subj "/CN=dtauth test $1" \
            -keyout "$1.key" -out "$1.crt" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    }
    ca ca
    ca other-ca
    openssl req -new -nodes -newkey rsa:2048 -subj /CN=localhost -keyout server.key -out server.csr
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile server.ext -out server.crt
    # The same server name signed by the unrelated CA: a Redis restarted with it is refused.
    openssl x509 -req -in server.csr -CA other-ca.crt -CAkey other-ca.key -CAcreateserial -days 2 \
        -extfile server.ext -out other-server.crt
) >"$WORK/openssl.log" 2>&1 || { cat "$WORK/openssl.log"; die "cannot make the test certificates"; }

start=$(date +%s)
log=$WORK/cluster.log
# --workspace: the same features as test.sh's `cargo test --workspace`, so its build is reused.
# One scenario at a time: several run Redis paused or killed, and each prints commands it counted.
set +e
DINGTALK_TEST_REDIS_SERVER=$redis DINGTALK_TEST_REDIS_CLI=$(command -v redis-cli) \
    DINGTALK_TEST_TLS_DIR=$tls setsid timeout "$BOUND" cargo test --workspace --test cluster -- \
    --ignored --nocapture --test-threads 1 >"$log" 2>&1 &
test_pid=$!
wait "$test_pid"
rc=$?
set -e
cat "$log"
passed=$(grep -o 'CLUSTER SCENARIO PASSED' "$log" | wc -l)
[ "$rc" != 124 ] || die "cluster tests did not finish within $BOUND s"
[ "$rc" = 0 ] || die "cluster tests failed (exit $rc)"
[ "$passed" = "$EXPECTED" ] || die "only $passed of $EXPECTED cluster scenarios ran"
grep '^REDIS COMMANDS PER LOGIN' "$log" || true
echo "Server cluster summary: $passed scenarios passed (backends on one redis-server, TLS, a 3-master Cluster, AOF restart; the fake DingTalk) in $(( $(date +%s) - start )) s"
