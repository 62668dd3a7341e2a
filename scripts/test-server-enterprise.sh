#!/usr/bin/env bash
# The internal-app features end to end, through the real binaries on loopback: the fake DingTalk
# (`dingtalk-fake serve`) and the backend (`dingtalk-auth-server serve --corp-id …`) with an Ed25519
# session key made by openssl.
#
# 1. Session tokens verified by a third-party JWT library (Debian's PyJWT, python3-jwt, with
#    python3-cryptography for EdDSA) against the backend's /.well-known/jwks.json, as an app's API
#    would; then the backend restarts with a rotated key (the old one passed as a previous key) and
#    the token issued before the rotation still verifies. The token is refreshed at
#    POST /v1/session/refresh (PyJWT verifies the new one), and refused once the member is
#    deactivated in the fake's organisation.
# 2. The workbench page /h5/ in a real headless browser (Debian's chromium, installed with apt when
#    missing), --dump-dom after the page settled: outside DingTalk the browser login for real
#    (redirect to the fake's login page, back with authCode + state, state checked against the
#    browser's cookie), then DingTalk refusing consent.
# 3. Inside DingTalk (inside_dingtalk_checks): the committed dingtalk-jsapi bundle equals a fresh
#    build from its npm lockfile and is what the backend serves; then the page runs the real
#    dingtalk-jsapi over DingTalk's JSAPI bridge, emulated by the fake (/_fake/container.js, injected
#    by scripts/lib/chromium_page.py before the page's scripts as the DingTalk app injects its
#    bridge) with DingTalk's Android, iOS and Harmony user agents: the member is shown and the code
#    came through the bridge's runtime.permission.requestAuthCodeV2; a cancel, an expired code and
#    a reused code each show their typed error.
#
# 3. The internal app's access token shared by two backends through a real redis-server (started and
#    stopped here): one token fetch from the fake between them, and the value in Redis sealed.
#
# Every process this script starts is stopped by the EXIT trap. Prints one summary line:
#   Server enterprise summary: N checks passed
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
die() { echo "test-server-enterprise.sh: $*" >&2; exit 1; }

WORK=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=lib/apt.sh source-path=SCRIPTDIR
source "$ROOT/scripts/lib/apt.sh"
PY=/usr/bin/python3
# The inline checks below import their HTTP helper (json_http) from scripts/lib.
export PYTHONPATH="$ROOT/scripts/lib${PYTHONPATH:+:$PYTHONPATH}"
"$PY" -c 'import jwt, cryptography' 2>/dev/null || apt_install python3-jwt python3-cryptography
need_command openssl openssl
need_command chromium chromium
need_command npm npm

if [ -z "${SKIP_BUILD:-}" ]; then
    ${HEAVY:-} cargo build -q -p dingtalk-auth-server -p dingtalk-fake
fi
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug

# start NAME CMD…: runs CMD with stdout on a FIFO and waits (up to 30 s) for its one
# {"event":"listening",…,"url":…} line; sets URL.
start() {
    local name=$1; shift
    mkfifo "$WORK/$name.fifo"
    "$@" >"$WORK/$name.fifo" 2>"$WORK/$name.log" &
    pids+=($!)
    local fd
    exec {fd}<"$WORK/$name.fifo"
    local line
    read -r -t 30 -u "$fd" line || { cat "$WORK/$name.log" >&2; die "$name did not start"; }
    URL=$(printf '%s' "$line" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["url"])')
}

start fake "$BIN/dingtalk-fake" serve --listen 127.0.0.1:0
FAKE=$URL
openssl genpkey -algorithm ed25519 -out "$WORK/key1.pem" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$WORK/key2.pem" 2>/dev/null

backend() {
    local name=$1; shift
    start "$name" env DINGTALK_CLIENT_SECRET=demo-client-secret-0123456789abcdef RUST_LOG=warn "$@" \
        "$BIN/dingtalk-auth-server" serve --listen 127.0.0.1:0 \
        --client-id dingdemoclientid --oapi-base "$FAKE" --api-base "$FAKE" \
        --corp-id dingfakecorp0001 \
        --session-issuer https://login.example --session-audience crm-api \
        --login-base "$FAKE"
}
backend backend1 DINGTALK_SESSION_KEY_FILE="$WORK/key1.pem"
BACKEND1=$URL

checks=0
"$PY" - "$FAKE" "$BACKEND1" "$WORK/token" <<'PY'
import json, secrets, sys, urllib.request
import jwt

fake, backend, token_file = sys.argv[1:4]

from json_http import post

