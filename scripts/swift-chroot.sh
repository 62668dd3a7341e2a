#!/usr/bin/env bash
# Create (or reuse) a Debian trixie chroot with a Swift toolchain, for running the generated Swift
# bindings on Linux.
#
# Why a chroot: the Swift 6 toolchain needs glibc >= 2.38 and the Debian bookworm hosts we build on have
# 2.36. trixie ships `swiftlang`, and the host-built Rust .so runs fine inside it.
#
# Usage: scripts/swift-chroot.sh            prints the chroot path on stdout when it is ready
# Env:   DINGTALK_SWIFT_CHROOT  where the chroot lives (default ~/.cache/dingtalk-auth/swift-trixie);
#                               kept outside the repository and reused by later runs.
#        DINGTALK_SWIFT_MIRROR  Debian mirror (default: the host's configured mirror)
#
# Idempotent: a chroot is only reused when the marker written after a complete install is present.
# Anything else found at that path (an interrupted debootstrap or apt-get) is deleted and rebuilt.
# The build happens in "<path>.partial" and is renamed into place only when complete.
# Needs root (debootstrap, chroot). Concurrent callers serialise on "<path>.lock".
set -euo pipefail

CH=${DINGTALK_SWIFT_CHROOT:-$HOME/.cache/dingtalk-auth/swift-trixie}
MARKER_NAME=.dingtalk-auth-swift-ready
SUITE=trixie

log() { echo "swift-chroot: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap and chroot need it)"

# /usr/bin/swift is an absolute symlink, so test it from inside the chroot.
has_swift() { [ -e "$1/usr/bin/swift" ] || [ -L "$1/usr/bin/swift" ] && chroot "$1" test -x /usr/bin/swift; }
ready() { [ -f "$CH/$MARKER_NAME" ] && has_swift "$CH"; }

# Anything mounted at or below a directory? (never rm -rf through a live mount)
mounted_below() {
    local dir
    dir=$(readlink -f "$1")
    awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { found = 1 } END { exit !found }' /proc/mounts
}

unmount_below() {
    local dir m
    dir=$(readlink -f "$1")
    # deepest first
    awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
    if mounted_below "$dir"; then die "something is still mounted under $dir; not deleting it"; fi
}

remove_tree() {
    [ -e "$1" ] || return 0
    unmount_below "$1"
    rm -rf --one-file-system "$1"
}

mkdir -p "$(dirname "$CH")"
exec 9>"$CH.lock"
flock 9

if ready; then
    log "reusing $CH ($(cat "$CH/$MARKER_NAME"))"
    echo "$CH"
    exit 0
fi

if [ -e "$CH" ]; then
    log "$CH exists but is incomplete (no marker): rebuilding it"
    remove_tree "$CH"
fi

PART="$CH.partial"
remove_tree "$PART"

if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap on the host"
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2
fi
[ -f /usr/share/debootstrap/scripts/$SUITE ] || die "this debootstrap does not know '$SUITE'"

MIRROR=${DINGTALK_SWIFT_MIRROR:-}
if [ -z "$MIRROR" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
    MIRROR=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$MIRROR" ] && [ -f /etc/apt/sources.list ]; then
    MIRROR=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit } $1 == "deb" { print $3; exit }' /etc/apt/sources.list)
fi
MIRROR=${MIRROR:-http://deb.debian.org/debian}

# If we die half way, clean up mounts (none expected during debootstrap, but apt may leave some).
cleanup() { [ -e "$PART" ] && unmount_below "$PART" || true; }
trap cleanup EXIT

log "debootstrap --variant=minbase $SUITE $PART $MIRROR"
debootstrap --variant=minbase "$SUITE" "$PART" "$MIRROR" >&2 || die "debootstrap failed (see above)"

cp /etc/resolv.conf "$PART/etc/resolv.conf"
log "installing swiftlang and libc6-dev in the chroot"
chroot "$PART" apt-get update -q >&2 || die "apt-get update in the chroot failed"
chroot "$PART" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends swiftlang libc6-dev >&2 ||
    die "apt-get install swiftlang libc6-dev in the chroot failed"
chroot "$PART" apt-get clean >&2 || true
has_swift "$PART" || die "swiftlang installed but $PART/usr/bin/swift is missing"

# Smoke test: swift needs /proc to locate its runtime.
mount -t proc proc "$PART/proc"
VERSION=$(chroot "$PART" swift --version 2>&1 | head -n1) || { umount "$PART/proc"; die "swift --version failed in the chroot"; }
umount "$PART/proc"
log "$VERSION"

printf '%s; built %s from %s\n' "$VERSION" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$MIRROR" >"$PART/$MARKER_NAME"
mv "$PART" "$CH"
trap - EXIT
log "ready: $CH"
echo "$CH"
