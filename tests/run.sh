#!/usr/bin/env bash
# Run racrt's tests: every cmocka unit binary, then every integration test.
#
#   tests/run.sh [--unit-only|--integration-only] BINDIR UNITDIR [FILTER]
#
# BINDIR holds racctl, racsql and the member executables (the sanitizer
# build under `make test`).  FILTER (a substring) limits integration tests
# by name.  The last line is "N passed, N failed"; the exit status is 1
# if anything failed.
set -u
mode=all
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