_, minted = post(fake + "/_fake/mint", {"flow": "new_sdk"})
key = secrets.token_urlsafe(32)
status, answer = post(backend + "/v1/login", {
    "version": 1, "flow": "new_sdk", "client_id": "dingdemoclientid", "platform": "android",
    "code": minted["code"], "scope": "openid", "issued_at_ms": 1700000000000,
    "idempotency_key": key})
assert status == 200, (status, answer)
token = answer["sessionToken"]
# What an app's API does: fetch the JWKS, pick the key by kid, verify signature, exp, iss, aud.
jwks = jwt.PyJWKClient(backend + "/.well-known/jwks.json")
claims = jwt.decode(token, jwks.get_signing_key_from_jwt(token).key, algorithms=["EdDSA"],
                    audience="crm-api", issuer="https://login.example")
assert claims["sub"] == "dingfakecorp0001:fakeUserId0001", claims
assert claims["name"] == answer["member"]["name"], claims
# A token with one altered byte of its claims does not verify.
h, p, s = token.split(".")
forged = ".".join([h, p[:-2] + ("A" if p[-2] != "A" else "B") + p[-1], s])
try:
    jwt.decode(forged, jwks.get_signing_key_from_jwt(token).key, algorithms=["EdDSA"],
               audience="crm-api", issuer="https://login.example")
    raise SystemExit("a forged token verified")
except jwt.InvalidTokenError:
    pass
open(token_file, "w").write(token)
print("PyJWT verified the session token against the JWKS (and refused a forged one)")
PY
checks=$((checks + 1))

# Session refresh: a valid token gets a new one (PyJWT verifies it, same subject); once the member
# is deactivated in the fake's organisation, the refresh is refused with 403 not_org_member.
"$PY" - "$FAKE" "$BACKEND1" "$WORK/token" <<'PY'
import json, sys, urllib.request
import jwt

fake, backend, token_file = sys.argv[1:4]
token = open(token_file).read()

from json_http import call

status, answer = call(backend + "/v1/session/refresh", "POST", bearer=token)
assert status == 200, (status, answer)
renewed = answer["sessionToken"]
assert renewed != token
jwks = jwt.PyJWKClient(backend + "/.well-known/jwks.json")
before = jwt.decode(token, jwks.get_signing_key_from_jwt(token).key, algorithms=["EdDSA"],
                    audience="crm-api", issuer="https://login.example")
after = jwt.decode(renewed, jwks.get_signing_key_from_jwt(renewed).key, algorithms=["EdDSA"],
                   audience="crm-api", issuer="https://login.example")
assert after["sub"] == before["sub"] == "dingfakecorp0001:fakeUserId0001", after
assert after["jti"] != before["jti"], after
_, org = call(fake + "/_fake/org")
saved = json.loads(json.dumps(org))
for m in org["members"]:
    if m["userid"] == "fakeUserId0001":
        m["active"] = False
call(fake + "/_fake/org", "PUT", org)
status, answer = call(backend + "/v1/session/refresh", "POST", bearer=renewed)
assert (status, answer.get("error")) == (403, "not_org_member"), (status, answer)
assert "sessionToken" not in answer, answer
call(fake + "/_fake/org", "PUT", saved)
print("session refresh: PyJWT verified the refreshed token; a deactivated member got 403 not_org_member")
PY
checks=$((checks + 1))

# Rotation: key2 signs, key1 stays published; the token key1 signed still verifies.
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
backend backend2 DINGTALK_SESSION_KEY_FILE="$WORK/key2.pem" DINGTALK_SESSION_PREVIOUS_KEY_FILES="$WORK/key1.pem"
BACKEND2=$URL
"$PY" - "$BACKEND2" "$WORK/token" <<'PY'
import sys, jwt
backend, token_file = sys.argv[1:3]
token = open(token_file).read()
jwks = jwt.PyJWKClient(backend + "/.well-known/jwks.json")
assert len(jwks.get_jwk_set().keys) == 2
jwt.decode(token, jwks.get_signing_key_from_jwt(token).key, algorithms=["EdDSA"],
           audience="crm-api", issuer="https://login.example")
print("after rotation, the token signed by the previous key still verifies")
PY
checks=$((checks + 1))

# The app token shared through a real redis-server: two backends on one Redis make one token fetch
# between them, and the value in Redis is sealed (the token the fake hands out is not in it).
redis=$(command -v redis-server || true)
if [ -z "$redis" ] || ! command -v redis-cli >/dev/null; then
    command -v redis-check-rdb >/dev/null && command -v redis-cli >/dev/null || apt_install redis-tools
