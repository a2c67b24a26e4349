# The lock manager end to end: racctl lock (the client library) against LMS
# on real clusters.  Synchronisation through files the commands create;
# every wait is bounded.

up3() {
	mkconfig 3 </dev/null
	while [ $# -ge 2 ]; do set_key "$1" "$2"; shift 2; done
	rac init >/dev/null
	for i in 1 2 3; do rac start -i "$i" >/dev/null; done
}
exists() { [ -e "$1" ]; }
# every row of a cluster-wide query, csv, on one line
sql1x() { racsql -e "$1" --format csv | sed 1d | tr '\n' ' '; }
members_are() { [ "$(racsql -i "$1" -e 'select members from v$cluster' --format csv | sed -n 2p)" = "$2" ]; }
# a command that says it holds the lock, then waits for the test to release it
hold_cmd() { echo "touch $T/$1; while [ ! -e $T/$2 ]; do sleep 0.01; done"; }

test_locks_exclude_across_instances_and_waiter_gets_it() {
	up3
	rac lock -i 1 -m EX res1 -- sh -c "$(hold_cmd held go)" & holder=$!
	wait_for "holder has the lock" 5000 exists "$T/held"
	expect_rc 1 rac lock -i 2 -m EX --nowait res1 -- true
	expect_rc 1 rac lock -i 3 -m PR --timeout 200 res1 -- true
	rac lock -i 2 -m EX res1 -- touch "$T/waiter" & waiter=$!
	# the waiter is queued behind the holder: it must not run yet
	[ ! -e "$T/waiter" ] || fail "waiter ran while the holder held the lock"
	touch "$T/go"
	wait $holder
	wait_for "waiter granted after release" 5000 exists "$T/waiter"
	wait $waiter
	stat() { racsql -i "$1" -e "select value from v\$ges_statistics where name = '$2'" --format csv | sed -n 2p; }
	[ "$(gv_sum requests)" -ge 4 ] || fail "requests not counted"
}

gv_sum() { racsql -e "select sum(value) from gv\$ges_statistics where name = '$1'" --format csv | sed -n 2p; }

test_locks_shared_modes_coexist_and_exit_status_passes() {
	up3
	rac lock -i 1 -m PR shared -- sh -c "$(hold_cmd held go)" & holder=$!
	wait_for "PR holder" 5000 exists "$T/held"
	rac lock -i 2 -m PR --nowait shared -- true || fail "PR refused while another PR holds"
	rac lock -i 3 -m CR --nowait shared -- true || fail "CR refused while PR holds"
	expect_rc 1 rac lock -i 3 -m PW --nowait shared -- true
	touch "$T/go"; wait $holder
	expect_rc 7 rac lock -i 2 -m EX shared -- sh -c 'exit 7'
	expect_rc 2 rac lock -i 2 -m XX shared -- true
}

test_locks_counter_under_ex_from_every_instance_loses_no_update() {
	up3
	echo 0 >"$T/counter"
	incr() {
		for _ in $(seq 1 25); do
			rac lock -i "$1" -m EX counter -- sh -c "v=\$(cat $T/counter); echo \$((v + 1)) >$T/counter" ||
				return 1
		done
	}
	incr 1 & a=$!; incr 2 & b=$!; incr 3 & c=$!
	wait $a && wait $b && wait $c || fail "an increment failed"
	[ "$(cat "$T/counter")" = 75 ] || fail "lost updates: counter is $(cat "$T/counter"), expected 75"
}

test_locks_released_without_waiting_keep_exclusion_and_value_block() {
	up3
	echo 0 >"$T/counter"
	# 3 clients, one per instance; the resource is mastered on one of them
	for i in 1 2 3; do
		"$RACBIN/lkcount" "$T/rac.ini" "$i" "$T/counter" 200 >"$T/lk$i" 2>&1 & pids[i]=$!
	done
	for i in 1 2 3; do
		wait "${pids[i]}" || fail "client on instance $i: $(cat "$T/lk$i")"
		grep -q '^done bad=0 nowait_failed=0 lvb_mismatch=0$' "$T/lk$i" ||
			fail "client on instance $i: $(cat "$T/lk$i")"
	done
	[ "$(cat "$T/counter")" = 600 ] || fail "lost updates: counter is $(cat "$T/counter"), expected 600"
	[ "$(gv_sum 'bad requests')" = 0 ] || fail "LMS refused requests: $(gv_sum 'bad requests')"
	# every lock is gone from every master
	n=$(racsql -e 'select count(*) from gv$ges_enqueue' --format csv | sed -n 2p)
	[ "$n" = 0 ] || fail "$n locks left after every release"
}

test_locks_of_a_killed_client_are_released() {
	up3
	# racctl itself, not the rac() wrapper: $! must be the client process
	"$RACBIN/racctl" -c "$T/rac.ini" lock -i 2 -m EX orphan -- sh -c "$(hold_cmd held go)" & client=$!
	wait_for "holder" 5000 exists "$T/held"
	kill -9 $client	# the client dies holding the lock; its command runs on
	rac lock -i 3 -m EX --timeout 5000 orphan -- touch "$T/next" || fail "lock of a dead client not released"
	[ "$(racsql -i 2 -e "select value from v\$ges_statistics where name = 'dead clients cleaned up'" --format csv | sed -n 2p)" -ge 1 ]
	touch "$T/go"
}

test_locks_survive_the_death_of_their_master_and_waiters_are_granted() {
	up3 misscount_ms 1000 ckpt_timeout_ms 6000
	# instance 1 holds 20 resources; some are mastered by instance 3
	names=""; cmd="$(hold_cmd held go)"
	for i in $(seq 1 20); do names="$names r$i"; done
	chain=""
	for n in $names; do chain="$chain $RACBIN/racctl -c $T/rac.ini lock -i 1 -m EX $n --"; done
	# shellcheck disable=SC2086
	$chain sh -c "$cmd" & holder=$!
	wait_for "instance 1 holds 20 locks" 10000 exists "$T/held"
	# instance 3 holds w; instance 2 waits for it
	rac lock -i 3 -m EX w -- sh -c "$(hold_cmd held3 never)" &
	wait_for "instance 3 holds w" 5000 exists "$T/held3"
	rac lock -i 2 -m EX w -- touch "$T/wgot" & waiter=$!
	kill -9 "$(member_pid 3 lmon)"
	wait_for "survivors settle on {1,2}" 10000 members_are 1 "1 2"
	wait_for "waiter granted w once instance 3 is gone" 10000 exists "$T/wgot"
	wait $waiter
	# every lock instance 1 held is still held, wherever it is mastered now
	for n in $names; do
		expect_rc 1 rac lock -i 2 -m EX --nowait "$n" -- true
	done
	# the reconfiguration's alert block carries LMS's counts: shadows were replayed
	cat "$T"/local/RAC*/alert_RAC*.log | grep -qE "LMS 0: [0-9]+ GCS shadows traversed, [1-9][0-9]* replayed" ||
		fail "no shadows replayed in the reconfiguration's alert lines"
	touch "$T/go"; wait $holder
	rac lock -i 2 -m EX --nowait r1 -- true || fail "r1 not free after the holder released"
}

test_locks_views_show_holder_waiter_master_and_dubious_value_block() {
	up3 misscount_ms 1000 ckpt_timeout_ms 6000
	rac lock -i 3 -m EX vb -- sh -c "$(hold_cmd held never)" &
	wait_for "holder on instance 3" 5000 exists "$T/held"
	rac lock -i 2 -m EX vb -- sh -c "$(hold_cmd got go)" & waiter=$!
	queued() { racsql -e "select state from gv\$ges_enqueue where resource_name = 'vb'" --format csv | grep -q WAITING; }
	wait_for "the waiter shows as WAITING" 5000 queued
	rows=$(racsql -e "select owner_instance, state, blocked, master from gv\$ges_enqueue where resource_name = 'vb' order by state" --format csv)
	echo "$rows"
	echo "$rows" | grep -qE '^3,GRANTED,NO,[123]$' || fail "holder row"
	echo "$rows" | grep -qE '^2,WAITING,YES,[123]$' || fail "waiter row"
	kill -9 "$(member_pid 3 lmon)"
	wait_for "waiter granted after instance 3 died" 10000 exists "$T/got"
	dubious() { racsql -e "select value_block_state from gv\$ges_resource where resource_name = 'vb'" --format csv | grep -q DUBIOUS; }
	wait_for "value block reported dubious" 5000 dubious
	touch "$T/go"; wait $waiter
}

test_locks_deadlock_between_two_instances_fails_one_request() {
	up3
	D="$RACBIN/dlock"
	# client on instance 1 holds ab1 wants ab2; client on instance 2 the reverse
	"$D" "$T/rac.ini" 1 ab1 ab2 "$T/r1" "$T/go" >"$T/o1" & p1=$!
	"$D" "$T/rac.ini" 2 ab2 ab1 "$T/r2" "$T/go" >"$T/o2" & p2=$!
	wait_for "both hold their first lock" 5000 exists "$T/r2"
	wait_for "both hold their first lock" 5000 exists "$T/r1"
	touch "$T/go"
	set +e; wait $p1; rc1=$?; wait $p2; rc2=$?; set -e
	echo "1: $rc1 $(cat "$T/o1")  2: $rc2 $(cat "$T/o2")"
	# exactly one is the victim; the other gets its lock once the victim lets go
	[ $((rc1 + rc2)) -eq 3 ] || fail "expected one deadlock victim and one grant"
	any_alert_has "deadlock across"
	[ "$(racsql -e "select sum(value) from gv\$ges_statistics where name = 'deadlocks'" --format csv | sed -n 2p)" -ge 1 ]
}

# A failed instance's EX lock is held for recovery on its (surviving) master
# until SMON has recovered the instance; then the waiter gets it, told that
# the value block is dubious, and SMON records the end of instance recovery.
test_locks_held_for_recovery_until_smon_recovers_the_failed_instance() {
	up3 misscount_ms 1000 ckpt_timeout_ms 6000
	# find a resource mastered by instance 2 or 3, whose holder on 1 will die
	name=""
	for k in $(seq 1 40); do
		rac lock -i 1 -m EX "rr$k" -- sh -c "$(hold_cmd "probe$k" "stop$k")" & p=$!
		wait_for "probe lock rr$k" 5000 exists "$T/probe$k"
		m=$(racsql -e "select master from gv\$ges_enqueue where resource_name = 'rr$k'" --format csv | sed -n 2p)
		if [ "$m" = 2 ] || [ "$m" = 3 ]; then name="rr$k"; master=$m; break; fi
		touch "$T/stop$k"; wait $p
	done
	[ -n "$name" ] || fail "no resource mastered off instance 1 in 40 tries"
	w=$((5 - master))	# the waiter on the other survivor
	rac lock -i "$w" -m EX "$name" -- sh -c "$(hold_cmd got go)" & waiter=$!
	queued() { racsql -e "select state from gv\$ges_enqueue where resource_name = '$name'" --format csv | grep -q WAITING; }
	wait_for "the waiter shows as WAITING" 5000 queued
	kill -9 "$(member_pid 1 lmon)"
	wait_for "waiter granted once instance 1 is recovered" 10000 exists "$T/got"
	alert="$T/local/RAC$master/alert_RAC$master.log"
	grep -q "Beginning instance recovery of instance 1" "$alert" || fail "no recovery start on the master"
	# SMON records the end once LMS has released (its next tick)
	in_alert() { grep -qE "$1" "$alert"; }
	wait_for "SMON records the end of recovery" 5000 in_alert "Completed instance recovery of instance 1"
	wait_for "SMON counts the lock held for recovery" 5000 in_alert "SMON: 1 lock held for recovery released"
	held=$(racsql -i "$master" -e "select value from v\$ges_statistics where name = 'locks held for recovery'" --format csv | sed -n 2p)
	[ "$held" -ge 1 ] || fail "locks held for recovery not counted"
	dubious() { racsql -e "select value_block_state from gv\$ges_resource where resource_name = '$name'" --format csv | grep -q DUBIOUS; }
	wait_for "value block reported dubious" 5000 dubious
	[ "$(racsql -i "$master" -e "select value from v\$sysstat where name = 'smon instance recoveries'" --format csv | sed -n 2p)" -ge 1 ] ||
		fail "smon recoveries not counted"
	touch "$T/go"; wait $waiter
}

# A join moves buckets away from living masters.  Each hands the new master
# the locks its own clients hold there from its table (they have no shadow
# while it masters them) and keeps a shadow of them from then on; the other
# owners send theirs from their shadows.  Afterwards every lock is still
# held, the waiters still wait, and converts and unlocks find the locks.
test_locks_survive_a_join_that_takes_buckets_from_their_masters() {
	mkconfig 3 </dev/null
	rac init >/dev/null
	for i in 1 2; do rac start -i "$i" >/dev/null; done
	wait_for "members {1,2}" 10000 members_are 1 "1 2"
	"$RACBIN/lkmany" "$T/rac.ini" 1 a 48 "$T/r1" "$T/go" >"$T/o1" & p1=$!
	"$RACBIN/lkmany" "$T/rac.ini" 2 b 48 "$T/r2" "$T/go" >"$T/o2" & p2=$!
	wait_for "instance 1 holds its 48 locks" 20000 exists "$T/r1"
	wait_for "instance 2 holds its 48 locks" 20000 exists "$T/r2"
	# waiters across the join: each instance on three of the other's locks
	waiters=""
	for k in 0 2 4; do
		rac lock -i 2 -m PR --timeout 60000 "a$k" -- touch "$T/wa$k" & waiters="$waiters $!"
		rac lock -i 1 -m PR --timeout 60000 "b$k" -- touch "$T/wb$k" & waiters="$waiters $!"
	done
	enq() { sql1 -e "select count(*) from gv\$ges_enqueue where $1"; }
	counts_are() { [ "$(enq "state = 'GRANTED'")" = "$1" ] && [ "$(enq "state = 'WAITING'")" = "$2" ]; }
	wait_for "96 locks granted, 6 waiting" 10000 counts_are 96 6
	# the locks an instance masters for its own client: what only its table knows
	own=$(racsql -e "select resource_name from gv\$ges_enqueue where owner_instance = master" \
		--format csv | sed 1d | sed "s/.*/'&'/" | paste -sd, -)
	[ -n "$own" ] || fail "no lock mastered by its owner's instance"

	rac start -i 3 >/dev/null
	wait_for "members {1,2,3}" 10000 members_are 1 "1 2 3"
	# instance 3 imports what it took at once, when every old master has sent it
	rebuilt() { [ "$(enq "master = 3")" -ge 1 ] && counts_are 96 6; }
	wait_for "the GRD rebuilt: 96 locks still granted, 6 still waiting" 10000 rebuilt
	[ "$(enq "master = 3 and resource_name in ($own)")" -ge 1 ] ||
		fail "no lock its owner's instance mastered moved to instance 3"
	for n in $(racsql -e "select resource_name from gv\$ges_enqueue where master = 3 and state = 'GRANTED' limit 4" --format csv | sed 1d); do
		expect_rc 1 rac lock -i 3 -m EX --nowait "$n" -- true
	done

	# converts and unlocks find every lock; the waiters get theirs on the way
	touch "$T/go"
	wait $p1 || fail "instance 1's client: $(cat "$T/o1")"
	wait $p2 || fail "instance 2's client: $(cat "$T/o2")"
	for p in $waiters; do wait "$p" || fail "a waiter was not granted"; done
	wait_for "every lock released" 10000 counts_are 0 0
	rac lock -i 3 -m EX --nowait a1-a-name-longer-than-16 -- true || fail "a1 not free after the release"
}

# Deliverable 6's churn: holders and waiters on every instance and a counter
# workload on the two instances that stay, while instance 4 is killed,
# instance 3 leaves, and both come back.  After each change every lock a
# survivor holds is still held and every waiter still waits; at the end the
# waiters are granted, the counters lost no update (no two EX holders at
# once), and nothing is left in the GRD.
test_locks_held_and_queued_through_kill_leave_and_rejoin_lose_nothing() {
	mkconfig 4 </dev/null
	set_key misscount_ms 1000
	set_key ckpt_timeout_ms 6000
	rac init >/dev/null
	for i in 1 2 3 4; do rac start -i "$i" >/dev/null; done
	wait_for "members {1,2,3,4}" 10000 members_are 1 "1 2 3 4"
	for i in 1 2 3 4; do
		"$RACBIN/lkmany" "$T/rac.ini" "$i" "h$i-" 16 "$T/r$i" "$T/go$i" >"$T/o$i" 2>&1 & hold[i]=$!
	done
	for i in 1 2 3 4; do wait_for "instance $i holds its 16 locks" 20000 exists "$T/r$i"; done
	# waiters on every instance, each on a lock a survivor (1 or 2) holds
	mkdir "$T/ctr"
	waiter() {	# INSTANCE RESOURCE
		rac lock -i "$1" -m PR --timeout 90000 "$2" -- touch "$T/w$1-$2" >/dev/null 2>&1
	}
	waiter 1 h2-0 & w1=$!; waiter 2 h1-0 & w2=$!
	waiter 3 h1-2 & waiter 4 h2-2 &
	enq() { sql1 -e "select count(*) from gv\$ges_enqueue where resource_name like 'h%' and $1"; }
	counts_are() { [ "$(enq "state = 'GRANTED'")" = "$1" ] && [ "$(enq "state = 'WAITING'")" = "$2" ]; }
	wait_for "64 locks granted, 4 waiting" 10000 counts_are 64 4
	# the counter workload, from the two instances that stay
	for i in 1 2; do
		"$RACBIN/lkchurn" "$T/rac.ini" "$i" "$T/ctr" 8 "$T/stop" >"$T/c$i" 2>&1 & churn[i]=$!
	done
	progress() { [ -s "$T/ctr/ctr0" ] && [ "$(cat "$T/ctr/ctr0")" -ge "$1" ]; }
	wait_for "the counters move" 10000 progress 20

	kill -9 "$(member_pid 4 lmon)"
	wait_for "members {1,2,3} after instance 4 died" 15000 members_are 1 "1 2 3"
	# instance 4's EX locks are released once SMON has recovered it
	wait_for "48 locks granted, 3 waiting after the kill" 10000 counts_are 48 3
	c=$(cat "$T/ctr/ctr0"); wait_for "the counters move after the kill" 10000 progress $((c + 5))

	rac stop -i 3 >/dev/null
	wait_for "members {1,2} after instance 3 left" 15000 members_are 1 "1 2"
	wait_for "32 locks granted, 2 waiting after the leave" 10000 counts_are 32 2
	c=$(cat "$T/ctr/ctr0"); wait_for "the counters move after the leave" 10000 progress $((c + 5))

	rac start -i 3 >/dev/null
	rac start -i 4 >/dev/null
	wait_for "members {1,2,3,4} after both rejoined" 15000 members_are 1 "1 2 3 4"
	wait_for "32 locks granted, 2 waiting after the rejoins" 10000 counts_are 32 2
	c=$(cat "$T/ctr/ctr0"); wait_for "the counters move after the rejoins" 10000 progress $((c + 5))
	# the survivors' locks are held, wherever they are mastered now
	for n in h1-4 h2-6 h1-1-a-name-longer-than-16 h2-3-a-name-longer-than-16; do expect_rc 1 rac lock -i 3 -m EX --nowait "$n" -- true; done

	touch "$T/stop" "$T/go1" "$T/go2"
	total=0
	for i in 1 2; do
		wait "${hold[i]}" || fail "holder on instance $i: $(cat "$T/o$i")"
		wait "${churn[i]}" || fail "counter client on instance $i: $(cat "$T/c$i")"
		total=$((total + $(awk '{print $2}' "$T/c$i")))
		echo "instance $i: $(cat "$T/c$i")"
	done
	wait $w1 || fail "the waiter on instance 1 was not granted"
	wait $w2 || fail "the waiter on instance 2 was not granted"
	sum=0
	for f in "$T"/ctr/ctr*; do sum=$((sum + $(cat "$f"))); done
	[ "$sum" = "$total" ] || fail "lost updates: the counters add up to $sum, the clients made $total"
	[ "$total" -gt 0 ] || fail "no increments"
	left() { [ "$(sql1 -e 'select count(*) from gv$ges_enqueue')" = 0 ]; }
	wait_for "no lock left in the GRD" 10000 left
}

# A second membership change before the first one's rebuild is done: while
# instance 4 joins, instance 2 holds its rebuild DONE back (fault injection),
# so the others' rebuild is still open when instance 3 is killed.  The
# buckets that moved for the join must still reach their master with every
# lock: the survivors' locks are all held and their waiters still wait.
test_locks_survive_a_death_that_overtakes_a_join_rebuild() {
	mkconfig 4 </dev/null
	set_key misscount_ms 1000
	set_key ckpt_timeout_ms 6000
	rac init >/dev/null
	for i in 1 2 3; do rac start -i "$i" >/dev/null; done
	wait_for "members {1,2,3}" 10000 members_are 1 "1 2 3"
	for i in 1 2 3; do
		"$RACBIN/lkmany" "$T/rac.ini" "$i" "o$i-" 48 "$T/r$i" "$T/go$i" >"$T/o$i" 2>&1 & hold[i]=$!
	done
	for i in 1 2 3; do wait_for "instance $i holds its 48 locks" 20000 exists "$T/r$i"; done
	rac lock -i 1 -m PR --timeout 90000 o2-0 -- touch "$T/w1" >/dev/null 2>&1 & w1=$!
	rac lock -i 2 -m PR --timeout 90000 o1-0 -- touch "$T/w2" >/dev/null 2>&1 & w2=$!
	enq() { sql1 -e "select count(*) from gv\$ges_enqueue where resource_name like 'o%' and $1"; }
	counts_are() { [ "$(enq "state = 'GRANTED'")" = "$1" ] && [ "$(enq "state = 'WAITING'")" = "$2" ]; }
	wait_for "144 locks granted, 2 waiting" 10000 counts_are 144 2

	echo 3000 >"$T/local/RAC2/fault_lms_done_delay_ms"
	rac start -i 4 >/dev/null
	in_trace() { grep -q "$1" "$T"/local/RAC2/trace/RAC2_lms0_*.trc; }
	wait_for "instance 2 holds its DONE back" 10000 in_trace "rebuild DONE held back"
	kill -9 "$(member_pid 3 lmon)"
	wait_for "members {1,2,4}" 15000 members_are 1 "1 2 4"
	rm -f "$T/local/RAC2/fault_lms_done_delay_ms"
	wait_for "96 locks granted, 2 waiting after the overtaken rebuild" 10000 counts_are 96 2
	for n in o1-2 o2-2 o1-3-a-name-longer-than-16 o2-5-a-name-longer-than-16; do
		expect_rc 1 rac lock -i 4 -m EX --nowait "$n" -- true
	done
	touch "$T/go1" "$T/go2"
	for i in 1 2; do wait "${hold[i]}" || fail "holder on instance $i: $(cat "$T/o$i")"; done
	wait $w1 || fail "the waiter on instance 1 was not granted"
	wait $w2 || fail "the waiter on instance 2 was not granted"
	left() { [ "$(sql1 -e 'select count(*) from gv$ges_enqueue')" = 0 ]; }
	wait_for "no lock left in the GRD" 10000 left
}

# mastered_by INST PREFIX: the first name PREFIXk (k = 1..40) whose master is
# INST, found by holding each in turn from INST; fails the test if none is
mastered_by() {
	local k p m
	for k in $(seq 1 40); do
		rac lock -i "$1" -m EX "$2$k" -- sh -c "$(hold_cmd "probe$2$k" "stop$2$k")" >/dev/null & p=$!
		wait_for "probe lock $2$k" 5000 exists "$T/probe$2$k"
		m=$(sql1 -e "select master from gv\$ges_enqueue where resource_name = '$2$k'")
		touch "$T/stop$2$k"; wait $p
		if [ "$m" = "$1" ]; then echo "$2$k"; return 0; fi
	done
	fail "no resource mastered by instance $1 in 40 tries"
}

# The SGA lock cache (shm/fastlock.c): a resource mastered by the local LMS
# that only local clients use is handed to shared memory, where they lock and
# release it among themselves; another instance's request takes it back into
# the GRD, and a client that dies in the cache leaves its waiter granted and
# the value block dubious.
test_locks_cache_serves_local_clients_and_gives_way_to_remote_ones() {
	up3 misscount_ms 1000 ckpt_timeout_ms 6000
	st() { sql1 -i "$1" -e "select value from v\$ges_statistics where name = '$2'"; }
	name=$(mastered_by 1 fc); [ -n "$name" ] || fail "no resource mastered by instance 1"
	[ "$(st 1 'resources handed to the sga')" -ge 1 ] || fail "nothing handed to the sga"

	# three local clients, an EX counter with its value block: served in the SGA
	served=$(st 1 'requests served in the sga')
	echo 0 >"$T/counter"
	for c in 1 2 3; do
		"$RACBIN/lkcount" "$T/rac.ini" 1 "$T/counter" 200 "$name" >"$T/lk$c" 2>&1 & pids[c]=$!
	done
	for c in 1 2 3; do
		wait "${pids[c]}" || fail "client $c: $(cat "$T/lk$c")"
		grep -q '^done bad=0 nowait_failed=0 lvb_mismatch=0$' "$T/lk$c" || fail "client $c: $(cat "$T/lk$c")"
	done
	[ "$(cat "$T/counter")" = 600 ] || fail "lost updates: counter is $(cat "$T/counter"), expected 600"
	now=$(st 1 'requests served in the sga')
	echo "requests served in the sga: $((now - served))"
	# every lock request: 3 NL and 600 EX (releases are not counted as requests)
	[ $((now - served)) -ge 603 ] || fail "only $((now - served)) of 603 lock requests served in the sga"

	# a holder in the cache; a request from instance 2 takes the resource back
	back=$(st 1 'resources taken back from the sga')
	rac lock -i 1 -m EX "$name" -- sh -c "$(hold_cmd held go)" & holder=$!
	wait_for "holder on instance 1" 5000 exists "$T/held"
	rac lock -i 2 -m EX "$name" -- touch "$T/wgot" & waiter=$!
	taken() { [ "$(st 1 'resources taken back from the sga')" -gt "$back" ]; }
	wait_for "instance 1 takes the resource back from the sga" 5000 taken
	rows() { sql1x "select owner_instance, state, master from gv\$ges_enqueue where resource_name = '$name' order by state"; }
	both() { [ "$(rows)" = "1,GRANTED,1 2,WAITING,1 " ]; }
	wait_for "holder GRANTED on 1 and waiter WAITING on 2, mastered by 1" 5000 both
	[ ! -e "$T/wgot" ] || fail "the remote waiter ran while the local holder held the lock"
	touch "$T/go"; wait $holder
	wait_for "the remote waiter granted" 5000 exists "$T/wgot"
	wait $waiter
	gone() { [ "$(sql1 -e "select count(*) from gv\$ges_enqueue where resource_name = '$name'")" = 0 ]; }
	wait_for "no lock left on the resource" 5000 gone

	# a client killed holding EX in the cache: its local waiter is granted and
	# told that the value block is dubious
	handed=$(st 1 'resources handed to the sga')
	rm -f "$T/held" "$T/go"
	"$RACBIN/racctl" -c "$T/rac.ini" lock -i 1 -m EX "$name" -- sh -c "$(hold_cmd held go)" & client=$!
	wait_for "holder in the cache again" 5000 exists "$T/held"
	[ "$(st 1 'resources handed to the sga')" -gt "$handed" ] || fail "the idle resource did not go back to the sga"
	rac lock -i 1 -m EX "$name" -- touch "$T/got" & waiter=$!
	queued() { sql1x "select state from gv\$ges_enqueue where resource_name = '$name'" | grep -q WAITING; }
	wait_for "the local waiter shows as WAITING" 5000 queued
	kill -9 $client
	wait_for "the local waiter granted after the holder died" 5000 exists "$T/got"
	wait $waiter
	dubious() { sql1x "select value_block_state from gv\$ges_resource where resource_name = '$name'" | grep -q DUBIOUS; }
	wait_for "value block reported dubious" 5000 dubious
	[ "$(st 1 'dead clients cleaned up')" -ge 1 ] || fail "the dead client was not counted"
	touch "$T/go"
}

# A client in another message version is told so at once (the library turns
# the answer into RACRT_EVERSION) instead of waiting out the reply bound;
# LMS counts the messages as malformed and goes on serving.
test_locks_client_of_another_message_version_is_told_so() {
	mkconfig 1 </dev/null
	rac init >/dev/null
	rac start -i 1 >/dev/null
	name=$(sed -n 's/^name = //p' "$T/rac.ini" | head -1)
	out=$("$RACBIN/zsend" "ipc://$T/local/RAC1/lms.sock" version 3 "$name" reply) ||
		fail "LMS did not answer a request in another message version: $out"
	echo "$out"
	echo "$out" | grep -qE '^reply version [0-9]+ type [0-9]+ length 0$' || fail "unexpected answer: $out"
	bad3() { [ "$(sql1 -i 1 -e "select value from v\$sysstat where name = 'malformed messages dropped'")" -ge 3 ]; }
	wait_for "the three messages counted as malformed" 3000 bad3
	rac lock -i 1 -m EX --nowait after -- true || fail "LMS stopped serving"
}

# An instance whose LMON stops renewing its voting-disk lease is about to be
# evicted, and the others will take over the resources its LMS masters: its
# LMS grants nothing from then on, neither in the GRD nor (its stamp
# stopping) in the SGA lock cache -- a local client asking then waits, while
# the survivors grant the resource once they have taken it over.
test_locks_no_grant_once_lmon_stops_renewing_its_lease() {
	up3 misscount_ms 1000 ckpt_timeout_ms 6000 member_hang_timeout_ms 20000
	name=$(mastered_by 3 ls); [ -n "$name" ] || fail "no resource mastered by instance 3"
	pids=$(echo $(member_pid 3 guard) $(member_pid 3 lms0))
	rac fault hang -i 3 -p lmon
	stale() { grep -q "lease not renewed" "$T/local/RAC3/alert_RAC3.log"; }
	wait_for "instance 3's LMS stops granting" 3000 stale
	"$RACBIN/racctl" -c "$T/rac.ini" lock -i 3 -m EX "$name" -- touch "$T/bad" >/dev/null 2>&1 & late=$!
	wait_for "survivors settle on {1,2}" 10000 members_are 1 "1 2"
	rac lock -i 1 -m EX --timeout 5000 "$name" -- touch "$T/good" || fail "the survivors did not grant $name"
	[ -e "$T/good" ] || fail "the survivors' holder did not run"
	[ ! -e "$T/bad" ] || fail "instance 3 granted $name after its lease went stale"
	rac fault resume -i 3 -p lmon
	wait_for "instance 3 gone" 5000 all_gone $pids
	set +e; wait $late; rc=$?; set -e
	[ "$rc" -ne 0 ] || fail "the late client on instance 3 says it held the lock"
	[ ! -e "$T/bad" ] || fail "instance 3 granted $name after its lease went stale"
}
