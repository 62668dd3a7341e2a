#!/usr/bin/env bash
# The linker of the shipped Android library (and of scripts/size.sh's stand-in for it): lld, after one
# patch to rustc's post-LTO object that drops std's backtrace symbolizer.
#
# Why. Rust's default panic hook can print a backtrace (RUST_BACKTRACE), and `std::backtrace` can name
# frames; both reach std's symbolizer (gimli, addr2line, miniz_oxide, an ELF reader), about 100 KiB per
# ABI of the default library, which otherwise fits in 512 KiB. Stable Rust offers no switch to leave it
# out while panics unwind (UniFFI needs unwinding: it turns a panic in an export into a typed error
# instead of a crash); only a std rebuilt on nightly does (`-Zbuild-std`, SIZE_NIGHTLY=1 scripts/size.sh).
# The symbolizer has one entry, `std::backtrace_rs::symbolize::gimli::Cache::with_global`: this script
# makes it return at once and removes its references (scripts/lib/symbolizer_stub.py), so lld's
# `--gc-sections` (rustc passes it for every cdylib) drops everything only it reached.
#
# What is lost: the function and file names in a panic's backtrace (RUST_BACKTRACE=1 prints frames as
# `<unknown>`), and in `std::backtrace::Backtrace`. The shipped library is stripped, so those frames
# had no names to find anyway. Nothing else changes: a panic still unwinds, UniFFI still catches it and
# the app gets AuthException.Internal / AuthError.internal (scripts/lib/check-caught-panic.py checks it
# on the patched library; scripts/size.sh runs that check).
#
# Not patched: the iOS XCFramework. It ships static libraries (.a) that Xcode's linker (ld64, Mach-O)
# links into the app; no Rust link happens here to patch, and the app's own dead-code stripping decides.
#
# Wiring. scripts/lib/ship-rustflags.sh adds `-C link-arg=-B<this dir>/ship-ld` to the shipped builds'
# flags: with `-fuse-ld=lld`, the compiler driver (gcc on the Linux stand-in, the NDK's clang for
# Android) looks for `ld.lld` in -B directories first, and ship-ld/ld.lld is a link to this script.
# So it works under any driver and under cargo-ndk's own linker wrapper.
#
#   SHIP_KEEP_SYMBOLIZER=1   turn the patch off: link exactly as without this script (the symbolizer
#                            stays; the default library is then ~100 KiB over its budget in size.sh)
#   SHIP_REAL_LD=PATH        the real ld.lld (default: the first other ld.lld on PATH; build-android.sh
#                            points it at the NDK's)
#
# It refuses (fails the link with a message, nothing shipped) rather than guess: an ELF machine other
# than the four Android ABIs, or a function that is not the body we expect (symbolizer_stub.py lists the
# checks). It does nothing when the object holds no symbolizer (a nightly std built without it).
set -euo pipefail
self=$(readlink -f "${BASH_SOURCE[0]}")
here=$(dirname "$self")

real=${SHIP_REAL_LD:-}
if [ -z "$real" ]; then
    IFS=: read -r -a path_dirs <<<"${PATH:-}"
    for dir in "${path_dirs[@]}"; do
        candidate="$dir/ld.lld"
        if [ -x "$candidate" ] && [ "$(readlink -f "$candidate")" != "$self" ]; then
            real=$candidate
            break
        fi
    done
fi
[ -n "$real" ] || { echo "ship-link: no ld.lld found (set SHIP_REAL_LD to lld)" >&2; exit 1; }

if [ "${SHIP_KEEP_SYMBOLIZER:-0}" = 1 ]; then
    exec "$real" "$@"
fi
exec python3 "$here/symbolizer_stub.py" link "$real" "$@"
