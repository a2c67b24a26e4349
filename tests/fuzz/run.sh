#!/usr/bin/env bash
# Run racrt's libFuzzer harnesses (tests/fuzz/fuzz_*.c, built by make
# fuzz-bins into BINDIR).
#
#   tests/fuzz/run.sh check BINDIR [NAME...]
#       each harness over its checked-in corpus (tests/fuzz/corpus/NAME/),
#       then a short burst: FUZZ_CHECK_RUNS runs (default 20000) or
#       FUZZ_CHECK_SECONDS (default 2), whichever ends first.  New inputs
#       go to a temporary directory, removed after.  One line per harness,
#       "ok NAME" or "not ok NAME" (with the tail of its log); exit 1 if any
#       failed.  What `make test` runs.
#   tests/fuzz/run.sh fuzz BINDIR WORK SECONDS [NAME...]
#       fuzz each harness for SECONDS, keeping the inputs it finds in
#       WORK/NAME/ and any crash in WORK/NAME-crash-*; the checked-in corpus
#       is read, never written.  What `make fuzz` runs.
#
# A crash, a leak, undefined behaviour or a broken round-trip property
# (FUZZ_CHECK in the harness) fails the harness; the input that shows it
# is kept (check: printed with the log).  To turn it into a regression,
# copy it into tests/fuzz/corpus/NAME/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
mode=${1:?check or fuzz}
BINDIR=${2:?BINDIR}
shift 2
if [ "$mode" = fuzz ]; then
	WORK=${1:?WORK}
	SECONDS_EACH=${2:?SECONDS}
	shift 2
fi

# largest input each harness takes (libFuzzer's default is 4096)
max_len() {
	case "$1" in
	fuzz_gv) echo 45000 ;;		# a whole SGA snapshot message
	fuzz_ctl_dump) echo 3600 ;;	# a mode byte and seven blocks
	fuzz_disk) echo 600 ;;
	fuzz_zmtp_client|fuzz_zmtp_srv) echo 16384 ;;
	*) echo 4096 ;;
	esac
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for b in "$BINDIR"/fuzz_*; do
		[ -x "$b" ] && names+=("$(basename "$b")")
	done
fi
if [ ${#names[@]} -eq 0 ]; then
	echo "not ok fuzz - no harnesses in $BINDIR (make fuzz-bins)"
	exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for n in "${names[@]}"; do
	bin=$BINDIR/$n
	corpus=$here/corpus/$n
	if [ ! -x "$bin" ] || [ ! -d "$corpus" ]; then
		echo "not ok $n - no harness $bin or no corpus $corpus"
		failed=$((failed + 1))
		continue
	fi
	if [ "$mode" = check ]; then
		tmp=$(mktemp -d)
		mkdir "$tmp/new"
		start=$(date +%s)
		if "$bin" -runs="${FUZZ_CHECK_RUNS:-20000}" -max_total_time="${FUZZ_CHECK_SECONDS:-2}" \
			-max_len="$(max_len "$n")" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
			-artifact_prefix="$tmp/" "$tmp/new" "$corpus" >"$tmp/log" 2>&1; then
			echo "ok $n - corpus of $(ls "$corpus" | wc -l) and $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$tmp/log" | grep -o '[0-9]*$' || echo '?') runs in $(( $(date +%s) - start )) s"
		else
			echo "not ok $n"
			tail -n 40 "$tmp/log" | sed 's/^/    /'
			for a in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* "$tmp"/oom-*; do
				[ -f "$a" ] || continue
				echo "    input ($(basename "$a")):"
				od -An -tx1 -v "$a" | head -n 40 | sed 's/^/    /'
			done
			failed=$((failed + 1))
		fi
		rm -rf "$tmp"
	else
		mkdir -p "$WORK/$n"
		echo "== fuzz: $n for ${SECONDS_EACH}s (new inputs in $WORK/$n)"
		if ! "$bin" -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$n")" -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$WORK/$n-" \
			"$WORK/$n" "$corpus"; then
			echo "not ok $n - see $WORK/$n-crash-* (copy it into $corpus once fixed)"
			failed=$((failed + 1))
		fi
	fi
done
[ "$failed" -eq 0 ]
