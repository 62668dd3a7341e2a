#!/usr/bin/env python3
"""Structural checks of the iOS parts that only run on macOS (called by scripts/test-ios.sh).

- every plist under ios-demo/ (the demo app and the package's test fixtures) parses (plistlib), and the demo's Info.plist has the
  entries the package's self-check requires;
- scripts/build-xcframework.sh, Package.swift and ios-demo/project.yml agree on the XCFramework's path
  and name, the generated Swift's path, the release block markers, the Rust targets and the iOS floor;
- every path project.yml and the workflow name exists.
Prints one line per check; exits 1 on the first failure.
"""
import plistlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
checks = 0


def ok(what):
    global checks
    checks += 1
    print(f"check-ios-layout: ok: {what}")


def fail(what):
    print(f"check-ios-layout: FAILED: {what}", file=sys.stderr)
    sys.exit(1)


def shell_var(script, name):
    m = re.search(rf"^{name}=(\S+)$", script, re.M)
    if not m:
        fail(f"build-xcframework.sh does not set {name}")
    return m.group(1)


# --- plists -------------------------------------------------------------------------------------------
plists = sorted((ROOT / "ios-demo").rglob("*.plist"))
if not plists:
    fail("no plist found")
for p in plists:
    try:
        with open(p, "rb") as f:
            data = plistlib.load(f)
    except Exception as e:  # noqa: BLE001 - any parse error is the finding
        fail(f"{p.relative_to(ROOT)} does not parse: {e}")
    if not isinstance(data, dict):
        fail(f"{p.relative_to(ROOT)} is not a dictionary")
ok(f"{len(plists)} plists parse")

info = plistlib.loads((ROOT / "ios-demo/App/Info.plist").read_bytes())
schemes = {s.lower() for t in info.get("CFBundleURLTypes", []) for s in t.get("CFBundleURLSchemes", [])}
for app_id in info.get("DingTalkAppIds", []):
    if app_id.lower() not in schemes:
        fail(f"demo Info.plist: no URL type for the DingTalk app id {app_id}")
queries = info.get("LSApplicationQueriesSchemes", [])
for s in ["dingtalk", "dingtalk-open", "dingtalk-sso", "dingtalk-openauth", "dingtalk-openauth2"]:
    if s not in queries:
        fail(f"demo Info.plist: LSApplicationQueriesSchemes lacks {s}")
if len(queries) > 50:
    fail("demo Info.plist: more than 50 LSApplicationQueriesSchemes")
redirect_scheme = info.get("DingTalkRedirectURI", "").split(":", 1)[0].lower()
if redirect_scheme not in schemes:
    fail(f"demo Info.plist: the redirect URI's scheme {redirect_scheme!r} is not a URL type")
if not info.get("NSAppTransportSecurity", {}).get("NSAllowsLocalNetworking"):
    fail("demo Info.plist: NSAllowsLocalNetworking is needed for the loopback demo servers")
ok("demo Info.plist has the URL types, query schemes, redirect scheme and ATS entry")

# --- build-xcframework.sh vs Package.swift -------------------------------------------------------------
script = (ROOT / "scripts/build-xcframework.sh").read_text()
package = (ROOT / "Package.swift").read_text()
name = shell_var(script, "FRAMEWORK_NAME")
out_dir = shell_var(script, "OUT_DIR")
xcframework = shell_var(script, "XCFRAMEWORK").strip('"').replace("$OUT_DIR", out_dir).replace("$FRAMEWORK_NAME", name)
generated = shell_var(script, "GENERATED_SWIFT")

m = re.search(r'let localXCFrameworkPath = "([^"]+)"', package)
if not m or m.group(1) != xcframework:
    fail(f"Package.swift localXCFrameworkPath {m and m.group(1)!r} != build-xcframework.sh {xcframework!r}")
ok(f"XCFramework path {xcframework}")
binary_names = re.findall(r'\.binaryTarget\(name: "([^"]+)"', package)
if not binary_names or set(binary_names) != {name}:
    fail(f"Package.swift binaryTarget names {binary_names} != FRAMEWORK_NAME {name}")
if f'.systemLibrary(name: "{name}"' not in package:
    fail(f"Package.swift's Linux systemLibrary is not named {name}")
