#!/usr/bin/env python3
"""Where the bytes of a shipped library go: ELF sections, and code/data per crate.

Usage: scripts/size-breakdown.py LIB [TOP]
LIB must still have its symbol table (the release profile keeps it; the shipped copy is stripped).
Per-crate sizes are symbol sizes summed by the crate that names the symbol, as cargo-bloat does: for
`<T as core::fmt::Debug>::fmt` the crate of T. Inlining moves code into its caller's crate, and
anonymous data (string literals, tables without a symbol) is counted only in the section totals.
"""
import re
import subprocess
import sys
from collections import Counter


def sections(lib):
    out = subprocess.run(["readelf", "-SW", lib], check=True, capture_output=True, text=True).stdout
    sizes = Counter()
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*)", line)
        if m and "A" in m.group(3):  # allocated: what is loaded, i.e. what survives strip
            sizes[m.group(1)] += int(m.group(2), 16)
    return sizes


def crate_of(name):
    name = name.strip()
    while name.startswith("<"):
        name = name[1:]
    for prefix in ("impl ", "dyn ", "&mut ", "&", "*const ", "*mut ", "["):
        if name.startswith(prefix):
            return crate_of(name[len(prefix):])
    if name.startswith(("UNIFFI_META", "uniffi_", "ffi_dingtalk")):
        return "uniffi metadata and scaffolding"
    head = re.split(r"::|<| |\(", name, maxsplit=1)[0]
    return head or "?"


def crates(lib):
    out = subprocess.run(["nm", "-S", "--size-sort", "-C", lib], check=True, capture_output=True, text=True).stdout
    sizes = Counter()
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) == 4 and parts[2] in "tTrRdDbBvVwW":
            sizes[crate_of(parts[3])] += int(parts[1], 16)
    return sizes


def main():
    lib = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    secs = sections(lib)
    print("  sections (loaded):", ", ".join(f"{k} {v // 1024} KiB" for k, v in secs.most_common(8)))
    by_crate = crates(lib)
    total = sum(by_crate.values())
    print(f"  symbols by crate ({total // 1024} KiB named):")
    for crate, size in by_crate.most_common(top):
        print(f"    {size // 1024:6d} KiB  {crate}")


if __name__ == "__main__":
    main()
