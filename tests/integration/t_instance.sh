# Integration tests of one instance: start, stop, abort, member deaths and
# hangs, the guardian's death, stale segments, the control file, bad input.

# sga segment of instance N of this test's cluster
seg_of() { ls /dev/shm | grep -F "racrt.t${T##*.}.RAC$1." || true; }
seg_present() { [ -n "$(seg_of "$1")" ]; }
seg_absent() { [ -z "$(seg_of "$1")" ]; }

started() { mkconfig "${1:-1}"; rac init >/dev/null; rac start -i 1; }

test_start_registers_four_members_and_opens() {
	mkconfig 1
	rac init
	out=$(rac start -i 1)
	echo "$out"
	[[ "$out" == *"Instance 1 (RAC1) is OPEN"* ]] || fail "start did not report OPEN"
	for r in lmon lms0 ckpt smon; do
		[ -n "$(member_pid 1 $r)" ] || fail "no rac_${r}_RAC1 in ps"
	done
	seg_present 1 || fail "no SGA segment"
	[ "$(stat -c %a /dev/shm/"$(seg_of 1)")" = 600 ] || fail "SGA mode is not 0600"
	[ "$(sql1 -e 'select status from v$instance')" = OPEN ] || fail "v\$instance not OPEN"
	# the NM group: LMON primary with the member id, the others slaves under it
	racsql -e 'select role, name, pid, member_id, state from v$process order by name' \
		--format csv >"$T/procs.csv"
	cat "$T/procs.csv"
	grep -q "^PRIMARY,LMON,$(member_pid 1 lmon),0,REGISTERED$" "$T/procs.csv" || fail "LMON row"
	grep -q "^SLAVE,LMS0,$(member_pid 1 lms0),0,REGISTERED$" "$T/procs.csv" || fail "LMS0 row"
	grep -q "^SLAVE,CKPT,$(member_pid 1 ckpt),0,REGISTERED$" "$T/procs.csv" || fail "CKPT row"
	grep -q "^SLAVE,SMON,$(member_pid 1 smon),0,REGISTERED$" "$T/procs.csv" || fail "SMON row"
	alert_has 1 "lmon registered with NM - instance number 1 (internal mem no 0)"
	alert_has 1 "System parameters in force:"
	alert_has 1 "member_hang_timeout_ms       = 1500"
	alert_has 1 "Instance RAC1 (instance number 1) is OPEN"
	# alert entries start with an ISO-8601 timestamp with microseconds and zone
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}[+-][0-9]{2}:[0-9]{2}$' \
		"$(alert_file 1)" || fail "no ISO-8601 timestamp line in the alert log"
	# one trace file per process, one line per event in the documented shape
	for r in lmon lms0 ckpt smon guard; do
		ls "$T"/local/RAC1/trace/RAC1_${r}_*.trc >/dev/null || fail "no trace file for $r"
	done
	grep -Eq '^[0-9-]{10} [0-9:]{8}\.[0-9]{6} \[INFO\] lmon P[0-9]{10} T[0-9]{10} \[NM\]: status change from \(STARTING\) to \(REGISTERED\)' \
		"$T"/local/RAC1/trace/RAC1_lmon_*.trc || fail "trace line format"
	# status shows it
	rac status | grep -E '^1 +RAC1 +OPEN' || fail "status"
}

test_clean_stop_stops_members_in_order() {
	started
	pids="$(member_pid 1 guard) $(member_pid 1 lmon) $(member_pid 1 lms0) $(member_pid 1 ckpt) $(member_pid 1 smon)"
	rac stop -i 1
	wait_for "all processes gone" 5000 all_gone $pids
	seg_absent 1 || fail "SGA left behind"
	alert_has 1 "Shutting down instance RAC1 (normal)"
	alert_has 1 "Instance RAC1 shutdown complete"
	order=$(grep -o 'Stopping background process [A-Z0-9]*' "$(alert_file 1)" | awk '{print $4}' | tr '\n' ' ')
	[ "$order" = "SMON CKPT LMS0 LMON " ] || fail "stop order was '$order'"
	! alert_has 1 "terminated unexpectedly" || fail "clean stop reported as a death"
	expect_rc 1 rac stop -i 1
}

kill_member_takes_group_down() {
	local role=$1 name=$2
	started
	pids="$(member_pid 1 guard) $(member_pid 1 lmon) $(member_pid 1 lms0) $(member_pid 1 ckpt) $(member_pid 1 smon)"
	victim=$(member_pid 1 "$role")
	kill -9 "$victim"
	wait_for "whole group gone after kill -9 of $role" 1000 all_gone $pids
	seg_absent 1 || fail "SGA left behind"
	alert_has 1 "$name (ospid: $victim) terminated unexpectedly"
	alert_has 1 "terminating the instance"
	alert_has 1 "Instance terminated by guardian"
	# and it can start again
	rac start -i 1
	rac stop -i 1
}

