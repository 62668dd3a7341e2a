#!/usr/bin/env python3
"""Writes, without Gradle, the POM Gradle's maven-publish writes for an Android module of android-demo,
and puts a host-built jar under it in a Maven file repository (scripts/test-android-consumer.sh).

    gradle_pom.py REPO MODULE JAR [SOURCE_DIR…]

MODULE is the Gradle module directory (dingtalk-auth, dingtalk-auth-testing). Every field, dependencies
included, comes from android-demo/gradle/pom.properties (scripts/lib/pom_metadata.py), the file Gradle's
publishing.gradle.kts reads too; the hosted workflow checks Gradle's own POM against it with
scripts/check-pom.py. The jar is a host build (plain classes, no Android resources): the packaging
stays `jar`.
"""
import hashlib
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pom_metadata import GROUP, metadata  # noqa: E402


def pom(module):
    m = metadata(module)
    e = escape
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">',
        "  <modelVersion>4.0.0</modelVersion>",
        f"  <groupId>{e(m['groupId'])}</groupId>",
        f"  <artifactId>{e(m['artifactId'])}</artifactId>",
        f"  <version>{e(m['version'])}</version>",
        "  <packaging>jar</packaging>",
        f"  <name>{e(m['name'])}</name>",
        f"  <description>{e(m['description'])}</description>",
        f"  <url>{e(m['url'])}</url>",
        f"  <inceptionYear>{e(m['inceptionYear'])}</inceptionYear>",
        "  <licenses>",
        *[f"    <license><name>{e(x['name'])}</name><url>{e(x['url'])}</url><distribution>{e(x['distribution'])}</distribution></license>"
          for x in m["licenses"]],
        "  </licenses>",
        "  <developers>",
        *[f"    <developer><id>{e(d['id'])}</id><name>{e(d['name'])}</name><url>{e(d['url'])}</url></developer>" for d in m["developers"]],
        "  </developers>",
        f"  <scm><connection>{e(m['scm']['connection'])}</connection><developerConnection>{e(m['scm']['developerConnection'])}"
        f"</developerConnection><url>{e(m['scm']['url'])}</url><tag>{e(m['scm']['tag'])}</tag></scm>",
        f"  <issueManagement><system>{e(m['issueManagement']['system'])}</system><url>{e(m['issueManagement']['url'])}</url></issueManagement>",
        "  <dependencies>",
    ]
    for group, artifact, v, kind, scope in m["dependencies"]:
        t = f"<type>{kind}</type>" if kind and kind != "jar" else ""
        lines.append(f"    <dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{v}</version>{t}<scope>{scope}</scope></dependency>")
    lines += ["  </dependencies>", "</project>", ""]
    return m["artifactId"], m["version"], "\n".join(lines)


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
