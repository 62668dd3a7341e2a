#!/usr/bin/env bash
# Starts two reference backends, each wired to its own fake DingTalk, on loopback ports chosen by the
# OS, runs the given command with their addresses in the environment, and always stops them.
#   scripts/with-demo-servers.sh COMMAND [ARGS…]
# Environment given to COMMAND:
#   DINGTALK_DEMO_BACKEND, DINGTALK_DEMO_FAKE            backend + fake, any organisation allowed
#   DINGTALK_DEMO_ORG_BACKEND, DINGTALK_DEMO_ORG_FAKE    backend + fake with the corpId allow-list
#                                                       "$DINGTALK_DEMO_ALLOWED_CORP" (scope openid corpid)
#   DINGTALK_DEMO_MEMBER_BACKEND, DINGTALK_DEMO_MEMBER_FAKE  an internal app's backend: every login is
#                                                       resolved to a member of the fake's organisation
#                                                       "$DINGTALK_DEMO_MEMBER_CORP" (its one member: the
#                                                       fake's default user, unionId fakeUnionId0001)
#   DINGTALK_DEMO_LEGACY_APP_KEY, DINGTALK_DEMO_CLIENT_ID  the demo credentials the fakes accept
#   DINGTALK_DEMO_UPSTREAM_TIMEOUT_MS                   the backends' timeout towards the fakes
# Server logs go to target/demo-servers/*.log.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS…]" >&2; exit 2; }
cargo build -q --manifest-path "$ROOT/Cargo.toml" -p dingtalk-fake
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/dingtalk-fake"
LOGS="$ROOT/target/demo-servers"
mkdir -p "$LOGS"
export DINGTALK_DEMO_ALLOWED_CORP=dingcorp-allowed
export DINGTALK_DEMO_MEMBER_CORP=dingcorp-members
export DINGTALK_DEMO_UPSTREAM_TIMEOUT_MS=1500

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

# start NAME ARGS…: runs `demo` and waits (by reading its stdout, not by sleeping) until it announced
# both listeners; sets <NAME>_BACKEND and <NAME>_FAKE.
start() {
    local name=$1; shift
    local out="$LOGS/$name.out" fifo="$LOGS/$name.fifo"
    rm -f "$fifo" && mkfifo "$fifo"
    "$BIN" demo --backend-listen 127.0.0.1:0 --fake-listen 127.0.0.1:0 \
        --upstream-timeout-ms "$DINGTALK_DEMO_UPSTREAM_TIMEOUT_MS" "$@" >"$fifo" 2>"$LOGS/$name.log" &
    pids+=($!)
    # Read the announcements as they are written (no polling); the line with the credentials is last.
    : >"$out"
    exec {fd}<"$fifo"
    local line started=""
    while IFS= read -r -t 60 -u "$fd" line; do
        echo "$line" >>"$out"
        case "$line" in *'"event":"demo_credentials"'*) started=1; break ;; esac
    done
    # Keep draining stdout so the server never blocks on a full pipe.
    cat <&"$fd" >>"$out" &
    pids+=($!)
    exec {fd}<&-
    rm -f "$fifo"
    if [ -z "$started" ]; then
        echo "with-demo-servers: $name did not start; its log:" >&2
        cat "$LOGS/$name.log" >&2
        exit 1
    fi
    local backend fake key client
    backend=$(sed -n 's/.*"service":"backend".*"url":"\([^"]*\)".*/\1/p' "$out" | head -1)
    fake=$(sed -n 's/.*"service":"fake".*"url":"\([^"]*\)".*/\1/p' "$out" | head -1)
    key=$(sed -n 's/.*"legacyAppKey":"\([^"]*\)".*/\1/p' "$out" | head -1)
    client=$(sed -n 's/.*"clientId":"\([^"]*\)".*/\1/p' "$out" | head -1)
    [ -n "$backend" ] && [ -n "$fake" ] || { echo "with-demo-servers: cannot read $name's addresses from $out" >&2; cat "$out" >&2; exit 1; }
    printf -v "${name}_BACKEND" '%s' "$backend"
    printf -v "${name}_FAKE" '%s' "$fake"
    export DINGTALK_DEMO_LEGACY_APP_KEY=$key DINGTALK_DEMO_CLIENT_ID=$client
}

start PLAIN
start ORG --allowed-corp-ids "$DINGTALK_DEMO_ALLOWED_CORP"
start MEMBER --corp-id "$DINGTALK_DEMO_MEMBER_CORP"
export DINGTALK_DEMO_BACKEND=$PLAIN_BACKEND DINGTALK_DEMO_FAKE=$PLAIN_FAKE
export DINGTALK_DEMO_ORG_BACKEND=$ORG_BACKEND DINGTALK_DEMO_ORG_FAKE=$ORG_FAKE
export DINGTALK_DEMO_MEMBER_BACKEND=$MEMBER_BACKEND DINGTALK_DEMO_MEMBER_FAKE=$MEMBER_FAKE
echo "with-demo-servers: backend $DINGTALK_DEMO_BACKEND (fake $DINGTALK_DEMO_FAKE), allow-list backend $DINGTALK_DEMO_ORG_BACKEND (fake $DINGTALK_DEMO_ORG_FAKE), member backend $DINGTALK_DEMO_MEMBER_BACKEND (fake $DINGTALK_DEMO_MEMBER_FAKE)" >&2
set +e
"$@"
rc=$?
set -e
exit $rc