fi
if [ -z "$redis" ]; then
    # Debian's redis-tools ships the server binary as redis-check-rdb; called as redis-server it serves.
    ln -s "$(command -v redis-check-rdb)" "$WORK/redis-server"
    redis=$WORK/redis-server
fi
REDIS_PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$redis" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning >"$WORK/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$REDIS_PORT" ping >/dev/null || die "redis-server did not start"
ANSWER_KEY="t1:$(head -c 32 /dev/urandom | base64)"
shared=(DINGTALK_REPLAY_STORE="redis://127.0.0.1:$REDIS_PORT" DINGTALK_REPLAY_STORE_KEY="$ANSWER_KEY"
        DINGTALK_SESSION_KEY_FILE="$WORK/key2.pem")
before=$(curl -fsS "$FAKE/_fake/stats")
backend redisA "${shared[@]}"; REDIS_A=$URL
backend redisB "${shared[@]}"; REDIS_B=$URL
"$PY" - "$FAKE" "$REDIS_A" "$REDIS_B" "$REDIS_PORT" "$before" <<'PY'
import json, secrets, subprocess, sys, urllib.request
fake, a, b, port, before = sys.argv[1:6]

from json_http import post

for backend in (a, b, a, b):
    _, minted = post(fake + "/_fake/mint", {"flow": "new_sdk"})
    status, answer = post(backend + "/v1/login", {
        "version": 1, "flow": "new_sdk", "client_id": "dingdemoclientid", "platform": "android",
        "code": minted["code"], "scope": "openid", "issued_at_ms": 1700000000000,
        "idempotency_key": secrets.token_urlsafe(32)})
    assert status == 200 and answer["member"]["userId"] == "fakeUserId0001", (status, answer)
stats = json.load(urllib.request.urlopen(fake + "/_fake/stats"))
fetches = stats["appToken"] - json.loads(before)["appToken"]
assert fetches == 1, f"two instances fetched the app token {fetches} times"
redis = lambda *args: subprocess.run(["redis-cli", "-p", port, *args], check=True,
                                     capture_output=True, text=True).stdout.strip()
keys = [k for k in redis("--scan").splitlines() if "app-token" in k]
assert keys == ["{dingtalk-auth:app-token:dingdemoclientid}"], keys
value = redis("GET", keys[0])
# The fake answers the same token while it is valid: ask for it, then look for it in Redis.
_, token = post(fake + "/v1.0/oauth2/accessToken",
                {"appKey": "dingdemoclientid", "appSecret": "demo-client-secret-0123456789abcdef"})
assert token["accessToken"] and token["accessToken"] not in value, value
assert value.startswith("t1."), value
print("two backends on a real redis-server fetched the app token once; Redis holds it sealed")
PY
checks=$((checks + 1))

# page USER_AGENT: the DOM of /h5/ once the page settled (virtual time lets its fetches finish).
page() {
    local ua=(); [ -n "$1" ] && ua=(--user-agent="$1")
    timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$WORK/chromium-$checks" --virtual-time-budget=15000 "${ua[@]}" \
        --dump-dom "$BACKEND2/h5/" 2>"$WORK/chromium.log"
}
browser() { curl -fsS -X POST "$FAKE/_fake/browser" -H 'content-type: application/json' -d "{\"mode\":\"$1\"}"; }
expect_dom() {
    local what=$1 dom=$2; shift 2
    for needle in "$@"; do
        grep -qF -- "$needle" <<<"$dom" || { echo "$dom" | sed -n '/id="status"/,/<\/pre>/p' >&2; die "$what: no $needle"; }
    done
    echo "$what"; checks=$((checks + 1))
}
browser approve
expect_dom "outside DingTalk: browser login via the login page, state bound to the browser" "$(page '')" \
    'data-state="signed-in"' '"flow": "browser"' '"userId": "fakeUserId0001"' '"name": "张三"'
browser deny
expect_dom "outside DingTalk: a refused consent is shown, nobody is signed in" "$(page '')" \
    'data-state="refused"' 'access_denied'