uniffi = (ROOT / "bindings/uniffi.toml").read_text()
if f'ffi_module_name = "{name}"' not in uniffi:
    fail(f"bindings/uniffi.toml ffi_module_name is not {name}: the module map would not match the target")
ok(f"binary target, systemLibrary and UniFFI module are all {name}")

m = re.search(r'name: "DingTalkAuth",\s*dependencies: \["DingTalkAuthFFI"\],\s*path: "([^"]+)"', package)
if not m or not generated.startswith(m.group(1) + "/"):
    fail(f"generated Swift {generated} is not inside the DingTalkAuth target's path {m and m.group(1)}")
if not (ROOT / Path(generated).parent).is_dir():
    fail(f"{Path(generated).parent} does not exist")
ok(f"generated Swift goes into the DingTalkAuth target ({generated})")

for marker in ["// BEGIN release XCFramework", "// END release XCFramework"]:
    if marker not in package or marker.replace("/", "\\/") not in script:
        fail(f"release block marker {marker!r} missing in Package.swift or build-xcframework.sh")
if not re.search(r"^let releaseXCFramework: \(url: String, checksum: String\)\? = ", package, re.M):
    fail("Package.swift's releaseXCFramework line is not what build-xcframework.sh rewrites")
ok("release block markers match")

for target in ["aarch64-apple-ios", "aarch64-apple-ios-sim", "x86_64-apple-ios"]:
    if not re.search(rf"(^|[\s(=]){re.escape(target)}([\s)]|$)", script, re.M):
        fail(f"build-xcframework.sh does not build {target}")
if "--crate-type staticlib" not in script or "cargo rustc" not in script:
    fail("build-xcframework.sh must build with cargo rustc --crate-type staticlib")
if "lipo -create" not in script or "xcodebuild -create-xcframework" not in script:
    fail("build-xcframework.sh must lipo the simulator slices and create the XCFramework")
ok("Rust targets, staticlib build, lipo and xcodebuild -create-xcframework")

# --- the iOS floor is the same everywhere --------------------------------------------------------------
floor_script = shell_var(script, "export IPHONEOS_DEPLOYMENT_TARGET")
m = re.search(r"\.iOS\(\.v(\d+)\)", package)
project = (ROOT / "ios-demo/project.yml").read_text()
m2 = re.search(r'iOS: "([\d.]+)"', project)
if not m or not m2 or floor_script != f"{m.group(1)}.0" or m2.group(1) != floor_script:
    fail(f"iOS floors differ: script {floor_script}, Package.swift {m and m.group(1)}, project.yml {m2 and m2.group(1)}")
ok(f"iOS {floor_script} in build-xcframework.sh, Package.swift and project.yml")

# --- project.yml and workflow paths --------------------------------------------------------------------
demo = ROOT / "ios-demo"
for rel in re.findall(r"^\s*-?\s*path: (\S+)$", project, re.M) + re.findall(r"^\s+INFOPLIST_FILE: (\S+)$", project, re.M):
    if not (demo / rel).exists():
        fail(f"project.yml names {rel}, which does not exist under ios-demo/")
if not re.search(r"^\s+product: DingTalkAuth$", project, re.M) or '.library(name: "DingTalkAuth"' not in package:
    fail("project.yml must depend on the package product DingTalkAuth")
m = re.search(r'name: "DingTalkAuthDemoKit",\s*dependencies: \[[^\]]*\],\s*path: "([^"]+)"', package)
if not m or m.group(1) != "ios-demo/DemoKit":
    fail("Package.swift's DingTalkAuthDemoKit target is not ios-demo/DemoKit (compiled into the app by project.yml)")
if not list((demo / "UITests").glob("*.swift")):
    fail("no XCUITest sources in ios-demo/UITests")
ok("project.yml paths, package product and DemoKit sources")

workflow = (ROOT / ".github/workflows/ios.yml").read_text()
for script_path in re.findall(r"(scripts/[\w.-]+\.sh)", workflow):
    if not (ROOT / script_path).is_file():
        fail(f"the workflow runs {script_path}, which does not exist")
if "ios-demo/project.yml" not in workflow or "runs-on: macos" not in workflow:
    fail("the workflow must run on macOS and generate ios-demo/project.yml")
ok("workflow scripts exist; macOS runner; XcodeGen spec")

print(f"check-ios-layout: {checks} checks passed")
