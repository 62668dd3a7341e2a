#!/usr/bin/env bash
# Loopback benchmark of the reference backend and the fake DingTalk.
#
#   server/bench.sh [duration_seconds=10] [connections=64]
#   env: ROUNDS=5 (store comparison rounds per route), WARMUP=2 (seconds per backend and route, not
#        counted; 0 skips), PIN=none|split|apart (CPU pinning, see below), FLOOD=0 (skip step 5)
#
# Needs wrk (apt-get install wrk). Builds the release binaries, starts the fake DingTalk in bench mode
# (codes prefixed "bench-" are accepted unminted, statelessly, so each backend request can carry a
# fresh code without a mint round trip) and the backend wired to it, then measures in one run:
#   1. the fake's raw rate on its cheapest DingTalk endpoint (GET /v1.0/contact/users/me, bench token)
#   2. per route (legacy: 1 request in + 1 out to the fake; v1.0/new_sdk: 1 in + 2 out), the memory
#      store against a second backend whose replay store is Redis (a redis-server on a free loopback
#      port, --save '' --appendonly no, stopped at exit), in ROUNDS interleaved rounds of DUR seconds
#      each: memory then Redis in odd rounds, Redis then memory in even ones, so a slow drift of the
#      machine (someone else's job starting or ending) hits both stores alike. Each round gives one
#      Redis/memory pair ratio of rate and p99; the verdict uses the MEDIAN of the pairs (one
#      disturbed round cannot flip it) and prints min-max next to it. Print only, never an exit code.
#   3. Redis commands per login per route (INFO commandstats over the counted Redis rounds)
#   4. Redis memory per login: INFO memory used_memory before and after >= 100 000 Redis logins,
#      every key still alive (TTL 15 min)
#   5. backend RSS and replay entries after >= 100 000 logins, then after a further flood (FLOOD=0 skips)
# Logging is at warn (per-request info logs would measure the terminal, not the server).
# Redis: redis-server from PATH, else redis-check-rdb (Debian's redis-tools) through a link named
# redis-server (that binary is the server); install one of them first.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
CONN=${2:-64}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-2}
PIN=${PIN:-none}
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }
command -v redis-cli >/dev/null || { echo "redis-cli not found: apt-get install -y redis-tools" >&2; exit 1; }
REDIS_BIN=$(command -v redis-server || command -v redis-check-rdb || true)
[ -n "$REDIS_BIN" ] || { echo "redis-server not found: apt-get install -y redis-tools" >&2; exit 1; }
[ "$ROUNDS" -ge 1 ] 2>/dev/null || { echo "ROUNDS must be a number >= 1" >&2; exit 1; }
cargo build --profile server -p dingtalk-auth-server -p dingtalk-fake >&2
BIN=target/server/dingtalk-auth-server
FAKE_BIN=target/server/dingtalk-fake
OUT=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT

# CPU pinning (optional; needs >= 2 CPUs). PIN=split: the load side (wrk and the fake DingTalk) on the
# first CPU, the side under test (both backends and redis-server) on the second, so the load side
# cannot take the backend's core and the Redis store pays for redis-server's CPU on its own core (the
# conservative case: a Redis on its own host costs the backend nothing). PIN=apart: redis-server on the
# load side's CPU instead, the backend alone on its core (closer to a Redis on another host). Only one
# backend is loaded at a time, so both share their CPU. Not the default: on the 2-core box neither
# layout narrowed the spread of the round pair ratios against no pinning (about 25 points of rate ratio
# between a run's best and worst round for all three, BENCHMARKS.md); the interleaved rounds and their
# median are what make the verdict stable.
LOAD_CPU=()
TEST_CPU=()
REDIS_CPU=()
cpus=$(taskset -pc $$ 2>/dev/null | sed 's/.*: //' || true)
if [ "$PIN" != none ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  read -r cpu0 cpu1 < <(python3 -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
  LOAD_CPU=(taskset -c "$cpu0")
  TEST_CPU=(taskset -c "$cpu1")
  case $PIN in
    split) REDIS_CPU=("${TEST_CPU[@]}"); pinning="split: wrk and the fake on CPU $cpu0, the backends and redis-server on CPU $cpu1" ;;
    apart) REDIS_CPU=("${LOAD_CPU[@]}"); pinning="apart: wrk, the fake and redis-server on CPU $cpu0, the backends on CPU $cpu1" ;;
    *) echo "PIN must be split, apart or none" >&2; exit 1 ;;
  esac
else
  PIN=none
  pinning="none (allowed CPUs ${cpus:-all})"
fi

url_of() { # wait for the "listening" line of a child's stdout file
  for _ in $(seq 1 200); do
    if grep -q '"listening"' "$1" 2>/dev/null; then
      sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$1" | head -1; return 0; fi
    sleep 0.05
  done
  echo "server did not start: $(cat "$1")" >&2; return 1
}

