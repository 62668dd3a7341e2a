#!/usr/bin/env bash
# Starts the reference backend as it ships and checks it serves: /healthz and /readyz answer 200 and a
# malformed POST /v1/login gets the stable JSON error, with placeholder credentials (nothing here
# reaches DingTalk). Always stops what it started.
#
#   scripts/check-server-image.sh IMAGE            # the container image (server/Dockerfile), with docker
#   scripts/check-server-image.sh --binary PATH    # the binary that goes into it (cargo build --profile server)
set -euo pipefail
die() { echo "check-server-image: $*" >&2; exit 1; }
command -v curl >/dev/null || die "curl is missing"

creds=(DINGTALK_CLIENT_ID=dingplaceholder DINGTALK_CLIENT_SECRET=placeholder-secret)
tmp=$(mktemp -d)
cleanup() {
    [[ -n "${container:-}" ]] && docker rm -f "$container" >/dev/null 2>&1
    [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

if [[ "${1:-}" == --binary ]]; then
    binary=${2:?--binary needs a path}
    # Port 0: the OS picks one; the backend prints it as its first stdout line.
    env "${creds[@]}" DINGTALK_AUTH_LOG_JSON=true "$binary" serve --listen 127.0.0.1:0 >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    for _ in $(seq 100); do
        url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$tmp/out" | head -n 1)
        [[ -n "$url" ]] && break
        kill -0 "$pid" 2>/dev/null || die "the backend exited: $(cat "$tmp/err")"
        sleep 0.1
    done
else
    image=${1:?usage: $0 IMAGE | --binary PATH}
    env_args=()
    for c in "${creds[@]}"; do env_args+=(-e "$c"); done
    container=$(docker run -d "${env_args[@]}" -p 127.0.0.1::8080 "$image")
    url="http://$(docker port "$container" 8080/tcp | head -n 1)"
    for _ in $(seq 100); do
        curl -fsS "$url/healthz" >/dev/null 2>&1 && break
        [[ "$(docker inspect -f '{{.State.Running}}' "$container")" == true ]] || die "the container exited: $(docker logs "$container" 2>&1)"
        sleep 0.1
    done
    [[ "$(docker inspect -f '{{.Config.User}}' "$image")" != "" ]] || die "$image runs as root"
fi
[[ -n "${url:-}" ]] || die "the backend did not start"

status() { curl -s -o "$tmp/body" -w '%{http_code}' "$@"; }
[[ $(status "$url/healthz") == 200 ]] || die "/healthz: not 200"
[[ $(status "$url/readyz") == 200 ]] || die "/readyz: not 200"
code=$(status -X POST -H 'Content-Type: application/json' --data '{"version":1}' "$url/v1/login")
[[ $code == 4?? ]] || die "POST /v1/login with a malformed grant: $code, want 4xx"
grep -q '"error"' "$tmp/body" || die "POST /v1/login: no JSON error: $(cat "$tmp/body")"
echo "check-server-image: $url serves /healthz, /readyz and JSON errors on /v1/login"
