"""What a published POM of android-demo says, from its one home: android-demo/gradle/pom.properties
(Gradle's publishing.gradle.kts reads the same file). Used by scripts/check-pom.py (the published POM
must say exactly this) and scripts/lib/gradle_pom.py (the host stand-ins' POMs are written from it).

    python3 scripts/lib/pom_metadata.py                  # both modules' metadata as JSON
    python3 scripts/lib/pom_metadata.py --properties     # the file as read: key<TAB>value, sorted
"""
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO = ROOT / "android-demo"
HOME = DEMO / "gradle/pom.properties"
CATALOG = DEMO / "gradle/libs.versions.toml"
GROUP = "dev.dingtalkauth"
# The Gradle modules that publish, by directory name (android-demo/settings.gradle.kts).
MODULES = ("dingtalk-auth", "dingtalk-auth-testing")


class PomHomeError(ValueError):
    pass


def read_properties(text, where=HOME.name):
    """The subset of java.util.Properties the home uses: `key=value`, `#`/`!` comments, a trailing
    backslash continuing the value on the next line (its leading blanks dropped). Anything else that
    java.util.Properties would read differently (another escape, `:` or a blank as the separator, a key
    given twice) is refused, so both readers always agree."""
    props, key, value, line_no = {}, None, None, 0
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.lstrip(" \t\f") if key is not None else raw
        if key is None:
            if not line.strip() or line.lstrip().startswith(("#", "!")):
                continue
            if "=" not in line:
                raise PomHomeError(f"{where}:{line_no}: not key=value: {raw!r}")
            key, line = line.split("=", 1)
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", key):
                raise PomHomeError(f"{where}:{line_no}: key {key!r}: only letters, digits, '.', '-', '_'")
            value = ""
        continued = line.endswith("\\") and not line.endswith("\\\\")
        part = line[:-1] if continued else line
        if "\\" in part:
            raise PomHomeError(f"{where}:{line_no}: a backslash escape, which this reader does not decode: {raw!r}")
        value += part
        if not continued:
            if key in props:
                raise PomHomeError(f"{where}:{line_no}: {key} given twice")
            props[key], key = value, None
    if key is not None:
        raise PomHomeError(f"{where}:{line_no}: the last value ends with a continuation")
    return props


def cargo():
    with (ROOT / "Cargo.toml").open("rb") as f:
        pkg = tomllib.load(f)["workspace"]["package"]
    return pkg["version"], pkg["repository"].rstrip("/")


def catalog():
    with CATALOG.open("rb") as f:
        cat = tomllib.load(f)
    return {alias: (*lib["module"].split(":"), cat["versions"][lib["version"]["ref"]])
            for alias, lib in cat["libraries"].items()}


def metadata(module, props=None, version=None, repository=None, libs=None):
    """The POM of MODULE as a dict: artifactId, name, description, url, inceptionYear, licenses,
    developers, scm, issueManagement (each a dict or a list of dicts), dependencies
    [(groupId, artifactId, version, type or None, scope)]."""
    if props is None:
        props = read_properties(HOME.read_text(encoding="utf-8"))
    if version is None or repository is None:
        version, repository = cargo()
    libs = catalog() if libs is None else libs
    values = {"repository": repository, "slug": repository.removeprefix("https://github.com/"), "version": version}

    def get(key):
        if key not in props:
            raise PomHomeError(f"{HOME.name}: no {key}")

        def expand(m):
            if m.group(1) not in values:
                raise PomHomeError(f"{HOME.name}: {key}: unknown ${{{m.group(1)}}}")
            return values[m.group(1)]
        return re.sub(r"\$\{(\w+)\}", expand, props[key])

    def numbered(prefix, fields):
        out, n = [], 1
        while f"{prefix}.{n}.name" in props:
            out.append({f: get(f"{prefix}.{n}.{f}") for f in fields})
            n += 1
        return out

    def dependency(entry):
        m = re.fullmatch(r"(compile|runtime) (:?[\w-]+)(?:@(\w+))?", entry.strip())
        if not m:
            raise PomHomeError(f"{HOME.name}: {module}.dependencies: {entry.strip()!r} is not `scope alias[@type]`")
        scope, target, kind = m.groups()
        if target.startswith(":"):
            return GROUP, metadata_value(target[1:], "artifactId"), version, kind, scope
        if target not in libs:
            raise PomHomeError(f"{HOME.name}: {module}.dependencies: no library {target} in {CATALOG.name}")
        group, artifact, v = libs[target]
        return group, artifact, v, kind, scope

    def metadata_value(other, field):
        if other not in MODULES:
            raise PomHomeError(f"{HOME.name}: {module}.dependencies: :{other} is not a published module")
        return get(f"{other}.{field}")

    if module not in MODULES:
        raise PomHomeError(f"{module}: not a published module ({', '.join(MODULES)})")
    return {
        "groupId": GROUP,
        "artifactId": get(f"{module}.artifactId"),
        "version": version,
        "name": get(f"{module}.name"),
        "description": get(f"{module}.description"),
        "url": get("url"),
        "inceptionYear": get("inceptionYear"),
        "licenses": numbered("license", ("name", "url", "distribution")),
        "developers": numbered("developer", ("id", "name", "url")),
        "scm": {f: get(f"scm.{f}") for f in ("url", "connection", "developerConnection", "tag")},
        "issueManagement": {f: get(f"issueManagement.{f}") for f in ("system", "url")},
        "dependencies": [dependency(e) for e in get(f"{module}.dependencies").split(",")],
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["--properties"]:
        props = read_properties(HOME.read_text(encoding="utf-8"))
        print("\n".join(f"{k}\t{props[k]}" for k in sorted(props)))
        sys.exit(0)
    json.dump({m: metadata(m) for m in MODULES}, sys.stdout, indent=2, ensure_ascii=False)
    print()
