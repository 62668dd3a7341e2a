# shellcheck shell=bash
# Sourced by every script that installs a Debian package it needs. One way to do it:
#   need_command <command> <package>...   installs the packages when <command> is missing
#   apt_install <package>...              installs them (no-op for those already installed)
# Only as root on a Debian-like system; otherwise it stops with what to install. apt waits up to
# 10 minutes for another apt/dpkg (a parallel test script) instead of failing on its lock, and the
# package lists are refreshed only when an install without refreshing fails (a fresh CI image has
# none; a warm machine needs no network round trip).

apt_install() {
    local pkg missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "missing Debian packages: please install ${missing[*]} (apt-get install ${missing[*]})" >&2
        exit 1
    fi
    echo "==> installing ${missing[*]} (apt-get)" >&2
    local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
    { DEBIAN_FRONTEND=noninteractive timeout 900 "${apt[@]}" install "${missing[@]}" \
        || { timeout 900 apt-get -o DPkg::Lock::Timeout=600 -q update \
             && DEBIAN_FRONTEND=noninteractive timeout 900 "${apt[@]}" install "${missing[@]}"; }; } \
        >/dev/null 2>&1 || { echo "apt-get could not install ${missing[*]}" >&2; exit 1; }
}

need_command() {
    local cmd=$1
    shift
    command -v "$cmd" >/dev/null 2>&1 || apt_install "$@"
    command -v "$cmd" >/dev/null 2>&1 || { echo "$cmd is still missing after installing $*" >&2; exit 1; }
}
