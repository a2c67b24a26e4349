# A bounded randomized soak in the lab: cuts, restores, voting disks taken
# away and given back, voting disks that hang (I/O blocks, no error) and
# answer again, members killed, instances restarted, on 4 instances.
# Afterwards every fault is lifted and every instance restarted; the cluster
# must come back to full membership, and tests/tools/soakcheck.py proves from
# the alert logs that no incarnation had two memberships and that every
# evicted instance had stopped writing before the survivors completed.
# Bounded: SOAK_ACTIONS actions (default 40), paced 0.3-1.2 s apart.

running() { [ -n "$(member_pid "$1" lmon)" ]; }
members_are() { [ "$(racsql -i "$1" -e 'select members from v$cluster' --format csv 2>/dev/null | sed -n 2p)" = "$2" ]; }
all_four() { for i in 1 2 3 4; do members_are "$i" "1 2 3 4" || return 1; done; }

test_lab_soak_random_faults_then_full_recovery() {
	[ "$(id -u)" -eq 0 ] || fail "the soak needs root (namespaces)"
	seed=${SOAK_SEED:-$RANDOM}
	echo "soak seed $seed (SOAK_SEED=$seed to replay the same choices)"
	RANDOM=$seed
	mkconfig 4 </dev/null
	set_key misscount_ms 1000
	set_key ckpt_timeout_ms 6000
	set_key start_timeout_ms 8000
	rac up --lab -n 4 >/dev/null
	declare -A cut=() off=() hung=()
	roles=(lmon lms0 ckpt smon)
	for step in $(seq 1 "${SOAK_ACTIONS:-40}"); do
		i=$((1 + RANDOM % 4))
		case $((RANDOM % 8)) in
		0) if running "$i" && [ -z "${cut[$i]:-}" ]; then
			echo "step $step: net-cut $i"; rac fault net-cut -i "$i" >/dev/null; cut[$i]=1; fi ;;
		1) for c in "${!cut[@]}"; do
			echo "step $step: net-restore $c"; rac fault net-restore -i "$c" >/dev/null
			unset "cut[$c]"; break; done ;;
		2) d=$((1 + RANDOM % 3))
		   if running "$i" && [ -z "${hung[$i.$d]:-}" ] && rac fault disk-off -i "$i" --disk "$d" >/dev/null 2>&1; then
			echo "step $step: disk-off $i disk $d"; off["$i.$d"]=1; fi ;;
		3) for k in "${!off[@]}"; do
			echo "step $step: disk-on ${k%.*} disk ${k#*.}"
			rac fault disk-on -i "${k%.*}" --disk "${k#*.}" >/dev/null 2>&1 || true
			unset "off[$k]"; break; done ;;
		4) r=${roles[$((RANDOM % 4))]}; p=$(member_pid "$i" "$r")
		   if [ -n "$p" ]; then echo "step $step: kill -9 $r of $i"; kill -9 "$p"; fi ;;
		5) if ! running "$i"; then
			[ -n "${cut[$i]:-}" ] && { rac fault net-restore -i "$i" >/dev/null; unset "cut[$i]"; }
			echo "step $step: start $i"; rac start -i "$i" >/dev/null 2>&1 || echo "  (start $i failed)"; fi ;;
		6) d=$((1 + RANDOM % 3))
		   if running "$i" && [ -z "${off[$i.$d]:-}" ] && [ -z "${hung[$i.$d]:-}" ] &&
		      rac fault disk-hang -i "$i" --disk "$d" >/dev/null 2>&1; then
			echo "step $step: disk-hang $i disk $d"; hung["$i.$d"]=1; fi ;;
		7) for k in "${!hung[@]}"; do
			echo "step $step: disk-resume ${k%.*} disk ${k#*.}"
			rac fault disk-resume -i "${k%.*}" --disk "${k#*.}" >/dev/null 2>&1 || true
			unset "hung[$k]"; break; done ;;
		esac
		# pacing of the workload, not synchronisation: the next fault lands
		# at a random moment of whatever the cluster is doing
		sleep "0.$((3 + RANDOM % 10))"
	done

	echo "lifting every fault"
	for c in "${!cut[@]}"; do rac fault net-restore -i "$c" >/dev/null; done
	for k in "${!off[@]}"; do rac fault disk-on -i "${k%.*}" --disk "${k#*.}" >/dev/null 2>&1 || true; done
	for k in "${!hung[@]}"; do rac fault disk-resume -i "${k%.*}" --disk "${k#*.}" >/dev/null 2>&1 || true; done
	restart_missing() {
		for i in 1 2 3 4; do running "$i" || rac start -i "$i" >/dev/null 2>&1 || true; done
		all_four
	}
	wait_for "full membership again" 60000 restart_missing
	python3 "$RAC_TESTS/tools/soakcheck.py" "$T"
}

