#!/usr/bin/env bash
# Runs each fuzz target for SECONDS, one after the other (one fuzzer process at a time, at
# nice 19), and prints the executions per target. Corpora grow in $BUILD/fuzz-corpus/<target>
# (seeded by make_corpus.py on first use), crashes land in $BUILD/fuzz-artifacts/.
#
#   fuzz/run.sh SECONDS [frontend safetensors idx csv npy]
#
# BUILD defaults to build-fuzz (configured with -DNNC_FUZZ=ON; the script builds the targets).
# Extra libFuzzer flags go in FUZZ_FLAGS. Exit status 1 when a target found a crash.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
seconds=$1
shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(frontend safetensors idx csv npy)
build=${BUILD:-build-fuzz}

nice -n 19 ninja -C "$build" $(printf 'nnc-fuzz-%s ' "${targets[@]}") >/dev/null || exit 1
mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs"
if [ ! -d "$build/fuzz-seeds" ]; then
  python3 fuzz/make_corpus.py "$build/fuzz-seeds" >/dev/null || exit 1
fi

status=0
printf '%-12s %8s %12s %9s %8s  %s\n' target seconds executions exec/s corpus result
for t in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$t"
  mkdir -p "$corpus"
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  log="$build/fuzz-logs/$t.log"
  # -timeout: an input that takes 10 s is a hang; -rss_limit_mb / -malloc_limit_mb: a header that
  # announces a huge size must not make the reader allocate it.
  nice -n 19 "$build/bin/nnc-fuzz-$t" "$corpus" "$build/fuzz-seeds/$t" "${dict[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
    ${FUZZ_FLAGS:-} >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  result=ok
  if [ $rc -ne 0 ]; then
    result="CRASH (rc $rc): $(grep -m1 -o "$build/fuzz-artifacts/$t-[a-z]*-[0-9a-f]*" "$log") (log: $log)"
    status=1
  fi
  printf '%-12s %8s %12s %9s %8s  %s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" \
    "$(ls "$corpus" | wc -l)" "$result"
done
exit $status
