# Integration tests of the authenticated interconnect (lib/auth.h,
# docs/security.md): CURVE on every TCP socket, a key per instance, the
# administrators' key for views.  Each attack is made for real against a
# running cluster, with zsend as the stranger, and must be refused, counted
# in v$sysstat and named in the alert log, with nothing else changed.

ep_of() { sed -n "/^\[instance$1\]/,/^\[/s/^$2 = //p" "$T/rac.ini"; }
cluster_name() { sed -n 's/^name = //p' "$T/rac.ini" | head -1; }
stat_of() { sql1 -i "$1" -e "select value from v\$sysstat where name = '$2'"; }
members_of() { sql1 -i "$1" -e 'select members from v$cluster'; }
inc_of() { sql1 -i "$1" -e 'select incarnation from v$instance'; }

# two_up [EXTRA]: two instances in one membership; EXTRA: [cluster] lines
two_up() {
	mkconfig 2 <<<"${1:-}"
	rac init >/dev/null
	rac start -i 1 >/dev/null
	rac start -i 2 >/dev/null
	two() { [ "$(members_of 1)" = "1 2" ] && [ "$(members_of 2)" = "1 2" ]; }
	wait_for "both instances in one membership" 10000 two
}

refused_at_least() { [ "$(stat_of "$1" 'interconnect connections refused')" -ge "$2" ]; }
sender_refused_at_least() { [ "$(stat_of "$1" 'messages refused: key of another sender')" -ge "$2" ]; }

