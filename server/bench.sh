#!/usr/bin/env bash
# Loopback benchmark of the reference backend and the fake DingTalk.
#
#   server/bench.sh [duration_seconds=10] [connections=64]
#
# Needs wrk (apt-get install wrk). Builds the release binaries, starts the fake DingTalk in bench mode
# (codes prefixed "bench-" are accepted unminted, statelessly, so each backend request can carry a
# fresh code without a mint round trip) and the backend wired to it, then measures in one run:
#   1. the fake's raw rate on its cheapest DingTalk endpoint (GET /v1.0/contact/users/me, bench token)
#   2. backend logins/s, p50/p99 for the legacy route (1 request in + 1 out to the fake)
#   3. the same for the v1.0 route (new_sdk: 1 in + 2 out)
#   4. steps 2 and 3 again against a second backend whose replay store is Redis, same run:
#      a redis-server on a free loopback port (--save '' --appendonly no), stopped at exit; the
#      Redis/memory ratios of throughput and p99, and Redis commands per login (INFO commandstats)
#   5. Redis memory per login: INFO memory used_memory before and after >= 100 000 Redis logins,
#      every key still alive (TTL 15 min)
#   6. backend RSS and replay entries after >= 100 000 logins, then after a further flood (FLOOD=0 skips)
# Logging is at warn (per-request info logs would measure the terminal, not the server).
# Redis: redis-server from PATH, else redis-check-rdb (Debian's redis-tools) through a link named
# redis-server (that binary is the server); install one of them first.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
CONN=${2:-64}
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }
command -v redis-cli >/dev/null || { echo "redis-cli not found: apt-get install -y redis-tools" >&2; exit 1; }
REDIS_BIN=$(command -v redis-server || command -v redis-check-rdb || true)
[ -n "$REDIS_BIN" ] || { echo "redis-server not found: apt-get install -y redis-tools" >&2; exit 1; }
cargo build --profile server -p dingtalk-auth-server -p dingtalk-fake >&2
BIN=target/server/dingtalk-auth-server
FAKE_BIN=target/server/dingtalk-fake
OUT=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT

url_of() { # wait for the "listening" line of a child's stdout file
  for _ in $(seq 1 200); do
    if grep -q '"listening"' "$1" 2>/dev/null; then
      sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$1" | head -1; return 0; fi
    sleep 0.05
  done
  echo "server did not start: $(cat "$1")" >&2; return 1
}

RUST_LOG=warn "$FAKE_BIN" serve --listen 127.0.0.1:0 --bench-code-prefix bench- >"$OUT/fake.out" 2>"$OUT/fake.err" &
pids+=($!)
FAKE=$(url_of "$OUT/fake.out")
LEGACY_KEY=dingdemolegacyappkey
CLIENT_ID=dingdemoclientid
RUST_LOG=warn DINGTALK_LEGACY_APP_SECRET=demo-legacy-app-secret-0123456789abcdef \
  DINGTALK_CLIENT_SECRET=demo-client-secret-0123456789abcdef \
  "$BIN" serve --listen 127.0.0.1:0 --legacy-app-key $LEGACY_KEY --client-id $CLIENT_ID \
  --oapi-base "$FAKE" --api-base "$FAKE" >"$OUT/backend.out" 2>"$OUT/backend.err" &
BPID=$!
pids+=("$BPID")
BACKEND=$(url_of "$OUT/backend.out")

ln -s "$REDIS_BIN" "$OUT/redis-server"
REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$OUT/redis-server" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --loglevel warning >"$OUT/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null; then break; fi
  sleep 0.05
done
RUST_LOG=warn DINGTALK_LEGACY_APP_SECRET=demo-legacy-app-secret-0123456789abcdef \
  DINGTALK_CLIENT_SECRET=demo-client-secret-0123456789abcdef \
  DINGTALK_REPLAY_STORE="redis://127.0.0.1:$REDIS_PORT" \
  DINGTALK_REPLAY_STORE_KEY="bench:$(head -c 32 /dev/urandom | base64)" \
  "$BIN" serve --listen 127.0.0.1:0 --legacy-app-key $LEGACY_KEY --client-id $CLIENT_ID \
  --oapi-base "$FAKE" --api-base "$FAKE" >"$OUT/redis-backend.out" 2>"$OUT/redis-backend.err" &
pids+=($!)
REDIS_BACKEND=$(url_of "$OUT/redis-backend.out")

rss_kib() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
replay() { curl -s "$BACKEND/healthz" | sed -n 's/.*"replayEntries":\([0-9]*\).*/\1/p'; }
summary() { # name file
  local rps p50 p99 n errs
  rps=$(awk '/^Requests\/sec/{print $2}' "$2")
  p50=$(awk '$1=="50%"{print $2}' "$2")
  p99=$(awk '$1=="99%"{print $2}' "$2")
  n=$(awk '/requests in/{print $1}' "$2")
  errs=$(grep -E 'Non-2xx|Socket errors' "$2" | tr -s ' ' | paste -sd';' - || true)
  printf '%-36s %10s req/s  p50 %-9s p99 %-9s (%s requests%s)\n' "$1" "$rps" "$p50" "$p99" "$n" "${errs:+; $errs}"
}

echo "machine: $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg) (other work on the box skews tails); wrk -t2 -c$CONN -d${DUR}s; backend RSS at start $(rss_kib $BPID) KiB"
wrk -t2 -c"$CONN" -d"${DUR}s" --latency -H "x-acs-dingtalk-access-token: bench-access" \
  "$FAKE/v1.0/contact/users/me" >"$OUT/raw.txt"
