#!/usr/bin/env bash
# Rebuilds dingtalk-jsapi.js, the bundle of DingTalk's `dingtalk-jsapi` npm package that the backend
# embeds and serves at /h5/dingtalk-jsapi.js, from package-lock.json (exact versions and integrity
# hashes): `npm ci` into a temporary folder, then esbuild bundles entry.js into one file.
#
#   build-jsapi.sh           writes dingtalk-jsapi.js
#   build-jsapi.sh --check   fails when a fresh build differs from the committed file
#
# Needs node + npm and the npm registry; the backend's own build never does (it embeds the
# committed file). `--ignore-scripts`: no package's install script runs; esbuild's is only an
# optimisation, its binary comes from the @esbuild/<platform> package.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/dingtalk-jsapi.js
check=
case "${1:-}" in
    --check) check=1 ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$HERE/package.json" "$HERE/package-lock.json" "$HERE/entry.js" "$WORK/"
cd "$WORK"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
version() { node -p "require('./node_modules/$1/package.json').version"; }
banner="/*! dingtalk-jsapi $(version dingtalk-jsapi) (MIT) with promise-polyfill $(version promise-polyfill) (MIT),"
banner+=" bundled by esbuild $(version esbuild) from server/backend/h5/entry.js."
banner+=" Rebuild: server/backend/h5/build-jsapi.sh; notices: server/backend/h5/NOTICE.md */"
./node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --target=es2017 \
    --charset=utf8 --banner:js="$banner" --log-level=warning --outfile=bundle.js

if [ -n "$check" ]; then
    cmp -s bundle.js "$OUT" || {
        echo "build-jsapi.sh: server/backend/h5/dingtalk-jsapi.js differs from a fresh build of package-lock.json (run server/backend/h5/build-jsapi.sh)" >&2
        exit 1
    }
    echo "dingtalk-jsapi.js equals a fresh build of package-lock.json"
else
    cp bundle.js "$OUT"
    echo "wrote $OUT ($(wc -c <"$OUT") bytes)"
fi
