#!/usr/bin/env bash
# Compiles android-demo/ (the dingtalk-auth library module and the demo app) and runs its shared
# integration tests under Robolectric on the JVM, against the host-built Rust library, the reference
# backend and the fake DingTalk on loopback. No Android SDK, NDK or Gradle is needed (or used):
#
#   scripts/test-android.sh          # prints "Android: N tests passed" last
#
# What it does:
#   0. unless DINGTALK_DEMO_BACKEND is set, re-executes itself under scripts/with-demo-servers.sh
#      (backend + fake DingTalk on OS-chosen loopback ports, always stopped afterwards);
#   1. installs Maven + JDK 17 (scripts/ensure-jdk-maven.sh) and Debian's aapt2 (package `aapt`) if missing,
#      and checks that the Maven builds' versions are those of android-demo/gradle/libs.versions.toml
#      (scripts/jvm-versions.py);
#   2. builds the debug library and Kotlin bindings if stale (scripts/bindgen.sh debug), and compiles the
#      bindings into their own jar only when the generated file changed (android-demo/maven/bindings.pom.xml);
#   3. fetches, once, the androidx AARs (and unzips each classes.jar), android-all(-instrumented) for
#      Robolectric's offline use, and AGP's manifest merger (android-demo/maven/deps.pom.xml);
#   3b. compiles ddopenauth's Java stand-in (android-demo/ddopenauth-standin) with javac;
#   4. merges the library's manifest into the app's with AGP's merger, links it with aapt2 into a
#      resource APK and writes com/android/tools/test_config.properties, so Robolectric reads the real
#      merged manifest (activity names, exported flags, intent filters);
#   5. extracts every ```kotlin android block of README.md into target/android/readme-samples;
#   6. runs `mvn test` (android-demo/maven/pom.xml) and reads the count from the Surefire XML reports
#      (target/android/host/surefire-reports);
#   7. builds the Kotlin API docs with Dokka (target/android/api-docs/kotlin) and checks that every public
#      type of the layer, and the main types of the bindings, has a page (scripts/check-api-docs.py).
# Then checks the compiled layer calls ddopenauth as the real Java SDK can answer (static newBuilder(),
# no Kotlin Companion: scripts/check-ddopenauth-calls.sh), and checks what cannot run here: the Rust library type-checks for the four Android targets
# (scripts/check-android-rust.sh, nightly -Zbuild-std, no NDK) and .github/workflows/android.yml passes
# actionlint (scripts/lint-android-ci.sh).
# Exits non-zero on any failure; never skips.
#
# Environment: ANDROID_TEST_VERBOSE=1 prints the whole Maven log; MVN_ARGS adds Maven arguments
# (e.g. -Dtest=HostileIntentTest).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO="$ROOT/android-demo"
OUT="$ROOT/target/android"
BINDINGS="$ROOT/build/bindings/kotlin/dev/dingtalkauth/dingtalk_auth_ffi.kt"
LIB="${CARGO_TARGET_DIR:-$ROOT/target}/debug/libdingtalk_auth_ffi.so"
PARENT_POM="$DEMO/gradle/versions.pom.xml"

log() { printf '==> %s\n' "$*" >&2; }
die() { echo "test-android.sh: $*" >&2; exit 1; }

# --- 0. servers -------------------------------------------------------------------------------------
if [[ -z "${DINGTALK_DEMO_BACKEND:-}" ]]; then
    log "starting the demo servers (scripts/with-demo-servers.sh)"
    exec "$ROOT/scripts/with-demo-servers.sh" "$ROOT/scripts/test-android.sh" "$@"
fi
start_s=$(date +%s)

# --- 1. tools -----------------------------------------------------------------------------------------
# shellcheck source=scripts/ensure-jdk-maven.sh
source "$ROOT/scripts/ensure-jdk-maven.sh"
need_command aapt2 aapt
# openssl computes the expected signing-certificate digest of SetupCheck's test independently.
need_command openssl openssl
mvn_q() { mvn -B -ntp -q "$@"; }
# Every version comes from android-demo/gradle/libs.versions.toml (through the Maven builds' parent POM).
"$ROOT/scripts/jvm-versions.py" || die "the Maven builds' versions differ from android-demo/gradle/libs.versions.toml"
version() { "$ROOT/scripts/jvm-versions.py" --get "$1"; }
ANDROID_ALL=$(version android.all.version)
MIN_SDK=$(version minSdk.version)
# What Robolectric runs (the Gradle build targets a newer API): its own configuration file says.
TARGET_SDK=$(sed -n 's/^sdk=//p' "$DEMO/app/src/test/resources/robolectric.properties")
[[ -n "$TARGET_SDK" ]] || die "no sdk= in app/src/test/resources/robolectric.properties"

