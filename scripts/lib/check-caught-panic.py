#!/usr/bin/env python3
"""A panic inside an export of the built library still becomes a typed error, with a backtrace asked for.

Usage: scripts/lib/check-caught-panic.py LIB [--expect-no-names]

Loads LIB (a Linux build of the mobile library, loadable here) in a child process with
RUST_BACKTRACE=full and calls an export that panics: UniFFI's `rustbuffer_reserve` asked for 2^64-1
more bytes panics with "capacity overflow" inside UniFFI's `rust_call`, the same catch_unwind that
guards every export. Passes when:
  - the call returns with status 2 (UNEXPECTED_ERROR: what the generated Kotlin raises as
    InternalException and the façade's callers see as AuthError.Internal) and the panic's message;
  - the process is alive and the library still answers the next call;
  - the default panic hook printed the message and a backtrace (its frames walked, which goes
    through the symbolizer's entry that scripts/lib/ship-link.sh stubs out).
--expect-no-names: also require that no frame of that backtrace has a name, which is what the stub
  does (unpatched, std names the frames of every loaded object: the interpreter's, libc's, and the
  exported functions of a stripped library). It fails on a library linked with SHIP_KEEP_SYMBOLIZER=1.
Prints the counts. Standard library only.
"""
import ctypes
import os
import re
import subprocess
import sys

NAMESPACE = "dingtalk_auth_ffi"


class RustBuffer(ctypes.Structure):
    _fields_ = [("capacity", ctypes.c_uint64), ("len", ctypes.c_uint64), ("data", ctypes.c_void_p)]


class RustCallStatus(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int8), ("error_buf", RustBuffer)]


def child(lib_path):
    lib = ctypes.CDLL(lib_path)
    reserve = getattr(lib, f"ffi_{NAMESPACE}_rustbuffer_reserve")
    reserve.restype = RustBuffer
    reserve.argtypes = [RustBuffer, ctypes.c_uint64, ctypes.POINTER(RustCallStatus)]
    alloc = getattr(lib, f"ffi_{NAMESPACE}_rustbuffer_alloc")
    alloc.restype = RustBuffer
    alloc.argtypes = [ctypes.c_uint64, ctypes.POINTER(RustCallStatus)]
    free = getattr(lib, f"ffi_{NAMESPACE}_rustbuffer_free")
    free.restype = None
    free.argtypes = [RustBuffer, ctypes.POINTER(RustCallStatus)]

    status = RustCallStatus()
    reserve(RustBuffer(0, 0, None), 2**64 - 1, ctypes.byref(status))
    message = ctypes.string_at(status.error_buf.data, status.error_buf.len).decode() if status.error_buf.data else ""
    print(f"status={status.code} message={message!r}")
    free(status.error_buf, ctypes.byref(RustCallStatus()))
    after = RustCallStatus()
    buf = alloc(16, ctypes.byref(after))
    print(f"next call: status={after.code} capacity={buf.capacity}")
    free(buf, ctypes.byref(RustCallStatus()))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return 0
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1 or set(sys.argv[1:]) - {args[0], "--expect-no-names"}:
        print(__doc__, file=sys.stderr)
        return 2
    lib = os.path.abspath(args[0])
    env = dict(os.environ, RUST_BACKTRACE="full")
    run = subprocess.run([sys.executable, __file__, "--child", lib], env=env, capture_output=True, text=True,
                         timeout=120)
    problems = []
    if run.returncode != 0:
        problems.append(f"the process died (exit {run.returncode}): the panic was not caught")
    if "status=2 message='capacity overflow'" not in run.stdout:
        problems.append("the export did not answer UNEXPECTED_ERROR (2) with the panic's message")
    if "next call: status=0 capacity=16" not in run.stdout:
        problems.append("the library did not answer the call after the panic")
    if "capacity overflow" not in run.stderr or "stack backtrace:" not in run.stderr:
        problems.append("the panic hook printed no message or no backtrace")
    # RUST_BACKTRACE=full prints each frame as `  N:  0xADDR - NAME`, NAME `<unknown>` when unresolved.
    frames = re.findall(r"^\s*\d+:\s+0x[0-9a-f]+ - (.*)$", run.stderr, re.M)
    named = [f for f in frames if f.strip() != "<unknown>"]
    print(f"check-caught-panic: {os.path.basename(lib)}: panic caught as a typed error; backtrace of "
          f"{len(frames)} frames, {len(named)} named" + (f" (e.g. {named[0].strip()})" if named else ""))
    if not frames:
        problems.append("no backtrace frame printed")
    if "--expect-no-names" in sys.argv and named:
        problems.append(f"{len(named)} frames were named: the symbolizer is still linked")
    if problems:
        sys.stderr.write(run.stdout + run.stderr)
        for p in problems:
            print(f"check-caught-panic: FAILED: {p}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