test_kill_lmon_terminates_instance() { kill_member_takes_group_down lmon LMON; }
test_kill_lms_terminates_instance() { kill_member_takes_group_down lms0 LMS0; }
test_kill_ckpt_terminates_instance() { kill_member_takes_group_down ckpt CKPT; }
test_kill_smon_terminates_instance() { kill_member_takes_group_down smon SMON; }

test_fault_kill_command() {
	started
	pids="$(member_pid 1 guard) $(member_pid 1 lmon) $(member_pid 1 lms0) $(member_pid 1 ckpt) $(member_pid 1 smon)"
	victim=$(member_pid 1 lms0)
	rac fault kill -i 1 -p lms
	wait_for "group gone" 1000 all_gone $pids
	alert_has 1 "Fault injected by operator (racctl fault kill): SIGKILL to LMS0 (ospid: $victim)"
	alert_has 1 "LMS0 (ospid: $victim) terminated unexpectedly"
}

test_hung_member_terminates_instance() {
	started
	pids="$(member_pid 1 guard) $(member_pid 1 lmon) $(member_pid 1 lms0) $(member_pid 1 ckpt) $(member_pid 1 smon)"
	victim=$(member_pid 1 ckpt)
	rac fault hang -i 1 -p ckpt
	# member_hang_timeout_ms is 1500 in the test config
	wait_for "group gone after CKPT hung" 6000 all_gone $pids
	alert_has 1 "CKPT (ospid: $victim) has not updated its NM slot"
	alert_has 1 "process hung; terminating the instance"
	seg_absent 1 || fail "SGA left behind"
}

test_resumed_member_before_timeout_keeps_instance() {
	started
	rac fault hang -i 1 -p smon
	rac fault resume -i 1 -p smon
	# a full hang timeout later the instance is still OPEN
	deadline=$(( $(date +%s%N) / 1000000 + 2000 ))
	while [ $(( $(date +%s%N) / 1000000 )) -lt $deadline ]; do
		[ "$(sql1 -e 'select status from v$instance')" = OPEN ] || fail "instance left OPEN"
		sleep 0.1
	done
	! alert_has 1 "terminating the instance" || fail "terminated after a short stop"
}

test_guardian_death_takes_members_down() {
	started
	members="$(member_pid 1 lmon) $(member_pid 1 lms0) $(member_pid 1 ckpt) $(member_pid 1 smon)"
	kill -9 "$(member_pid 1 guard)"
	wait_for "members gone after the guardian died" 1000 all_gone $members
}

test_abort_kills_group_and_restart_works() {
	started
	pids="$(member_pid 1 guard) $(member_pid 1 lmon) $(member_pid 1 lms0) $(member_pid 1 ckpt) $(member_pid 1 smon)"
	rac stop -i 1 --abort
	all_gone $pids || fail "processes alive after abort returned"
	seg_absent 1 || fail "SGA left after abort"
	alert_has 1 "aborted by operator"
	! alert_has 1 "shutdown complete" || fail "abort ran a clean shutdown"
	rac start -i 1
}

test_stale_sga_is_removed_by_next_start() {
	started
	seg=$(seg_of 1)
	members="$(member_pid 1 lmon) $(member_pid 1 lms0) $(member_pid 1 ckpt) $(member_pid 1 smon)"
	g=$(member_pid 1 guard)
	kill -9 "$g"	# a crash: nobody removes the segment
	wait_for "members gone" 1000 all_gone $members
	[ -e "/dev/shm/$seg" ] || fail "segment did not survive the crash (test premise)"
	rac status | grep -E '^1 +RAC1 +DOWN\(stale\)' || fail "status does not show the stale segment"
	rac start -i 1
	alert_has 1 "Removed stale SGA /$seg left by a dead instance (guardian pid $g)"
	[ "$(sql1 -e 'select status from v$instance')" = OPEN ]
}

test_second_start_refused_while_running() {
	started
	out=$(rac start -i 1 2>&1) && fail "second start succeeded"
	[[ "$out" == *"already running"* ]] || fail "message: $out"
}

