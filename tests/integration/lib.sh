# Helpers for integration tests.  A test is a bash function test_NAME run
# with `set -e` in a fresh temporary directory $T (also the cwd).  It starts
# real instances with real processes; the harness cleans up after it.
#
# No bare sleeps: wait_for polls a condition with a bound.

: "${RACBIN:?RACBIN must name the directory with racctl}"
# sanitizer reports go to $T/asan.PID (daemons have no stderr); the
# harness fails a test that leaves any
sanitizer_env() {
	export ASAN_OPTIONS="log_path=$T/asan:detect_leaks=1"
	export UBSAN_OPTIONS="print_stacktrace=1:log_path=$T/asan"
}

# racctl/racsql against this test's configuration
rac() { "$RACBIN/racctl" -c "$T/rac.ini" "$@"; }
racsql() { "$RACBIN/racsql" -c "$T/rac.ini" "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }

# a free TCP port on loopback, not handed out before in this run; below the
# kernel's ephemeral range (32768+), so an outgoing connection cannot take it
# between this check and the instance's bind
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 12000))
		grep -qx "$p" "${TMPDIR:-/tmp}/racrt-ports.$PPID" 2>/dev/null && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p" >>"${TMPDIR:-/tmp}/racrt-ports.$PPID"
			echo "$p"
			return
		fi
	done
	fail "no free port"
}

# mkconfig N [cluster keys as "key = value" lines on stdin]
# Writes $T/rac.ini with N instances on loopback and fast timings.
mkconfig() {
	local n=${1:-1} extra=""
	[ -t 0 ] || extra=$(cat)
	{
		echo "[cluster]"
		echo "name = t${T##*.}"
		echo "shared_disk = disk"
		echo "voting_disks = disk/v1.dsk, disk/v2.dsk, disk/v3.dsk"
		echo "ckpt_interval_ms = 100"
		echo "ckpt_timeout_ms = 600"
		echo "member_hang_timeout_ms = 1500"
		echo "start_timeout_ms = 10000"
		[ -n "$extra" ] && echo "$extra"
		for i in $(seq 1 "$n"); do
			echo
			echo "[instance$i]"
			echo "name = RAC$i"
			echo "lmon_endpoint = tcp://127.0.0.1:$(free_port)"
			echo "lms_endpoint = tcp://127.0.0.1:$(free_port)"
			echo "local_dir = local/RAC$i"
		done
	} >"$T/rac.ini"
}

# set_key KEY VALUE: set a [cluster] key of $T/rac.ini (replace or add)
set_key() {
	if grep -q "^$1 = " "$T/rac.ini"; then
		sed -i "s|^$1 = .*|$1 = $2|" "$T/rac.ini"
	else
		sed -i "s|^\[cluster\]$|[cluster]\n$1 = $2|" "$T/rac.ini"
	fi
}

# wait_for DESCRIPTION TIMEOUT_MS COMMAND...: poll every 10 ms
wait_for() {
	local what=$1 ms=$2; shift 2
	local end=$(( $(date +%s%N) / 1000000 + ms ))
	until "$@" >/dev/null 2>&1; do
		if [ $(( $(date +%s%N) / 1000000 )) -ge "$end" ]; then
			fail "timed out after ${ms} ms waiting for: $what"
		fi
		sleep 0.01
	done
}

alert_file() { echo "$T/local/RAC$1/alert_RAC$1.log"; }
alert_has() { grep -qF -- "$2" "$(alert_file "$1")"; }
# in the alert log of any instance: the member that starts a vote writes the
# detailed cause; those that join its vote name the vote
any_alert_has() { cat "$T"/local/RAC*/alert_RAC*.log | grep -qF -- "$1"; }

# pid of a live member of instance N of this test's cluster, by ps title
# (lmon, lms0, ckpt, smon, guard); zombies and other tests' processes are
# skipped: a lazy init may leave exited daemons unreaped for a while.
member_pid() {
	local p
	for p in $(pgrep -x "rac_$2_RAC$1"); do
		if tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" |
			grep -qe "--sga /racrt.t${T##*.}\." -e "$T/rac.ini"; then
			echo "$p"
			return
		fi
	done
}
pid_gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
all_gone() { local p; for p in "$@"; do pid_gone "$p" || return 1; done; }

