#!/usr/bin/env python3
"""One version for the whole product, in one place: `[workspace.package] version` of Cargo.toml.

Everything that ships carries it: the Rust crates (`version.workspace = true`), the AAR and the
testing artifact (android-demo/build.gradle.kts reads Cargo.toml), the Swift package (a release is the
git tag `v<version>`, whose XCFramework URL the release workflow derives from the tag). The repository
the package and its releases live at is `[workspace.package] repository`, also read from there.

    scripts/version.py              # check: exit 1 and say what drifted (scripts/test.sh runs this)
    scripts/version.py --set 0.2.0  # the new version everywhere it is written down (Cargo.toml + copies)
    scripts/version.py --get KEY    # version | tag | repository | slug, for scripts and workflows
    scripts/version.py --tag v0.2.0 # release check: the tag is v<version> and CHANGELOG has its section
    scripts/version.py --notes 0.2.0  # that version's CHANGELOG section (the GitHub release's text)

The copies --set rewrites are those a build tool cannot read from Cargo.toml: the parent version of the
Maven host builds (a POM cannot compute its parent's version) and the sample lines of README.md.
"""
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CARGO = ROOT / "Cargo.toml"
CHANGELOG = ROOT / "CHANGELOG.md"
README = ROOT / "README.md"
# The Maven builds that inherit android-demo/gradle/versions.pom.xml (dingtalk-auth-jvm-versions).
POMS = [
    "android-demo/gradle/versions.pom.xml",
    "android-demo/maven/pom.xml",
    "android-demo/maven/bindings.pom.xml",
    "android-demo/maven/deps.pom.xml",
    "android-demo/maven/library.pom.xml",
    "android-demo/consumer/pom.xml",
    "bindings/tests/kotlin/pom.xml",
    "bindings/demo-jvm/pom.xml",
]
SEMVER = r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?"
# Other files that must name the current version (group 1) or the repository (group "repo"), and a
# pattern that finds it: defaults of the consumer projects, which build outside the repository's tools.
COPIES = [
    ("examples/ios-consumer/Package.swift", r'environment\["DINGTALK_AUTH_VERSION"\] \?\? "([^"]*)"'),
    ("examples/ios-consumer/Package.swift", r'environment\["DINGTALK_AUTH_URL"\] \?\? "(?P<repo>[^"]*)"'),
]
# The Android artifacts (android-demo/build.gradle.kts sets the group; the modules are the artifact ids).
ANDROID_GROUP = "dev.dingtalkauth"
ANDROID_ARTIFACTS = ("dingtalk-auth-android", "dingtalk-auth-testing")


def workspace():
    with CARGO.open("rb") as f:
        pkg = tomllib.load(f)["workspace"]["package"]
    return pkg["version"], pkg["repository"].rstrip("/")


def members():
    with CARGO.open("rb") as f:
        return tomllib.load(f)["workspace"]["members"]


def slug(repository):
    m = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", repository)
    if not m:
        sys.exit(f"Cargo.toml: repository {repository!r} is not https://github.com/OWNER/NAME")
    return m.group(1)


def pom_parent_version(text):
    """The version of dingtalk-auth-jvm-versions: the project's own in versions.pom.xml, the parent's elsewhere."""
    m = re.search(r"<artifactId>dingtalk-auth-jvm-versions</artifactId>\s*<version>([^<]*)</version>", text)
    return m


def changelog_sections(text):
    return [(m.group(1), m.group(2), m.start()) for m in
            re.finditer(r"^## \[([^\]]+)\](?: - (\S+))?[ \t]*$", text, re.M)]


def key(v):
    return tuple(int(x) for x in re.match(r"(\d+)\.(\d+)\.(\d+)", v).groups())


