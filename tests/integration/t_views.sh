# Integration tests of racsql's cluster views: v$cluster, v$active_instances,
# v$reconfig_history, v$reconfig_steps, and the gv$ views gathered from every
# instance over the interconnect.

three_started() {
	mkconfig 3
	rac init >/dev/null
	rac start -i 1
	rac start -i 2
	rac start -i 3
}

# every instance sees the same three-member membership, reconfigured
cluster_stable() {
	[ "$(racsql -e "select count(*) from gv\$cluster
		where status = 'STABLE' and n_ok = 3 and members = '1 2 3'" --format csv |
		sed -n 2p)" = 3 ]
}

# milliseconds since the epoch
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

test_views_gv_instance_three_open() {
	three_started
	wait_for "all three instances STABLE with three members" 10000 cluster_stable
	racsql -e 'select inst_id, instance_name, status, role, incarnation from gv$instance
		order by inst_id' --format csv >"$T/gv.csv" 2>"$T/gv.err"
	cat "$T/gv.csv" "$T/gv.err"
	[ ! -s "$T/gv.err" ] || fail "racsql complained about a running cluster"
	[ "$(sed -n 1p "$T/gv.csv")" = "INST_ID,INSTANCE_NAME,STATUS,ROLE,INCARNATION" ] ||
		fail "gv\$instance header"
	[ "$(sed 1d "$T/gv.csv" | wc -l)" = 3 ] || fail "not three rows"
	for i in 1 2 3; do
		grep -q "^$i,RAC$i,OPEN," "$T/gv.csv" || fail "instance $i is not an OPEN row"
	done
	[ "$(sed 1d "$T/gv.csv" | cut -d, -f5 | sort -u | wc -l)" = 1 ] ||
		fail "the instances disagree on the incarnation"
	[ "$(grep -c ',CONTROL NODE,' "$T/gv.csv")" = 1 ] || fail "not exactly one control node"
	# the same rows as each instance's own v$instance says
	for i in 1 2 3; do
		[ "$(sql1 -i $i -e 'select incarnation, role from v$instance')" = \
			"$(sql1 -e "select incarnation, role from gv\$instance where inst_id = $i")" ] ||
			fail "gv\$instance row $i differs from v\$instance of instance $i"
	done
	# gv$parameter: each instance's own configuration in force
	[ "$(sql1 -e "select count(distinct inst_id) from gv\$parameter
		where section = 'instance' || inst_id and name = 'name' and value = 'RAC' || inst_id")" = 3 ] ||
		fail "gv\$parameter does not show each instance's own section"
}

