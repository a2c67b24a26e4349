#!/usr/bin/env bash
# What the authenticated interconnect costs, in the same run (docs/security.md):
#   1. bench_auth: one DEALER/ROUTER round trip, CURVE against plain, at the
#      sizes of a heartbeat, a lock message and a bundle;
#   2. the lock workloads whose masters are mostly remote (three instances,
#      10,000 spread resources, 1 and 16 clients): a cluster with
#      interconnect_auth = yes and one with no take turns, ROUNDS rounds of
#      one SECONDS-long run each; medians of pairs per second and their ratio.
#
#   bench/auth.sh BINDIR BENCHDIR [ROUNDS [SECONDS]]
set -euo pipefail
BINDIR=$(cd "$1" && pwd)
BENCHDIR=$(cd "$2" && pwd)
ROUNDS=${3:-3}
SECS=${4:-2}
T=$(mktemp -d /tmp/racrt-auth.XXXXXX)
cleanup() {
	for c in "$T"/*/rac.ini; do
		[ -f "$c" ] || continue
		"$BINDIR/racctl" -c "$c" down >/dev/null 2>&1 || true
		for i in 1 2 3; do "$BINDIR/racctl" -c "$c" stop -i "$i" --abort >/dev/null 2>&1 || true; done
	done
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/common.sh"

"$BENCHDIR/bench_auth" "${AUTH_ROUNDS:-10000}" "${AUTH_RUNS:-5}"

for auth in yes no; do
	d="$T/$auth"
	mkdir -p "$d"
	{
		echo "[cluster]"; echo "name = auth$auth"; echo "shared_disk = disk"
		echo "voting_disks = disk/v1.dsk, disk/v2.dsk, disk/v3.dsk"
		echo "interconnect_auth = $auth"
		for i in 1 2 3; do
			echo "[instance$i]"; echo "lmon_endpoint = tcp://127.0.0.1:$(port)"
			echo "lms_endpoint = tcp://127.0.0.1:$(port)"; echo "local_dir = local/RAC$i"
		done
	} >"$d/rac.ini"
	"$BINDIR/racctl" -c "$d/rac.ini" init >/dev/null
done

echo
echo "Locks with CURVE against without: 3 instances, 10,000 spread resources (most masters"
echo "remote), $ROUNDS rounds of ${SECS} s per cluster, the two clusters taking turns; medians"
for w in spread1 spread16; do
	for r in $(seq 1 "$ROUNDS"); do
		for auth in yes no; do
			c="$T/$auth/rac.ini"
			"$BINDIR/racctl" -c "$c" up >/dev/null
			# no Redis here: the baseline is the other cluster
			BENCH_ONLY=$w "$BENCHDIR/bench_locks" "$c" 3 "$SECS" 1 /nonexistent 2>/dev/null |
				awk -v a="$auth" '$1 == "racrt" || $1 == "racrt-nw" { print a, $1, $2 }' \
				>>"$T/$w.txt"
			"$BINDIR/racctl" -c "$c" down >/dev/null
		done
	done
	echo "  $w (${w#spread} client$([ "${w#spread}" = 1 ] || echo s)):"
	for sys in racrt racrt-nw; do
		med() { awk -v a="$1" -v s="$sys" '$1 == a && $2 == s { print $3 }' "$T/$w.txt" |
			sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2); else print 0 }'; }
		y=$(med yes); n=$(med no)
		awk -v s="$sys" -v y="$y" -v n="$n" 'BEGIN { printf "    %-9s curve %8.0f pairs/s  plain %8.0f pairs/s  curve/plain %.2fx\n", s, y, n, (n > 0 ? y / n : 0) }'
	done
done
