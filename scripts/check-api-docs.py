#!/usr/bin/env python3
"""Checks that generated API docs have a page for every public type they must document.

    scripts/check-api-docs.py dokka  DOKKA_HTML_DIR  KOTLIN_SOURCE_DIR [NAME...]
    scripts/check-api-docs.py docc   DOCCARCHIVE     MODULE            NAME...

dokka: every public top-level class, object or interface declared in KOTLIN_SOURCE_DIR (the Android
layer: no `private`/`internal`), and each extra NAME (e.g. types of the generated bindings), has its
page, `<package>/-kebab-name/index.html` as Dokka's HTML writes it.
docc: each NAME has its page in the archive's render data, `data/documentation/<module>/<name>.json`
(lower-cased, as DocC writes it).
Prints how many pages the docs have and which were checked; exits 1 naming every missing page.
"""
import re
import sys
from pathlib import Path

DECL = re.compile(
    r"^(?:public\s+)?(?:(?:data|sealed|abstract|open|enum|fun|annotation)\s+)*(class|object|interface)\s+([A-Z]\w*)",
    re.M,
)


def kebab(name: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "-" + m.group(0).lower(), name)


def dokka(out: Path, sources: Path, extra: list[str]) -> list[str]:
    pages = {p.relative_to(out).as_posix() for p in out.rglob("index.html")}
    print(f"dokka: {len(list(out.rglob('*.html')))} HTML pages in {out}")
    missing = []
    wanted = []
    for kt in sorted(sources.rglob("*.kt")):
        text = kt.read_text()
        package = re.search(r"^package\s+([\w.]+)", text, re.M).group(1)
        for m in DECL.finditer(text):
            wanted.append((package, m.group(2)))
    for name in extra:
        package, _, simple = name.rpartition(".")
        wanted.append((package, simple))
    for package, name in wanted:
        if not any(p.endswith(f"{package}/{kebab(name)}/index.html") for p in pages):
            missing.append(f"{package}.{name}")
    print(f"dokka: {len(wanted) - len(missing)} of {len(wanted)} public types have their page")
    return missing


def docc(archive: Path, module: str, names: list[str]) -> list[str]:
    data = archive / "data" / "documentation" / module.lower()
    pages = list(data.rglob("*.json")) if data.is_dir() else []
    print(f"docc: {len(pages)} symbol pages under {data}")
    missing = [n for n in names if not (data / f"{n.lower()}.json").is_file()]
    print(f"docc: {len(names) - len(missing)} of {len(names)} public types have their page")
    return missing


def main() -> int:
    if len(sys.argv) < 4 or sys.argv[1] not in ("dokka", "docc"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, a, b, rest = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4:]
    missing = dokka(a, Path(b), rest) if kind == "dokka" else docc(a, b, rest)
    for name in missing:
        print(f"{kind}: no page for {name}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
