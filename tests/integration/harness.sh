#!/usr/bin/env bash
# Run the test_* functions of one integration test file, each in its own
# subshell with its own temporary directory, and clean up after each one
# whatever happened: every instance it configured is aborted by pid, every
# segment removed, the directory deleted.  Prints TAP-style "ok N - name" /
# "not ok N - name" lines.
#
#   harness.sh FILE [FILTER]
set -u
file=$1
filter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
export RAC_TESTS
RAC_TESTS=$(cd "$here/.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
# a file that does not parse would lose its tests silently: it fails instead
if ! err=$(bash -n "$file" 2>&1); then
	echo "not ok 0 - $(basename "$file" .sh) does not parse"
	echo "$err" | sed 's/^/#   /'
	exit 0
fi
# shellcheck disable=SC1090
source "$file"
n=0
for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
	[ -n "$filter" ] && [[ "$t" != *"$filter"* ]] && continue
	n=$((n + 1))
	T=$(mktemp -d /tmp/racrt-test.XXXXXX)
	start=$(date +%s%N)
	( set -e; export T; cd "$T"; sanitizer_env; trap 'lib_cleanup' EXIT; "$t" ) >"$T.log" 2>&1
	rc=$?
	# anything left behind counts as a failure of the test that left it
	leftover=$(lib_leftovers "$T")
	# LeakSanitizer's note that it could not stop a thread that was exiting
	# as the process did is not a finding (a leak or an error prints a report)
	asan=$(cat "$T"/asan.* 2>/dev/null | grep -v '^==[0-9]*==Unable to get registers from thread [0-9]*\.$' |
		head -40)
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	if [ $rc -eq 0 ] && [ -z "$leftover" ] && [ -z "$asan" ]; then
		echo "ok $n - $(basename "$file" .sh)/$t (${ms} ms)"
	else
		echo "not ok $n - $(basename "$file" .sh)/$t (${ms} ms)"
		sed 's/^/#   /' "$T.log" | tail -40
		[ -n "$leftover" ] && echo "#   left behind: $leftover"
		[ -n "$asan" ] && echo "$asan" | sed 's/^/#   sanitizer: /'
	fi
	lib_force_cleanup "$T"
	# RACRT_KEEP=1: a failed test's directory stays, for its logs
	if [ $rc -ne 0 ] && [ -n "${RACRT_KEEP:-}" ]; then
		mv "$T.log" "$T/test.log"; mv "$T" "$T.kept" && echo "#   kept: $T.kept"
	fi
	rm -rf "$T" "$T.log"
done
