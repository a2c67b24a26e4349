# Integration tests of cluster membership: forming, joining, leaving,
# deaths confirmed and unconfirmed, IMR, the control node, rejoin, a stalled
# control-file heartbeat, malformed interconnect messages.

# v$instance column of instance N
inst_col() { racsql -i "$1" -e "select $2 from v\$instance" --format csv | sed -n 2p; }
role_of() { inst_col "$1" role; }
inc_of() { inst_col "$1" incarnation; }
# number of completed reconfigurations written in instance N's alert log
completes() { grep -c '^Reconfiguration complete' "$(alert_file "$1")" || true; }
more_completes() { [ "$(completes "$1")" -gt "$2" ]; }
group_pids() { echo "$(member_pid "$1" guard) $(member_pid "$1" lmon) $(member_pid "$1" lms0) $(member_pid "$1" ckpt) $(member_pid "$1" smon)"; }

# up3 [KEY VALUE]...: three instances started, with these [cluster] keys set
up3() {
	mkconfig 3 </dev/null
	while [ $# -ge 2 ]; do set_key "$1" "$2"; shift 2; done
	rac init >/dev/null
	for i in 1 2 3; do rac start -i "$i"; done
}

# the DESIGN §5 lines, in this order, after the last "Reconfiguration started"
check_reconfig_lines() {
	local f; f=$(alert_file "$1")
	# from the last "Reconfiguration started" through its "complete", with the
	# timestamp lines of the entries taken out
	awk '/^Reconfiguration started/{buf=""; on=1} on{buf=buf $0 "\n"}
	     /^Reconfiguration complete/{if (on) last=buf; on=0} END{printf "%s", last}' "$f" |
		grep -v '^20[0-9][0-9]-' >"$T/last.txt"
	local want=("Reconfiguration started (old inc" "List of instances:" "(myinst: $1)"
		" Global Resource Directory frozen" " Communication channels reestablished"
		" Master broadcasted resource hash value bitmaps" " Non-local Process blocks cleaned out"
		" LMS 0: " " Set master node info" " Submitted all remote-enqueue requests"
		" Dwn-cvts replayed, VALBLKs dubious" " All grantable enqueues granted"
		" Post SMON to start 1st pass IR" " Submitted all GCS remote-cache requests"
		" Fix write in gcs resources" "Reconfiguration complete (total time")
	local line=0 w n
	# the block is contiguous: 17 lines from "started" to "complete"
	[ "$(grep -vc '^$' "$T/last.txt")" -eq 17 ] || { cat "$T/last.txt"; fail "instance $1: other lines inside the reconfiguration block"; }
	for w in "${want[@]}"; do
		n=$(grep -nF -- "$w" "$T/last.txt" | head -1 | cut -d: -f1)
		[ -n "$n" ] || fail "instance $1: '$w' missing from the last reconfiguration"
		[ "$n" -gt "$line" ] || fail "instance $1: '$w' out of order"
		line=$n
	done
}

test_three_instances_form_one_cluster() {
	up3
	for i in 1 2 3; do
		[ "$(inst_col "$i" status)" = OPEN ] || fail "instance $i not OPEN"
	done
	[ "$(role_of 1)" = "CONTROL NODE" ] || fail "instance 1 is not the control node"
	[ "$(role_of 2)" = "NORMAL NODE" ] && [ "$(role_of 3)" = "NORMAL NODE" ] || fail "roles"
	[ "$(inc_of 1)" = "$(inc_of 2)" ] && [ "$(inc_of 2)" = "$(inc_of 3)" ] || fail "incarnations differ"
	alert_has 1 "Reconfiguration triggered (reason FORM)"
	alert_has 2 "Joining cluster"
	alert_has 3 "Joining cluster"
	check_reconfig_lines 1
	check_reconfig_lines 3
	rac dump control | grep -E '^block 1 .*bitmap=0b111 \(1 2 3\) valid=yes' || fail "membership bitmap"
}

test_simultaneous_start_gives_one_membership() {
	mkconfig 3 </dev/null
	rac init >/dev/null
	rac start -i 3 & p3=$!
	rac start -i 2 & p2=$!
	rac start -i 1 & p1=$!
	wait $p1 && wait $p2 && wait $p3 || fail "a start failed"
	[ "$(inc_of 1)" = "$(inc_of 2)" ] && [ "$(inc_of 2)" = "$(inc_of 3)" ] || fail "incarnations differ"
	n=0
	for i in 1 2 3; do [ "$(role_of "$i")" = "CONTROL NODE" ] && n=$((n + 1)); done
	[ $n -eq 1 ] || fail "$n control nodes"
	[ "$(role_of 1)" = "CONTROL NODE" ] || fail "control node is not the lowest instance"
	[ "$(grep -c 'Reconfiguration triggered (reason FORM)' "$T"/local/RAC*/alert_*.log | awk -F: '{s+=$2} END{print s}')" = 1 ] ||
		fail "more than one instance formed a cluster"
}

kill_role_on() {	# kill_role_on INSTANCE ROLE: the other two reconfigure without it
	local victim=$1 role=$2 s1 s2
	up3
	set -- 1 2 3
	local survivors=() i
	for i in 1 2 3; do [ "$i" != "$victim" ] && survivors+=("$i"); done
	s1=${survivors[0]}; s2=${survivors[1]}
	c1=$(completes "$s1"); c2=$(completes "$s2"); inc=$(inc_of "$s1")
	pids=$(group_pids "$victim")
	kill -9 "$(member_pid "$victim" "$role")"
	wait_for "group of $victim gone" 2000 all_gone $pids
	wait_for "reconfiguration on $s1" 5000 more_completes "$s1" "$c1"
	wait_for "reconfiguration on $s2" 5000 more_completes "$s2" "$c2"
	any_alert_has "Reconfiguration triggered (reason CRASH): instance $victim: death confirmed on the voting disks"
	alert_has "$s1" "Reconfiguration triggered (reason CRASH)"
	alert_has "$s1" "Evicting instance $victim from cluster"
	check_reconfig_lines "$s1"
	check_reconfig_lines "$s2"
	[ "$(inc_of "$s1")" -gt "$inc" ] || fail "incarnation did not rise"
	[ "$(inc_of "$s1")" = "$(inc_of "$s2")" ] || fail "survivors disagree on the incarnation"
	grep -q "^ $s1 $s2 (myinst: $s1)" "$(alert_file "$s1")" || fail "list of instances"
}

test_kill_lmon_of_normal_node() { kill_role_on 3 lmon; [ "$(role_of 1)" = "CONTROL NODE" ]; }
test_kill_lms_of_normal_node() { kill_role_on 3 lms0; }
test_kill_ckpt_of_normal_node() { kill_role_on 2 ckpt; }
test_kill_smon_of_normal_node() { kill_role_on 2 smon; }

test_kill_control_node_moves_control_and_rejoin_is_normal() {
	kill_role_on 1 lms0
	[ "$(role_of 2)" = "CONTROL NODE" ] || fail "instance 2 did not become control node"
	[ "$(role_of 3)" = "NORMAL NODE" ] || fail "instance 3 role"
	alert_has 2 "Control node moved from instance 1 to instance 2"
	rac start -i 1
	[ "$(role_of 1)" = "NORMAL NODE" ] || fail "rejoined instance is not a normal node"
	[ "$(role_of 2)" = "CONTROL NODE" ] || fail "control node moved on rejoin"
	[ "$(inc_of 1)" = "$(inc_of 2)" ] && [ "$(inc_of 2)" = "$(inc_of 3)" ] || fail "incarnations differ"
	alert_has 1 "Joining cluster"
}

test_clean_leave_reconfigures() {
	up3
	c1=$(completes 1)
	rac stop -i 3
	wait_for "reconfiguration on 1" 5000 more_completes 1 "$c1"
	alert_has 1 "Reconfiguration triggered (reason LEAVE)"
	alert_has 3 "Leaving cluster"
	grep -q "^ 1 2 (myinst: 1)" "$(alert_file 1)" || fail "list of instances"
}

test_abort_waits_out_the_lease() {
	# the control-file heartbeat must not notice first: this is the lease path
	up3 ckpt_timeout_ms 6000
	c1=$(completes 1)
	rac stop -i 2 --abort
	wait_for "reconfiguration on 1" 8000 more_completes 1 "$c1"
	# nobody confirmed the death: the survivors waited for the lease to run out
	any_alert_has "instance 2: voting-disk lease expired"
	! any_alert_has "instance 2: death confirmed" || fail "abort was confirmed"
	check_reconfig_lines 1
}

test_fencing_before_completion_when_ckpt_notices_first() {
	# a stalled control-file heartbeat starts IMR before the lease runs out;
	# the reconfiguration may still only complete once the lease has run out
	up3
	c1=$(completes 1)
	rac stop -i 2 --abort
	wait_for "reconfiguration on 1" 8000 more_completes 1 "$c1"
	f=$(alert_file 1)
	lease=$(grep -n "Disk heartbeat of instance 2 missing" "$f" | head -1 | cut -d: -f1)
	done_at=$(grep -n "^Reconfiguration complete" "$f" | tail -1 | cut -d: -f1)
	[ -n "$lease" ] || fail "lease expiry of instance 2 never seen"
	[ "$lease" -lt "$done_at" ] || fail "reconfiguration completed before instance 2 was fenced"
}

test_whole_group_abort_of_control_node() {
	up3
	c2=$(completes 2)
	rac stop -i 1 --abort
	wait_for "reconfiguration on 2" 8000 more_completes 2 "$c2"
	[ "$(role_of 2)" = "CONTROL NODE" ] || fail "no new control node"
}

test_stalled_ckpt_triggers_imr_against_it() {
	# CKPT stops advancing (SIGSTOP) well before the member hang timeout
	up3 member_hang_timeout_ms 20000 ckpt_timeout_ms 900
	c1=$(completes 1)
	pids=$(group_pids 3)
	rac fault hang -i 3 -p ckpt
	wait_for "reconfiguration on 1" 8000 more_completes 1 "$c1"
	any_alert_has "(reason CKPT): instance 3: control-file heartbeat"
	alert_has 1 "(reason CKPT)"
	alert_has 1 "Evicting instance 3 from cluster"
	wait_for "instance 3 gone" 5000 all_gone $pids
	# it stops by reading the IMR result or its kill block, whichever comes first
	grep -qE "evicted from the cluster|evicted this instance" "$(alert_file 3)" || fail "instance 3 does not say it was evicted"
}

test_malformed_messages_are_counted_and_dropped() {
	up3
	ep=$(sed -n '/^\[instance1\]/,/^\[/s/^lmon_endpoint = //p' "$T/rac.ini")
	inc=$(inc_of 1); c1=$(completes 1)
	name=$(sed -n 's/^name = //p' "$T/rac.ini" | head -1)
	# sent as a member would (instance 2's key): what the decoder must catch
	export ZSEND_KEY=$T/rackeys/inst2.key ZSEND_SERVER=$T/rackeys/inst1.pub ZSEND_SENDER=2
	for kind in garbage short magic version type length trailing sender; do
		"$RACBIN/zsend" "$ep" "$kind" 20 "$name"
	done
	"$RACBIN/zsend" "$ep" foreign 30 "$name"
	unset ZSEND_KEY ZSEND_SERVER ZSEND_SENDER
	stat() { racsql -i 1 -e "select value from v\$sysstat where name = '$1'" --format csv | sed -n 2p; }
	bad_at_least() { [ "$(stat 'malformed messages dropped')" -ge 160 ]; }
	wait_for "160 malformed messages counted" 3000 bad_at_least
	foreign_at_least() { [ "$(stat 'foreign-cluster messages dropped')" -ge 30 ]; }
	wait_for "30 foreign messages counted" 3000 foreign_at_least
	# nothing else happened: same membership, same incarnation, still OPEN
	[ "$(inc_of 1)" = "$inc" ] && [ "$(completes 1)" = "$c1" ] || fail "membership changed"
	[ "$(inst_col 1 status)" = OPEN ]
	grep -q "dropped a .*-byte message" "$T"/local/RAC1/trace/RAC1_lmon_*.trc || fail "not logged"
}

test_two_deaths_in_a_row_end_in_one_membership() {
	# the second death lands while the first reconfiguration runs
	mkconfig 4 </dev/null
	rac init >/dev/null
	for i in 1 2 3 4; do rac start -i "$i"; done
	p3=$(group_pids 3); p4=$(group_pids 4)
	kill -9 "$(member_pid 3 lms0)"
	kill -9 "$(member_pid 4 lmon)"
	wait_for "groups 3 and 4 gone" 2000 all_gone $p3 $p4
	members_12() {
		[ "$(racsql -i "$1" -e 'select members, status from v$cluster' --format csv | sed -n 2p)" = '1 2,STABLE' ]
	}
	wait_for "instance 1 settled on {1,2}" 8000 members_12 1
	wait_for "instance 2 settled on {1,2}" 8000 members_12 2
	[ "$(inc_of 1)" = "$(inc_of 2)" ] || fail "survivors disagree on the incarnation"
	alert_has 1 "Evicting instance 3 from cluster"
	alert_has 1 "Evicting instance 4 from cluster"
	check_reconfig_lines 2
}

# instance N's disk heartbeat counter on voting disk 1, and its checkpoint count
hb_counter() { rac dump vote --disk 1 | sed -n "s/.*disk heartbeat .* inst=$1 .*counter=\([0-9]*\).*/\1/p"; }
ckpt_of() { rac dump control | sed -n "s/.*checkpoint progress record.* inst=$1 .*count=\([0-9]*\).*/\1/p"; }

test_stopped_lmon_past_its_lease_fences_itself() {
	# the guardian's hang timeout must not act first: the lease is under test
	up3 member_hang_timeout_ms 20000 ckpt_timeout_ms 6000
	c1=$(completes 1)
	pids=$(group_pids 3)
	rac fault hang -i 3 -p lmon
	wait_for "survivors evict instance 3" 8000 more_completes 1 "$c1"
	any_alert_has "instance 3: voting-disk lease expired"
	# from here on instance 3 may write nothing to the shared disk
	hb=$(hb_counter 3); ck=$(ckpt_of 3)
	rac fault resume -i 3 -p lmon
	wait_for "instance 3 gone after it resumed" 5000 all_gone $pids
	# its lease lapsed and a kill block waits for it: either stops it, writing nothing
	grep -qE "own voting-disk lease expired|Kill block read" "$(alert_file 3)" || fail "no reason to stop"
	alert_has 3 "no further shared-disk writes"
	[ "$(hb_counter 3)" = "$hb" ] || fail "disk heartbeat written after the lease lapsed"
	[ "$(ckpt_of 3)" = "$ck" ] || fail "checkpoint record written after the lease lapsed"
	rac dump vote --disk 1 | grep -E "inst=3 state=alive" || fail "a DEAD mark was written by a fenced instance"
}

control_role_killed() {
	kill_role_on 1 "$1"
	[ "$(role_of 2)" = "CONTROL NODE" ] || fail "instance 2 did not become control node"
	alert_has 2 "Control node moved from instance 1 to instance 2"
}
test_kill_lmon_of_control_node() { control_role_killed lmon; }
test_kill_ckpt_of_control_node() { control_role_killed ckpt; }
test_kill_smon_of_control_node() { control_role_killed smon; }

active_are() { [ "$(racsql -i 1 -e 'select inst_number from v$active_instances order by 1' --format csv | sed 1d | tr '\n' ' ')" = "$1" ]; }
kill_block_for() { rac dump vote --disk 1 | grep -E "kill block .*target=$1 "; }

test_resumed_lmon_reads_its_kill_block_and_stops_writing() {
	# LMON stopped past misscount but not past its lease: the survivors evict it
	# by IMR and write a kill block; on resume it must obey the block at once
	up3 misscount_ms 1000 member_hang_timeout_ms 20000 ckpt_timeout_ms 6000
	pids=$(group_pids 3)
	rac fault hang -i 3 -p lmon
	wait_for "a kill block for instance 3" 3000 kill_block_for 3
	rac fault resume -i 3 -p lmon
	wait_for "instance 3 gone" 5000 all_gone $pids
	# it stops on whichever it reads first after it resumes: its kill block on a
	# voting disk, or the newer membership on the control file that leaves it out
	grep -qE "Kill block read on voting disk|leaves this instance out" "$(alert_file 3)" ||
		fail "no reason to stop"
	grep -qE "stopping all shared-disk I/O|LMON exits and the instance with it" "$(alert_file 3)" ||
		fail "did not stop"
	any_alert_has "Kill block written for instance 3"
	# nothing of instance 3 touched the disks after it read the block; stopped by
	# the newer membership instead, with its lease still running, its guardian
	# may confirm its death (rule 5), and only that
	if alert_has 3 "Kill block read on voting disk"; then
		rac dump vote --disk 1 | grep -E "disk heartbeat .* inst=3 state=alive" ||
			fail "instance 3 marked its slot after the kill block"
	else
		rac dump vote --disk 1 | grep -E "disk heartbeat .* inst=3 state=(alive|dead)" ||
			fail "instance 3's slot: $(rac dump vote --disk 1 | grep 'inst=3')"
	fi
	# the block names that life of instance 3, not the next one
	rac start -i 3 >/dev/null || fail "instance 3 cannot start again after its kill block"
	wait_for "instance 3 back in the cluster" 10000 active_are "1 2 3 "
	kill_block_for 3 >/dev/null || fail "the old kill block is gone"
}

test_resumed_lmon_left_out_without_its_kill_block_evicts_nobody() {
	# as above, but the kill block never reaches instance 3 (wiped on every
	# voting disk): on resume it must find the newer membership that leaves
	# it out and stop -- not vote alone on its old membership and evict the
	# two that went on without it
	# a lease long enough that the stall below does not run it out
	up3 misscount_ms 1000 disktimeout_ms 8000 member_hang_timeout_ms 20000 ckpt_timeout_ms 6000
	pids=$(group_pids 3)
	rac fault hang -i 3 -p lmon
	wait_for "a kill block for instance 3" 3000 kill_block_for 3
	for d in 1 2 3; do
		# the kill block of instance 3: voting-disk block 9 + 2 * (3 - 1), at 13 * 4096
		dd if=/dev/zero of="$T/disk/v$d.dsk" bs=4096 seek=13 count=1 conv=notrunc oflag=direct status=none
	done
	kill_block_for 3 >/dev/null && fail "the kill block of instance 3 is still there"
	rac fault resume -i 3 -p lmon
	wait_for "instance 3 gone" 5000 all_gone $pids
	alert_has 3 "leaves this instance out"
	# its lease was still good: its guardian confirmed the death, so the
	# survivors finish without waiting the lease out
	alert_has 3 "Death confirmed on 3 of 3 voting disks"
	for i in 1 2; do
		[ "$(inst_col "$i" status)" = OPEN ] || fail "instance $i not OPEN after instance 3 came back"
		grep -q "Kill block read" "$T/local/RAC$i/alert_RAC$i.log" && fail "instance $i was killed"
	done
	wait_for "instances 1 and 2 the active ones" 5000 active_are "1 2 "
}

# A clean stop and a start at once, again and again: the new life must not
# get the kill block meant for the life that left (the survivor addresses it
# to the life it saw when the leave began, not to the freshest heartbeat)
test_clean_stop_then_immediate_start_is_not_killed() {
	mkconfig 2 </dev/null
	rac init >/dev/null
	rac start -i 1 >/dev/null
	rac start -i 2 >/dev/null
	cl_members() { racsql -i "$1" -e 'select members from v$cluster' --format csv 2>/dev/null | sed -n 2p; }
	two() { [ "$(cl_members 1)" = "1 2" ] && [ "$(cl_members 2)" = "1 2" ]; }
	wait_for "both in one membership" 10000 two
	for k in $(seq 1 10); do
		rac stop -i 2 >/dev/null
		rac start -i 2 >/dev/null || fail "cycle $k: the start failed: $(tail -5 "$(alert_file 2)")"
		wait_for "cycle $k: both in one membership" 10000 two
	done
	! grep -q "Kill block read" "$(alert_file 2)" || fail "a new life read a kill block"
}