# Inside DingTalk: the real dingtalk-jsapi over the emulated container (see 3. above).
inside_dingtalk_checks() {
    # DingTalk's user agents (the parts dingtalk-jsapi's lib/env.js reads: the OS, "DingTalk", the
    # version in AliApp(DingTalk/…); the rest of each string is illustrative).
    local android='Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 AliApp(DingTalk/7.6.0) com.alibaba.android.rimet/7.6.0 Channel/700159 language/zh-CN DingTalk/7.6.0'
    local ios='Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 AliApp(DingTalk/7.6.0) DingTalk/7.6.0 Channel/201200 language/zh-Hans-CN'
    local harmony='Mozilla/5.0 (Phone; OpenHarmony 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36 ArkWeb/4.1.6.1 Mobile AliApp(DingTalk/7.6.0) DingTalk/7.6.0'

    server/backend/h5/build-jsapi.sh --check
    curl -fsS "$BACKEND2/h5/dingtalk-jsapi.js" | cmp -s - server/backend/h5/dingtalk-jsapi.js \
        || die "the backend does not serve the committed dingtalk-jsapi bundle"
    local html; html=$(curl -fsS "$BACKEND2/h5/")
    grep -qF '"jsapiUrl":"/h5/dingtalk-jsapi.js"' <<<"$html" \
        || die "the page does not load the bundle the backend serves"
    echo "the embedded dingtalk-jsapi bundle equals a fresh build from its lockfile and is the one served"
    checks=$((checks + 1))

    # in_dingtalk UA: the settled DOM of /h5/ with the container's bridge injected.
    in_dingtalk() {
        "$PY" scripts/lib/chromium_page.py --user-agent "$1" --inject "$FAKE/_fake/container.js" \
            --user-data-dir "$WORK/chromium-in-$checks" --timeout 60 "$BACKEND2/h5/" \
            2>"$WORK/chromium-in.log" || { cat "$WORK/chromium-in.log" >&2; die "inside DingTalk: the page did not settle"; }
    }
    container() { curl -fsS -X POST "$FAKE/_fake/container" -H 'content-type: application/json' -d "{\"authCode\":\"$1\"}"; }
    # last_bridge_call PLATFORM ANSWER: the container's calls grew by exactly one, that one being
    # dd.requestAuthCode's JSAPI on PLATFORM's bridge with the page's corpId and clientId.
    local calls_seen=0
    last_bridge_call() {
        calls_seen=$((calls_seen + 1))
        curl -fsS "$FAKE/_fake/container/calls" | "$PY" -c '
import json, sys
calls, n, platform, answer = json.load(sys.stdin), int(sys.argv[1]), sys.argv[2], sys.argv[3]
want = {"platform": platform, "api": "runtime.permission.requestAuthCodeV2",
        "corpId": "dingfakecorp0001", "clientId": "dingdemoclientid", "answer": answer}
assert len(calls) == n and calls[-1] == want, ("bridge calls", calls, "want", n, want)
' "$calls_seen" "$1" "$2" || die "the code did not come through the emulated bridge"
    }

    container issue
    expect_dom "inside DingTalk (Android bridge): the real dingtalk-jsapi's requestAuthCode, the member shown" \
        "$(in_dingtalk "$android")" \
        'data-state="signed-in"' '"flow": "free_login"' '"userId": "fakeUserId0001"' '"departmentIds": [' '"title": "Engineer"'
    last_bridge_call android code
    expect_dom "inside DingTalk (iOS bridge): the member shown" "$(in_dingtalk "$ios")" \
        'data-state="signed-in"' '"flow": "free_login"' '"userId": "fakeUserId0001"'
    last_bridge_call ios code
    expect_dom "inside DingTalk (Harmony bridge): the member shown" "$(in_dingtalk "$harmony")" \
        'data-state="signed-in"' '"flow": "free_login"' '"userId": "fakeUserId0001"'
    last_bridge_call harmony code
    # The page posts the code it got again: the replay store refuses it (a new idempotency key).
    container reused
    expect_dom "inside DingTalk: a reused code shows code_replayed" "$(in_dingtalk "$android")" \
        'data-state="refused"' 'data-error="code_replayed"'
    last_bridge_call android code
    container expired
    expect_dom "inside DingTalk: an expired code shows DingTalk's verdict, invalid_code" "$(in_dingtalk "$android")" \
        'data-state="refused"' 'data-error="invalid_code"'
    last_bridge_call android code
    # iOS hands a cancel to a `cancel` callback only (lib/bridge/h5Ios.js): the page must use the promise.
    container cancel
    expect_dom "inside DingTalk (iOS): the user's cancel shows jsapi_cancelled" "$(in_dingtalk "$ios")" \
        'data-state="refused"' 'data-error="jsapi_cancelled"' 'errorCode -1'
    last_bridge_call ios -1
    expect_dom "inside DingTalk (Android): the user's cancel shows jsapi_cancelled" "$(in_dingtalk "$android")" \
        'data-state="refused"' 'data-error="jsapi_cancelled"'
    last_bridge_call android -1
    container issue
}
inside_dingtalk_checks

echo "Server enterprise summary: $checks checks passed"
