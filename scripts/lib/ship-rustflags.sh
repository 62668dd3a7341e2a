# shellcheck shell=bash
# Sourced by the scripts that build the library as it ships (size.sh, build-android.sh,
# build-xcframework.sh), so the size measured here is the size of what ships.
#
# ship_remap_flags: panic locations name their source files; drop the build machine's paths (the cargo
#   registry, this checkout) from them. Shorter, and the shipped library no longer says where it was built.
# SHIP_LLD_FLAGS: for lld (the NDK's linker, and the Linux stand-in in size.sh): identical-code folding.
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
export SHIP_LLD_FLAGS="-C link-arg=-fuse-ld=lld -C link-arg=-Wl,--icf=all"
