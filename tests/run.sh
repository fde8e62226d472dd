#!/usr/bin/env bash
# Run every test and count: unit binaries, integration scripts, fuzz runs.
# Each prints TAP-style `ok N - name` / `not ok N - name` lines; a program
# that fails without a `not ok` line counts as one failure. The last line is
# `N passed, N failed`.
#
#   HIVE_BUILD   build dir whose binaries are tested (default build-asan)
#   FUZZ_SECONDS seconds per fuzz target (default 20)
#   ONLY         run only tests whose path matches this pattern
set -u
cd "$(dirname "$0")/.."
export HIVE_BUILD=${HIVE_BUILD:-build-asan}
export HIVE_TOP=$PWD
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
ONLY=${ONLY:-}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0 failed=0
logdir=$(mktemp -d /tmp/hive-tests.XXXXXX)

run_one() { # name, command...
	local name=$1; shift
	case "$name" in *"$ONLY"*) ;; *) return ;; esac
	local log="$logdir/$(echo "$name" | tr '/ ' '__').log"
	local start=$SECONDS
	timeout -k 5 600 "$@" >"$log" 2>&1
	local rc=$?
	local ok nok
	ok=$(grep -c '^ok ' "$log")
	nok=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then nok=1; fi
	if [ "$ok" -eq 0 ] && [ "$nok" -eq 0 ]; then nok=1; echo "not ok - $name ran no test" >>"$log"; fi
	passed=$((passed + ok)); failed=$((failed + nok))
	printf '%-44s %3d ok %3d failed  (%ds)\n' "$name" "$ok" "$nok" $((SECONDS - start))
	if [ "$nok" -ne 0 ]; then
		grep -E '^(not ok|#)' "$log" | head -40 | sed 's/^/    /'
		echo "    --- last lines of $log:"; tail -15 "$log" | sed 's/^/    /'
	fi
}

for t in "$HIVE_BUILD"/tests/test_*; do
	[ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done
for t in tests/integration/t[0-9]*.sh; do
	[ -f "$t" ] && run_one "integration/$(basename "$t" .sh)" bash "$t"
done
for f in build-fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	n=$(basename "$f"); corpus=fuzz/corpus/${n#fuzz_}
	run_one "fuzz/$n" bash -c "mkdir -p $logdir/$n && $f -max_total_time=$FUZZ_SECONDS -timeout=5 -rss_limit_mb=1024 $logdir/$n $corpus && echo 'ok 1 - $n found nothing in ${FUZZ_SECONDS}s'"
done

echo "logs: $logdir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
