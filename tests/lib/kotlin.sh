#!/usr/bin/env bash
# Compiles the generated Kotlin bindings, the idiomatic layer (android/) and
# its JUnit tests with kotlinc, and runs them on the JVM against the library
# built for this machine (JNA). Installs kotlinc (npm package
# kotlin-compiler), JNA and JUnit (Debian) once. Needs bindings/generate.sh first.
set -euo pipefail
cd "$(dirname "$0")/../.."
cache="${ONSITE_CACHE:-$HOME/.cache/onsite}"
version=2.4.20
kotlinc="$cache/kotlinc-$version/package/bin/kotlinc"
if [ ! -x "$kotlinc" ]; then
    mkdir -p "$cache/kotlinc-$version"
    (cd "$cache" && npm pack --silent "kotlin-compiler@$version" >/dev/null && tar xzf "kotlin-compiler-$version.tgz" -C "kotlinc-$version")
fi
if [ ! -f /usr/share/java/jna.jar ] || [ ! -f /usr/share/java/junit4.jar ] || [ ! -f /usr/share/java/okhttp.jar ]; then
    apt-get update -qq && apt-get install -y -qq libjna-java junit4 libokhttp-java >/dev/null
fi
klib="$(dirname "$kotlinc")/../lib"
cp="/usr/share/java/jna.jar:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar:$klib/kotlinx-coroutines-core-jvm.jar"
# OkHttp (Android's transport) and its okio, from Debian.
cp="$cp:/usr/share/java/okhttp.jar:/usr/share/java/okio.jar"
out=target/kotlin-test
rm -rf "$out" && mkdir -p "$out"
"$kotlinc" -nowarn -cp "$cp" -d "$out/classes" \
    $(find target/bindings/kotlin -name '*.kt') \
    android/src/main/kotlin/app/onsite/*.kt android/jvm/src/main/kotlin/app/onsite/jvm/*.kt \
    android/src/test/kotlin/app/onsite/*.kt 2>&1 | grep -v '^warning' || true
[ -d "$out/classes/app/onsite" ] || { echo "kotlin: compilation failed" >&2; exit 1; }
if [ "${1:-}" = bench ]; then
    # The transport benchmark (BENCHMARKS.md): compiled beside the tests.
    "$kotlinc" -nowarn -cp "$out/classes:$cp" -d "$out/bench" android/src/bench/kotlin/app/onsite/*.kt 2>&1 | grep -v '^warning' || true
    ONSITE_BIN="${ONSITE_BIN:-target/debug/onsite}" exec java -Djna.library.path=target/bindings/lib \
        -cp "$out/bench:$out/classes:$klib/kotlin-stdlib.jar:$cp" app.onsite.SyncBenchKt
fi
ONSITE_BIN="${ONSITE_BIN:-target/debug/onsite}" java -Djna.library.path=target/bindings/lib -cp "$out/classes:$klib/kotlin-stdlib.jar:$cp" \
    org.junit.runner.JUnitCore app.onsite.OnsiteTest app.onsite.QuoteTest app.onsite.SyncTest app.onsite.LeadTest app.onsite.EncryptionTest \
    app.onsite.HttpSyncTest