test_start_fails_with_reason_when_port_taken() {
	started
	# a second cluster whose instance wants the same LMON endpoint
	sed -e "s/^name = t.*/name = other${T##*.}/" -e 's/^shared_disk = disk/shared_disk = disk2/' \
		-e 's#disk/v#disk2/v#g' -e 's#local/RAC#local2/RAC#' "$T/rac.ini" >"$T/other.ini"
	"$RACBIN/racctl" -c "$T/other.ini" init >/dev/null
	set +e
	out=$("$RACBIN/racctl" -c "$T/other.ini" start -i 1 2>&1); rc=$?
	set -e
	echo "$out"
	[ $rc -eq 1 ] || fail "exit $rc"
	[[ "$out" == *"LMON failed to start: cannot bind LMON endpoint tcp://127.0.0.1:"*"Address already in use"* ]] ||
		fail "reason not given"
	[ -z "$(ls /dev/shm | grep -F "racrt.other${T##*.}.")" ] || fail "failed start left its SGA"
	pgrep -f "other.ini" && fail "failed start left processes" || true
}

test_start_unformatted_disk_fails_with_reason() {
	mkconfig 1
	set +e; out=$(rac start -i 1 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] || fail "exit $rc"
	[[ "$out" == *"not formatted"*"racctl init"* ]] || fail "message: $out"
}

# voting disks of the size this build wants but without control area copies
# (a block device formatted by an earlier racrt) are refused with the fix named
test_start_refuses_voting_disks_without_control_copies() {
	mkconfig 1
	rac init >/dev/null
	for v in disk/v1.dsk disk/v2.dsk disk/v3.dsk; do
		dd if=/dev/zero of="$v" bs=4096 seek=128 count=72 conv=notrunc status=none
	done
	set +e; out=$(rac start -i 1 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] || fail "exit $rc: $out"
	[[ "$out" == *"hold no copy of the control area"*"racctl init --force"* ]] || fail "message: $out"
	rac init --force >/dev/null
	rac start -i 1 >/dev/null
}

# one configuration for the cluster: a host with another disktimeout_ms is
# refused at start, with the keys named; config push changes it for the
# cluster, and only with every instance stopped
test_start_refuses_other_cluster_wide_values_until_config_push() {
	mkconfig 2 </dev/null
	rac init >/dev/null
	rac start -i 1 >/dev/null
	cp rac.ini host2.ini
	sed -i 's/^\[cluster\]$/[cluster]\ndisktimeout_ms = 20000\nmisscount_ms = 4000/' host2.ini
	set +e; out=$("$RACBIN/racctl" -c host2.ini start -i 2 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] || fail "start with other timings: exit $rc: $out"
	[[ "$out" == *"misscount_ms = 4000 here, 3000 in the cluster"*"disktimeout_ms = 20000 here, 2000 in the cluster"*"racctl config push"* ]] ||
		fail "message: $out"
	[ -z "$(member_pid 2 lmon)" ] || fail "instance 2 runs"
	set +e; out=$("$RACBIN/racctl" -c host2.ini config push 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] && [[ "$out" == *"instance 1 (RAC1) is alive"*"stop every instance"* ]] ||
		fail "push with instance 1 up: exit $rc: $out"
	rac stop -i 1 >/dev/null
	"$RACBIN/racctl" -c host2.ini config push | grep -q "Recorded this host's cluster-wide keys"
	# now the old values are the odd ones out
	set +e; out=$(rac start -i 1 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] && [[ "$out" == *"disktimeout_ms = 2000 here, 20000 in the cluster"* ]] ||
		fail "start with the old timings: exit $rc: $out"
	"$RACBIN/racctl" -c host2.ini start -i 1 >/dev/null
	"$RACBIN/racctl" -c host2.ini start -i 2 >/dev/null
	rac dump control | grep -q "cluster configuration" || fail "dump does not show the record"
}

# two inits at once on the same disks end with one format, never two
test_concurrent_inits_give_one_format() {
	mkconfig 1
	local try ok ids
	for try in 1 2 3 4 5; do
		rm -rf "$T/disk"
		ok=0
		rac init --force >"$T/init.a" 2>&1 & a=$!
		rac init --force >"$T/init.b" 2>&1 & b=$!
		wait $a && ok=$((ok + 1)) || true
		wait $b && ok=$((ok + 1)) || true
		cat "$T/init.a" "$T/init.b"
		[ $ok -eq 1 ] || fail "try $try: $ok inits succeeded"
		grep -qh "another 'racctl init'" "$T/init.a" "$T/init.b" || fail "try $try: the loser does not say why"
		# every file carries the one format id
		ids=$( { rac dump control; rac dump vote; } | sed -n 's/.*(cluster [^,]*, id \(0x[0-9a-f]*\),.*/\1/p' | sort -u)
		[ "$(echo "$ids" | wc -l)" -eq 1 ] || fail "try $try: format ids $ids"
	done
	rac start -i 1
}

test_init_force_refused_while_an_instance_is_alive() {
	started
	set +e; out=$(rac init --force 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] || fail "init --force under a running instance: exit $rc"
	[[ "$out" == *"instance 1 (RAC1) is alive on voting disk"*"stop every instance"* ]] || fail "message: $out"
	rac stop -i 1
	rac init --force
}

test_init_refuses_a_file_system_without_force() {
	mkconfig 1
	mkdir -p "$T/disk"
	truncate -s 4M "$T/disk/v2.dsk"
	mkfs.ext4 -q -F "$T/disk/v2.dsk"
	set +e; out=$(rac init 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] || fail "init over a file system: exit $rc"
	[[ "$out" == *"v2.dsk holds a file system (ext4)"*"--force"* ]] || fail "message: $out"
	rac init --force
}

# a link planted at a voting-disk path (a shared, non-sticky directory) must
# not make init write over what it points at, with or without --force; a
# file of somebody's data is refused without --force
test_init_follows_no_link_to_a_file_and_keeps_foreign_data() {
	mkconfig 1
	mkdir -p disk
	echo precious >target
	ln -s "$PWD/target" disk/v2.dsk
	for force in "" --force; do
		set +e; out=$(rac init $force 2>&1); rc=$?; set -e
		[ $rc -eq 1 ] || fail "init $force through a link: exit $rc"
		[[ "$out" == *"disk/v2.dsk is a symbolic link to something other than a block device"* ]] ||
			fail "message: $out"
		[ "$(cat target)" = precious ] || fail "the link's target was written ($force)"
	done
	[ ! -e disk/v1.dsk ] || fail "a refused init made a voting disk"
	rm disk/v2.dsk
	cp target disk/v2.dsk
	set +e; out=$(rac init 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] || fail "init over somebody's file: exit $rc"
	[[ "$out" == *"disk/v2.dsk holds data that is not a racrt disk"*"--force"* ]] || fail "message: $out"
	[ "$(cat disk/v2.dsk)" = precious ] || fail "the file was written"
	rac init --force >/dev/null
	rac start -i 1 >/dev/null
}

test_init_refuses_formatted_disk_without_force() {
	mkconfig 1
	rac init
	set +e; out=$(rac init 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] || fail "second init exit $rc"
	[[ "$out" == *"already formatted"*"--force"* ]] || fail "message: $out"
	rac init --force
}

ckpt_count() { rac dump control | sed -n 's/.*checkpoint progress record.* inst=1 .*count=\([0-9]*\).*/\1/p'; }
ckpt_beyond() { [ "$(ckpt_count)" -gt "$1" ]; }

test_ckpt_record_advances() {
	started
	c1=$(ckpt_count)
	[ "$c1" -ge 1 ] || fail "no checkpoint record after start"
	wait_for "checkpoint count to advance" 3000 ckpt_beyond $((c1 + 2))
	[ "$(sql1 -e "select value from v\$sysstat where name = 'checkpoint progress writes'")" -ge 3 ]
}

test_corrupt_control_block_reported_and_repaired() {
	started
	rac stop -i 1
	# flip bytes in the payload of instance 1's checkpoint record (block 8) in
	# every copy of the control area (one on each voting disk, from block 128)
	for v in "$T"/disk/v[123].dsk; do
		printf '\xde\xad\xbe\xef' | dd of="$v" bs=1 seek=$(((128 + 8) * 4096 + 100)) conv=notrunc status=none
	done
	set +e; out=$(rac dump control 2>&1); rc=$?; set -e
	echo "$out"
	[ $rc -eq 1 ] || fail "dump exit $rc with a corrupt block"
	echo "$out" | grep -E '^block 8 .*CORRUPT' || fail "block 8 not reported corrupt"
	[ "$(echo "$out" | grep -c "^block.*CORRUPT")" -eq 1 ] || fail "other blocks reported corrupt"
	# the next start does not trust it: CKPT rewrites its record
	rac start -i 1
	alert_has 1 "Checkpoint progress record of instance 1"
	alert_has 1 "is corrupt"
	rac dump control | grep -E '^block 8 .*count=' || fail "record not rewritten"
	[ "$(sql1 -e "select value from v\$sysstat where name = 'checkpoint records repaired'")" = 1 ]
}

test_bad_sql_gives_sqlite_message_and_exit_1() {
	started
	set +e; out=$(racsql -e 'selec * from v$instance' 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] || fail "exit $rc"
	[[ "$out" == *"syntax error"* ]] || fail "message: $out"
	set +e; out=$(racsql -e 'select * from v$nosuch' 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] && [[ "$out" == *"no such table"* ]] || fail "unknown table: $rc $out"
	expect_rc 2 racsql --format xml -e 'select 1'
	# any SQL over the views
	racsql -e 'select p.name, i.instance_name from v$process p join v$instance i
		   on p.member_id = i.member_id where p.role = "SLAVE" order by p.name' --format csv |
		grep -q '^CKPT,RAC1$' || fail "join"
	[ "$(sql1 -e 'select count(*) from v$parameter group by section having section = "cluster"')" -ge 10 ]
	racsql -e 'select * from v$alert_log' --format json | grep -q '"MESSAGE_TEXT"' || fail "json"
}

test_usage_errors_exit_2() {
	mkconfig 1
	expect_rc 2 "$RACBIN/racctl"
	expect_rc 2 rac frobnicate
	expect_rc 2 rac start
	expect_rc 2 rac start -i 7
	expect_rc 2 rac start -i x
	expect_rc 2 rac fault explode -i 1
	expect_rc 2 rac dump sideways
	expect_rc 0 rac --help
	expect_rc 0 "$RACBIN/racsql" --help
	expect_rc 2 "$RACBIN/racsql" --bogus
}

bad_config() {	# bad_config EXPECTED-SUBSTRING... (config on stdin)
	cat >"$T/bad.ini"
	set +e; out=$("$RACBIN/racctl" -c "$T/bad.ini" status 2>&1); rc=$?; set -e
	echo "$out"
	[ $rc -eq 1 ] || fail "bad config accepted (exit $rc)"
	for want in "$@"; do
		[[ "$out" == *"$want"* ]] || fail "message lacks '$want'"
	done
}

test_bad_configs_are_named_with_the_fix() {
	bad_config "bad.ini:3: unknown key 'hearbeat_interval_ms' in [cluster]; did you mean 'heartbeat_interval_ms'?" <<-EOF
	[cluster]
	name = x
	hearbeat_interval_ms = 100
	[instance1]
	lmon_endpoint = tcp://127.0.0.1:7101
	lms_endpoint = tcp://127.0.0.1:7201
	EOF
	bad_config "bad.ini:2: [cluster] misscount_ms = '3s' is not a whole number" <<-EOF
	[cluster]
	misscount_ms = 3s
	[instance1]
	lmon_endpoint = tcp://127.0.0.1:7101
	lms_endpoint = tcp://127.0.0.1:7201
	EOF
	bad_config "[instance1] has no lms_endpoint; add e.g. 'lms_endpoint = tcp://127.0.0.1:7201'" <<-EOF
	[cluster]
	[instance1]
	lmon_endpoint = tcp://127.0.0.1:7101
	EOF
	bad_config "[instance1] and [instance2] both use endpoint tcp://127.0.0.1:7101" <<-EOF
	[cluster]
	[instance1]
	lmon_endpoint = tcp://127.0.0.1:7101
	lms_endpoint = tcp://127.0.0.1:7201
	[instance2]
	lmon_endpoint = tcp://127.0.0.1:7101
	lms_endpoint = tcp://127.0.0.1:7202
	EOF
	bad_config "no [cluster] section" <<-EOF
	[instance1]
	lmon_endpoint = tcp://127.0.0.1:7101
	lms_endpoint = tcp://127.0.0.1:7201
	EOF
	bad_config "unknown section [instanse2]" <<-EOF
	[cluster]
	[instance1]
	lmon_endpoint = tcp://127.0.0.1:7101
	lms_endpoint = tcp://127.0.0.1:7201
	[instanse2]
	EOF
	bad_config "bad.ini:" "syntax error" <<-EOF
	[cluster
	[instance1]
	EOF
	bad_config "misscount_ms = 200 must be at least 3 times heartbeat_interval_ms" <<-EOF
	[cluster]
	heartbeat_interval_ms = 100
	misscount_ms = 200
	[instance1]
	lmon_endpoint = tcp://127.0.0.1:7101
	lms_endpoint = tcp://127.0.0.1:7201
	EOF
	bad_config "lmon_endpoint = 'tcp://127.0.0.1:99999' is not a valid endpoint" <<-EOF
	[cluster]
	[instance1]
	lmon_endpoint = tcp://127.0.0.1:99999
	lms_endpoint = tcp://127.0.0.1:7201
	EOF
	set +e; out=$("$RACBIN/racctl" -c "$T/nonexistent.ini" status 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] && [[ "$out" == *"nonexistent.ini"*"No such file"* ]] || fail "missing file: $out"
}
