#!/usr/bin/env bash
# The background poll plugin (native/poller.c) under ThreadSanitizer and AddressSanitizer, driven
# without Node by __tests__/native/poller-stress.c against node-rdkafka's librdkafka (docs/reliability.md,
# "The plugin under sanitizers", has the results). Needs gcc with libtsan and libasan.
#
#   scripts/sanitize-poller.sh                      TSan + ASan, create/destroy producers with reports in flight
#   LIBRDKAFKA_FIXED=dir scripts/sanitize-poller.sh also ASan through refused creations, against a
#                                                   librdkafka >= 2.13 (or 2.12 + 477eb2ef8) built in dir
#                                                   (on 2.12 itself that path is librdkafka #4142: it crashes)
set -euo pipefail
cd "$(dirname "$0")/.."
DEPS=$(node -p "require('path').join(require.resolve('node-rdkafka/package.json'), '..', 'build', 'deps')")
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
build() { # name sanitizer
  gcc -g -O1 -fno-omit-frame-pointer -fsanitize="$2" -fPIC -shared -o "$OUT/poller-$1.so" native/poller.c \
    -I"$DEPS/include" -L"$DEPS" -l:librdkafka.so.1 -Wl,-rpath,"$DEPS" -pthread
  gcc -g -O1 -fno-omit-frame-pointer -fsanitize="$2" -o "$OUT/stress-$1" __tests__/native/poller-stress.c \
    -I"$DEPS/include" -L"$DEPS" -l:librdkafka.so.1 -Wl,-rpath,"$DEPS" -pthread
}
build tsan thread
build asan address
# librdkafka is not instrumented: its own intercepted calls (malloc, locks) are not checked.
printf 'called_from_lib:librdkafka.so.1\n' > "$OUT/tsan.supp"
quiet() { grep -v '^%' || true; } # librdkafka's log lines

echo "== ThreadSanitizer: 200 producers created and destroyed with delivery reports in flight"
TSAN_OPTIONS="suppressions=$OUT/tsan.supp halt_on_error=1 exitcode=66" "$OUT/stress-tsan" lifecycle "$OUT/poller-tsan.so" 200 2>&1 | quiet
echo "== AddressSanitizer (leaks too): 100 producers created and destroyed with delivery reports in flight"
ASAN_OPTIONS=detect_leaks=1 "$OUT/stress-asan" lifecycle "$OUT/poller-asan.so" 100 2>&1 | quiet
if [ -n "${LIBRDKAFKA_FIXED:-}" ]; then
  echo "== AddressSanitizer: 30 creations refused after the plugin's on_new, 10 before (librdkafka in $LIBRDKAFKA_FIXED)"
  # librdkafka's fix does not free the client-level interceptors on_new() registered (2 per refused
  # client, librdkafka's allocations): suppressed, everything else is reported.
  printf 'leak:rd_kafka_interceptor_method_add\n' > "$OUT/lsan.supp"
  LD_LIBRARY_PATH="$LIBRDKAFKA_FIXED" ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 LSAN_OPTIONS="suppressions=$OUT/lsan.supp print_suppressions=1" \
    "$OUT/stress-asan" refusals "$OUT/poller-asan.so" 10 2>&1 | quiet
fi
echo "== clean: no report"