test_auth_keys_made_by_init_with_modes() {
	mkconfig 1 </dev/null
	rac init
	for f in inst1.key admin.key; do
		[ "$(stat -c %a "$T/rackeys/$f")" = 600 ] || fail "$f is not mode 600"
	done
	[ "$(stat -c %a "$T/rackeys")" = 700 ] || fail "the key directory is not mode 700"
	grep -q '^public = ' "$T/rackeys/inst1.pub" || fail "no public key in inst1.pub"
	! grep -q '^secret' "$T/rackeys/inst1.pub" || fail "a secret in a .pub file"
	# a second init keeps them: the other hosts hold copies
	sum=$(cat "$T"/rackeys/* | md5sum)
	rac init --force >/dev/null
	[ "$(cat "$T"/rackeys/* | md5sum)" = "$sum" ] || fail "init --force replaced the keys"
	rac keygen -i 1 --force | grep -q "made .*inst1.key" || fail "keygen --force said nothing"
	[ "$(cat "$T"/rackeys/* | md5sum)" != "$sum" ] || fail "keygen --force kept the keys"
}

test_auth_stranger_without_key_is_refused() {
	two_up
	inc=$(inc_of 1)
	name=$(cluster_name)
	# plain ZeroMQ, as a stranger on the network would connect: heartbeats to
	# LMON, a view request to LMON, lock traffic to LMS
	"$RACBIN/zsend" "$(ep_of 1 lmon_endpoint)" hb 20 "$name"
	"$RACBIN/zsend" "$(ep_of 1 lmon_endpoint)" view 1 "$name" reply && fail "a stranger got a view"
	"$RACBIN/zsend" "$(ep_of 1 lms_endpoint)" hb 20 "$name"
	wait_for "the stranger's connections counted" 3000 refused_at_least 1 2
	wait_for "the refusal in the alert log" 3000 \
		alert_has 1 "Interconnect: refused a connection to $(ep_of 1 lmon_endpoint)"
	[ "$(stat_of 1 'malformed messages dropped')" = 0 ] || fail "a stranger's bytes were read"
	[ "$(inc_of 1)" = "$inc" ] && [ "$(members_of 1)" = "1 2" ] || fail "membership changed"
	rac lock -i 2 -m EX --nowait n1 -- true || fail "locks no longer served"
}

test_auth_unknown_key_is_refused_with_its_address() {
	two_up
	ZSEND_KEY=new ZSEND_SERVER=$T/rackeys/inst1.pub \
		"$RACBIN/zsend" "$(ep_of 1 lmon_endpoint)" view 1 "$(cluster_name)" reply &&
		fail "an unknown key got a view"
	wait_for "the unknown key counted" 3000 refused_at_least 1 1
	wait_for "the address named in the alert log" 3000 \
		alert_has 1 "Interconnect: refused a connection from 127.0.0.1: unknown key"
}

test_auth_key_of_one_instance_cannot_speak_for_another() {
	mkconfig 3 </dev/null
	rac init >/dev/null
	rac start -i 1 >/dev/null
	rac start -i 2 >/dev/null
	rac start -i 3 >/dev/null
	rac stop -i 3 >/dev/null
	two() { [ "$(members_of 1)" = "1 2" ]; }
	wait_for "instance 3 gone from the membership" 10000 two
	inc=$(inc_of 1)
	hb3() { sql1 -i 1 -e "select net_heartbeats from v\$heartbeat where instance_number = 3"; }
	before=$(hb3)
	# instance 2's key (a member's host that turned hostile), heartbeats and
	# lock traffic that name the stopped instance 3
	export ZSEND_KEY=$T/rackeys/inst2.key ZSEND_SERVER=$T/rackeys/inst1.pub ZSEND_SENDER=3
	"$RACBIN/zsend" "$(ep_of 1 lmon_endpoint)" hb 50 "$(cluster_name)"
	"$RACBIN/zsend" "$(ep_of 1 lms_endpoint)" hb 50 "$(cluster_name)"
	unset ZSEND_KEY ZSEND_SERVER ZSEND_SENDER
	wait_for "the forged messages counted" 3000 sender_refused_at_least 1 100
	alert_has 1 "Interconnect: dropped HEARTBEAT from instance 2 claiming to be another instance" ||
		fail "not in the alert log"
	# rate-limited: the first ten, then one in a hundred, in LMON and in LMS
	[ "$(grep -c 'Interconnect: dropped' "$(alert_file 1)")" -le 24 ] || fail "not rate-limited"
	# instance 3 is not heard over the network: still no member, same incarnation
	[ "$(hb3)" = "$before" ] || fail "forged heartbeats counted as instance 3's"
	[ "$(sql1 -i 1 -e "select net_state from v\$heartbeat where instance_number = 3")" != ALIVE ] ||
		fail "the forged heartbeats made instance 3 look alive"
	[ "$(members_of 1)" = "1 2" ] && [ "$(inc_of 1)" = "$inc" ] || fail "membership changed"
}

test_auth_views_need_the_administrators_key() {
	two_up
	name=$(cluster_name)
	# an instance's key is not an administrator's
	ZSEND_KEY=$T/rackeys/inst2.key ZSEND_SERVER=$T/rackeys/inst1.pub ZSEND_SENDER=2 \
		"$RACBIN/zsend" "$(ep_of 1 lmon_endpoint)" view 1 "$name" reply &&
		fail "instance 2's key got a view"
	wait_for "the view request counted" 3000 sender_refused_at_least 1 1
	alert_has 1 "claiming to be an administrator" || fail "not in the alert log"
	# the administrators' key gets it
	ZSEND_KEY=$T/rackeys/admin.key ZSEND_SERVER=$T/rackeys/inst1.pub ZSEND_SENDER=0 \
		"$RACBIN/zsend" "$(ep_of 1 lmon_endpoint)" view 1 "$name" reply ||
		fail "the administrators' key got no view"
	[ "$(racsql -e 'select count(*) from gv$instance' --format csv | sed -n 2p)" = 2 ] ||
		fail "racsql's gv\$ views do not work with the keys"
	# this host's instances answer over their Unix socket, without the key;
	# an instance asked over TCP without it says which file is missing
	mv "$T/rackeys/admin.key" "$T/admin.key.away"
	[ "$(racsql -e 'select count(*) from gv$instance where status = '"'OPEN'" --format csv |
		sed -n 2p)" = 2 ] || fail "local gv\$ views need the administrators' key"
	rm -f "$T/local/RAC2/lmon.sock"	# as if instance 2 were on another host
	out=$(racsql -e 'select inst_id, status from gv$instance' --format csv 2>&1)
	echo "$out"
	echo "$out" | grep -q "admin.key" || fail "the message does not name admin.key"
	mv "$T/admin.key.away" "$T/rackeys/admin.key"
}

test_auth_bad_key_files_are_refused_with_the_fix() {
	mkconfig 2 </dev/null
	rac init >/dev/null
	chmod 644 "$T/rackeys/inst1.key"
	out=$(rac start -i 1 2>&1) && fail "started with a world-readable key"
	echo "$out"
	echo "$out" | grep -q "chmod 600 $T/rackeys/inst1.key" || fail "the fix is not named"
	chmod 600 "$T/rackeys/inst1.key"
	mv "$T/rackeys/inst2.pub" "$T/inst2.pub.away"
	out=$(rac start -i 1 2>&1) && fail "started without instance 2's public key"
	echo "$out"
	echo "$out" | grep -q "no public key of instance 2: $T/rackeys/inst2.pub is missing" ||
		fail "the missing file is not named"
	mv "$T/inst2.pub.away" "$T/rackeys/inst2.pub"
	rac start -i 1 >/dev/null || fail "does not start once the files are right"
}

test_auth_off_still_forms_a_cluster() {
	mkconfig 2 <<<"interconnect_auth = no"
	rac init >/dev/null
	[ ! -e "$T/rackeys" ] || fail "keys made although interconnect_auth = no"
	rac start -i 1 >/dev/null
	rac start -i 2 >/dev/null
	two() { [ "$(members_of 1)" = "1 2" ]; }
	wait_for "both in one membership" 10000 two
	grep -q "interconnect_auth = no: the interconnect is neither encrypted" \
		"$T"/local/RAC1/trace/RAC1_lmon_*.trc || fail "no warning that it is open"
}

test_auth_key_rotation_without_an_outage() {
	two_up
	inc0=$(inc_of 1)
	cp "$T/rackeys/inst2.key" "$T/old-inst2.key"
	# 1: a new key beside the old one, accepted everywhere
	rac keygen -i 2 --next
	[ "$(grep -c '^public = ' "$T/rackeys/inst2.pub")" = 2 ] || fail "no second key"
	rac keys reload
	reloaded() { [ "$(grep -c 'Interconnect keys reloaded' "$(alert_file "$1")")" -ge "$2" ]; }
	wait_for "instance 1 reloaded" 3000 reloaded 1 2
	# 2: instance 2 restarts with it
	rac keygen -i 2 --promote && fail "promoted while instance 2 runs"
	rac stop -i 2 >/dev/null
	rac keygen -i 2 --promote
	rac keys reload
	wait_for "instance 1 reloaded again" 3000 reloaded 1 4
	alert_has 1 "(1 peer with a new current key)" || fail "instance 1 did not take the new key"
	rac start -i 2 >/dev/null
	two() { [ "$(members_of 1)" = "1 2" ] && [ "$(members_of 2)" = "1 2" ]; }
	wait_for "instance 2 back with its new key" 10000 two
	rac lock -i 2 -m EX --nowait rot -- true || fail "locks not served after the switch"
	# the old key is still accepted until it is retired: its bytes get past the
	# handshake and are read (and dropped as malformed); a refused key's never are
	before=$(stat_of 1 'malformed messages dropped')
	ZSEND_KEY=$T/old-inst2.key ZSEND_SERVER=$T/rackeys/inst1.pub ZSEND_SENDER=2 \
		"$RACBIN/zsend" "$(ep_of 1 lmon_endpoint)" garbage 1 "$(cluster_name)"
	old_known() { [ "$(stat_of 1 'malformed messages dropped')" -gt "$before" ]; }
	wait_for "the old key still known as instance 2's" 3000 old_known
	# 3: retired, it is refused as unknown
	rac keygen -i 2 --retire
	[ "$(grep -c '^public = ' "$T/rackeys/inst2.pub")" = 1 ] || fail "the old key not retired"
	rac keys reload
	wait_for "instance 1 reloaded a third time" 3000 reloaded 1 6
	before=$(stat_of 1 'interconnect connections refused')
	ZSEND_KEY=$T/old-inst2.key ZSEND_SERVER=$T/rackeys/inst1.pub ZSEND_SENDER=2 \
		"$RACBIN/zsend" "$(ep_of 1 lmon_endpoint)" hb 1 "$(cluster_name)"
	wait_for "the retired key refused" 3000 refused_at_least 1 $((before + 1))
	[ "$(members_of 1)" = "1 2" ] || fail "membership changed"
	rm -f "$T/old-inst2.key"
	[ "$(inc_of 1)" -gt "$inc0" ]	# instance 2's restart, nothing else
}

# A member's key is not a licence for another owner's locks: a release of a
# lock, sent by the LMS of another instance (or naming another client), is
# refused by the lock's master and the lock stays held.
test_auth_only_the_owner_releases_a_lock() {
	two_up "lock_fast_path = no"
	"$RACBIN/racctl" -c "$T/rac.ini" lock -i 1 -m EX owned -- sleep 30 &
	holder=$!
	row() { racsql -e "select master, lock_id from gv\$ges_enqueue where resource_name = 'owned'
		and granted_mode = 'EX'" --format csv | sed -n 2p; }
	held() { [ -n "$(row)" ]; }
	wait_for "the lock held" 5000 held
	master=$(row | cut -d, -f1); lkid=$(row | cut -d, -f2)
	other=$((3 - master))
	echo "lock $lkid mastered by instance $master"
	# the other instance's key, as itself; client 9999 is nobody's session
	ZSEND_KEY=$T/rackeys/inst$other.key ZSEND_SERVER=$T/rackeys/inst$master.pub \
		ZSEND_SENDER=$other ZSEND_LKID=$lkid ZSEND_CLIENT=9999 ZSEND_INC=$(inc_of "$master") \
		"$RACBIN/zsend" "$(ep_of "$master" lms_endpoint)" unlock 3 "$(cluster_name)"
	refused() { [ "$(stat_of "$master" "lock requests refused: another owner''s lock")" -ge 3 ]; }
	wait_for "the forged releases refused" 3000 refused
	alert_has "$master" "LMS 0: refused a release of lock" || fail "not in the alert log"
	held || fail "the lock was released by a stranger to it"
	rac lock -i 2 -m EX --nowait owned -- true && fail "a second EX holder"
	kill "$holder"; wait "$holder" 2>/dev/null || true
	free() { rac lock -i 2 -m EX --nowait owned -- true 2>/dev/null; }
	wait_for "the lock free once its owner left" 5000 free
}

# lms.sock sits in a 0700 directory; where someone opened that directory up,
# a client of another user is still told no, by the kernel's word on who it is
test_auth_local_client_of_another_user_is_refused() {
	mkconfig 1 </dev/null
	rac init >/dev/null
	rac start -i 1 >/dev/null
	chmod 711 "$T" "$T/local" "$T/local/RAC1"
	chmod 644 "$T/rac.ini"
	chmod 777 "$T/local/RAC1/lms.sock"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$RACBIN/racctl" -c "$T/rac.ini" lock -i 1 -m EX --nowait x -- true 2>&1) &&
		fail "nobody got a lock: $out"
	echo "$out"
	echo "$out" | grep -q "not permitted: this user may not use" || fail "not told why"
	[ "$(stat_of 1 "local lock requests refused: not the cluster''s user")" -ge 1 ] ||
		fail "not counted"
	alert_has 1 "LMS 0: refused a lock request from pid" || fail "not in the alert log"
	rac lock -i 1 -m EX --nowait x -- true || fail "the cluster's user is refused too"
}

# A local connection that never finishes its ZMTP handshake is closed by
# LMS after the handshake bound, and counted: it cannot hold a descriptor
test_auth_silent_local_connection_is_closed() {
	mkconfig 1 </dev/null
	rac init >/dev/null
	rac start -i 1 >/dev/null
	python3 - "$T/local/RAC1/lms.sock" >"$T/silent.out" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(10)
end = time.time() + 10
try:
    while time.time() < end:
        if s.recv(4096) == b"":
            print("closed"); break
except Exception as e:
    print("error", e)
PY
	py=$!
	closed() { grep -q closed "$T/silent.out"; }
	wait_for "LMS to close the silent connection" 9000 closed
	wait "$py" || true
	grep -q "no ZMTP handshake in time" "$T"/local/RAC1/trace/RAC1_lms0_*.trc || fail "not logged"
	rac lock -i 1 -m EX --nowait x -- true || fail "LMS stopped serving"
}

# A client past its lock quota is told RACRT_ELIMIT; the locks it holds
# stay, and others go on being served
test_auth_lock_quota_per_client() {
	mkconfig 1 <<<"lock_fast_path = no
max_locks_per_client = 3"
	rac init >/dev/null
	rac start -i 1 >/dev/null
	out=$("$RACBIN/lkmany" "$T/rac.ini" 1 q 5 "$T/ready" "$T/go" 2>&1) && fail "5 locks under a quota of 3: $out"
	echo "$out"
	echo "$out" | grep -q "lock quota reached" || fail "not told the quota"
	[ "$(stat_of 1 'lock requests refused: quota reached')" -ge 1 ] || fail "not counted"
	alert_has 1 "quota reached (max_locks_per_client 3" || fail "not in the alert log"
	rac lock -i 1 -m EX --nowait other -- true || fail "another client refused"
}

# client_group: its members use the lock manager without being the cluster's user
test_auth_client_group_may_use_the_lock_manager() {
	mkconfig 1 <<<"client_group = nogroup"
	rac init >/dev/null
	chmod 711 "$T"; mkdir -p "$T/local"; chmod 711 "$T/local"; chmod 644 "$T/rac.ini"
	rac start -i 1 >/dev/null
	[ "$(stat -c '%a %G' "$T/local/RAC1")" = "710 nogroup" ] || fail "local_dir not opened to the group"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$RACBIN/racctl" -c "$T/rac.ini" lock -i 1 -m EX --nowait g -- true ||
		fail "a member of client_group is refused"
	# a user of another group is still refused (it cannot even reach the socket)
	! setpriv --reuid=nobody --regid=daemon --clear-groups \
		"$RACBIN/racctl" -c "$T/rac.ini" lock -i 1 -m EX --nowait g -- true 2>/dev/null ||
		fail "a user outside client_group got a lock"
}

# A local client that lies about its pid (1: never gone) still loses its
# locks when it exits: LMS knows its pid from the kernel
test_auth_client_pid_comes_from_the_kernel() {
	mkconfig 1 <<<"lock_fast_path = no"
	rac init >/dev/null
	rac start -i 1 >/dev/null
	ZSEND_SENDER=0 ZSEND_NAME=liar "$RACBIN/zsend" "ipc://$T/local/RAC1/lms.sock" lockpid1 1 \
		"$(cluster_name)" reply || fail "no answer to the lock request"
	free() { rac lock -i 1 -m EX --nowait liar -- true 2>/dev/null; }
	wait_for "the liar's lock released after it exited" 5000 free
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# Strangers' bytes cost no memory: a frame claiming 8 GiB, keyed view
# requests never read, rebuild records outside any rebuild, idle TCP
# connections; LMON and LMS stay within 16 MiB of where they were
test_auth_floods_stay_within_bounds() {
	# memory as a release build keeps it: ASan's quarantine would hold every freed snapshot
	export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
	two_up "lock_fast_path = no"
	lmon=$(member_pid 1 lmon); lms=$(member_pid 1 lms0)
	r0=$(rss_kb "$lmon"); s0=$(rss_kb "$lms")
	name=$(cluster_name)
	lport=$(ep_of 1 lmon_endpoint); lport=${lport##*:}
	sport=$(ep_of 1 lms_endpoint); sport=${sport##*:}
	# a ZMTP greeting, then a frame header claiming 8 GiB; and 50 idle connections
	python3 - "$lport" "$sport" >"$T/flood.out" <<'PY'
import socket, struct, sys, time
def greet(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + b"NULL" + b"\0" * 16 + b"\0" + b"\0" * 31)
    return s
for port in map(int, sys.argv[1:]):
    s = greet(port)
    try:
        s.sendall(b"\x02" + struct.pack(">Q", 8 << 30) + b"x" * 65536)
    except OSError:
        pass
idle = [socket.create_connection(("127.0.0.1", int(sys.argv[2]))) for _ in range(50)]
end, closed = time.time() + 9, 0
for c in idle:
    try:
        while True:
            c.settimeout(max(0.05, end - time.time()))
            if c.recv(4096) == b"":
                closed += 1
                break
    except ConnectionResetError:
        closed += 1
    except OSError:
        pass
print("closed", closed)
PY
	cat "$T/flood.out"
	[ "$(awk '{ print $2 }' "$T/flood.out")" = 50 ] || fail "idle strangers' connections left open"
	# an administrator's view requests, never read
	ZSEND_KEY=$T/rackeys/admin.key ZSEND_SERVER=$T/rackeys/inst1.pub ZSEND_SENDER=0 \
		"$RACBIN/zsend" "$(ep_of 1 lmon_endpoint)" view 8000 "$name"
	# a member's rebuild records for the running incarnation, outside any rebuild
	before=$(stat_of 1 'ges stale messages dropped')
	ZSEND_KEY=$T/rackeys/inst2.key ZSEND_SERVER=$T/rackeys/inst1.pub ZSEND_SENDER=2 \
		ZSEND_INC=$(inc_of 1) "$RACBIN/zsend" "$(ep_of 1 lms_endpoint)" rebuild 20000 "$name"
	dropped() { [ "$(stat_of 1 'ges stale messages dropped')" -ge $((before + 20000)) ]; }
	wait_for "the rebuild records dropped" 10000 dropped
	r1=$(rss_kb "$lmon"); s1=$(rss_kb "$lms")
	echo "LMON ${r0} -> ${r1} KiB, LMS ${s0} -> ${s1} KiB"
	[ $((r1 - r0)) -lt 16384 ] || fail "LMON grew by $((r1 - r0)) KiB"
	[ $((s1 - s0)) -lt 16384 ] || fail "LMS grew by $((s1 - s0)) KiB"
	[ "$(members_of 1)" = "1 2" ] || fail "membership changed"
	rac lock -i 2 -m EX --nowait after -- true || fail "locks no longer served"
}

# A fake LMON on a stopped instance's port holds no key: gv$ views do not
# take it for the instance
test_auth_fake_lmon_is_not_believed() {
	mkconfig 2 </dev/null
	rac init >/dev/null
	rac start -i 1 >/dev/null
	rac start -i 2 >/dev/null
	rac stop -i 2 >/dev/null
	port=$(ep_of 2 lmon_endpoint); port=${port##*:}
	python3 - "$port" <<'PY' &
import socket, sys, time
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(16); srv.settimeout(8)
end = time.time() + 8
while time.time() < end:
    try:
        c, _ = srv.accept()
    except OSError:
        break
    # a greeting offering CURVE as the server, then nothing it could prove
    c.sendall(b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + b"CURVE" + b"\0" * 15 + b"\x01" + b"\0" * 31)
PY
	fake=$!
	listening() { [ -n "$(ss -ltn "sport = :$port" | sed 1d)" ]; }
	wait_for "the fake LMON listening" 3000 listening
	rm -f "$T/local/RAC2/lmon.sock"	# asked over TCP, as from another host
	out=$(racsql -e 'select inst_id, status from gv$instance' --format csv 2>&1)
	echo "$out"
	kill "$fake" 2>/dev/null; wait "$fake" 2>/dev/null || true
	! echo "$out" | grep -q '^2,OPEN' || fail "the fake LMON was believed"
}
