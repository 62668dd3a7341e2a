#!/usr/bin/env bash
# Checks that the compiled Android layer calls DingTalk's new SDK (ddopenauth) the way the real SDK, a
# Java library, can answer: `AuthLoginParam.AuthLoginParamBuilder.newBuilder()` and
# `DDAuthApiFactory.createDDAuthApi(...)` as static methods, the builder's setters, `authLogin()`; and
# never a Kotlin `Companion` or `INSTANCE` field, which the real SDK does not have (a launcher compiled
# against a Kotlin-shaped stand-in calls `AuthLoginParamBuilder.Companion.newBuilder()` and dies with
# `NoSuchFieldError: Companion` on the first login with the real AAR). Also checks that the stand-in
# it was compiled against carries no Kotlin metadata (it is Java, like the real SDK).
#
#   scripts/check-ddopenauth-calls.sh LAYER_CLASSES_DIR [STANDIN_CLASSES_DIR]
#
# Run by scripts/test-android.sh on target/android/host/classes.
set -euo pipefail
layer=${1:?usage: check-ddopenauth-calls.sh LAYER_CLASSES_DIR [STANDIN_CLASSES_DIR]}
standin=${2:-}
die() { echo "check-ddopenauth-calls.sh: $*" >&2; exit 1; }

pkg='com/android/dingtalk/openauth'
builder="$pkg/AuthLoginParam\$AuthLoginParamBuilder"
mapfile -t classes < <(find "$layer/dev/dingtalkauth/android" -name '*.class' | sort)
[[ ${#classes[@]} -gt 0 ]] || die "no classes under $layer/dev/dingtalkauth/android"
# Every instruction of the layer that names a ddopenauth member, as "opcode owner.name:descriptor".
refs=$(javap -c -p "${classes[@]}" | grep -F "$pkg/" | grep -E '^\s+[0-9]+: (invoke|getstatic|putstatic|getfield|putfield|new|checkcast|instanceof)' \
    | sed -E 's/^\s+[0-9]+: ([a-z]+)\s+#[0-9]+(,\s+[0-9]+)?\s+\/\/ (Method|InterfaceMethod|Field|class) /\1 /' | sort -u)
[[ -n "$refs" ]] || die "the layer makes no call into ddopenauth: is the new-SDK launcher gone?"
bad=0
while read -r op member; do
    case "$op $member" in
        "invokestatic $builder.newBuilder:()L$builder;") ;;
        "invokevirtual $builder.build:()L$pkg/AuthLoginParam;") ;;
        "invokestatic $pkg/DDAuthApiFactory.createDDAuthApi:(Landroid/content/Context;L$pkg/AuthLoginParam;)L$pkg/IDDAuthApi;") ;;
        "invokeinterface $pkg/IDDAuthApi.authLogin:()V") ;;
        *)
            # The builder's setters: name(String) returning the builder.
            setter=${member#"$builder."}
            setter=${setter%%:*}
            if [[ $op == invokevirtual && $member == "$builder.$setter:(Ljava/lang/String;)L$builder;" &&
                " appId redirectUri responseType scope prompt state nonce altSignature " == *" $setter "* ]]; then
                continue
            fi
            echo "not a member of the real (Java) ddopenauth: $op $member" >&2; bad=1 ;;
    esac
done <<<"$refs"
grep -q "^invokestatic $builder.newBuilder" <<<"$refs" || { echo "newBuilder() is not called as a static method" >&2; bad=1; }
if [[ -n "$standin" ]]; then
    mapfile -t standin_classes < <(find "$standin" -name '*.class')
    [[ ${#standin_classes[@]} -gt 0 ]] || die "no classes under $standin"
    if javap -v -p "${standin_classes[@]}" | grep -q 'kotlin/Metadata'; then
        echo "the ddopenauth stand-in in $standin was compiled from Kotlin: the real SDK is Java" >&2; bad=1
    fi
fi
[[ $bad -eq 0 ]] || die "the Android layer's calls into ddopenauth would fail against DingTalk's real SDK"
echo "ddopenauth calls: $(wc -l <<<"$refs") distinct members, all static/instance as in the real SDK"
