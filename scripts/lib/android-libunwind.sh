# shellcheck shell=bash
# Sourced by scripts/check-ship-link-abis.sh. The NDK's clang links LLVM's libunwind statically into
# every Rust cdylib (Rust's std asks for `-lunwind` on Android; the NDK ships only libunwind.a), so
# an Android library's size includes it. There is no NDK here; Debian builds the same LLVM libunwind
# (package libunwind-16-dev, LLVM 16) for each Android ABI's architecture, and its static archive
# stands in for the NDK's in the per-ABI link. The code is the same unwinder for the same
# architecture; the NDK's build flags and LLVM version differ, so the result is an estimate (BENCHMARKS.md).
#
#   android_libunwind TRIPLE   prints the path of libunwind.a for that Rust Android target,
#                              fetched once from Debian's archive into the cache
#
# apt-get gives the archive URL and version of the host's package (its own lists, signed); the other
# architectures' packages of the same source version sit beside it in the pool. Each download is checked
# to be that package for that architecture before it is used. The archive is only linked into a
# library that is measured, never loaded or shipped.

# The archive URL of the host architecture's libunwind-16-dev, from apt's lists (empty without them).
libunwind_host_uri() {
    apt-get download --print-uris libunwind-16-dev 2>/dev/null | sed -n "s/^'\([^']*\)'.*/\1/p" | head -1
}

android_libunwind() {
    local triple=$1 arch
    case $triple in
        aarch64-linux-android) arch=arm64 ;;
        armv7-linux-androideabi) arch=armhf ;;
        i686-linux-android) arch=i386 ;;
        x86_64-linux-android) arch=amd64 ;;
        *) echo "android_libunwind: no Debian architecture for $triple" >&2; return 1 ;;
    esac
    local cache=${XDG_CACHE_HOME:-$HOME/.cache}/dingtalk-auth/libunwind-16/$arch
    if [ ! -s "$cache/libunwind.a" ]; then
        local uri
        uri=$(libunwind_host_uri)
        if [ -z "$uri" ]; then
            timeout 900 apt-get -o DPkg::Lock::Timeout=600 -q update >/dev/null 2>&1 || true
            uri=$(libunwind_host_uri)
        fi
        [ -n "$uri" ] || { echo "android_libunwind: apt knows no libunwind-16-dev" >&2; return 1; }
        local host_arch tmp
        host_arch=$(dpkg --print-architecture)
        tmp=$(mktemp -d)
        curl -sSf --retry 3 -o "$tmp/p.deb" "${uri%_"$host_arch".deb}_$arch.deb" \
            || { echo "android_libunwind: could not download libunwind-16-dev for $arch" >&2; rm -rf "$tmp"; return 1; }
        if [ "$(dpkg-deb -f "$tmp/p.deb" Package Architecture | tr '\n' ' ')" != "Package: libunwind-16-dev Architecture: $arch " ]; then
            echo "android_libunwind: the download is not libunwind-16-dev for $arch" >&2
            rm -rf "$tmp"
            return 1
        fi
        dpkg-deb -x "$tmp/p.deb" "$tmp/x"
        mkdir -p "$cache"
        cp "$tmp/x/usr/lib/llvm-16/lib/libunwind.a" "$cache/libunwind.a.part" && mv "$cache/libunwind.a.part" "$cache/libunwind.a"
        rm -rf "$tmp"
    fi
    printf '%s\n' "$cache/libunwind.a"
}
