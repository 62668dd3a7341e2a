#!/usr/bin/env python3
"""Stub out std's backtrace symbolizer in rustc's post-LTO object, before the shipped library is linked.

Used by scripts/lib/ship-link.sh (read its header first: why, what is lost, how to turn it off).

    symbolizer_stub.py link REAL_LD ARGS...   what ship-link.sh runs: patch every ELF object among the
                                              linker's ARGS (response files expanded) into a temporary
                                              copy, then run REAL_LD on the copies; refuse (exit 1, nothing
                                              linked) when an object is not what we expect
    symbolizer_stub.py OBJECT OUT             patch one object into OUT (exit 0); exit 3 when OBJECT holds
                                              no symbolizer at all (nothing to do), 1 when refused

What it does to the one function `std::backtrace_rs::symbolize::gimli::Cache::with_global` (the
symbolizer's only entry: every panic message, `Backtrace` and `RUST_BACKTRACE` printout that names a
frame goes through it, and it returns nothing), or, where LLVM inlined it into its only caller
`std::backtrace_rs::symbolize::gimli::resolve` (armv7), to that caller (which returns nothing either):
  - its first instruction becomes the return of its ABI, the rest of its body a trap instruction;
  - every relocation inside its body becomes R_NONE against the null symbol, so nothing in it
    references the symbolizer's code any more and the linker's `--gc-sections` drops that code
    (gimli, addr2line, miniz_oxide, the object-file reader). A relocation left as R_NONE against a
    real symbol would still keep its target alive: lld marks the targets of R_NONE (it is how
    .ARM.exidx keeps personality routines).
It refuses, rather than guess, when: the ELF class, byte order, type or machine is not one of the
four Android ABIs (x86_64, i686, aarch64, 32-bit ARM); the function is not there exactly once; it does
not sit alone at the start of its own executable section; its body does not reference the symbolizer
(gimli) the way the real one does; or its first bytes are already a return.
Standard library only: it runs wherever the build runs (hosted CI, a developer's machine).
"""
import os
import re
import shlex
import struct
import subprocess
import sys
import tempfile

ET_REL = 1
SHT_SYMTAB, SHT_RELA, SHT_REL, SHT_SYMTAB_SHNDX = 2, 4, 9, 18
SHF_EXECINSTR = 0x4
SHN_UNDEF, SHN_LORESERVE, SHN_XINDEX = 0, 0xFF00, 0xFFFF
STT_FUNC, STT_SECTION = 2, 3

# ELF machine → (name, return instruction, filler trap instruction). Little-endian encodings.
EM_386, EM_ARM, EM_X86_64, EM_AARCH64 = 3, 40, 62, 183
RET = {
    EM_X86_64: ("x86_64", b"\xc3", b"\xcc"),  # ret; int3
    EM_386: ("i686", b"\xc3", b"\xcc"),  # ret (Rust's i686 ABI: the caller pops arguments); int3
    EM_AARCH64: ("aarch64", struct.pack("<I", 0xD65F03C0), struct.pack("<I", 0x00000000)),  # ret; udf #0
}
# 32-bit ARM: Android's armeabi-v7a code is Thumb-2 (the symbol's value has bit 0 set); ARM mode kept
# for completeness. bx lr; udf.
ARM_THUMB = ("armv7 (Thumb-2)", struct.pack("<H", 0x4770), struct.pack("<H", 0xDE00))
ARM_ARM = ("armv7 (ARM)", struct.pack("<I", 0xE12FFF1E), struct.pack("<I", 0xE7F000F0))

# The entry, by its mangled name: v0 mangling (how Rust's std is built since 1.9x, e.g.
# `_RINvMs0_NtNtNtCs…_3std12backtrace_rs9symbolize5gimliNtB6_5Cache11with_globalNCNvB6_7resolves_0EBc_`,
# the instance for `resolve`'s closure) or the legacy mangling `_ZN…5Cache11with_global17h<hash>E`.
TARGET = re.compile(rb"^_R\w*3std12backtrace_rs9symbolize5gimli\w*5Cache11with_global\w*7resolve"
                    rb"|^_ZN3std12backtrace_rs9symbolize5gimli5Cache11with_global17h[0-9a-f]{16}E$")
