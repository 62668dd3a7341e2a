#!/usr/bin/env python3
"""Checks the published Android artifacts in a Maven repository directory before anyone consumes them.

    scripts/check-pom.py android-demo/build/repo          # what Gradle published (hosted workflow)
    scripts/check-pom.py --host target/android/repo       # the host stand-ins (scripts/test-android-consumer.sh)

For dev.dingtalkauth:dingtalk-auth-android and dev.dingtalkauth:dingtalk-auth-testing at the product
version (scripts/version.py): every POM field Maven Central requires (name, description, url, a license
with name and url, a developer, scm url and connection; Sonatype's "Requirements" page lists them), the
dependencies an app needs at run time (JNA as an AAR for the library: the plain jar has no Android
natives; the desktop JNA jar and the library itself for the testing artifact), none an app must not get
(the DingTalk SDKs are the app's choice), and the files beside the POM (the archive, -sources.jar,
-javadoc.jar, Gradle's .module). With --host: the jars scripts/test-android-consumer.sh builds without the
Android SDK (packaging jar; the jar and its sources, no javadoc jar or .module). Exit 1 and a line per problem.
"""
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NS = {"m": "http://maven.apache.org/POM/4.0.0"}
GROUP = "dev.dingtalkauth"


def catalog_version(key):
    with (ROOT / "android-demo/gradle/libs.versions.toml").open("rb") as f:
        return tomllib.load(f)["versions"][key]


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


# artifact id → (packaging, dependencies it must have {ga: type}, dependencies it must not have)
EXPECTED = {
    "dingtalk-auth-android": ("aar", {"net.java.dev.jna:jna": "aar", "org.jetbrains.kotlinx:kotlinx-coroutines-android": "jar"},
                              ["com.alibaba.android:ddsharesdk", "com.alibaba.android:ddopenauth"]),
    # Gradle writes a project dependency without <type> (its .module file, which Gradle reads first,
    # names the AAR variant), so the library's type is not checked here.
    "dingtalk-auth-testing": ("aar", {f"{GROUP}:dingtalk-auth-android": None, "net.java.dev.jna:jna": "jar"},
                              ["com.alibaba.android:ddsharesdk", "com.alibaba.android:ddopenauth"]),
}


def check(repo, version, expected=EXPECTED, host=False):
    problems = []
    jna = catalog_version("jna")
    for artifact, (packaging, wanted, unwanted) in expected.items():
        if host:
            packaging = "jar"
        base = repo / GROUP.replace(".", "/") / artifact / version
        pom_file = base / f"{artifact}-{version}.pom"
        where = f"{GROUP}:{artifact}:{version}"
        if not pom_file.is_file():
            problems.append(f"{where}: no {pom_file}")
            continue
        pom = ET.parse(pom_file).getroot()
        for field, path in [("groupId", "m:groupId"), ("artifactId", "m:artifactId"), ("version", "m:version")]:
            want = {"groupId": GROUP, "artifactId": artifact, "version": version}[field]
            if text(pom, path) != want:
                problems.append(f"{where}: <{field}> is {text(pom, path)!r}, want {want!r}")
        if (text(pom, "m:packaging") or "jar") != packaging:
            problems.append(f"{where}: <packaging> {text(pom, 'm:packaging') or 'jar'}, want {packaging}")
        for label, path in [("name", "m:name"), ("description", "m:description"), ("url", "m:url"),
                            ("license name", "m:licenses/m:license/m:name"), ("license url", "m:licenses/m:license/m:url"),
                            ("developer", "m:developers/m:developer/m:name"),
                            ("scm url", "m:scm/m:url"), ("scm connection", "m:scm/m:connection")]:
            if not text(pom, path):
                problems.append(f"{where}: no {label} (<{path.replace('m:', '')}>)")
        deps = dependencies(pom)
        for ga, kind in wanted.items():
            dep = deps.get(ga)
            if dep is None:
                problems.append(f"{where}: no dependency on {ga}")
                continue
            if kind is not None and dep["type"] != kind:
                problems.append(f"{where}: {ga} as <type>{dep['type']}</type>, want {kind}")
            if dep["scope"] not in ("compile", "runtime"):
                problems.append(f"{where}: {ga} in scope {dep['scope']}: an app would not get it")
            want_version = {"net.java.dev.jna:jna": jna, f"{GROUP}:dingtalk-auth-android": version}.get(ga)
            if want_version and dep["version"] != want_version:
                problems.append(f"{where}: {ga}:{dep['version']}, want {want_version}")
        for ga in unwanted:
            if ga in deps:
                problems.append(f"{where}: depends on {ga}, which is the app's choice")
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
        print(f"check-pom: {', '.join(EXPECTED)} complete in {argv[0]}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
