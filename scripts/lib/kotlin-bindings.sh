# shellcheck shell=bash
# Sourced by test-kotlin.sh and test-android.sh: both run against the debug library and the Kotlin
# generated from it (build/bindings/kotlin), and rebuild the pair only when it may be out of date.
#
# ensure_kotlin_bindings ROOT BINDINGS LIB: runs `scripts/bindgen.sh debug` when BINDINGS or LIB is
#   missing, when any Rust source or manifest of the library is newer than BINDINGS, or when LIB is.
ensure_kotlin_bindings() {
    local root=$1 bindings=$2 lib=$3 newer=""
    if [[ -f "$bindings" && -f "$lib" ]]; then
        newer=$(find "$root/core" "$root/bindings/src" "$root/bindings/Cargo.toml" "$root/bindings/uniffi.toml" \
            "$root/Cargo.toml" -newer "$bindings" \( -name '*.rs' -o -name '*.toml' \) -print -quit 2>/dev/null)
        [[ -z "$newer" && ! "$lib" -nt "$bindings" ]] && return 0
    fi
    echo "==> building the debug library and generating Kotlin bindings (scripts/bindgen.sh debug)" >&2
    "$root/scripts/bindgen.sh" debug >&2
}
