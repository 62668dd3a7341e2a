#!/usr/bin/env bash
# A stand-in for the NDK's clang as the linker of an Android target, where there is no NDK (here):
# scripts/check-ship-link-abis.sh sets it as CARGO_TARGET_<TRIPLE>_LINKER. It turns the compiler-driver
# arguments rustc passes into lld's own (`-Wl,a,b` → `a b`; the driver's -B, -fuse-ld, -m and -nodefault*
# flags dropped) and links through scripts/lib/ship-link.sh, exactly the patch the shipped build gets.
# What it cannot give: bionic's libraries. The shared `-l` libraries (libc, libm, libdl, liblog) are left
# out, so their symbols stay undefined (allowed in a shared library; they cost the library nothing but
# a few dynamic-symbol entries). The one static library the NDK links in, libunwind, is replaced by
# STANDIN_LIBUNWIND when set (scripts/lib/android-libunwind.sh: LLVM's, built by Debian for the same
# architecture; its `.deplibs` names glibc's libraries, hence --no-dependent-libraries). No crtbegin_so.o.
# It is never loaded: it shows that the patch applies to the target's object and what the library weighs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
args=()
while [ $# -gt 0 ]; do
    a=$1
    shift
    case $a in
        -Wl,*) IFS=, read -r -a parts <<<"${a#-Wl,}"; args+=("${parts[@]}") ;;
        -lunwind) [ -n "${STANDIN_LIBUNWIND:-}" ] && args+=(--no-dependent-libraries "$STANDIN_LIBUNWIND") ;;
        -B*|-fuse-ld=*|-m*|-nodefaultlibs|-nostartfiles|-nostdlib|-l*|--target=*|-target) ;;
        -L) args+=(-L "$1"); shift ;;
        *) args+=("$a") ;;
    esac
done
exec "$here/ship-link.sh" "${args[@]}"
