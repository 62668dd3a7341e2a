#!/usr/bin/env bash
# Directory sync benchmark: the fake DingTalk serving a seeded organisation (DEPTS departments in a
# tree of fan-out 10, MEMBERS members, every 10th in two departments) and enforcing 20 calls/s per
# API; `dingtalk-directory-sync` copies it. Prints the sync's summary (calls per API, rate-limit
# answers, the bound = max(calls per API) / 20 s, the wall time) and checks that every member came
# exactly once. Not part of the regular test run (10 000 departments take about 9 minutes).
#   server/bench-directory.sh [DEPTS] [MEMBERS]      (default 10000 100000)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DEPTS=${1:-10000}
MEMBERS=${2:-100000}
WORK=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

${HEAVY:-} cargo build -q --profile server -p dingtalk-fake -p dingtalk-auth-server
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/server
mkfifo "$WORK/fake.fifo"
"$BIN/dingtalk-fake" serve --listen 127.0.0.1:0 --seed-org "$DEPTS,$MEMBERS" --qps-per-api 20 \
    >"$WORK/fake.fifo" 2>"$WORK/fake.log" &
pids+=($!)
exec {fd}<"$WORK/fake.fifo"
read -r -t 60 -u "$fd" line || { cat "$WORK/fake.log" >&2; exit 1; }
FAKE=$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')

DINGTALK_CLIENT_SECRET=demo-client-secret-0123456789abcdef \
    "$BIN/dingtalk-directory-sync" --client-id dingdemoclientid \
    --oapi-base "$FAKE" --api-base "$FAKE" --output "$WORK/org.jsonl" 2>"$WORK/sync.log"

python3 - "$WORK/org.jsonl" "$MEMBERS" "$DEPTS" <<'PY'
import json, sys
path, members, depts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = [json.loads(l) for l in open(path)]
ids = [l["userId"] for l in lines if l["type"] == "member"]
deps = [l["deptId"] for l in lines if l["type"] == "department"]
s = lines[-1]
lost = members - len(set(ids)); dup = len(ids) - len(set(ids))
print(json.dumps(s))
print(f"members {len(set(ids))}/{members} (lost {lost}, duplicated {dup}), departments {len(set(deps))}/{depts}")
print(f"wall {s['wallSecs']:.1f} s vs bound {s['boundSecs']:.1f} s: {100 * (s['wallSecs'] / s['boundSecs'] - 1):+.1f} %")
sys.exit(0 if lost == 0 and dup == 0 and len(set(deps)) == depts else 1)
PY
