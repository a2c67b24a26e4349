#!/usr/bin/env bash
# Run racrt's tests: every cmocka unit binary, then (with --fuzz) every
# fuzz harness, then every integration test.
#
#   tests/run.sh [--fuzz FUZZDIR] [--unit-only|--integration-only] BINDIR UNITDIR [FILTER]
#
# BINDIR holds racctl, racsql and the member executables (the sanitizer
# build under `make test`).  FUZZDIR holds the libFuzzer harnesses (make
# fuzz-bins): each runs over its checked-in corpus and a short bounded
# burst (tests/fuzz/run.sh check) and counts as one test; it runs with the
# unit tests (not with --integration-only).  FILTER (a substring) limits
# integration tests by name.  The last line is "N passed, N failed"; the
# exit status is 1 if anything failed.
set -u
mode=all
fuzzdir=
if [ "${1:-}" = --fuzz ]; then
	fuzzdir=${2:?FUZZDIR}
	shift 2
fi
case "${1:-}" in
--unit-only) mode=unit; shift ;;
--integration-only) mode=integration; shift ;;
esac
BINDIR=$(cd "${1:?BINDIR}" && pwd)
UNITDIR=${2:?UNITDIR}
FILTER=${3:-${TEST_FILTER:-}}
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0 failures=()

if [ "$mode" != integration ]; then
	for t in "$UNITDIR"/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		echo "== unit: $name"
		if "$t"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1)); failures+=("unit/$name")
		fi
	done
fi

if [ "$mode" != integration ] && [ -n "$fuzzdir" ]; then
	echo "== fuzz: every harness over its corpus and a short burst"
	out=$(mktemp)
	"$here/fuzz/run.sh" check "$fuzzdir" | tee "$out"
	p=$(grep -c '^ok ' "$out"); q=$(grep -c '^not ok ' "$out")
	passed=$((passed + p)); failed=$((failed + q))
	while read -r line; do failures+=("fuzz/$line"); done < <(grep '^not ok ' "$out" | sed 's/^not ok //')
	rm -f "$out"
fi

if [ "$mode" != unit ]; then
	export RACBIN=$BINDIR
	for f in "$here"/integration/t_*.sh; do
		[ -f "$f" ] || continue
		out=$(mktemp)
		bash "$here/integration/harness.sh" "$f" "$FILTER" | tee "$out"
		p=$(grep -c '^ok ' "$out"); q=$(grep -c '^not ok ' "$out")
		passed=$((passed + p)); failed=$((failed + q))
		while read -r line; do failures+=("$line"); done < <(grep '^not ok ' "$out" | sed 's/^not ok [0-9]* - //')
		rm -f "$out"
	done
fi

echo
if [ "$failed" -gt 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