def check(version, repository):
    problems = []
    if not re.fullmatch(SEMVER, version):
        problems.append(f"Cargo.toml: version {version!r} is not SemVer (MAJOR.MINOR.PATCH)")
    own = slug(repository)
    for member in members():
        with (ROOT / member / "Cargo.toml").open("rb") as f:
            pkg = tomllib.load(f)["package"]
        if pkg.get("version") != {"workspace": True}:
            problems.append(f"{member}/Cargo.toml: version must be `version.workspace = true`")
        if pkg.get("repository") not in (None, {"workspace": True}):
            problems.append(f"{member}/Cargo.toml: repository must be `repository.workspace = true`")
    for pom in POMS:
        m = pom_parent_version((ROOT / pom).read_text())
        if not m:
            problems.append(f"{pom}: no dingtalk-auth-jvm-versions version")
        elif m.group(1) != version:
            problems.append(f"{pom}: dingtalk-auth-jvm-versions {m.group(1)}, the product is {version} "
                            "(scripts/version.py --set)")
    for path, pattern in COPIES:
        m = re.search(pattern, (ROOT / path).read_text())
        want = repository if "repo" in re.compile(pattern).groupindex else version
        if not m:
            problems.append(f"{path}: nothing matches {pattern}")
        elif m.group(1) != want:
            problems.append(f"{path}: {m.group(1)}, want {want}")
    for n, line in enumerate(README.read_text().splitlines(), 1):
        where = f"README.md:{n}"
        if "<owner>" in line:
            problems.append(f"{where}: placeholder <owner>; the repository is {own}")
        for found in re.findall(r"github\.com/([\w.-]+/dingtalk-auth)\b", line):
            if found != own:
                problems.append(f"{where}: github.com/{found}, the repository is {own}")
        for found in re.findall(r'\.package\(url: "[^"]*dingtalk-auth[^"]*", from: "([^"]*)"\)', line):
            if found != version:
                problems.append(f"{where}: SwiftPM from: \"{found}\", the product is {version}")
        for artifact, found in re.findall(rf'{re.escape(ANDROID_GROUP)}:([\w-]+):({SEMVER}|[^"\s)]*)', line):
            if artifact in ANDROID_ARTIFACTS and found != version:
                problems.append(f"{where}: {ANDROID_GROUP}:{artifact}:{found}, the product is {version}")
        for found in re.findall(r"releases/download/([^/\s]+)/", line) + re.findall(r"git tag (\S+)", line):
            if found not in (f"v{version}", "v$VERSION", '"v$VERSION"', "v${VERSION}"):
                problems.append(f"{where}: tag {found}; releases are tagged v{version}")
    text = CHANGELOG.read_text()
    sections = changelog_sections(text)
    if not sections or sections[0][0] != "Unreleased":
        problems.append("CHANGELOG.md: the first section must be `## [Unreleased]`")
    released = []
    for name, date, _ in sections[1:]:
        if not re.fullmatch(SEMVER, name) or not (date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date)):
            problems.append(f"CHANGELOG.md: `## [{name}]` must read `## [X.Y.Z] - YYYY-MM-DD`")
        else:
            released.append(name)
    if [key(v) for v in released] != sorted((key(v) for v in released), reverse=True) or len(set(released)) != len(released):
        problems.append("CHANGELOG.md: released sections must be newest first, each once")
    if released and key(version) < key(released[0]):
        problems.append(f"CHANGELOG.md: {released[0]} is released but Cargo.toml says {version}")
    for name in ["Unreleased"] + released:
        if not re.search(rf"^\[{re.escape(name)}\]: https://github\.com/{re.escape(own)}/", text, re.M):
            problems.append(f"CHANGELOG.md: no link reference `[{name}]: https://github.com/{own}/…`")
    return problems


def set_version(new):
    if not re.fullmatch(SEMVER, new):
        sys.exit(f"{new!r} is not SemVer")
    text = CARGO.read_text()
    text, n = re.subn(r'(\[workspace\.package\][^\[]*?^version = ")[^"]*(")', rf"\g<1>{new}\2", text, flags=re.M | re.S)
    if n != 1:
        sys.exit("Cargo.toml: no version in [workspace.package]")
    CARGO.write_text(text)
    for pom in POMS:
        path = ROOT / pom
        t = path.read_text()
        m = pom_parent_version(t)
        path.write_text(t[: m.start(1)] + new + t[m.end(1):])
    for path, pattern in COPIES:
        if "repo" not in re.compile(pattern).groupindex:
            file = ROOT / path
            text = file.read_text()
            m = re.search(pattern, text)
            file.write_text(text[: m.start(1)] + new + text[m.end(1):])
    readme = README.read_text()
    readme = re.sub(r'(\.package\(url: "[^"]*dingtalk-auth[^"]*", from: ")[^"]*(")', rf"\g<1>{new}\2", readme)
    readme = re.sub(rf"({re.escape(ANDROID_GROUP)}:(?:{'|'.join(ANDROID_ARTIFACTS)}):){SEMVER}", rf"\g<1>{new}", readme)
    readme = re.sub(rf"(releases/download/)v{SEMVER}/", rf"\g<1>v{new}/", readme)
    readme = re.sub(rf"(git tag )v{SEMVER}\b", rf"\g<1>v{new}", readme)
    README.write_text(readme)
    print(f"version {new}: Cargo.toml, {len(POMS)} POMs, README.md (run cargo update -w for Cargo.lock)")


def notes(version):
    text = CHANGELOG.read_text()
    sections = changelog_sections(text)
    for i, (name, _, start) in enumerate(sections):
        if name == version:
            end = sections[i + 1][2] if i + 1 < len(sections) else len(text)
            body = text[start:end].split("\n", 1)[1]
            # The link references at the end belong to the whole file.
            body = re.split(r"^\[[^\]]+\]: https?://", body, flags=re.M)[0]
            return body.strip() + "\n"
    sys.exit(f"CHANGELOG.md has no section [{version}]")


def main(argv):
    version, repository = workspace()
    if argv[:1] == ["--get"] and len(argv) == 2:
        values = {"version": version, "tag": f"v{version}", "repository": repository, "slug": slug(repository)}
        if argv[1] not in values:
            sys.exit(f"unknown key {argv[1]} (known: {', '.join(values)})")
        print(values[argv[1]])
        return 0
    if argv[:1] == ["--set"] and len(argv) == 2:
        set_version(argv[1])
        return 0
    if argv[:1] == ["--notes"] and len(argv) == 2:
        sys.stdout.write(notes(argv[1]))
        return 0
    if argv[:1] == ["--tag"] and len(argv) == 2:
        problems = check(version, repository)
        if argv[1] != f"v{version}":
            problems.append(f"tag {argv[1]}: Cargo.toml says {version}, so the tag must be v{version}")
        elif version not in [name for name, _, _ in changelog_sections(CHANGELOG.read_text())]:
            problems.append(f"CHANGELOG.md: no `## [{version}] - YYYY-MM-DD` section for the release")
    elif not argv:
        problems = check(version, repository)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print(f"version: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