test_soakcheck_finds_violations_in_forged_logs() {
	# the checker must be able to fail: two memberships for incarnation 5,
	# and an eviction completed before the evicted instance stopped
	mkdir -p "$T/local/RAC1" "$T/local/RAC2" "$T/local/RAC3"
	cat >"$T/local/RAC1/alert_RAC1.log" <<-'LOG'
	2026-11-22T10:00:00.000000+00:00
	Starting instance RAC1 (instance number 1) of cluster x
	2026-11-22T10:00:01.000000+00:00
	Reconfiguration triggered (reason NETWORK): test
	2026-11-22T10:00:01.100000+00:00
	Evicting instance 3 from cluster
	2026-11-22T10:00:01.200000+00:00
	Reconfiguration started (old inc 4, new inc 5)
	List of instances:
	 1 2 (myinst: 1)
	2026-11-22T10:00:01.300000+00:00
	Reconfiguration complete (total time 0.300 secs)
	LOG
	cat >"$T/local/RAC3/alert_RAC3.log" <<-'LOG'
	2026-11-22T10:00:00.000000+00:00
	Starting instance RAC3 (instance number 3) of cluster x
	2026-11-22T10:00:01.100000+00:00
	Reconfiguration started (old inc 4, new inc 5)
	List of instances:
	 3 (myinst: 3)
	2026-11-22T10:00:01.150000+00:00
	Reconfiguration complete (total time 0.050 secs)
	2026-11-22T10:00:02.000000+00:00
	Instance terminated by guardian (pid 9) in 1.0 ms: all members stopped
	LOG
	: >"$T/local/RAC2/alert_RAC2.log"
	set +e; out=$(python3 "$RAC_TESTS/tools/soakcheck.py" "$T"); rc=$?; set -e
	echo "$out"
	[ $rc -eq 1 ] || fail "checker passed forged violations"
	echo "$out" | grep -q "incarnation 5 has more than one membership" || fail "two memberships not found"
	echo "$out" | grep -q "evicted instance 3, which had not stopped writing" || fail "early completion not found"
	# and the same logs with the stop logged in time pass the fencing rule
	sed -i 's/10:00:02.000000/10:00:01.250000/' "$T/local/RAC3/alert_RAC3.log"
	python3 "$RAC_TESTS/tools/soakcheck.py" "$T" | grep -q "which had not stopped" && fail "false alarm" || true
}

test_soakcheck_judges_the_evicted_life_not_a_restarted_one() {
	# instance 3 is evicted at 01.100, restarted at 01.200 by an operator, and
	# the survivor completes only at 01.300 (it waited for another instance):
	# the rule is about the life that was evicted, not the joiner after it
	mkdir -p "$T/local/RAC1" "$T/local/RAC3"
	cat >"$T/local/RAC1/alert_RAC1.log" <<-'LOG'
	2026-11-22T10:00:00.000000+00:00
	Starting instance RAC1 (instance number 1) of cluster x
	2026-11-22T10:00:01.000000+00:00
	Reconfiguration triggered (reason NETWORK): test
	2026-11-22T10:00:01.100000+00:00
	Evicting instance 3 from cluster
	2026-11-22T10:00:01.110000+00:00
	Reconfiguration started (old inc 4, new inc 5)
	List of instances:
	 1 (myinst: 1)
	2026-11-22T10:00:01.300000+00:00
	Reconfiguration complete (total time 0.300 secs)
	LOG
	cat >"$T/local/RAC3/alert_RAC3.log" <<-'LOG'
	2026-11-22T10:00:00.000000+00:00
	Starting instance RAC3 (instance number 3) of cluster x
	2026-11-22T10:00:01.050000+00:00
	LMS0 (ospid: 8) terminated unexpectedly; terminating the instance
	Instance terminated by guardian (pid 9) in 1.0 ms: all members stopped
	2026-11-22T10:00:01.200000+00:00
	Starting instance RAC3 (instance number 3) of cluster x
	LOG
	python3 "$RAC_TESTS/tools/soakcheck.py" "$T" || fail "the restarted life was judged"
	# the other way round: the evicted life never stopped, and a later life's
	# stop must not stand in for it
	cat >"$T/local/RAC3/alert_RAC3.log" <<-'LOG'
	2026-11-22T10:00:00.000000+00:00
	Starting instance RAC3 (instance number 3) of cluster x
	2026-11-22T10:00:01.200000+00:00
	Starting instance RAC3 (instance number 3) of cluster x
	2026-11-22T10:00:01.250000+00:00
	Instance terminated by guardian (pid 9) in 1.0 ms: all members stopped
	LOG
	set +e; out=$(python3 "$RAC_TESTS/tools/soakcheck.py" "$T"); rc=$?; set -e
	echo "$out"
	[ $rc -eq 1 ] || fail "a later life's stop was taken for the evicted life's"
	echo "$out" | grep -q "evicted instance 3, which had not stopped writing by then (its life evicted at 2026-11-22 10:00:01.100000" ||
		fail "the unfenced life not named"
}