RUST_LOG=warn "${LOAD_CPU[@]}" "$FAKE_BIN" serve --listen 127.0.0.1:0 --bench-code-prefix bench- >"$OUT/fake.out" 2>"$OUT/fake.err" &
FAKE_PID=$!
pids+=("$FAKE_PID")
FAKE=$(url_of "$OUT/fake.out")
LEGACY_KEY=dingdemolegacyappkey
CLIENT_ID=dingdemoclientid
RUST_LOG=warn DINGTALK_LEGACY_APP_SECRET=demo-legacy-app-secret-0123456789abcdef \
  DINGTALK_CLIENT_SECRET=demo-client-secret-0123456789abcdef \
  "${TEST_CPU[@]}" "$BIN" serve --listen 127.0.0.1:0 --legacy-app-key $LEGACY_KEY --client-id $CLIENT_ID \
  --oapi-base "$FAKE" --api-base "$FAKE" >"$OUT/backend.out" 2>"$OUT/backend.err" &
BPID=$!
pids+=("$BPID")
BACKEND=$(url_of "$OUT/backend.out")

ln -s "$REDIS_BIN" "$OUT/redis-server"
REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${REDIS_CPU[@]}" "$OUT/redis-server" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --loglevel warning >"$OUT/redis.log" 2>&1 &
RPID=$!
pids+=("$RPID")
for _ in $(seq 1 200); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null; then break; fi
  sleep 0.05
done
RUST_LOG=warn DINGTALK_LEGACY_APP_SECRET=demo-legacy-app-secret-0123456789abcdef \
  DINGTALK_CLIENT_SECRET=demo-client-secret-0123456789abcdef \
  DINGTALK_REPLAY_STORE="redis://127.0.0.1:$REDIS_PORT" \
  DINGTALK_REPLAY_STORE_KEY="bench:$(head -c 32 /dev/urandom | base64)" \
  DINGTALK_SESSION_KEY="$(openssl genpkey -algorithm ed25519)" \
  "${TEST_CPU[@]}" "$BIN" serve --listen 127.0.0.1:0 --legacy-app-key $LEGACY_KEY --client-id $CLIENT_ID \
  --oapi-base "$FAKE" --api-base "$FAKE" >"$OUT/redis-backend.out" 2>"$OUT/redis-backend.err" &
RBPID=$!
pids+=("$RBPID")
REDIS_BACKEND=$(url_of "$OUT/redis-backend.out")

rss_kib() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
replay() { curl -s "$BACKEND/healthz" | sed -n 's/.*"replayEntries":\([0-9]*\).*/\1/p'; }
rate_of() { awk '/^Requests\/sec/{print $2}' "$1"; }
p99_of() { awk '$1=="99%"{print $2}' "$1"; }
count_of() { awk '/requests in/{print $1}' "$1"; }
summary() { # name file
  local errs
  errs=$(grep -E 'Non-2xx|Socket errors' "$2" | tr -s ' ' | paste -sd';' - || true)
  printf '%-36s %10s req/s  p50 %-9s p99 %-9s (%s requests%s)\n' "$1" "$(rate_of "$2")" \
    "$(awk '$1=="50%"{print $2}' "$2")" "$(p99_of "$2")" "$(count_of "$2")" "${errs:+; $errs}"
}
loadavg() { cut -d" " -f1-3 /proc/loadavg; }
# CPU seconds a process has used so far (utime + stime, /proc/<pid>/stat fields 14 and 15).
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz}' "/proc/$1/stat"; }

load0=$(loadavg)
echo "machine: $(nproc) cores, load average $load0 at start; pinning: $pinning; wrk -t2 -c$CONN -d${DUR}s; backend RSS at start $(rss_kib $BPID) KiB"
if awk -v l="${load0%% *}" 'BEGIN{exit !(l > 1.0)}'; then
  echo "WARNING: 1-minute load average ${load0%% *} > 1 at start: something else was running; the ratios below may be skewed" >&2
  echo "WARNING: load average ${load0%% *} > 1 at start (something else was running)"
fi
"${LOAD_CPU[@]}" wrk -t2 -c"$CONN" -d"${DUR}s" --latency -H "x-acs-dingtalk-access-token: bench-access" \
  "$FAKE/v1.0/contact/users/me" >"$OUT/raw.txt"
summary "fake raw GET users/me" "$OUT/raw.txt"

rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
calls() { rcli INFO commandstats | awk -F'[:=,]' '/^cmdstat_/ && $1 != "cmdstat_info" && $1 != "cmdstat_config" {n += $3} END {print n+0}'; }
used_memory() { rcli INFO memory | awk -F: '/^used_memory:/{print $2+0}'; }
keys() { rcli DBSIZE | tr -d '\r'; }
mem0=$(used_memory); keys0=$(keys)
memory_logins=0
redis_logins=0