summary "fake raw GET users/me" "$OUT/raw.txt"
# logins BACKEND OUT_PREFIX LABEL: both routes against one backend, a fresh code per request.
logins() {
  local backend=$1 out=$2 label=$3
  FLOW=legacy_sdk CLIENT_ID=$LEGACY_KEY SCOPE=sns_login \
    wrk -t2 -c"$CONN" -d"${DUR}s" --latency -s server/bench/login.lua "$backend" >"$out-legacy.txt" 2>"$out-legacy.err"
  summary "login legacy_sdk, $label (2 req)" "$out-legacy.txt"
  FLOW=new_sdk CLIENT_ID=$CLIENT_ID SCOPE=openid \
    wrk -t2 -c"$CONN" -d"${DUR}s" --latency -s server/bench/login.lua "$backend" >"$out-v1.txt" 2>"$out-v1.err"
  summary "login new_sdk/v1.0, $label (3 req)" "$out-v1.txt"
  head -3 "$out-legacy.err" "$out-v1.err" 2>/dev/null | grep non-200 >&2 || true
}
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
calls() { rcli INFO commandstats | awk -F'[:=,]' '/^cmdstat_/ && $1 != "cmdstat_info" {n += $3} END {print n+0}'; }
used_memory() { rcli INFO memory | awk -F: '/^used_memory:/{print $2+0}'; }
keys() { rcli DBSIZE | tr -d '\r'; }
logins "$BACKEND" "$OUT/memory" "memory store"
mem0=$(used_memory); keys0=$(keys)
rcli CONFIG RESETSTAT >/dev/null
logins "$REDIS_BACKEND" "$OUT/redis" "Redis store"
redis_logins=$(( $(awk '/requests in/{print $1}' "$OUT/redis-legacy.txt") + $(awk '/requests in/{print $1}' "$OUT/redis-v1.txt") ))
redis_calls=$(calls)
echo "Redis commands per login (INFO commandstats, scripts' inner commands included): $(awk -v c="$redis_calls" -v n="$redis_logins" 'BEGIN{printf "%.2f", c/n}') ($redis_calls over $redis_logins logins; client round trips per login: 2, the claim (a plain SET) and the finish script)"
ratio() { # label memory-file redis-file
  awk -v label="$1" -v m="$(awk '/^Requests\/sec/{print $2}' "$2")" -v r="$(awk '/^Requests\/sec/{print $2}' "$3")" \
      -v mp="$(awk '$1=="99%"{print $2}' "$2")" -v rp="$(awk '$1=="99%"{print $2}' "$3")" '
    function ms(x) { if (x ~ /us$/) return x / 1000; if (x ~ /ms$/) return x + 0; if (x ~ /s$/) return x * 1000; return x }
    BEGIN { printf "Redis / memory, %s: throughput %.0f %% (goal >= 85 %%), p99 %.2f x (goal <= 1.5 x)\n", label, 100 * r / m, ms(rp) / ms(mp) }'
}
ratio "legacy_sdk" "$OUT/memory-legacy.txt" "$OUT/redis-legacy.txt"
ratio "new_sdk/v1.0" "$OUT/memory-v1.txt" "$OUT/redis-v1.txt"
while [ "$redis_logins" -lt 100000 ]; do
  FLOW=legacy_sdk CLIENT_ID=$LEGACY_KEY SCOPE=sns_login \
    wrk -t2 -c"$CONN" -d5s -s server/bench/login.lua "$REDIS_BACKEND" >"$OUT/more-redis.txt" 2>/dev/null
  redis_logins=$(( redis_logins + $(awk '/requests in/{print $1}' "$OUT/more-redis.txt") ))
done
mem1=$(used_memory); keys1=$(keys)
echo "Redis memory: used_memory $mem0 -> $mem1 bytes over $redis_logins logins, $(( keys1 - keys0 )) keys: $(awk -v a="$mem0" -v b="$mem1" -v n="$(( keys1 - keys0 ))" 'BEGIN{printf "%.0f", (b-a)/n}') bytes per kept login"
[ "${FLOOD:-1}" = 0 ] && { echo "memory flood skipped (FLOOD=0)"; exit 0; }

total=$(( $(awk '/requests in/{print $1}' "$OUT/memory-legacy.txt") + $(awk '/requests in/{print $1}' "$OUT/memory-v1.txt") ))
while [ "$total" -lt 100000 ]; do
  FLOW=legacy_sdk CLIENT_ID=$LEGACY_KEY SCOPE=sns_login \
    wrk -t2 -c"$CONN" -d5s -s server/bench/login.lua "$BACKEND" >"$OUT/more.txt" 2>/dev/null
  total=$(( total + $(awk '/requests in/{print $1}' "$OUT/more.txt") ))
done
echo "after $total logins: backend RSS $(rss_kib $BPID) KiB, replay entries $(replay) (capacity 100000)"
FLOW=legacy_sdk CLIENT_ID=$LEGACY_KEY SCOPE=sns_login \
  wrk -t2 -c"$CONN" -d"${DUR}s" -s server/bench/login.lua "$BACKEND" >"$OUT/flood.txt" 2>/dev/null
total=$(( total + $(awk '/requests in/{print $1}' "$OUT/flood.txt") ))
echo "after $total logins (flood of distinct codes): backend RSS $(rss_kib $BPID) KiB, replay entries $(replay)"
echo "fake RSS $(rss_kib "${pids[0]}") KiB"
