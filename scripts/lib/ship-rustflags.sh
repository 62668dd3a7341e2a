# shellcheck shell=bash
# Sourced by the scripts that build the library as it ships (size.sh, build-android.sh,
# build-xcframework.sh), so the size measured here is the size of what ships.
#
# ship_remap_flags: panic locations name their source files; drop the build machine's paths (the cargo
#   registry, this checkout) from them. Shorter, and the shipped library no longer says where it was built.
# SHIP_LLD_FLAGS: for lld (the NDK's linker, and the Linux stand-in in size.sh): identical-code folding,
#   and lld reached through scripts/lib/ship-link.sh (`-B` puts its ship-ld/ld.lld first in the compiler
#   driver's search), which drops std's backtrace symbolizer before linking (~100 KiB per ABI; what is
#   lost and the switch that turns it off, SHIP_KEEP_SYMBOLIZER=1: that script's header).
#   Relocation packing is per target: `relr` needs an API 28+ loader (and glibc's tag on Linux), Android
#   below that takes the `android` form, so each script adds its own --pack-dyn-relocs.
ship_remap_flags() {
    local root src flags=""
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    for src in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
        [ -d "$src" ] && flags+=" --remap-path-prefix=${src%/}=crates"
    done
    printf '%s' "$flags --remap-path-prefix=$root=dingtalk-auth"
}
# The size goals of the shipped library, per ABI, stripped (issue: "≤ 512 KiB and ≤ 256 KB gzip -9" by
# default; the flavour with its own HTTP client within 2 MiB / 1.1 MB). scripts/size.sh holds the
# stand-in builds to them, scripts/build-android.sh the real NDK builds.
export SHIP_GOAL_DEFAULT=524288 SHIP_GOAL_DEFAULT_GZIP=256000 SHIP_GOAL_HTTP=2097152 SHIP_GOAL_HTTP_GZIP=1100000

# ship_target_flags TRIPLE: what one target's shipped build adds. x86 and x86_64: frame pointers. Panics
#   unwind, so every function keeps its unwind table entry (.eh_frame); without a frame pointer each push,
#   pop and stack adjustment moves the canonical frame address and the table records every move, and
#   i686 passes arguments on the stack, so it has many. With ebp/rbp as frame pointer one rule covers
#   the whole body. Measured on the default library (check-ship-link-abis.sh): i686 -47 KB (-13 KB gzip),
#   x86_64 -15 KB (-5 KB gzip); on arm64 and armv7 it adds bytes instead, so not there.
ship_target_flags() {
    case $1 in
        i686-* | x86_64-*) printf '%s' "-C force-frame-pointers=yes" ;;
    esac
}
SHIP_LINK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/ship-ld
export SHIP_LLD_FLAGS="-C link-arg=-fuse-ld=lld -C link-arg=-Wl,--icf=all -C link-arg=-B$SHIP_LINK_DIR"

# ship_metadata_map LIB MAP: write to MAP an lld version script that makes UniFFI's interface
#   description local. UniFFI stores it in the library as exported statics (UNIFFI_META_*) for
#   library-mode bindgen, which reads it from a build of the same sources before this link; no app
#   ever reads it at run time. Once local, the linker's section GC drops it (26 KB of an x86_64
#   no-HTTP build). The names must be exact: lld lets the exact names in rustc's own export list win
#   over a wildcard. LIB is a build of the same sources that still has them; NM may name llvm-nm.
ship_metadata_map() {
    local names
    names=$("${NM:-nm}" -D --defined-only "$1" | awk '$3 ~ /^UNIFFI_META_/ { print "  " $3 ";" }')
    [ -n "$names" ] || { echo "ship_metadata_map: no UNIFFI_META_ symbol in $1" >&2; return 1; }
    printf '{\n  local:\n%s\n};\n' "$names" >"$2"
}