# login ROUTE BACKEND SECONDS OUTFILE: one wrk run of fresh grants against one backend.
login() {
  local route=$1 backend=$2 secs=$3 out=$4
  if [ "$route" = legacy_sdk ]; then
    FLOW=legacy_sdk CLIENT_ID=$LEGACY_KEY SCOPE=sns_login \
      "${LOAD_CPU[@]}" wrk -t2 -c"$CONN" -d"${secs}s" --latency -s server/bench/login.lua "$backend" >"$out" 2>"$out.err"
  else
    FLOW=new_sdk CLIENT_ID=$CLIENT_ID SCOPE=openid \
      "${LOAD_CPU[@]}" wrk -t2 -c"$CONN" -d"${secs}s" --latency -s server/bench/login.lua "$backend" >"$out" 2>"$out.err"
  fi
  grep -m3 non-200 "$out.err" >&2 || true
}
ms() { awk -v x="$1" 'BEGIN { if (x ~ /us$/) x = x / 1000; else if (x ~ /ms$/) x = x + 0; else if (x ~ /s$/) x = x * 1000; printf "%.3f", x }'; }
median_min_max() { # numbers on stdin -> "median min max"
  sort -g | awk '{v[NR] = $1} END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s %s %s\n", m, v[1], v[NR] }'
}

# compare ROUTE LABEL: warm-up, then ROUNDS interleaved rounds of both stores on one route.
compare() {
  local route=$1 label=$2 i first second b f rm rr pm pr c0 n=0 calls_n
  local rmed rmin rmax pmed pmin pmax amed bmed apmed bpmed
  local cpu_m=0 cpu_r=0 cpu_redis=0 t0 t1 t2
  if [ "$WARMUP" != 0 ]; then
    login "$route" "$BACKEND" "$WARMUP" "$OUT/warm.txt"; memory_logins=$(( memory_logins + $(count_of "$OUT/warm.txt") ))
    login "$route" "$REDIS_BACKEND" "$WARMUP" "$OUT/warm.txt"; redis_logins=$(( redis_logins + $(count_of "$OUT/warm.txt") ))
  fi
  rcli CONFIG RESETSTAT >/dev/null
  c0=$(calls)
  : >"$OUT/$route.pairs"
  for i in $(seq 1 "$ROUNDS"); do
    if [ $(( i % 2 )) = 1 ]; then first=memory; second=redis; else first=redis; second=memory; fi
    for b in $first $second; do
      f="$OUT/$route-$i-$b.txt"
      if [ "$b" = memory ]; then
        t0=$(cpu_s "$BPID")
        login "$route" "$BACKEND" "$DUR" "$f"
        cpu_m=$(awk -v a="$cpu_m" -v b="$t0" -v c="$(cpu_s "$BPID")" 'BEGIN{print a + c - b}')
        memory_logins=$(( memory_logins + $(count_of "$f") ))
      else
        t0=$(cpu_s "$RBPID"); t1=$(cpu_s "$RPID")
        login "$route" "$REDIS_BACKEND" "$DUR" "$f"
        t2=$(cpu_s "$RBPID")
        cpu_r=$(awk -v a="$cpu_r" -v b="$t0" -v c="$t2" 'BEGIN{print a + c - b}')
        cpu_redis=$(awk -v a="$cpu_redis" -v b="$t1" -v c="$(cpu_s "$RPID")" 'BEGIN{print a + c - b}')
        redis_logins=$(( redis_logins + $(count_of "$f") ))
        n=$(( n + $(count_of "$f") ))
      fi
    done
    rm=$(rate_of "$OUT/$route-$i-memory.txt"); rr=$(rate_of "$OUT/$route-$i-redis.txt")
    pm=$(ms "$(p99_of "$OUT/$route-$i-memory.txt")"); pr=$(ms "$(p99_of "$OUT/$route-$i-redis.txt")")
    awk -v rm="$rm" -v rr="$rr" -v pm="$pm" -v pr="$pr" 'BEGIN{printf "%.4f %.4f\n", rr / rm, pr / pm}' >>"$OUT/$route.pairs"
    awk -v l="$label" -v i="$i" -v k="$ROUNDS" -v o="$first first" -v rm="$rm" -v rr="$rr" -v pm="$pm" -v pr="$pr" -v ld="$(loadavg)" 'BEGIN{
      printf "%s round %d/%d (%s): memory %.0f logins/s p99 %.2f ms | Redis %.0f logins/s p99 %.2f ms | Redis/memory rate %.0f %%, p99 %.2f x (load %s)\n",
        l, i, k, o, rm, pm, rr, pr, 100 * rr / rm, pr / pm, ld }'
    for b in memory redis; do
      grep -E 'Non-2xx|Socket errors' "$OUT/$route-$i-$b.txt" | sed "s/^/  $b round $i: /" || true
    done
  done
  calls_n=$(( $(calls) - c0 ))
  read -r rmed rmin rmax < <(cut -d' ' -f1 "$OUT/$route.pairs" | median_min_max)
  read -r pmed pmin pmax < <(cut -d' ' -f2 "$OUT/$route.pairs" | median_min_max)
  read -r amed _ _ < <(for i in $(seq 1 "$ROUNDS"); do rate_of "$OUT/$route-$i-memory.txt"; done | median_min_max)
  read -r bmed _ _ < <(for i in $(seq 1 "$ROUNDS"); do rate_of "$OUT/$route-$i-redis.txt"; done | median_min_max)
  read -r apmed _ _ < <(for i in $(seq 1 "$ROUNDS"); do ms "$(p99_of "$OUT/$route-$i-memory.txt")"; echo; done | median_min_max)
  read -r bpmed _ _ < <(for i in $(seq 1 "$ROUNDS"); do ms "$(p99_of "$OUT/$route-$i-redis.txt")"; echo; done | median_min_max)
  awk -v l="$label" -v k="$ROUNDS" -v a="$amed" -v b="$bmed" -v ap="$apmed" -v bp="$bpmed" 'BEGIN{
    printf "%s, median of %d rounds: memory store %.0f logins/s p99 %.2f ms; Redis store %.0f logins/s p99 %.2f ms\n", l, k, a, ap, b, bp }'
  awk -v l="$label" -v c="$calls_n" -v n="$n" -v cm="$cpu_m" -v cr="$cpu_r" -v cs="$cpu_redis" \
      -v nm="$(for i in $(seq 1 "$ROUNDS"); do count_of "$OUT/$route-$i-memory.txt"; done | awk '{s += $1} END {print s}')" 'BEGIN{
    printf "%s: Redis commands per login %.2f (%d over %d logins; INFO commandstats, the scripts'"'"' inner commands included)\n", l, c / n, c, n
    printf "%s: CPU per login: memory-store backend %.0f us; Redis-store backend %.0f us + redis-server %.0f us\n", l, 1e6 * cm / nm, 1e6 * cr / n, 1e6 * cs / n }'
  awk -v l="$label" -v k="$ROUNDS" -v r="$rmed" -v r0="$rmin" -v r1="$rmax" -v p="$pmed" -v p0="$pmin" -v p1="$pmax" 'BEGIN{
    printf "VERDICT %s: Redis/memory rate median %.0f %% (min %.0f, max %.0f; goal >= 85 %%: %s), p99 median %.2f x (min %.2f, max %.2f; goal <= 1.5 x: %s), %d rounds\n",
      l, 100 * r, 100 * r0, 100 * r1, (r >= 0.85 ? "met" : "MISSED"), p, p0, p1, (p <= 1.5 ? "met" : "MISSED"), k }'
}
compare legacy_sdk "legacy_sdk (2 req)"
compare new_sdk "new_sdk/v1.0 (3 req)"
echo "Redis client round trips per login: 2 (the claim, a plain SET, and the finish script), by design of the store"
echo "load average at the end of the comparison: $(loadavg) (at start: $load0)"