# Where LLVM inlined that entry into its one caller (seen on armv7 Android), the caller is the entry:
# `std::backtrace_rs::symbolize::gimli::resolve(what, callback)`, which returns nothing either.
TARGET_CALLER = re.compile(rb"^_RNvNtNtNtCs\w+_3std12backtrace_rs9symbolize5gimli7resolve$"
                           rb"|^_ZN3std12backtrace_rs9symbolize5gimli7resolve17h[0-9a-f]{16}E$")
# Any symbol of the symbolizer: if none is defined, std was built without it (nightly build-std
# without the `backtrace` feature) and there is nothing to do.
SYMBOLIZER = re.compile(rb"backtrace_rs9symbolize5gimli")
# What the real body calls into (checked so that a stub, or a different function, is never patched).
SYMBOLIZER_CODE = re.compile(rb"5gimli|9addr2line|backtrace_rs9symbolize5gimli")


class Refused(Exception):
    pass


class Elf:
    def __init__(self, data):
        self.data = data
        if data[:4] != b"\x7fELF":
            raise Refused("not an ELF file")
        cls, order = data[4], data[5]
        if order != 1:
            raise Refused("big-endian ELF: not an Android ABI")
        if cls == 1:
            self.is64 = False
            (self.type, self.machine, _, _, _, self.shoff, self.flags, _, _, _, shentsize, shnum,
             shstrndx) = struct.unpack_from("<HHIIIIIHHHHHH", data, 16)
        elif cls == 2:
            self.is64 = True
            (self.type, self.machine, _, _, _, self.shoff, self.flags, _, _, _, shentsize, shnum,
             shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
        else:
            raise Refused(f"unknown ELF class {cls}")
        self.shentsize = shentsize
        first = self.section(0, raw=True)
        self.shnum = shnum or first["size"]  # more than 0xff00 sections: the count is in section 0
        self.shstrndx = first["link"] if shstrndx == SHN_XINDEX else shstrndx
        self.sections = [self.section(i) for i in range(self.shnum)]
        names = self.sections[self.shstrndx]
        for s in self.sections:
            s["name"] = self.cstr(names["offset"] + s["name_off"])

    def section(self, i, raw=False):
        off = self.shoff + i * self.shentsize
        fmt = "<IIQQQQIIQQ" if self.is64 else "<IIIIIIIIII"
        name, typ, flags, addr, offset, size, link, info, align, entsize = struct.unpack_from(fmt, self.data, off)
        return {"index": i, "name_off": name, "type": typ, "flags": flags, "offset": offset, "size": size,
                "link": link, "info": info, "entsize": entsize, "header": off}

    def cstr(self, off):
        return bytes(self.data[off:self.data.index(b"\0", off)])

    def symbols(self):
        """(index, name, value, size, type, section index, entry offset) of every symbol of the one symbol table."""
        tabs = [s for s in self.sections if s["type"] == SHT_SYMTAB]
        if not tabs:
            return []
        if len(tabs) > 1:
            raise Refused(f"{len(tabs)} symbol tables")
        tab = tabs[0]
        strtab = self.sections[tab["link"]]
        shndx = next((s for s in self.sections if s["type"] == SHT_SYMTAB_SHNDX and s["link"] == tab["index"]), None)
        fmt = "<IBBHQQ" if self.is64 else "<IIIBBH"
        entsize = struct.calcsize(fmt)
        out = []
        for i in range(tab["size"] // entsize):
            fields = struct.unpack_from(fmt, self.data, tab["offset"] + i * entsize)
            if self.is64:
                name, info, _, sec, value, size = fields
            else:
                name, value, size, info, _, sec = fields
            if sec == SHN_XINDEX:
                if shndx is None:
                    raise Refused("extended section index without SHT_SYMTAB_SHNDX")
                sec = struct.unpack_from("<I", self.data, shndx["offset"] + 4 * i)[0]
            out.append((i, self.cstr(strtab["offset"] + name), value, size, info & 0xF, sec,
                        tab["offset"] + i * entsize))
        return out

    def set_symbol(self, entry, value, size):
        struct.pack_into("<QQ" if self.is64 else "<II", self.data, entry + (8 if self.is64 else 4), value, size)

    def set_section_size(self, section, size):
        struct.pack_into("<Q" if self.is64 else "<I", self.data, section["header"] + (32 if self.is64 else 20), size)

    def null_relocation(self, at, rela):
        """R_NONE against the null symbol at offset 0 (addend 0): a relocation that does nothing."""
        word = 8 if self.is64 else 4
        self.data[at: at + (3 if rela else 2) * word] = b"\0" * ((3 if rela else 2) * word)

    def relocations(self, target_index):
        """(header offset of the entry, r_offset, symbol index, type, is_rela) of the relocations of one section."""
        out = []
        for s in self.sections:
            if s["type"] not in (SHT_REL, SHT_RELA) or s["info"] != target_index:
                continue
            rela = s["type"] == SHT_RELA
            fmt = ("<QQq" if rela else "<QQ") if self.is64 else ("<IIi" if rela else "<II")
            size = struct.calcsize(fmt)
            for k in range(s["size"] // size):
                at = s["offset"] + k * size
                r_offset, r_info = struct.unpack_from(fmt, self.data, at)[:2]
                sym, typ = (r_info >> 32, r_info & 0xFFFFFFFF) if self.is64 else (r_info >> 8, r_info & 0xFF)
                out.append((at, r_offset, sym, typ, rela))
        return out


def stub(data):
    elf = Elf(data)
    syms = elf.symbols()
    defined = [s for s in syms if s[5] != SHN_UNDEF and s[5] < elf.shnum]
    if not any(SYMBOLIZER.search(s[1]) for s in defined):
        return None
    if elf.type != ET_REL:
        raise Refused(f"ELF type {elf.type}, not a relocatable object")
    if elf.machine not in RET and elf.machine != EM_ARM:
        raise Refused(f"ELF machine {elf.machine} is none of x86_64, i686, aarch64, arm: "
                      "its return instruction is not known here")
    found = [s for s in defined if TARGET.match(s[1]) and s[4] == STT_FUNC]
    if not found:
        found = [s for s in defined if TARGET_CALLER.match(s[1]) and s[4] == STT_FUNC]
    if len(found) != 1:
        raise Refused(f"the symbolizer is linked but its entry (Cache::with_global, or gimli::resolve where "
                      f"that is inlined) is defined {len(found)} times (renamed by another Rust version?)")
    index, name, value, size, typ, sec_index, entry = found[0]
    sec = elf.sections[sec_index]
    thumb = elf.machine == EM_ARM and value & 1
    if elf.machine == EM_ARM:
        abi, ret, trap = ARM_THUMB if thumb else ARM_ARM
        value &= ~1
    else:
        abi, ret, trap = RET[elf.machine]
    if not sec["flags"] & SHF_EXECINSTR:
        raise Refused(f"{name.decode()} is not in an executable section")
    # Alone in its section (rustc emits one section per function): then every relocation of the
    # section belongs to this body, and nothing else is overwritten.
    if value != 0 or not len(ret) <= size <= sec["size"] or sec["size"] - size >= 16:
        raise Refused(f"{name.decode()} (offset {value}, {size} B) does not fill its section "
                      f"{sec['name'].decode()} ({sec['size']} B)")
    body = slice(sec["offset"], sec["offset"] + size)
    if bytes(data[body][:len(ret)]) == ret:
        raise Refused(f"{name.decode()} already starts with a return: patched twice, or not the real body")
    relocs = elf.relocations(sec_index)
    # A reference to a local function may go through its section's symbol (unnamed): use the section's
    # name then, which is `.text.<mangled name>` with function sections.
    names = {s[0]: s[1] or (elf.sections[s[5]]["name"] if s[4] == STT_SECTION and s[5] < elf.shnum else b"")
             for s in syms}
    if not any(SYMBOLIZER_CODE.search(names.get(r[2], b"")) for r in relocs):
        raise Refused(f"{name.decode()} references no symbolizer code: an unexpected body, left alone")

    # The body: the return, then traps; then the section shrinks to the return alone (the traps are
    # never loaded), and the function's symbol with it. Other symbols of the section (ARM/AArch64
    # mapping symbols such as `$d` for literal pools) move to its new end.
    data[body] = ret + (trap * (size // len(trap) + 1))[: size - len(ret)]
    elf.set_section_size(sec, len(ret))
    for s in syms:
        if s[5] == sec_index and s[0] != index and s[4] != STT_SECTION and s[2] > len(ret):
            elf.set_symbol(s[6], len(ret), 0)
    elf.set_symbol(entry, value | thumb, len(ret))
    for at, _, _, _, rela in relocs:
        elf.null_relocation(at, rela)
    dropped = drop_fde(elf, {index} | {s[0] for s in syms if s[4] == STT_SECTION and s[5] == sec_index})
    return (f"{abi}: {name.decode()} returns at once ({size} B → {len(ret)} B); {len(relocs)} relocations "
            f"made R_NONE; {dropped} unwind-table entry dropped")


def drop_fde(elf, symbols):
    """Unlinks the .eh_frame entry (FDE) of the stubbed function: all its relocations made R_NONE.

    lld keeps only FDEs whose first relocation names a live function; without one, the FDE and the
    language-specific data it points to (.gcc_except_table: the old body's landing pads) are left out.
    The stub never calls anything, so nothing ever unwinds through it. (32-bit ARM unwinds with
    .ARM.exidx instead, whose entry stays: it only names the function's start.)
    """
    frames = [s for s in elf.sections if s["name"] == b".eh_frame"]
    if not frames:
        return 0
    frame = frames[0]
    records, at = [], frame["offset"]
    while at < frame["offset"] + frame["size"]:
        length = struct.unpack_from("<I", elf.data, at)[0]
        if length == 0:
            break
        if length == 0xFFFFFFFF:
            raise Refused("64-bit .eh_frame records are not expected in a Rust object")
        records.append((at - frame["offset"], at - frame["offset"] + 4 + length))
        at += 4 + length
    relocs = elf.relocations(frame["index"])
    dropped = 0
    for _, r_offset, sym, _, _ in relocs:
        if sym not in symbols:
            continue
        start, end = next(((a, b) for a, b in records if a <= r_offset < b), (None, None))
        # An FDE: its CIE pointer (not 0) at +4, its pc_begin, the relocated field, at +8.
        if start is None or r_offset != start + 8 or struct.unpack_from("<I", elf.data, frame["offset"] + start + 4)[0] == 0:
            raise Refused(".eh_frame refers to the function other than as an FDE's start: unexpected")
        for at2, off2, _, _, rela2 in relocs:
            if start <= off2 < end:
                elf.null_relocation(at2, rela2)
        dropped += 1
    return dropped


def patch_file(src, dst):
    """Returns a line saying what was done, or None when the object holds no symbolizer."""
    with open(src, "rb") as f:
        data = bytearray(f.read())
    what = stub(data)
    if what is not None:
        with open(dst, "wb") as f:
            f.write(data)
    return what


def response_file(path):
    """The arguments of a response file (@path), as lld reads them on Unix (GNU quoting, one level)."""
    with open(path) as f:
        return shlex.split(f.read())


def link(real_ld, args):
    """Patches the objects among ARGS into a temporary directory, then runs the real linker on them."""
    expanded = []
    for arg in args:
        expanded += response_file(arg[1:]) if arg.startswith("@") and os.path.isfile(arg[1:]) else [arg]
    with tempfile.TemporaryDirectory(prefix="ship-link.") as tmp:
        out, patched = [], 0
        for arg in expanded:
            if arg.endswith(".o") and os.path.isfile(arg) and open(arg, "rb").read(4) == b"\x7fELF":
                dst = os.path.join(tmp, f"{patched}-{os.path.basename(arg)}")
                try:
                    what = patch_file(arg, dst)
                except Refused as e:
                    sys.exit(f"ship-link: refusing to link {arg}: {e}.\n"
                             "ship-link: nothing was shipped. Look at scripts/lib/ship-link.sh, or link without the "
                             "patch (SHIP_KEEP_SYMBOLIZER=1: std's symbolizer stays, ~100 KiB more per ABI).")
                if what is not None:
                    print(f"ship-link: {what}", file=sys.stderr)
                    # cargo shows a linker's messages only when the link fails; a log keeps them.
                    if os.environ.get("SHIP_LINK_LOG"):
                        with open(os.environ["SHIP_LINK_LOG"], "a") as log:
                            log.write(f"{what}\n")
                    arg, patched = dst, patched + 1
            out.append(arg)
        # None patched: std was built without its symbolizer (nightly build-std), nothing to drop.
        rc = subprocess.run([real_ld] + out).returncode
    return rc


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "link":
        return link(sys.argv[2], sys.argv[3:])
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = sys.argv[1:]
    try:
        what = patch_file(src, dst)
    except Refused as e:
        print(f"ship-link: refusing to patch {src}: {e}", file=sys.stderr)
        return 1
    if what is None:
        return 3
    print(f"ship-link: {what}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