# value of one column for the sole row of a query, via csv
sql1() { racsql "$@" --format csv | sed -n 2p; }

expect_rc() {
	local want=$1; shift
	set +e; "$@"; local got=$?; set -e
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want"
}

# The instances of this test's config, aborted; segments removed
lib_cleanup() {
	[ -f "$T/rac.ini" ] || return 0
	local i
	# a lab: down stops its instances and removes namespaces and links
	if ls "$T"/*/lab.ini >/dev/null 2>&1; then
		"$RACBIN/racctl" -c "$T/rac.ini" down >/dev/null 2>&1 || true
	fi
	for i in $(grep -o '^\[instance[0-9]*\]' "$T/rac.ini" | tr -dc '0-9\n'); do
		"$RACBIN/racctl" -c "$T/rac.ini" stop -i "$i" --abort >/dev/null 2>&1 || true
	done
	lib_detach_loops "$T"
}

# Loop devices over files of this test's directory (a lab, or a test that
# made its own): they are global, so every one goes, even when a test failed
lib_loops() {
	local dir=$1
	losetup -n -O NAME,BACK-FILE 2>/dev/null | awk -v d="$dir/" 'index($2, d) == 1 {print $1}'
}

lib_detach_loops() {
	local dev
	for dev in $(lib_loops "$1"); do
		losetup -d "$dev" 2>/dev/null || true
	done
}

# Processes whose title names this test's cluster, and its segments
lib_leftovers() {
	local dir=$1 name
	[ -f "$dir/rac.ini" ] || return 0
	name=$(sed -n 's/^name = //p' "$dir/rac.ini" | head -1)
	local segs procs
	segs=$(ls /dev/shm 2>/dev/null | grep -F "racrt.$name." | tr '\n' ' ')
	procs=$(for p in $(pgrep '^rac_'); do
		tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q -- "--sga /racrt.$name." && echo -n "$p "
		tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q -- "$dir/rac.ini" && echo -n "$p "
	done)
	local nets hangs mounts loops
	nets=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -F "racrt-$name-" | tr '\n' ' ')
	hangs=$(lib_hangfs_pids "$dir" | tr '\n' ' ')
	mounts=$(lib_hangfs_mounts "$dir" | tr '\n' ' ')
	loops=$(lib_loops "$dir" | tr '\n' ' ')
	[ -n "$segs$procs$nets$hangs$mounts$loops" ] && echo "segments: ${segs:-none}; processes: ${procs:-none}; namespaces: ${nets:-none}; rac_hangfs: ${hangs:-none}; FUSE mounts: ${mounts:-none}; loop devices: ${loops:-none}"
}

# racctl fault disk-hang: the rac_hangfs daemons serving a directory under
# $1, and their FUSE mounts in any process's mount namespace (mount points
# under $1: the covered disk and the daemon's own mount point)
lib_hangfs_pids() {
	local p
	for p in $(pgrep -x rac_hangfs); do
		tr '\0' '\n' 2>/dev/null <"/proc/$p/cmdline" | grep -q "^$1/" && echo "$p"
	done
	return 0
}
lib_hangfs_mounts() {
	cat /proc/[0-9]*/mountinfo 2>/dev/null |
		awk -v d="$1/" '$0 ~ / - fuse\.rac_hangfs / && index($5, d) == 1 { print $5 }' | sort -u
}

lib_force_cleanup() {
	local dir=$1 name p
	[ -f "$dir/rac.ini" ] || return 0
	name=$(sed -n 's/^name = //p' "$dir/rac.ini" | head -1)
	# hung-disk drills first: a process waiting on one cannot die before the
	# daemon does (its waiting I/O then fails with ENOTCONN)
	for p in $(lib_hangfs_pids "$dir"); do kill -9 "$p" 2>/dev/null; done
	for p in $(pgrep '^rac_'); do
		if tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q -e "--sga /racrt.$name." -e "$dir/rac.ini"; then
			kill -9 "$p" 2>/dev/null
		fi
	done
	for s in $(ls /dev/shm 2>/dev/null | grep -F "racrt.$name."); do rm -f "/dev/shm/$s"; done
	for s in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -F "racrt-$name-"); do
		ip netns del "$s" 2>/dev/null
	done
	lib_detach_loops "$dir"
}