while [ "$redis_logins" -lt 100000 ]; do
  login legacy_sdk "$REDIS_BACKEND" 5 "$OUT/more-redis.txt" 2>/dev/null
  redis_logins=$(( redis_logins + $(count_of "$OUT/more-redis.txt") ))
done
mem1=$(used_memory); keys1=$(keys)
echo "Redis memory: used_memory $mem0 -> $mem1 bytes over $redis_logins logins, $(( keys1 - keys0 )) keys: $(awk -v a="$mem0" -v b="$mem1" -v n="$(( keys1 - keys0 ))" 'BEGIN{printf "%.0f", (b-a)/n}') bytes per kept login"
[ "${FLOOD:-1}" = 0 ] && { echo "memory flood skipped (FLOOD=0)"; exit 0; }

total=$memory_logins
while [ "$total" -lt 100000 ]; do
  login legacy_sdk "$BACKEND" 5 "$OUT/more.txt" 2>/dev/null
  total=$(( total + $(count_of "$OUT/more.txt") ))
done
echo "after $total logins: backend RSS $(rss_kib $BPID) KiB, replay entries $(replay) (capacity 100000)"
login legacy_sdk "$BACKEND" "$DUR" "$OUT/flood.txt" 2>/dev/null
total=$(( total + $(count_of "$OUT/flood.txt") ))
echo "after $total logins (flood of distinct codes): backend RSS $(rss_kib $BPID) KiB, replay entries $(replay)"
echo "fake RSS $(rss_kib "$FAKE_PID") KiB"
