#!/usr/bin/env bash
# An app that uses the published Android artifacts by coordinates only, built and tested here without
# the Android SDK (the hosted workflow does the same with Gradle: .github/workflows/android.yml):
#   1. builds the host stand-ins of dev.dingtalkauth:dingtalk-auth-android (the library's classes and the
#      generated bindings: the AAR's classes.jar) and dev.dingtalkauth:dingtalk-auth-testing (DingTalkReplies
#      and the host library as linux-x86-64/libdingtalk_auth_ffi.so) with android-demo/maven/library.pom.xml;
#   2. puts them into a Maven file repository (target/android/repo) under the POMs Gradle writes, from
#      their one home android-demo/gradle/pom.properties (scripts/lib/gradle_pom.py), and checks those POMs
#      (scripts/check-pom.py); then that the check fails on POMs that differ from the home, and that
#      java.util.Properties (Gradle's reader of the home) and the Python reader read the same values;
#   3. compiles android-demo/consumer against them by coordinates and runs its Robolectric tests
#      (android-demo/consumer/pom.xml), with no system property naming the native library.
# Needs what scripts/test-android.sh prepares in target/android (run that first; scripts/test.sh does).
#   scripts/test-android-consumer.sh      # prints "Android consumer: N tests passed" last
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO="$ROOT/android-demo"
OUT="$ROOT/target/android"
LIB="${CARGO_TARGET_DIR:-$ROOT/target}/debug/libdingtalk_auth_ffi.so"
log() { echo "test-android-consumer: $*" >&2; }
die() { log "error: $*"; exit 1; }

for need in "$OUT/aar-classes/androidx.core.core.jar" "$OUT/robolectric-deps" "$OUT/ddopenauth-standin/ddopenauth-standin.jar" \
    "$ROOT/build/bindings/kotlin/dev/dingtalkauth/dingtalk_auth_ffi.kt" "$LIB"; do
    [[ -e "$need" ]] || die "no $need: run scripts/test-android.sh first"
done
# shellcheck source=scripts/ensure-jdk-maven.sh
. "$ROOT/scripts/ensure-jdk-maven.sh"
mvn_q() { mvn -B -ntp -q "$@"; }

log "host stand-ins of the published jars"
rm -rf "$OUT/publish" "$OUT/repo"
mvn_q -f "$DEMO/maven/library.pom.xml" package >&2
mvn_q -f "$DEMO/maven/library.pom.xml" -Ptesting -Ddingtalk.lib.dir="$(dirname "$LIB")" package >&2
listing=$(unzip -l "$OUT/publish/dingtalk-auth-testing/dingtalk-auth-testing.jar")
[[ "$listing" == *linux-x86-64/libdingtalk_auth_ffi.so* ]] || die "the testing jar does not carry linux-x86-64/libdingtalk_auth_ffi.so"

python3 "$ROOT/scripts/lib/gradle_pom.py" "$OUT/repo" dingtalk-auth "$OUT/publish/dingtalk-auth-android/dingtalk-auth-android.jar" \
    "$DEMO/dingtalk-auth/src/main/kotlin" "$ROOT/build/bindings/kotlin" >&2
python3 "$ROOT/scripts/lib/gradle_pom.py" "$OUT/repo" dingtalk-auth-testing "$OUT/publish/dingtalk-auth-testing/dingtalk-auth-testing.jar" \
    "$DEMO/dingtalk-auth-testing/src/main/kotlin" >&2
python3 "$ROOT/scripts/check-pom.py" --host "$OUT/repo"

# Gradle's publishing.gradle.kts and scripts/lib/pom_metadata.py read the home: the same values.
diff <(java "$ROOT/scripts/lib/PropertiesDump.java" "$DEMO/gradle/pom.properties") \
    <(python3 "$ROOT/scripts/lib/pom_metadata.py" --properties) >&2 \
    || die "java.util.Properties and scripts/lib/pom_metadata.py read android-demo/gradle/pom.properties differently"
# What Gradle could write differently from the home, each of which check-pom.py must refuse: a field
# set in a build script, a dependency a module declares but the home does not list, a dropped license,
# a dropped <issueManagement>, another scope.
refused=0
while IFS='|' read -r edit message; do
    rm -rf "$OUT/repo-edited" && cp -r "$OUT/repo" "$OUT/repo-edited"
    sed -i -E "$edit" "$OUT/repo-edited"/dev/dingtalkauth/dingtalk-auth-android/*/dingtalk-auth-android-*.pom
    if said=$(python3 "$ROOT/scripts/check-pom.py" --host "$OUT/repo-edited" 2>&1); then
        die "check-pom.py accepted a POM edited with sed '$edit'"
    fi
    [[ "$said" == *"$message"* ]] || die "check-pom.py on a POM edited with sed '$edit' did not say '$message': $said"
    refused=$((refused + 1))
done <<'EDITS'
s#<description>[^<]*</description>#<description>Login with DingTalk.</description>#|description is 'Login with DingTalk.'
s#</dependencies>#<dependency><groupId>com.alibaba.android</groupId><artifactId>ddsharesdk</artifactId><version>1.2.0</version></dependency></dependencies>#|depends on com.alibaba.android:ddsharesdk, which pom.properties does not list
/Apache License/d|licenses are
/<issueManagement>/d|issueManagement system is ''
s#(<artifactId>core</artifactId><version>[^<]*</version><scope>)runtime#\1compile#|androidx.core:core in scope compile
EDITS
rm -rf "$OUT/repo-edited"
log "check-pom.py refused $refused POMs that differ from android-demo/gradle/pom.properties"

# Maven keeps what it resolved from a repository in ~/.m2: drop earlier copies of these two so the
# consumer gets the jars just built.
rm -rf "${HOME}/.m2/repository/dev/dingtalkauth/dingtalk-auth-android" "${HOME}/.m2/repository/dev/dingtalkauth/dingtalk-auth-testing"

log "mvn test of android-demo/consumer (by coordinates)"
MVN_LOG="$OUT/consumer-mvn.log"
rm -rf "$OUT/consumer"
if ! mvn -B -ntp -f "$DEMO/consumer/pom.xml" test >"$MVN_LOG" 2>&1; then
    grep -E '^\[ERROR\]|Tests run:|FAIL' "$MVN_LOG" | head -40 >&2
    die "consumer build or tests failed; full log: $MVN_LOG"
fi
counts=$(python3 "$ROOT/scripts/lib/test_reports.py" junit "$OUT/consumer/surefire-reports" | head -1) \
    || die "no Surefire report; full log: $MVN_LOG"
read -r run failures skipped <<<"$counts"
[[ "$failures" == 0 && "$skipped" == 0 && "$run" -gt 0 ]] || die "unexpected counts (passed failed skipped): $counts"
echo "Android consumer: $run tests passed (by coordinates from $OUT/repo)"
