#!/usr/bin/env bash
# Runs one fuzz target as a test: first every committed regression input and seed
# once (each must pass), then new inputs for a bounded time. A crash leaves its input
# in ARTIFACTS and fails the test; fix the cause, then commit that input to
# tests/fuzz/regressions/<name>/ so it stays fixed.
#   run-fuzzer.sh FUZZER CORPUS_DIR REGRESSIONS_DIR SECONDS ARTIFACTS_DIR
set -euo pipefail
fuzzer=$1 corpus=$2 regressions=$3 seconds=$4 artifacts=$5
name=$(basename "$fuzzer")

if [ ! -x "$fuzzer" ]; then
  echo "$name was not built: $fuzzer is missing (the clang tree under build/<preset>/fuzz failed?)" >&2
  exit 1
fi
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Leaks inside Qt's one-time statics are not findings; a real leak still fails.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
common=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 "-artifact_prefix=$artifacts/${name#airlock_fuzz_}-")

# 1. Replay: every committed input runs once.
mapfile -t inputs < <(find "$regressions" "$corpus" -type f ! -name ".*" 2>/dev/null | sort)
if [ "${#inputs[@]}" -gt 0 ]; then
  echo "replaying ${#inputs[@]} committed inputs"
  "$fuzzer" "${common[@]}" "${inputs[@]}" >"$work/replay.log" 2>&1 || {
    tail -n 60 "$work/replay.log" >&2
    echo "$name: a committed input fails (see above)" >&2
    exit 1
  }
else
  echo "$name: no committed corpus in $corpus" >&2
  exit 1
fi

# 2. Fuzz for a bounded time; new inputs go to a scratch copy, never to the tree.
mkdir -p "$work/corpus"
"$fuzzer" "${common[@]}" -max_total_time="$seconds" -print_final_stats=1 "$work/corpus" "$corpus" \
  >"$work/fuzz.log" 2>&1 || {
  tail -n 80 "$work/fuzz.log" >&2
  echo "$name: found a failing input, kept under $artifacts (see above)" >&2
  exit 1
}
grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$work/fuzz.log" | tail -n 2 || true
echo "$name: no failure in ${seconds}s"
