# shellcheck shell=bash
# Sourced by the scripts that run Kotlin on the JVM: installs a JDK 17 and Maven with apt-get when
# missing (as root on Debian), and refuses an older JDK. Expects `set -e`.
# shellcheck source=lib/apt.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
need_command javac openjdk-17-jdk-headless
need_command mvn maven
java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}')
if [[ -z "$java_major" || "${java_major%%.*}" -lt 17 ]]; then
    echo "need a JDK 17 or newer, found: ${java_major:-unknown}" >&2
    exit 1
fi
