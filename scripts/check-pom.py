#!/usr/bin/env python3
"""Checks the published Android artifacts in a Maven repository directory before anyone consumes them.

    scripts/check-pom.py android-demo/build/repo          # what Gradle published (hosted workflow)
    scripts/check-pom.py --host target/android/repo       # the host stand-ins (scripts/test-android-consumer.sh)

For dev.dingtalkauth:dingtalk-auth-android and dev.dingtalkauth:dingtalk-auth-testing at the product
version (scripts/version.py):
  - the POM says exactly what android-demo/gradle/pom.properties says, its one home (name, description,
    url, licenses, developers, scm, issue management, and the dependencies with their versions from the
    catalog, scopes and, where the home names one, types): a field Gradle writes differently, a
    dependency a module's build.gradle.kts declares but the home does not list (or the reverse) fails;
  - the home itself has every field Maven Central requires (name, description, url, a license with
    name and url, a developer, scm url and connection; Sonatype's "Requirements" page lists them), the
    dependencies an app needs at run time (JNA as an AAR for the library: the plain jar has no Android
    natives; the desktop JNA jar and the library itself for the testing artifact) and none an app must
    not get (the DingTalk SDKs are the app's choice);
  - the files beside the POM (the archive, -sources.jar, -javadoc.jar, Gradle's .module).
With --host: the jars scripts/test-android-consumer.sh builds without the Android SDK (packaging jar; the
jar and its sources, no javadoc jar or .module). Exit 1 and a line per problem.
"""
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts/lib"))
from pom_metadata import GROUP, MODULES, PomHomeError, metadata  # noqa: E402

NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def product_version():
    return subprocess.run([sys.executable, str(ROOT / "scripts/version.py"), "--get", "version"],
                          check=True, capture_output=True, text=True).stdout.strip()


def text(node, path):
    found = node.find(path, NS)
    return found.text.strip() if found is not None and found.text else ""


def dependencies(pom):
    deps = {}
    for d in pom.findall("m:dependencies/m:dependency", NS):
        deps[f"{text(d, 'm:groupId')}:{text(d, 'm:artifactId')}"] = {
            "version": text(d, "m:version"), "type": text(d, "m:type") or "jar", "scope": text(d, "m:scope") or "compile",
        }
    return deps


# module → (packaging, dependencies its POM must have {ga: type}, dependencies it must not have)
EXPECTED = {
    "dingtalk-auth": ("aar", {"net.java.dev.jna:jna": "aar", "org.jetbrains.kotlinx:kotlinx-coroutines-android": None},
                      ["com.alibaba.android:ddsharesdk", "com.alibaba.android:ddopenauth"]),
    # Gradle writes a project dependency without <type> (its .module file, which Gradle reads first,
    # names the AAR variant), so the library's type is not checked here.
    "dingtalk-auth-testing": ("aar", {f"{GROUP}:dingtalk-auth-android": None, "net.java.dev.jna:jna": "jar"},
                              ["com.alibaba.android:ddsharesdk", "com.alibaba.android:ddopenauth"]),
}

# (label, POM path, the home's value) for every single-valued field.
FIELDS = [
    ("name", "m:name", lambda h: h["name"]),
    ("description", "m:description", lambda h: h["description"]),
    ("url", "m:url", lambda h: h["url"]),
    ("inceptionYear", "m:inceptionYear", lambda h: h["inceptionYear"]),
    *[(f"scm {f}", f"m:scm/m:{f}", lambda h, f=f: h["scm"][f]) for f in ("url", "connection", "developerConnection", "tag")],
    *[(f"issueManagement {f}", f"m:issueManagement/m:{f}", lambda h, f=f: h["issueManagement"][f]) for f in ("system", "url")],
]