# --- 2. library, bindings, bindings jar -------------------------------------------------------------
# shellcheck source=lib/kotlin-bindings.sh source-path=SCRIPTDIR
. "$ROOT/scripts/lib/kotlin-bindings.sh"
ensure_kotlin_bindings "$ROOT" "$BINDINGS" "$LIB"
[[ -f "$BINDINGS" && -f "$LIB" ]] || die "no bindings at $BINDINGS or no library at $LIB"
mkdir -p "$OUT"
bindings_sum=$(sha256sum "$BINDINGS" "$DEMO/maven/bindings.pom.xml" "$PARENT_POM" | sha256sum | cut -c1-64)
if [[ ! -f "$OUT/bindings/dingtalk-auth-bindings.jar" || "$(cat "$OUT/bindings/.sum" 2>/dev/null)" != "$bindings_sum" ]]; then
    log "compiling the generated bindings into their own jar"
    rm -rf "$OUT/bindings"
    mvn_q -f "$DEMO/maven/bindings.pom.xml" package >&2
    echo "$bindings_sum" >"$OUT/bindings/.sum"
fi

# --- 3. AARs, Robolectric's framework jars, manifest merger --------------------------------------------
fetch() { # fetch PROFILE DIR [extra args]: dependency:copy-dependencies of deps.pom.xml's profile, once
    local profile=$1 dir=$2; shift 2
    local sum
    sum=$(sha256sum "$DEMO/maven/deps.pom.xml" "$PARENT_POM" | sha256sum | cut -c1-64)
    [[ -f "$dir/.sum" && "$(cat "$dir/.sum")" == "$sum" ]] && return 0
    log "fetching $profile (Maven Central)"
    rm -rf "$dir"
    mvn_q -f "$DEMO/maven/deps.pom.xml" -P "$profile" dependency:copy-dependencies -DoutputDirectory="$dir" "$@" >&2
    echo "$sum" >"$dir/.sum"
}
fetch aars "$OUT/aars" -Dmdep.prependGroupId=true -Dmdep.stripVersion=true
fetch robolectric-runtime "$OUT/robolectric-deps"
fetch merger "$OUT/merger"
rm -rf "$OUT/aar-classes" && mkdir -p "$OUT/aar-classes"
for aar in "$OUT"/aars/*.aar; do
    unzip -p "$aar" classes.jar >"$OUT/aar-classes/$(basename "$aar" .aar).jar"
done

# --- 3b. ddopenauth's Java stand-in (javac: it is Java, like DingTalk's real SDK) ------------------------
STANDIN="$OUT/ddopenauth-standin"
rm -rf "$STANDIN" && mkdir -p "$STANDIN/classes"
mapfile -t standin_sources < <(find "$DEMO/ddopenauth-standin/src/main/java" -name '*.java')
javac -nowarn --release 17 -cp "$OUT/robolectric-deps/android-all-$ANDROID_ALL.jar" -d "$STANDIN/classes" "${standin_sources[@]}" \
    || die "could not compile the ddopenauth stand-in"
jar cf "$STANDIN/ddopenauth-standin.jar" -C "$STANDIN/classes" .

# --- 4. merged manifest, resource APK, test_config.properties ------------------------------------------
M="$OUT/manifest"
rm -rf "$M" && mkdir -p "$M"
# What AGP does before merging a library: inject its namespace and minSdk.
sed -e 's#<manifest xmlns:android="http://schemas.android.com/apk/res/android">#<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="dev.dingtalkauth.android">\n    <uses-sdk android:minSdkVersion="'"$MIN_SDK"'" />#' \
    "$DEMO/dingtalk-auth/src/main/AndroidManifest.xml" >"$M/library.xml"
grep -q 'package="dev.dingtalkauth.android"' "$M/library.xml" || die "could not prepare the library manifest"
java -cp "$OUT/merger/*" com.android.manifmerger.Merger \
    --main "$DEMO/app/src/main/AndroidManifest.xml" --libs "$M/library.xml" \
    --property PACKAGE=dev.dingtalkauth.demo --property MIN_SDK_VERSION="$MIN_SDK" \
    --property TARGET_SDK_VERSION="$TARGET_SDK" --out "$M/AndroidManifest.xml" >"$M/merger.log" 2>&1 \
    || { cat "$M/merger.log" >&2; die "manifest merge failed"; }
# Debian's aapt2 (Android 10) predates <queries>: keep it as a warning, the element is linked as is.
aapt2 link --warn-manifest-validation --manifest "$M/AndroidManifest.xml" \
    -I "$OUT/robolectric-deps/android-all-$ANDROID_ALL.jar" -o "$M/app.ap_" >"$M/aapt2.log" 2>&1 \
    || { cat "$M/aapt2.log" >&2; die "aapt2 link failed"; }
mkdir -p "$OUT/test-config/com/android/tools"
cat >"$OUT/test-config/com/android/tools/test_config.properties" <<EOF
android_merged_manifest=$M/AndroidManifest.xml
android_resource_apk=$M/app.ap_
android_custom_package=dev.dingtalkauth.demo
EOF

# --- 5. README samples (```kotlin android blocks) -------------------------------------------------------
SAMPLES="$OUT/readme-samples"
rm -rf "$SAMPLES" && mkdir -p "$SAMPLES/readme/android"
# Each block fenced exactly ```kotlin android becomes readme/android/SampleNN.kt with `package
# readme.android.sampleNN` prepended and its import lines moved to the top: complete top-level
# declarations using the AAR's API, Android and kotlinx.coroutines. (scripts/test-kotlin.sh skips them.)
n_samples=$(awk -v out="$SAMPLES/readme/android" '
    function flush(   f, i) {
        f = sprintf("%s/Sample%02d.kt", out, n)
        printf "// Generated by scripts/test-android.sh from README.md, block starting at line %d. Do not edit.\n", start > f
        printf "package readme.android.sample%02d\n\n", n > f
        for (i = 1; i <= ni; i++) print imports[i] > f
        print "" > f
        for (i = 1; i <= nb; i++) print body[i] > f
        close(f)
    }
    !inblock && /^```kotlin android[ \t]*$/ { inblock = 1; n++; start = NR; nb = 0; ni = 0; next }
    inblock && /^```[ \t]*$/ { inblock = 0; flush(); next }
    inblock { if ($0 ~ /^import[ \t]/) imports[++ni] = $0; else body[++nb] = $0 }
    END {
        if (inblock) { print "README.md: unterminated ```kotlin android block at line " start > "/dev/stderr"; exit 3 }
        print n + 0
    }' "$ROOT/README.md")
log "README.md: $n_samples kotlin android sample block(s) compiled with the tests"

# --- 6. compile and test ----------------------------------------------------------------------------------
MVN_LOG="$OUT/mvn-test.log"
rm -rf "$OUT/host/classes" "$OUT/host/test-classes" "$OUT/host/surefire-reports"
log "mvn test (library: $LIB)"
set +e
# shellcheck disable=SC2086 # MVN_ARGS holds several arguments on purpose
mvn -B -ntp -f "$DEMO/maven/pom.xml" -Ddingtalk.lib="$LIB" -Dreadme.samples.dir="$SAMPLES" \
    ${MVN_ARGS:-} test >"$MVN_LOG" 2>&1
rc=$?
set -e
if [[ "${ANDROID_TEST_VERBOSE:-0}" == 1 ]]; then
    cat "$MVN_LOG"
else
    awk '/BUILD (SUCCESS|FAILURE)/ { print; exit }
         /^\[(ERROR|WARNING)\] .*\.kt/ && !/build\/bindings/ { print; next }
         /Tests run:|<<< (FAILURE|ERROR)!/ { print; next }
         /^\[ERROR\] (Failures|Errors):|^\[ERROR\]   / { print }' "$MVN_LOG"
fi
[[ $rc -eq 0 ]] || die "Android tests FAILED (mvn exit $rc); full log: $MVN_LOG"
# The counts come from the Surefire XML reports (scripts/lib/test_reports.py reads them for
# scripts/test.sh too), not from Maven's log.
counts=$(python3 "$ROOT/scripts/lib/test_reports.py" junit "$OUT/host/surefire-reports" | head -1) \
    || die "no Surefire report in $OUT/host/surefire-reports; full log: $MVN_LOG"
read -r run failures skipped <<<"$counts"
[[ "$failures" == 0 && "$skipped" == 0 && "$run" -gt 0 ]] || die "unexpected counts (passed failed skipped): $counts"

# The launcher calls ddopenauth only as the real (Java) SDK can answer: static newBuilder(), no Companion.
"$ROOT/scripts/check-ddopenauth-calls.sh" "$OUT/host/classes" "$STANDIN/classes"

# --- 7. Kotlin API docs (Dokka HTML, as the javadoc jar of the Gradle build carries them) -------------------
log "Dokka HTML of the layer and the bindings (android-demo/maven/library.pom.xml -P dokka)"
rm -rf "$OUT/api-docs/kotlin"
mvn_q -f "$DEMO/maven/library.pom.xml" -P dokka \
    "org.jetbrains.dokka:dokka-maven-plugin:$(version dokka.version):dokka" >"$OUT/dokka.log" 2>&1 ||
    { cat "$OUT/dokka.log" >&2; die "Dokka failed"; }
python3 "$ROOT/scripts/check-api-docs.py" dokka "$OUT/api-docs/kotlin" "$DEMO/dingtalk-auth/src/main/kotlin" \
    dev.dingtalkauth.DingTalkAuth dev.dingtalkauth.AuthGrant dev.dingtalkauth.KeptGrant dev.dingtalkauth.AuthException \
    || die "the Kotlin API docs miss public types (above)"

# --- measurements ----------------------------------------------------------------------------------------------
# The Kotlin classes the AAR adds (JVM bytecode, as in the AAR's classes.jar, before the app's R8): the
# Android layer and the generated bindings.
layer_bytes=$(find "$OUT/host/classes/dev/dingtalkauth/android" -name '*.class' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
layer_count=$(find "$OUT/host/classes/dev/dingtalkauth/android" -name '*.class' | wc -l)
bindings_bytes=$(find "$OUT/bindings/classes/dev/dingtalkauth" -maxdepth 1 -name '*.class' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
bindings_count=$(find "$OUT/bindings/classes/dev/dingtalkauth" -maxdepth 1 -name '*.class' | wc -l)
rm -f "$OUT/layer.jar" && (cd "$OUT/host/classes" && jar cf "$OUT/layer.jar" dev/dingtalkauth/android)
echo "AAR Kotlin classes: Android layer $layer_bytes bytes ($layer_count classes; $(stat -c %s "$OUT/layer.jar") bytes as a jar), generated bindings $bindings_bytes bytes ($bindings_count classes; in $(stat -c %s "$OUT/bindings/dingtalk-auth-bindings.jar") bytes as a jar with the timing main), uncompressed, with debug info, before the app's R8"
# The first call into the library, each run in a fresh JVM (median of 5): loaded on the calling thread,
# and after DingTalkAuthLibrary.preload() loaded it on a background thread (android-demo/maven/startup-timing).
timing() {
    for _ in 1 2 3 4 5; do
        java -cp "$OUT/host/classes:$OUT/host/test-classes:$OUT/bindings/dingtalk-auth-bindings.jar:$(cat "$OUT/bindings/classpath.txt")" \
            -Duniffi.component.dingtalk_auth_ffi.libraryOverride="$LIB" dev.dingtalkauth.timing.StartupTimingKt "$1"
    done | sort -k2 -n | sed -n 3p
}
read -r _ cold_ms cold_ctor_ms cold_begin_ms _ _ <<<"$(timing cold)"
read -r _ warm_ms _ _ load_ms preload_call_ms <<<"$(timing preloaded)"
echo "JVM startup (median of 5 fresh JVMs): first DingTalkAuth(...) + begin() on the calling thread $cold_ms ms when it loads the library (construction $cold_ctor_ms ms, begin $cold_begin_ms ms); $warm_ms ms after DingTalkAuthLibrary.preload() (the call $preload_call_ms ms; the load, on a background thread, done $load_ms ms after it)"
suite_s=$(grep -ho 'testsuite [^>]*time="[0-9.]*"' "$OUT"/host/surefire-reports/TEST-*.xml | sed -E 's/.*time="([0-9.]+)"/\1/' | awk '{s += $1} END {printf "%.1f", s}')
echo "Robolectric suite: $suite_s s of test time"

# --- what cannot run here: the Rust library for Android targets (type-checked), the CI workflow (linted) -------
"$ROOT/scripts/check-android-rust.sh"
"$ROOT/scripts/lint-android-ci.sh"

echo "Android tests took $(( $(date +%s) - start_s )) s (Robolectric, API $TARGET_SDK; $n_samples README sample block(s) compiled)."
echo "Android: $run tests passed"
