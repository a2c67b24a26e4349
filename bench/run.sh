#!/usr/bin/env bash
# make bench: start a one-instance cluster in a temporary directory and run
# the benchmarks against the release build.  Bounded: RUNS starts and kills.
#
#   bench/run.sh BINDIR BENCHDIR
set -euo pipefail
BINDIR=$(cd "$1" && pwd)
BENCHDIR=$(cd "$2" && pwd)
RUNS=${RUNS:-9}
T=$(mktemp -d /tmp/racrt-bench.XXXXXX)
loopdev=
cleanup() {
	[ -n "$loopdev" ] && losetup -d "$loopdev" 2>/dev/null
	"$BINDIR/racctl" -c "$T/rac.ini" stop -i 1 --abort >/dev/null 2>&1 || true
	for c in "$T"/cluster/*/rac.ini "$T"/locks*/rac.ini; do
		[ -f "$c" ] || continue
		"$BINDIR/racctl" -c "$c" down >/dev/null 2>&1 || true
		for i in $(seq 1 16); do "$BINDIR/racctl" -c "$c" stop -i "$i" --abort >/dev/null 2>&1 || true; done
	done
	rm -rf "$T"
}
trap cleanup EXIT

. "$(dirname "$0")/common.sh"
cat >"$T/rac.ini" <<INI
[cluster]
name = bench
shared_disk = disk
voting_disks = disk/v1.dsk, disk/v2.dsk, disk/v3.dsk

[instance1]
lmon_endpoint = tcp://127.0.0.1:$(port)
lms_endpoint = tcp://127.0.0.1:$(port)
local_dir = local/RAC1
INI
"$BINDIR/racctl" -c "$T/rac.ini" init >/dev/null
echo "racrt benchmarks on $(nproc) cores, $(uname -r); release build"
"$BENCHDIR/bench_instance" "$BINDIR/racctl" "$T/rac.ini" "$RUNS"
echo
# a disk-heartbeat round, direct against buffered I/O: on a file here, and
# (as root) on a loop device over one
"$BENCHDIR/bench_disk" "$T/hb.dsk" "${DISK_ROUNDS:-2000}" "${DISK_RUNS:-5}" || true
if [ "$(id -u)" -eq 0 ] && loopdev=$(losetup -f --show --direct-io=on "$T/hb.dsk" 2>/dev/null); then
	"$BENCHDIR/bench_disk" "$loopdev" "${DISK_ROUNDS:-2000}" "${DISK_RUNS:-5}" || true
	losetup -d "$loopdev" || true
	loopdev=
fi
# a control-area call: three copies by majority against one copy
mkdir -p "$T/ctl"
"$BENCHDIR/bench_ctl" "$T/ctl" "${CTL_CALLS:-1000}" "${DISK_RUNS:-5}" || true
echo
mkdir -p "$T/cluster"
"$BENCHDIR/bench_cluster" "$BINDIR/racctl" "$T/cluster" "${CLUSTER_RUNS:-7}" "${ABORT_RUNS:-3}" 2 4 8 lab

# lock benchmarks: a 1-instance and a 3-instance cluster under $T/locks*
for n in 1 3; do
	d="$T/locks$n"
	mkdir -p "$d"
	{
		echo "[cluster]"; echo "name = locks$n"; echo "shared_disk = disk"
		echo "voting_disks = disk/v1.dsk, disk/v2.dsk, disk/v3.dsk"
		for i in $(seq 1 $n); do
			echo "[instance$i]"; echo "lmon_endpoint = tcp://127.0.0.1:$(port)"
			echo "lms_endpoint = tcp://127.0.0.1:$(port)"; echo "local_dir = local/RAC$i"
		done
	} >"$d/rac.ini"
	"$BINDIR/racctl" -c "$d/rac.ini" up >/dev/null
	echo
	"$BENCHDIR/bench_locks" "$d/rac.ini" "$n" "${LOCK_SECONDS:-2}" "${LOCK_RUNS:-3}" || true
	"$BINDIR/racctl" -c "$d/rac.ini" down >/dev/null
done

# what CURVE on the interconnect costs, with it and without in the same run
echo
"$(dirname "$0")/auth.sh" "$BINDIR" "$BENCHDIR" "${AUTH_LOCK_ROUNDS:-3}" "${LOCK_SECONDS:-2}" || true

# the GRD with 100,000 and 1,000,000 locks held when one of 4 instances dies
echo
"$(dirname "$0")/grd.sh" "$BINDIR" "$BENCHDIR" "${GRD_RUNS:-3}" 100000 1000000 || true
