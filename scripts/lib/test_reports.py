#!/usr/bin/env python3
"""Test counts from machine-readable reports, for scripts/test.sh and the per-layer test scripts.

    test_reports.py junit PATH...            JUnit XML: files, or directories (every *.xml in them)
    test_reports.py libtest LOG [--run-elsewhere REGEX]
                                             the summary lines of Rust's libtest (`cargo test` output)

Prints one line `PASSED FAILED SKIPPED`, then the name of every skipped test, one per line. Skipped tests
are never counted as passed. Exits 2 when there is no report to read (no file, or a file that is not a
report): a layer whose report is missing has not run, and must not count as zero failures.

JUnit XML, as written by maven-surefire-plugin (one TEST-<class>.xml per class) and by `swift test
--xunit-output`: each <testcase> is failed if it has a <failure> or <error> child, skipped if it has a
<skipped> child, passed otherwise (a Surefire rerun that passed in the end, <flakyFailure>, is a pass).
Cases are counted, not the <testsuite tests=...> attributes, so nested suites are not counted twice.
Format: https://github.com/testmoapp/junitxml, Surefire's schema
https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report.xsd

libtest prints, per test binary, `test result: ok. P passed; F failed; I ignored; M measured; ...` and,
per ignored test, `test NAME ... ignored[, REASON]`. With --run-elsewhere, ignored tests whose reason
matches REGEX (e.g. those another step of test.sh runs) are left out of the skipped list.
"""
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def usage():
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    sys.exit(64)


def fail(message):
    print(f"test_reports: {message}", file=sys.stderr)
    sys.exit(2)


def junit(paths):
    files = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(p.glob("*.xml"))
        elif p.is_file():
            files.append(p)
    if not files:
        fail(f"no JUnit XML report in {' '.join(paths)}")
    passed = failed = 0
    skipped = []
    for f in files:
        try:
            root = ET.parse(f).getroot()
        except ET.ParseError as e:
            fail(f"{f} is not a JUnit XML report: {e}")
        if root.tag not in ("testsuite", "testsuites"):
            fail(f"{f} is not a JUnit XML report (root <{root.tag}>)")
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skipped.append(f"{case.get('classname', '?')} {case.get('name', '?')}")
            else:
                passed += 1
    return passed, failed, skipped


RESULT = re.compile(r"^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored;")
IGNORED = re.compile(r"^test (.+?) \.\.\. ignored(?:, (.*))?$")


def libtest(log, run_elsewhere):
    try:
        lines = Path(log).read_text(errors="replace").splitlines()
    except OSError as e:
        fail(f"cannot read {log}: {e}")
    passed = failed = summaries = 0
    skipped = []
    for line in lines:
        m = RESULT.match(line)
        if m:
            summaries += 1
            passed += int(m.group(1))
            failed += int(m.group(2))
            continue
        m = IGNORED.match(line)
        if m and not (run_elsewhere and m.group(2) and re.search(run_elsewhere, m.group(2))):
            skipped.append(m.group(1))
    if summaries == 0:
        fail(f"no libtest summary line in {log}")
    return passed, failed, skipped


def main(argv):
    if len(argv) < 2:
        usage()
    kind, rest = argv[0], argv[1:]
    if kind == "junit":
        result = junit(rest)
    elif kind == "libtest":
        run_elsewhere = None
        if len(rest) == 3 and rest[1] == "--run-elsewhere":
            run_elsewhere = rest[2]
        elif len(rest) != 1:
            usage()
        result = libtest(rest[0], run_elsewhere)
    else:
        usage()
    passed, failed, skipped = result
    print(passed, failed, len(skipped))
    for name in skipped:
        print(name)


if __name__ == "__main__":
    main(sys.argv[1:])