test_views_cluster_and_active_instances() {
	three_started
	wait_for "all three instances STABLE with three members" 10000 cluster_stable
	for i in 1 2 3; do
		[ "$(sql1 -i $i -e 'select status, sub_status, n_ok, members from v$cluster')" = \
			"STABLE,NONE,3,1 2 3" ] || fail "v\$cluster of instance $i"
		# the control node is an instance number, the others NULL when stable
		[ "$(sql1 -i $i -e 'select control_node between 1 and 3, break_inst is null,
			recover_inst is null from v$cluster')" = "1,1,1" ] ||
			fail "v\$cluster node columns of instance $i"
		racsql -i $i -e 'select inst_number, inst_name from v$active_instances
			order by inst_number' --format csv >"$T/active.csv"
		cat "$T/active.csv"
		[ "$(sed 1d "$T/active.csv" | tr '\n' ' ')" = "1,RAC1 2,RAC2 3,RAC3 " ] ||
			fail "v\$active_instances of instance $i"
	done
	# one INCARNATION in v$cluster and v$instance, on every instance
	[ "$(sql1 -e 'select count(distinct incarnation) from
		(select incarnation from gv$cluster union all select incarnation from gv$instance)')" = 1 ] ||
		fail "v\$cluster and v\$instance disagree on the incarnation"
	[ "$(sql1 -e 'select count(*) from gv$active_instances')" = 9 ] ||
		fail "gv\$active_instances is not 3 x 3 rows"
}

test_views_reconfig_history_and_steps() {
	three_started
	wait_for "all three instances STABLE with three members" 10000 cluster_stable
	racsql -e 'select reconfig_id, old_incarnation, new_incarnation, reason, status,
		members_before, members_after, evicted, duration_ms >= 0, start_time <= end_time
		from v$reconfig_history order by reconfig_id' --format csv >"$T/h1.csv"
	cat "$T/h1.csv"
	# instance 1 formed the cluster, then saw 2 and 3 join
	grep -q '^1,[0-9]*,[0-9]*,FORM,COMPLETE,,1,,1,1$' "$T/h1.csv" || fail "FORM row"
	grep -q '^[0-9]*,[0-9]*,[0-9]*,JOIN,COMPLETE,1,1 2,,1,1$' "$T/h1.csv" || fail "join of 2"
	grep -q '^[0-9]*,[0-9]*,[0-9]*,JOIN,COMPLETE,1 2,1 2 3,,1,1$' "$T/h1.csv" || fail "join of 3"
	# every instance: FORM/JOIN reconfigurations only, each finished (one
	# overtaken by the next join would say RESTARTED), incarnations rising
	[ "$(sql1 -e "select count(*) from gv\$reconfig_history
		where status not in ('COMPLETE', 'RESTARTED') or reason not in ('FORM', 'JOIN')
		   or end_time is null or duration_ms is null
		   or (status = 'COMPLETE' and new_incarnation <= old_incarnation)")" = 0 ] ||
		fail "a reconfiguration that is not a finished FORM or JOIN"
	for i in 2 3; do
		[ "$(sql1 -e "select count(*) from gv\$reconfig_history
			where inst_id = $i and reason = 'JOIN'")" -ge 1 ] ||
			fail "instance $i has no JOIN in its history"
	done
	# seven steps, in order and named, for each reconfiguration of each instance
	racsql -e 'select step, name from v$reconfig_steps where reconfig_id = 1 order by step' \
		--format csv >"$T/steps.csv"
	cat "$T/steps.csv"
	[ "$(sed 1d "$T/steps.csv" | tr '\n' ' ')" = "1,FREEZE_NAME_SERVICE 2,FREEZE_LOCK_DB 3,IMR \
4,REBUILD_BITMAP 5,DELETE_DEAD 6,UNFREEZE_NAME_SERVICE 7,HANDOVER_GES " ] ||
		fail "the steps of reconfiguration 1"
	[ "$(sql1 -e 'select count(*) from (select inst_id, reconfig_id from gv$reconfig_steps
		group by inst_id, reconfig_id having count(*) <> 7 or min(step) <> 1 or max(step) <> 7)')" = 0 ] ||
		fail "a reconfiguration without exactly its seven steps"
	[ "$(sql1 -e 'select (select count(*) from gv$reconfig_steps) =
		7 * (select count(*) from gv$reconfig_history) as covered')" = 1 ] ||
		fail "gv\$reconfig_steps does not cover every reconfiguration"
	# complete reconfigurations: every step started and measured
	[ "$(sql1 -e "select count(*) from gv\$reconfig_steps s join gv\$reconfig_history h
		using (inst_id, reconfig_id) where h.status = 'COMPLETE'
		and (s.start_time is null or s.duration_ms is null or s.duration_ms < 0)")" = 0 ] ||
		fail "a step of a complete reconfiguration without start or duration"
}

test_views_gv_marks_aborted_instance_unreachable() {
	three_started
	wait_for "all three instances STABLE with three members" 10000 cluster_stable
	rac stop -i 3 --abort
	local t0 rc
	t0=$(now_ms)
	set +e
	racsql -e 'select inst_id, instance_name, host_name, status, role, incarnation
		from gv$instance order by inst_id' --format csv >"$T/gv.csv" 2>"$T/gv.err"
	rc=$?
	set -e
	local took=$(( $(now_ms) - t0 ))
	cat "$T/gv.csv" "$T/gv.err"
	echo "took $took ms"
	[ "$rc" = 0 ] || fail "racsql exited $rc with an instance down"
	[ "$took" -lt 2000 ] || fail "racsql took $took ms with an instance down"
	grep -q '^1,RAC1,localhost,OPEN,' "$T/gv.csv" || fail "row of instance 1"
	grep -q '^2,RAC2,localhost,OPEN,' "$T/gv.csv" || fail "row of instance 2"
	grep -qx '3,RAC3,localhost,UNREACHABLE,,' "$T/gv.csv" || fail "instance 3 not UNREACHABLE"
	grep -qxF 'racsql: instance 3 (RAC3) did not answer within 500 ms; its gv$ rows are missing' \
		"$T/gv.err" || fail "no word on stderr about instance 3"
	[ "$(wc -l <"$T/gv.err")" = 1 ] || fail "more than one line on stderr"
	# the other gv$ views: rows of the live instances only
	racsql -e 'select inst_id, instance_number, net_state from gv$heartbeat
		order by inst_id, instance_number' --format csv >"$T/hb.csv" 2>/dev/null
	cat "$T/hb.csv"
	[ "$(sed 1d "$T/hb.csv" | cut -d, -f1 | sort -u | tr '\n' ' ')" = "1 2 " ] ||
		fail "gv\$heartbeat should have INST_ID 1 and 2 rows only"
	[ "$(sed 1d "$T/hb.csv" | wc -l)" = 4 ] || fail "gv\$heartbeat is not 2 x 2 rows"
	[ "$(sql1 -e 'select count(*) from gv$process where inst_id = 3' 2>/dev/null)" = 0 ] ||
		fail "gv\$process has rows of an unreachable instance"
}

test_views_gv_nothing_running() {
	mkconfig 2
	rac init >/dev/null
	# a v$ query does not touch the network: nothing said about gv$
	racsql -e 'select status from v$instance' --format csv >"$T/v.csv" 2>"$T/v.err"
	cat "$T/v.csv" "$T/v.err"
	! grep -q 'gv\$' "$T/v.err" || fail "a v\$ query asked the other instances"
	[ "$(sql1 -e 'select count(*) from v$cluster' 2>/dev/null)" = 0 ] || fail "v\$cluster of a stopped instance"
	RACSQL_GV_TIMEOUT_MS=200 racsql -e 'select inst_id, status from gv$instance order by 1;
		select count(*) from gv$process' --format csv >"$T/gv.csv" 2>"$T/gv.err"
	cat "$T/gv.csv" "$T/gv.err"
	[ "$(tr '\n' ' ' <"$T/gv.csv")" = "INST_ID,STATUS 1,UNREACHABLE 2,UNREACHABLE count(*) 0 " ] ||
		fail "gv\$ views with nothing running"
	# said once per instance, though two statements read gv$ views
	[ "$(grep -c 'did not answer within 200 ms' "$T/gv.err")" = 2 ] || fail "stderr lines"
}

test_views_gv_does_not_wait_for_a_hung_lmon() {
	mkconfig 2
	rac init >/dev/null
	rac start -i 1
	rac start -i 2
	# its socket still accepts connections, but nobody reads them
	rac fault hang -i 2 -p lmon
	local t0 rc took
	t0=$(now_ms)
	set +e
	racsql -e 'select inst_id, status from gv$instance order by inst_id' --format csv \
		>"$T/gv.csv" 2>"$T/gv.err"
	rc=$?
	set -e
	took=$(( $(now_ms) - t0 ))
	cat "$T/gv.csv" "$T/gv.err"
	echo "took $took ms"
	[ "$rc" = 0 ] || fail "racsql exited $rc"
	[ "$took" -lt 2000 ] || fail "racsql took $took ms with a hung LMON"
	[ "$(tr '\n' ' ' <"$T/gv.csv")" = "INST_ID,STATUS 1,OPEN 2,UNREACHABLE " ] ||
		fail "gv\$instance with instance 2's LMON hung"
	grep -qF 'racsql: instance 2 (RAC2) did not answer within 500 ms' "$T/gv.err" ||
		fail "no word on stderr about instance 2"
}

# v$ges_resource and v$ges_enqueue show every resource and every lock,
# however many pages of LMS's dump they take (once, 2,000,000 locks showed
# 1,071 resources and no lock at all): 4,000 locks of 4 clients, several
# pages of each view, nothing named as left out
test_views_ges_show_every_lock_across_pages() {
	mkconfig 1
	rac init >/dev/null
	rac start -i 1 >/dev/null
	for c in 1 2 3 4; do
		"$RACBIN/lkmany" "$T/rac.ini" 1 "pg$c-" 1000 "$T/r$c" "$T/go" >"$T/o$c" 2>&1 &
		echo $! >>"$T/pids"
	done
	ready() { [ -f "$T/r1" ] && [ -f "$T/r2" ] && [ -f "$T/r3" ] && [ -f "$T/r4" ]; }
	wait_for "4,000 locks held" 30000 ready
	racsql -e "select count(*) from v\$ges_enqueue where state = 'GRANTED' and
		resource_name like 'pg%'" --format csv >"$T/locks.csv" 2>"$T/err"
	racsql -e "select count(*) from v\$ges_resource where resource_name like 'pg%'" \
		--format csv >"$T/res.csv" 2>>"$T/err"
	cat "$T/locks.csv" "$T/res.csv" "$T/err"
	[ ! -s "$T/err" ] || fail "racsql said rows were left out"
	[ "$(sed -n 2p "$T/locks.csv")" = 4000 ] || fail "v\$ges_enqueue does not show the 4,000 locks"
	[ "$(sed -n 2p "$T/res.csv")" = 4000 ] || fail "v\$ges_resource does not show the 4,000 resources"
	touch "$T/go"
	for p in $(cat "$T/pids"); do wait "$p" || fail "a client failed: $(cat "$T"/o*)"; done
	grep -q "done 1000" "$T/o1" || fail "client 1: $(cat "$T/o1")"
}
