#!/usr/bin/env python3
"""Writes, without Gradle, the POM Gradle's maven-publish writes for an Android module of android-demo,
and puts a host-built jar under it in a Maven file repository (scripts/test-android-consumer.sh).

    gradle_pom.py REPO MODULE JAR [SOURCE_DIR…]

MODULE is the Gradle module directory (dingtalk-auth, dingtalk-auth-testing). The POM's fields come
from where Gradle takes them, read here: android-demo/gradle/publishing.gradle.kts (the pom { } block)
and the module's build.gradle.kts (extra["artifactId"/"pomName"/"pomDescription"], its dependencies:
`api` → compile scope, `implementation` → runtime, `{ artifact { type = "aar" } }` → <type>aar</type>,
compileOnly and test configurations left out, `project(":dingtalk-auth")` → the library's coordinates),
with versions from the catalog and the product version from Cargo.toml. What this cannot know is how
Gradle lays them out; the hosted workflow checks Gradle's own POM with the same scripts/check-pom.py.
The jar is a host build (plain classes, no Android resources): the packaging stays `jar`.
"""
import hashlib
import re
import sys
import tomllib
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO = ROOT / "android-demo"
GROUP = "dev.dingtalkauth"


def cargo():
    with (ROOT / "Cargo.toml").open("rb") as f:
        pkg = tomllib.load(f)["workspace"]["package"]
    return pkg["version"], pkg["repository"]


def catalog():
    with (DEMO / "gradle/libs.versions.toml").open("rb") as f:
        cat = tomllib.load(f)
    # libs.a.b.c is the catalog's a-b-c (or a_b_c, a.b.c): Gradle normalises all three to dots.
    return {key.replace("-", ".").replace("_", "."): (lib["module"], cat["versions"][lib["version"]["ref"]])
            for key, lib in cat["libraries"].items()}, cat["versions"]


def kotlin_string(expr, values):
    """A Kotlin string expression: "…" literals joined with +, with $name / ${name} templates."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', expr)
    text = "".join(parts)
    return re.sub(r"\$\{([\w.]+)\}|\$(\w+)", lambda m: values[m.group(1) or m.group(2)], text)


def extras(build):
    found = {}
    for m in re.finditer(r'extra\["(\w+)"\]\s*=\s*((?:"(?:[^"\\]|\\.)*"\s*\+?\s*)+)', build):
        found[m.group(1)] = kotlin_string(m.group(2), {})
    return found


def block(text, name):
    """The body of the first `name { … }` in text (braces balanced)."""
    m = re.search(rf"\b{name}\s*\{{", text)
    if not m:
        return ""
    depth, i = 1, m.end()
    while depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[m.end(): i - 1]


def blocks(text, name):
    out, rest = [], text
    while (b := block(rest, name)):
        out.append(b)
        rest = rest[rest.index(b) + len(b):]
    return out


def setters(text, values):
    """`field.set(expr)` calls: expr a string expression, a known variable, or project.extra["x"] as String."""
    found = {}
    for m in re.finditer(r"(\w+)\.set\((.*)\)\s*$", text, re.M):
        expr = m.group(2).strip()
        if expr.startswith('"'):
            found[m.group(1)] = kotlin_string(expr, values)
        elif (x := re.fullmatch(r'project\.extra\["(\w+)"\] as String', expr)):
            found[m.group(1)] = values[x.group(1)]
        else:
            found[m.group(1)] = values[expr]
    return found


def dependencies(build, libs, versions, version):
    deps = [("org.jetbrains.kotlin", "kotlin-stdlib", versions["kotlin"], "jar", "compile")]
    for conf, target, rest in re.findall(r"^\s*(api|implementation)\(([^)]*\)?)\)([^\n]*)", block(build, "dependencies"), re.M):
        scope = "compile" if conf == "api" else "runtime"
        kind = "aar" if re.search(r'type\s*=\s*"aar"', rest) else "jar"
        if target.startswith("project("):
            deps.append((GROUP, "dingtalk-auth-android", version, None, scope))
            continue
        module, v = libs[target.removeprefix("libs.")]
        group, artifact = module.split(":")
        deps.append((group, artifact, v, kind, scope))
    return deps


def pom(module):
    version, repository = cargo()
    libs, versions = catalog()
    build = (DEMO / module / "build.gradle.kts").read_text()
    extra = extras(build)
    values = {"repository": repository, "slug": repository.removeprefix("https://github.com/"), "project.version": version, **extra}
    spec = block((DEMO / "gradle/publishing.gradle.kts").read_text(), "pom")
    top = setters(re.sub(r"\b(licenses|developers|scm|issueManagement)\s*\{.*", "", spec, flags=re.S), values)
    licenses = [setters(b, values) for b in blocks(block(spec, "licenses"), "license")]
    developers = [setters(b, values) for b in blocks(block(spec, "developers"), "developer")]
    scm = setters(block(spec, "scm"), values)
    e = lambda s: escape(s)  # noqa: E731
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">',
        "  <modelVersion>4.0.0</modelVersion>",
        f"  <groupId>{GROUP}</groupId>",
        f"  <artifactId>{e(extra['artifactId'])}</artifactId>",
        f"  <version>{e(version)}</version>",
        "  <packaging>jar</packaging>",
        f"  <name>{e(extra['pomName'])}</name>",
        f"  <description>{e(extra['pomDescription'])}</description>",
        f"  <url>{e(top['url'])}</url>",
        f"  <inceptionYear>{e(top.get('inceptionYear', ''))}</inceptionYear>",
        "  <licenses>",
        *[f"    <license><name>{e(x['name'])}</name><url>{e(x['url'])}</url><distribution>{e(x.get('distribution', 'repo'))}</distribution></license>" for x in licenses],
        "  </licenses>",
        "  <developers>",
        *[f"    <developer><id>{e(d.get('id', ''))}</id><name>{e(d['name'])}</name><url>{e(d.get('url', ''))}</url></developer>" for d in developers],
        "  </developers>",
        f"  <scm><connection>{e(scm['connection'])}</connection><developerConnection>{e(scm['developerConnection'])}</developerConnection>"
        f"<url>{e(scm['url'])}</url><tag>{e(scm.get('tag', ''))}</tag></scm>",
        "  <dependencies>",
    ]
    for group, artifact, v, kind, scope in dependencies(build, libs, versions, version):
        t = f"<type>{kind}</type>" if kind and kind != "jar" else ""
        lines.append(f"    <dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{v}</version>{t}<scope>{scope}</scope></dependency>")
    lines += ["  </dependencies>", "</project>", ""]
    return extra["artifactId"], version, "\n".join(lines)


def put(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.with_name(path.name + ".sha1").write_text(hashlib.sha1(data).hexdigest())


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    repo, module, jar, sources = Path(argv[0]), argv[1], Path(argv[2]), [Path(s) for s in argv[3:]]
    artifact, version, text = pom(module)
    base = repo / GROUP.replace(".", "/") / artifact / version
    put(base / f"{artifact}-{version}.pom", text.encode())
    put(base / f"{artifact}-{version}.jar", jar.read_bytes())
    src = base / f"{artifact}-{version}-sources.jar"
    src.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:
        for d in sources:
            for f in sorted(d.rglob("*.kt")):
                z.write(f, f.relative_to(d))
    put(src, src.read_bytes())
    print(f"{GROUP}:{artifact}:{version} → {base}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