def home_problems(module, home):
    """What the home lacks for Maven Central or for an app (independent of any published POM)."""
    problems, where = [], f"android-demo/gradle/pom.properties ({module})"
    _, wanted, unwanted = EXPECTED[module]
    for label, value in [("name", home["name"]), ("description", home["description"]), ("url", home["url"]),
                         ("scm url", home["scm"]["url"]), ("scm connection", home["scm"]["connection"])]:
        if not value:
            problems.append(f"{where}: no {label}")
    if not any(x["name"] and x["url"] for x in home["licenses"]):
        problems.append(f"{where}: no license with a name and a url")
    if not any(d["name"] for d in home["developers"]):
        problems.append(f"{where}: no developer")
    deps = {f"{g}:{a}": (kind or "jar", scope) for g, a, _, kind, scope in home["dependencies"]}
    for ga, kind in wanted.items():
        if ga not in deps:
            problems.append(f"{where}: no dependency on {ga}")
        elif kind is not None and deps[ga][0] != kind:
            problems.append(f"{where}: {ga} as {deps[ga][0]}, want {kind}")
    for ga in unwanted:
        if ga in deps:
            problems.append(f"{where}: depends on {ga}, which is the app's choice")
    return problems


def pom_problems(pom, home, where):
    """Every difference between a published POM and its home."""
    problems = []
    for field in ("groupId", "artifactId", "version"):
        if text(pom, f"m:{field}") != home[field]:
            problems.append(f"{where}: <{field}> is {text(pom, f'm:{field}')!r}, want {home[field]!r}")
    for label, path, want in FIELDS:
        if text(pom, path) != want(home):
            problems.append(f"{where}: {label} is {text(pom, path)!r}, the home says {want(home)!r}")
    for label, path, fields in [("licenses", "m:licenses/m:license", ("name", "url", "distribution")),
                                ("developers", "m:developers/m:developer", ("id", "name", "url"))]:
        found = [{f: text(x, f"m:{f}") for f in fields} for x in pom.findall(path, NS)]
        if found != home[label]:
            problems.append(f"{where}: {label} are {found}, the home says {home[label]}")
    deps = dependencies(pom)
    listed = {f"{g}:{a}": (v, kind, scope) for g, a, v, kind, scope in home["dependencies"]}
    for ga in sorted(set(deps) - set(listed)):
        problems.append(f"{where}: depends on {ga}, which pom.properties does not list (a module declares it: list it there, or drop it)")
    for ga, (v, kind, scope) in listed.items():
        dep = deps.get(ga)
        if dep is None:
            problems.append(f"{where}: no dependency on {ga}, which pom.properties lists")
            continue
        if dep["version"] != v:
            problems.append(f"{where}: {ga}:{dep['version']}, the home says {v}")
        if dep["scope"] != scope:
            problems.append(f"{where}: {ga} in scope {dep['scope']}, the home says {scope}")
        if kind is not None and dep["type"] != kind:
            problems.append(f"{where}: {ga} as <type>{dep['type']}</type>, the home says {kind}")
    return problems


def check(repo, version, host=False, modules=MODULES):
    problems = []
    for module in modules:
        try:
            home = metadata(module)
        except PomHomeError as e:
            problems.append(str(e))
            continue
        problems += home_problems(module, home)
        if home["version"] != version:
            problems.append(f"pom.properties reads version {home['version']}, the product is {version}")
        packaging = "jar" if host else EXPECTED[module][0]
        artifact = home["artifactId"]
        base = repo / GROUP.replace(".", "/") / artifact / version
        pom_file = base / f"{artifact}-{version}.pom"
        where = f"{GROUP}:{artifact}:{version}"
        if not pom_file.is_file():
            problems.append(f"{where}: no {pom_file}")
            continue
        pom = ET.parse(pom_file).getroot()
        if (text(pom, "m:packaging") or "jar") != packaging:
            problems.append(f"{where}: <packaging> {text(pom, 'm:packaging') or 'jar'}, want {packaging}")
        problems += pom_problems(pom, home, where)
        files = [f"{artifact}-{version}.{packaging}", f"{artifact}-{version}-sources.jar"]
        if not host:
            files += [f"{artifact}-{version}-javadoc.jar", f"{artifact}-{version}.module"]
        for name in files:
            if not (base / name).is_file():
                problems.append(f"{where}: no {name}")
    return problems


def main(argv):
    host = argv[:1] == ["--host"]
    argv = argv[1:] if host else argv
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(Path(argv[0]), product_version(), host=host)
    for p in problems:
        print(f"check-pom: {p}", file=sys.stderr)
    if not problems:
        print(f"check-pom: {', '.join(metadata(m)['artifactId'] for m in MODULES)} complete and as android-demo/gradle/pom.properties says, in {argv[0]}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
