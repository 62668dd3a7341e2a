# shellcheck shell=bash
# Sourced by the scripts that run Kotlin on the JVM: installs a JDK 17 and Maven with apt-get when
# missing (as root on Debian), and refuses an older JDK. Expects `set -e`.
need_apt=()
command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
if ((${#need_apt[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        printf '==> installing %s\n' "${need_apt[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    else
        echo "missing tools: please install ${need_apt[*]} (Maven and a JDK 17 or newer)" >&2
        exit 1
    fi
fi
java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}')
if [[ -z "$java_major" || "${java_major%%.*}" -lt 17 ]]; then
    echo "need a JDK 17 or newer, found: ${java_major:-unknown}" >&2
    exit 1
fi
