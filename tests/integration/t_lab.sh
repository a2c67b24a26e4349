# Lab mode: every instance in its own network and mount namespace, joined by
# a bridge; faults are real link downs and voting disks taken away.
# Namespaces need root (CI runs as root).

lab_ns() { ip netns list | awk '{print $1}' | grep -cF "racrt-t${T##*.}-" || true; }
need_root() { [ "$(id -u)" -eq 0 ] || fail "lab tests need root"; }
completes() { grep -c '^Reconfiguration complete' "$(alert_file "$1")" || true; }
more_completes() { [ "$(completes "$1")" -gt "$2" ]; }
members_are() { [ "$(racsql -i "$1" -e 'select members from v$cluster' --format csv | sed -n 2p)" = "$2" ]; }
group_pids() { echo "$(member_pid "$1" guard) $(member_pid "$1" lmon) $(member_pid "$1" lms0) $(member_pid "$1" ckpt) $(member_pid "$1" smon)"; }

lab_up() {
	need_root
	mkconfig 3 </dev/null
	set_key misscount_ms 1000
	set_key ckpt_timeout_ms 6000
	rac up --lab -n "${1:-3}"
}

test_lab_up_and_down_leave_nothing() {
	lab_up
	[ "$(lab_ns)" -eq 4 ] || fail "expected 3 instance namespaces and a switch"
	gv=$(racsql -e 'select inst_id, status from gv$instance order by inst_id' --format csv)
	echo "$gv"
	[ "$(echo "$gv" | grep -c ',OPEN$')" -eq 3 ] || fail "not three OPEN instances through the lab"
	# each instance really is in its own network namespace
	lmon=$(member_pid 2 lmon)
	[ "$(readlink /proc/"$lmon"/ns/net)" != "$(readlink /proc/self/ns/net)" ] || fail "not in a namespace"
	[ "$(readlink /proc/"$lmon"/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] || fail "no mount namespace"
	pids="$(group_pids 1) $(group_pids 2) $(group_pids 3)"
	rac down
	all_gone $pids || fail "processes left"
	[ "$(lab_ns)" -eq 0 ] || fail "namespaces left"
	[ ! -e "$T/disk/lab.ini" ] || fail "lab configuration left"
	[ -z "$(lib_loops "$T")" ] || fail "loop devices left: $(lib_loops "$T")"
}

test_lab_hosts_have_their_own_block_devices() {
	lab_up
	# three lab hosts, each its own loop device per shared-disk file, over one image each
	[ "$(lib_loops "$T" | wc -l)" -eq 12 ] || fail "expected 12 loop devices: $(lib_loops "$T")"
	v2=$(racsql -i 2 -e 'select path, kind, direct_io from v$voting_disk order by disk_number' --format csv)
	v3=$(racsql -i 3 -e 'select path, kind, direct_io from v$voting_disk order by disk_number' --format csv)
	echo "$v2"; echo "$v3"
	[ "$(echo "$v2" | grep -c '^/dev/loop[0-9]*,BLOCK,YES$')" -eq 3 ] || fail "instance 2 not on direct-I/O loop devices"
	[ "$(echo "$v2" | sed 1d)" != "$(echo "$v3" | sed 1d)" ] || fail "instances 2 and 3 share their devices"
	racsql -i 2 -e "select value from v\$parameter where name = 'control_file' and section = 'instance2'" --format csv | grep -q '^/dev/loop' ||
		fail "v\$parameter does not show instance 2's control file device"
}

# a 3-instance cluster on loop devices given as /dev/loopN paths, each instance its own
loop_cluster() {
	local ss=$1 img i devs ctl dev
	need_root
	mkconfig 3 </dev/null
	mkdir -p "$T/disk"
	for img in ctl v1 v2 v3; do truncate -s 1M "$T/disk/$img.img"; done
	for i in 1 2 3; do
		devs=""
		for img in v1 v2 v3; do
			dev=$(losetup -f --show --direct-io=on -b "$ss" "$T/disk/$img.img")
			devs="$devs${devs:+, }$dev"
		done
		ctl=$(losetup -f --show --direct-io=on -b "$ss" "$T/disk/ctl.img")
		sed -i "s|^\[instance$i\]\$|[instance$i]\ncontrol_file = $ctl\nvoting_disks = $devs|" "$T/rac.ini"
		if [ "$i" -eq 1 ]; then
			set_key voting_disks "$devs"
			set_key control_file "$ctl"
		fi
	done
	cat "$T/rac.ini"
	[ "$(blockdev --getss "$ctl")" -eq "$ss" ] || fail "loop device sector size is not $ss"
	rac init
	for i in 1 2 3; do rac start -i "$i"; done
	wait_for "three members" 10000 members_are 1 "1 2 3"
	for i in 1 2 3; do
		v=$(racsql -i "$i" -e 'select path, state, kind, sector_size, direct_io from v$voting_disk' --format csv)
		echo "$v"
		[ "$(echo "$v" | grep -c "^/dev/loop[0-9]*,ONLINE,BLOCK,$ss,YES\$")" -eq 3 ] ||
			fail "instance $i: voting disks not ONLINE direct-I/O block devices of $ss bytes"
	done
	rac dump vote --disk 2 | grep -E "inst=3 state=alive" || fail "instance 3's heartbeat not on disk 2"
	# and it runs: a kill is seen through the other hosts' devices
	p3=$(group_pids 3)
	rac fault kill -i 3 -p lmon
	wait_for "instance 3 gone" 5000 all_gone $p3
	wait_for "two members" 10000 members_are 1 "1 2"
}

test_lab_cluster_on_512_byte_sector_loop_devices() { loop_cluster 512; }
test_lab_cluster_on_4096_byte_sector_loop_devices() { loop_cluster 4096; }

test_lab_net_cut_evicts_the_cut_instance_and_it_rejoins() {
	lab_up
	c1=$(completes 1)
	p3=$(group_pids 3)
	rac fault net-cut -i 3
	alert_has 3 "Fault injected by operator (racctl fault net-cut)"
	wait_for "survivors reconfigure" 8000 more_completes 1 "$c1"
	wait_for "instance 3 gone" 5000 all_gone $p3
	alert_has 1 "(reason NETWORK)"
	alert_has 1 "Evicting instance 3 from cluster"
	grep -qE "evicted from the cluster|evicted this instance" "$(alert_file 3)" || fail "instance 3 does not say it was evicted"
	members_are 1 "1 2" || fail "survivors"
	# rule 2: the survivors wrote a kill block for the instance they left out
	rac dump vote --disk 1 | grep -E "kill block .*target=3 " || fail "no kill block for instance 3"
	# every member's vote said the same about instance 3: 1 and 2 see each other only
	grep -E "IMR vote .*1:\{ 1 2 \} 2:\{ 1 2 \}" "$(alert_file 1)" || fail "votes"
	rac fault net-restore -i 3
	rac start -i 3
	wait_for "three members again" 5000 members_are 1 "1 2 3"
}

test_lab_lost_disk_majority_leaves_by_itself() {
	lab_up
	c1=$(completes 1)
	p2=$(group_pids 2)
	rac fault disk-off -i 2 --disk 1
	rac fault disk-off -i 2 --disk 3
	wait_for "instance 2 leaves" 8000 all_gone $p2
	alert_has 2 "Only 1 of 3 voting disks reachable: no strict majority"
	alert_has 2 "no further shared-disk writes"
	wait_for "survivors reconfigure" 8000 more_completes 1 "$c1"
	members_are 1 "1 3" || fail "survivors"
	# the others still see all three disks: it was instance 2's fault alone
	[ "$(racsql -i 1 -e "select count(*) from v\$voting_disk where state = 'ONLINE'" --format csv | sed -n 2p)" = 3 ]
}

test_lab_one_lost_disk_is_survived() {
	lab_up
	rac fault disk-off -i 3 --disk 2
	offline() { [ "$(racsql -i 3 -e "select state from v\$voting_disk where disk_number = 2" --format csv | sed -n 2p)" = OFFLINE ]; }
	wait_for "disk 2 OFFLINE on instance 3" 3000 offline
	# a full lease later it is still a member: two of three is a majority
	c1=$(completes 1)
	deadline=$(( $(date +%s%N) / 1000000 + 2500 ))
	while [ $(( $(date +%s%N) / 1000000 )) -lt $deadline ]; do
		[ "$(completes 1)" = "$c1" ] || fail "membership changed"
		sleep 0.1
	done
	members_are 3 "1 2 3"
	rac fault disk-on -i 3 --disk 2
	online() { [ "$(racsql -i 3 -e "select state from v\$voting_disk where disk_number = 2" --format csv | sed -n 2p)" = ONLINE ]; }
	wait_for "disk 2 back" 3000 online
	alert_has 3 "Voting disk 2 (" 
}

test_lab_faults_need_a_lab() {
	mkconfig 1 </dev/null
	rac init >/dev/null
	rac start -i 1 >/dev/null
	set +e; out=$(rac fault net-cut -i 1 2>&1); rc=$?; set -e
	[ $rc -eq 1 ] && [[ "$out" == *"needs 'racctl up --lab'"* ]] || fail "net-cut without a lab: $rc $out"
	expect_rc 2 rac fault disk-off -i 1
	expect_rc 2 rac up -n 3
}

test_lab_no_disk_majority_anywhere_shrinks_to_lowest_member() {
	# rule 4: everyone hears everyone, nobody reaches a majority of voting disks.
	# The six faults below take a few seconds on a loaded machine: all must
	# land within one lease, or instance 1's runs out before rule 4 applies.
	need_root
	mkconfig 3 </dev/null
	set_key misscount_ms 1000
	set_key ckpt_timeout_ms 6000
	set_key disktimeout_ms 5000
	rac up --lab -n 3
	p2=$(group_pids 2); p3=$(group_pids 3)
	for i in 1 2 3; do
		rac fault disk-off -i "$i" --disk 1
		rac fault disk-off -i "$i" --disk 2
	done
	wait_for "instances 2 and 3 leave" 10000 all_gone $p2 $p3
	wait_for "instance 1 alone" 8000 members_are 1 "1"
	alert_has 1 "Rule 4: every member hears every other but none reaches a strict majority"
	alert_has 2 "no strict majority"
	[ "$(racsql -i 1 -e 'select status from v$instance' --format csv | sed -n 2p)" = OPEN ]
}

test_lab_split_brain_two_against_two_keeps_the_lowest_group() {
	# rule 2 and IMR under split brain: {1,2} | {3,4}, equal halves
	need_root
	mkconfig 4 </dev/null
	set_key misscount_ms 1000
	set_key ckpt_timeout_ms 6000
	rac up --lab -n 4
	p3=$(group_pids 3); p4=$(group_pids 4)
	sw="racrt-t${T##*.}-sw"
	# a second switch for instances 3 and 4: the halves no longer hear each other
	ip -n "$sw" link add br1 type bridge
	ip -n "$sw" link set br1 up
	ip -n "$sw" link set r3 master br1
	ip -n "$sw" link set r4 master br1
	wait_for "instances 3 and 4 gone" 10000 all_gone $p3 $p4
	wait_for "{1,2} settled" 8000 members_are 1 "1 2"
	wait_for "{1,2} settled on instance 2 too" 8000 members_are 2 "1 2"
	any_alert_has "split brain; waiting 600 ms (imr_splitbrain_res_wait_ms)"
	grep -E "IMR vote .*result \{ 1 2 \}" "$(alert_file 1)" || fail "result"
	rac dump vote --disk 1 | grep -E "kill block .*target=3 " || fail "no kill block for 3"
	rac dump vote --disk 1 | grep -E "kill block .*target=4 " || fail "no kill block for 4"
}

# ---- clocks that differ between hosts (issue 14, liveness on the reader's clock) ----
iso_ms() { echo $(( $(date -d "$1" +%s%N) / 1000000 )); }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# how far instance N's clock is off, in ms: its newest guardian trace opens with a
# line written before the drill's offset applies (network namespace) and goes
# on, a few ms later, with one written after it (the "Starting instance" line)
skew_ms() {
	local f a b
	f=$(ls -t "$T/local/RAC$1/trace/"*_guard_*.trc | head -1)
	a=$(sed -n 1p "$f" | cut -c1-26)
	b=$(grep -m1 'Starting instance' "$f" | cut -c1-26)
	echo $(( $(iso_ms "$b") - $(iso_ms "$a") ))
}
# for $1 ms no reconfiguration completes on instance 1 and every pid in $2 stays
steady_for() {
	local end=$(( $(now_ms) + $1 )) c p
	c=$(completes 1)
	while [ "$(now_ms)" -lt "$end" ]; do
		[ "$(completes 1)" = "$c" ] || fail "membership changed while idle"
		for p in $2; do pid_gone "$p" && fail "process $p is gone"; done
		sleep 0.1
	done
}

test_lab_clocks_three_seconds_apart_change_nothing() {
	lab_up
	# instance 2's host runs 3 s ahead, instance 3's 3 s behind, from their start
	rac stop -i 2 >/dev/null
	rac stop -i 3 >/dev/null
	rac fault clock-skew -i 2 --ms 3000 | grep -q "set 3000 ms ahead"
	rac fault clock-skew -i 3 --ms -3000 | grep -q "set 3000 ms behind"
	rac start -i 2 >/dev/null || fail "instance 2 (3 s ahead) cannot start"
	rac start -i 3 >/dev/null || fail "instance 3 (3 s behind) cannot start"
	wait_for "three members" 10000 members_are 1 "1 2 3"
	members_are 2 "1 2 3" && members_are 3 "1 2 3" || fail "members differ"
	# the drill is in force: each writes its alert log by its own clock
	[ "$(skew_ms 2)" -gt 2000 ] || fail "instance 2's clock is not ahead: $(skew_ms 2) ms"
	[ "$(skew_ms 3)" -lt -2000 ] || fail "instance 3's clock is not behind: $(skew_ms 3) ms"
	dt=$(racsql -i 1 -e "select value from v\$parameter where name = 'disktimeout_ms'" --format csv | sed -n 2p)
	# idle: the cluster stays whole for two leases
	steady_for $((2 * dt + 500)) "$(group_pids 1) $(group_pids 2) $(group_pids 3)"
	# a kill of the instance behind: the others go on, and it rejoins
	c1=$(completes 1); p3=$(group_pids 3)
	kill -9 "$(member_pid 3 lmon)"
	wait_for "instance 3 gone" 5000 all_gone $p3
	wait_for "1 and 2 reconfigure" 8000 more_completes 1 "$c1"
	wait_for "members 1 2" 5000 members_are 1 "1 2"
	rac start -i 3 >/dev/null || fail "instance 3 cannot rejoin"
	wait_for "three members again" 10000 members_are 1 "1 2 3"
	# an abort of the instance ahead (no confirmation: its lease must run out)
	c1=$(completes 1)
	rac stop -i 2 --abort >/dev/null
	wait_for "1 and 3 reconfigure" 10000 more_completes 1 "$c1"
	wait_for "members 1 3" 5000 members_are 1 "1 3"
	members_are 3 "1 3" || fail "instance 3 disagrees"
	rac start -i 2 >/dev/null || fail "instance 2 cannot rejoin"
	wait_for "three members again" 10000 members_are 1 "1 2 3"
	# a net-cut of the instance behind
	c1=$(completes 1); p3=$(group_pids 3)
	rac fault net-cut -i 3 >/dev/null
	wait_for "survivors reconfigure" 8000 more_completes 1 "$c1"
	wait_for "instance 3 gone" 5000 all_gone $p3
	members_are 1 "1 2" && members_are 2 "1 2" || fail "survivors"
	rac fault net-restore -i 3 >/dev/null
	rac start -i 3 >/dev/null || fail "instance 3 cannot rejoin after the cut"
	wait_for "three members at the end" 10000 members_are 1 "1 2 3"
}

# ---- one life per instance number (issue 14) ----
test_lab_second_start_of_a_live_instance_number_is_refused() {
	lab_up
	c1=$(completes 1); c2=$(completes 2)
	pids="$(group_pids 1) $(group_pids 2) $(group_pids 3)"
	# host 2 misconfigured as instance 1 too: its own address and ports, its own
	# local_dir (so its own SGA), the same shared disks
	sed -e '/^\[instance1\]/,/^\[instance2\]/{' \
		-e 's#tcp://10\.213\.0\.1:7101#tcp://10.213.0.2:7901#' \
		-e 's#tcp://10\.213\.0\.1:7201#tcp://10.213.0.2:7902#' \
		-e 's#^netns = \(racrt-.*\)-1$#netns = \1-2#' \
		-e "s#^local_dir = .*#local_dir = $T/host2/RAC1#" -e '}' "$T/disk/lab.ini" >"$T/second.ini"
	grep -q 'netns = racrt-.*-2' <(sed -n '/^\[instance1\]/,/^\[instance2\]/p' "$T/second.ini") ||
		fail "second configuration not made"
	set +e; out=$("$RACBIN/racctl" -c "$T/second.ini" start -i 1 2>&1); rc=$?; set -e
	echo "$out"
	[ "$rc" -ne 0 ] && [[ "$out" == *"instance number 1 is in use"* ]] || fail "second start: rc $rc"
	grep -q "Start refused: instance number 1 is in use" "$T/host2/RAC1/alert_RAC1.log" ||
		fail "the refused life's alert log does not say why"
	# it changed nothing: the live instance 1 keeps its slot, nobody reconfigured
	rac dump vote --disk 1 | grep -E "disk heartbeat .* inst=1 state=alive" ||
		fail "the live instance 1's slot was marked"
	! grep -q "instance 1: death confirmed" "$(alert_file 2)" || fail "a survivor took a death mark"
	for p in $pids; do pid_gone "$p" && fail "process $p is gone"; done
	[ "$(completes 1)" = "$c1" ] && [ "$(completes 2)" = "$c2" ] || fail "a reconfiguration ran"
	members_are 1 "1 2 3" || fail "members"
}

# A host on the lab's network that is not in the cluster: it reaches every
# port, but without the cluster's keys it is refused, counted and named by
# its address, and nothing changes
test_lab_stranger_on_the_network_is_refused() {
	lab_up 2
	name=$(sed -n 's/^name = //p' "$T/rac.ini" | head -1)
	sw="racrt-$name-sw" ns="racrt-$name-stranger"
	ip netns add "$ns"
	ip -n "$sw" link add rs type veth peer name eth0 netns "$ns"
	ip -n "$sw" link set rs master br0 up
	ip -n "$ns" addr add 10.213.0.200/24 dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	inc=$(racsql -i 1 -e 'select incarnation from v$instance' --format csv | sed -n 2p)
	st() { racsql -i 1 -e "select value from v\$sysstat where name = '$1'" --format csv | sed -n 2p; }
	# plain ZeroMQ, and CURVE with a key nobody knows, to LMON and LMS
	ip netns exec "$ns" "$RACBIN/zsend" tcp://10.213.0.1:7101 hb 20 "$name"
	ip netns exec "$ns" "$RACBIN/zsend" tcp://10.213.0.1:7201 hb 20 "$name"
	ZSEND_KEY=new ZSEND_SERVER=$T/rackeys/inst1.pub \
		ip netns exec "$ns" "$RACBIN/zsend" tcp://10.213.0.1:7101 view 1 "$name" reply &&
		fail "the stranger got a view"
	named() { grep -qF "Interconnect: refused a connection from 10.213.0.200: unknown key" "$(alert_file 1)"; }
	wait_for "the stranger named by its address" 5000 named
	[ "$(st 'interconnect connections refused')" -ge 3 ] || fail "not counted"
	[ "$(st 'malformed messages dropped')" = 0 ] || fail "a stranger's message was read"
	ip netns del "$ns"
	members_are 1 "1 2" || fail "membership changed"
	[ "$(racsql -i 1 -e 'select incarnation from v$instance' --format csv | sed -n 2p)" = "$inc" ] ||
		fail "incarnation changed"
	[ "$(racsql -e 'select count(*) from gv$instance where status = '"'OPEN'" --format csv |
		sed -n 2p)" = 2 ] || fail "gv\$ views through the lab broke"
}
