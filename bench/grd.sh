#!/usr/bin/env bash
# The GRD under load: 4 instances hold COUNT locks between them (a quarter
# each, taken by one client per instance), then instance 4 is killed.
# Reported, as medians of RUNS runs per COUNT:
#   - the GRD reconfiguration time: how long each survivor's LMS was frozen
#     (v$ges_statistics "freeze time last reconfiguration"), the longest;
#   - the whole reconfiguration (the alert log's "total time");
#   - resources remastered (rebuilt on their new master from shadows);
#   - bytes of LMS memory per held lock (the four LMSes' RSS growth while
#     the locks were taken, over COUNT), and of client-library memory.
#
#   bench/grd.sh BINDIR BENCHDIR RUNS COUNT...
set -euo pipefail
BINDIR=$(cd "$1" && pwd)
BENCHDIR=$(cd "$2" && pwd)
RUNS=$3
shift 3
T=$(mktemp -d /tmp/racrt-grd.XXXXXX)
holders=()
cleanup() {
	for p in "${holders[@]}"; do kill "$p" 2>/dev/null || true; done
	for c in "$T"/*/rac.ini; do
		[ -f "$c" ] || continue
		"$BINDIR/racctl" -c "$c" down >/dev/null 2>&1 || true
		for i in 1 2 3 4; do "$BINDIR/racctl" -c "$c" stop -i "$i" --abort >/dev/null 2>&1 || true; done
	done
	[ -n "${GRD_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

. "$(dirname "$0")/common.sh"
sql() { "$BINDIR/racsql" -c "$1" -i "$2" -e "$3" --format csv | sed -n 2p; }
stat() { sql "$1" "$2" "select value from v\$ges_statistics where name = '$3'"; }
lms_kb() {
	local pid
	pid=$(sql "$1" "$2" "select pid from v\$process where name like '%lms%' or name like '%LMS%'")
	awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# wait (bounded) until the command succeeds
until_ok() {
	local secs=$1; shift
	local end=$((SECONDS + secs))
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}

one_run() {	# COUNT DIR -> "freeze_ms total_ms remastered lms_bytes client_bytes take_secs"
	local n=$1 d=$2 cfg=$2/rac.ini per=$(($1 / 4)) before=0 after=0 ckb=0 take=0
	mkdir -p "$d"
	{
		echo "[cluster]"; echo "name = grd"; echo "shared_disk = disk"
		echo "voting_disks = disk/v1.dsk, disk/v2.dsk, disk/v3.dsk"
		for i in 1 2 3 4; do
			echo "[instance$i]"; echo "lmon_endpoint = tcp://127.0.0.1:$(port)"
			echo "lms_endpoint = tcp://127.0.0.1:$(port)"; echo "local_dir = local/RAC$i"
		done
	} >"$cfg"
	"$BINDIR/racctl" -c "$cfg" up >/dev/null
	for i in 1 2 3 4; do before=$((before + $(lms_kb "$cfg" "$i"))); done
	holders=()
	for i in 1 2 3 4; do
		mkfifo "$d/in$i"
		"$BENCHDIR/bench_hold" "$cfg" "$i" "$per" "i${i}-" <"$d/in$i" >"$d/out$i" &
		holders+=($!)
		eval "exec {fd$i}>\"$d/in$i\""
	done
	ready() { for i in 1 2 3 4; do grep -q '^ready' "$d/out$i" || return 1; done; }
	until_ok 300 ready || { echo "locks were not all taken" >&2; return 1; }
	for i in 1 2 3 4; do
		after=$((after + $(lms_kb "$cfg" "$i")))
		read -r _ _ secs kb <"$d/out$i"
		ckb=$((ckb + kb))
		take=$(awk -v a="$take" -v b="$secs" 'BEGIN { print (b > a ? b : a) }')
	done
	local frozen=() f
	for i in 1 2 3; do frozen[i]=$(stat "$cfg" "$i" "reconfigurations frozen"); done
	"$BINDIR/racctl" -c "$cfg" fault kill -i 4 >/dev/null
	thawed() { for i in 1 2 3; do [ "$(stat "$cfg" "$i" "reconfigurations frozen")" -gt "${frozen[i]}" ] || return 1; done; }
	until_ok 120 thawed || { echo "the survivors did not thaw" >&2; return 1; }
	completed() { grep -q "Reconfiguration complete" <(tail -n 3 "$d/local/RAC1/alert_RAC1.log"); }
	until_ok 60 completed || true
	local fmax=0 rem=0
	for i in 1 2 3; do
		f=$(stat "$cfg" "$i" "freeze time last reconfiguration (us)")
		[ "$f" -gt "$fmax" ] && fmax=$f
		rem=$((rem + $(stat "$cfg" "$i" "resources remastered")))
	done
	total=$(grep -o 'Reconfiguration complete (total time [0-9.]* secs)' "$d/local/RAC1/alert_RAC1.log" |
		tail -n 1 | grep -o '[0-9.]*' | tail -n 1)
	for i in 1 2 3 4; do eval "exec {fd$i}>&-"; done
	wait "${holders[@]}" 2>/dev/null || true
	holders=()
	"$BINDIR/racctl" -c "$cfg" down >/dev/null
	[ -n "${GRD_KEEP:-}" ] || rm -rf "$d/local" "$d/disk"
	awk -v f="$fmax" -v t="$total" -v r="$rem" -v b="$before" -v a="$after" -v c="$ckb" \
		-v n="$n" -v k="$take" \
		'BEGIN { printf "%.1f %.1f %d %.1f %.1f %.2f\n", f / 1000, t * 1000, r, (a - b) * 1024 / n, c * 1024 / n, k }'
}

echo "GRD reconfiguration, 4 instances, instance 4 killed; medians of $RUNS runs"
for n in "$@"; do
	: >"$T/res$n"
	for r in $(seq 1 "$RUNS"); do
		one_run "$n" "$T/g$n-$r" >>"$T/res$n"
	done
	col() { awk -v c="$1" '{ print $c }' "$T/res$n" | median; }
	printf "  %9d locks held: GRD frozen %7.1f ms   reconfiguration %7.1f ms   %7d resources remastered\n" \
		"$n" "$(col 1)" "$(col 2)" "$(col 3)"
	printf "  %9s             LMS memory %5.0f bytes/lock (all four LMSes)   client library %5.0f bytes/lock   taken in %.2f s\n" \
		"" "$(col 4)" "$(col 5)" "$(col 6)"
done
