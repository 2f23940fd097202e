#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build (clang, -DTB_FUZZ=ON
# -DTB_SANITIZE=ON) for a bounded time on its seed corpus in
# fuzz/corpora/<name>/, and fails on the first crash, leak, sanitizer
# report or timeout. New inputs go to <build>/fuzz-found/<name>/, never
# into the seed corpus; with --grow, the small ones that add coverage are
# merged into fuzz/corpora/<name>/ afterwards.
#   scripts/fuzz.sh BUILD_DIR [SECONDS_EACH] [--grow]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS_EACH] [--grow]}
secs=${2:-20}
grow=${3:-}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for bin in "$build"/*_fuzzer; do
  name=$(basename "$bin")
  seeds=fuzz/corpora/$name
  found=$build/fuzz-found/$name
  crashes=$build/fuzz-crashes
  mkdir -p "$found" "$crashes" "$seeds"
  echo "fuzz: $name for ${secs}s"
  if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
      -print_final_stats=0 -artifact_prefix="$crashes/$name-" "$found" "$seeds" \
      >"$build/fuzz-$name.log" 2>&1; then
    echo "fuzz: $name FAILED; the input is in $crashes, the report in $build/fuzz-$name.log"
    grep -E "ERROR|runtime error|SUMMARY" "$build/fuzz-$name.log" | head -5 || true
    status=1
    continue
  fi
  tail -n 1 "$build/fuzz-$name.log"
  if [ "$grow" = --grow ]; then
    "$bin" -merge=1 -max_len=2048 "$seeds" "$found" >>"$build/fuzz-$name.log" 2>&1
  fi
done
exit $status
