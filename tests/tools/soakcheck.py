#!/usr/bin/env python3
"""Check a cluster's history, as its alert logs tell it, for the safety rules.

    soakcheck.py DIR        (DIR/local/RAC*/alert_RAC*.log, DIR/disk/...)

1. One membership per incarnation: every instance that completed a
   reconfiguration into incarnation N lists the same members for N, so no
   two disjoint groups were ever active in the same incarnation.
2. Fencing before recovery: when a survivor completes a reconfiguration
   that evicted instance E, the life of E that was evicted has already
   logged that nothing of it writes any more: its guardian's "all members
   stopped", LMON's "no further shared-disk writes", a kill block obeyed,
   an operator's abort -- each written only once it is true.  The evicted
   life is the one running when the survivor logged "Evicting instance E"
   (the decision comes before that line), not the one running at the
   completion: E may have been restarted in between, and that new life is
   a joiner, not the instance that was fenced.  Only the evicted life's own
   lines count, so a later life's stop cannot stand in for it.
   One case is told apart, not counted as a violation: the evicted life
   stopped issuing writes (its lease ran out, the survivors waited for it)
   but had an I/O outstanding on a voting disk that hung for it and had not
   answered again.  That I/O was issued under a valid lease and may land
   whenever the disk answers: only a watchdog that resets the host bounds
   it (the fencing issue's watchdog).  Such evictions are printed as
   IN FLIGHT and counted in the summary.
Prints each violation and exits 1 if there is any; prints a summary either way.
"""
import datetime
import glob
import os
import re
import sys

TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$")
STARTED = re.compile(r"^Reconfiguration started \(old inc (\d+), new inc (\d+)\)")
LIST = re.compile(r"^ ([\d ]+) \(myinst: (\d+)\)$")
EVICT = re.compile(r"^Evicting instance (\d+) from cluster")
# a disk hung for the instance: LMON's own line once its I/O is overdue, or
# the drill's note (the group may be killed before LMON says anything)
HUNG = re.compile(r"^(?:(?:Voting disk|Control area copy on voting disk) (\d+) \(.*\) is HUNG"
                  r"|Fault injected by operator \(racctl fault disk-hang\): "
                  r"(?:voting disk (\d+)|(the control file)) )")
BACK = re.compile(r"^(?:(?:Voting disk|Control area copy on voting disk) (\d+) \(.*\) is ONLINE again"
                  r"|Fault injected by operator \(racctl fault disk-resume\): I/O on "
                  r"(?:voting disk (\d+)|(the control file)) )")
STOPPED = ("all members stopped", "All members of instance", "no further shared-disk writes",
           "stopping all shared-disk I/O", "aborted by operator")


def entries(path):
    """[(timestamp, [message lines])] of one alert log."""
    out, ts, msg = [], None, []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if TS.match(line):
                if ts is not None:
                    out.append((ts, msg))
                ts, msg = datetime.datetime.fromisoformat(line), []
            elif ts is not None:
                msg.append(line)
    if ts is not None:
        out.append((ts, msg))
    return out


def main():
    top = sys.argv[1]
    logs = {}
    for path in glob.glob(os.path.join(top, "local", "RAC*", "alert_RAC*.log")):
        inst = int(re.search(r"alert_RAC(\d+)\.log$", path).group(1))
        logs[inst] = entries(path)
    bad = []
    members_of = {}     # incarnation -> {members tuple: [instances]}
    completes = evictions = 0
    inflight = []

    for inst, ents in sorted(logs.items()):
        open_rcfg = None     # (new inc, members) of a started, not yet completed one
        evicted = []         # (instance, when the eviction was logged)
        for ts, msg in ents:
            text = "\n".join(msg)
            for k, line in enumerate(msg):
                m = STARTED.match(line)
                if m:
                    inc = int(m.group(2))
                    members = None
                    for nxt in msg[k + 1:k + 3]:
                        lm = LIST.match(nxt)
                        if lm:
                            members = tuple(int(x) for x in lm.group(1).split())
                    if members is None:
                        bad.append(f"instance {inst} at {ts}: no list of instances after "
                                   f"'Reconfiguration started'")
                        continue
                    open_rcfg = (inc, members)
                m = EVICT.match(line)
                if m:
                    evicted.append((int(m.group(1)), ts))
            if text.startswith("Reconfiguration triggered"):
                evicted = []
            if text.startswith("Reconfiguration complete"):
                completes += 1
                if open_rcfg:
                    inc, members = open_rcfg
                    members_of.setdefault(inc, {}).setdefault(members, []).append(inst)
                # an overtaken attempt logs its evictions again: each is checked
                for e, at in evicted:
                    evictions += 1
                    how = fenced(logs.get(e, []), at, ts)
                    if how == "hung":
                        inflight.append(f"instance {inst} completed a reconfiguration at {ts} "
                                        f"that evicted instance {e} (its life evicted at "
                                        f"{at}) with I/O outstanding on a voting disk hung "
                                        f"for it: it may land when the disk answers")
                    elif not how:
                        bad.append(f"instance {inst} completed a reconfiguration at {ts} "
                                   f"that evicted instance {e}, which had not stopped "
                                   f"writing by then (its life evicted at {at})")
                open_rcfg, evicted = None, []

    for inc, groups in sorted(members_of.items()):
        if len(groups) > 1:
            desc = "; ".join(f"{list(m)} on instances {insts}" for m, insts in groups.items())
            bad.append(f"incarnation {inc} has more than one membership: {desc}")

    for b in bad:
        print("VIOLATION:", b)
    for f in inflight:
        print("IN FLIGHT:", f)
    print(f"soakcheck: {len(logs)} alert logs, {completes} completed reconfigurations, "
          f"{evictions} evictions checked, {len(members_of)} incarnations, "
          f"{len(bad)} violations, {len(inflight)} evicted with I/O in flight on a hung disk")
    return 1 if bad else 0


def fenced(ents, evicted_at, when):
    """Did the life of the instance running at `evicted_at` log, by `when`,
    that it stopped writing?  True; "hung" when it did not but a voting disk
    was hung for it, unanswered, at `when` (I/O in flight); else False."""
    life_start = life_end = None
    for ts, msg in ents:
        if not (msg and msg[0].startswith("Starting instance")):
            continue
        if ts <= evicted_at:
            life_start = ts
        elif life_start is not None and life_end is None:
            life_end = ts    # the next life began: the evicted one was over
    if life_start is None:
        return True     # never ran: nothing to fence
    hung = set()
    for ts, msg in ents:
        if not (life_start <= ts <= when and (life_end is None or ts < life_end)):
            continue
        if any(s in "\n".join(msg) for s in STOPPED):
            return True
        for line in msg:
            m = HUNG.match(line)
            if m:
                hung.add(next(g for g in m.groups() if g))
            m = BACK.match(line)
            if m:
                hung.discard(next(g for g in m.groups() if g))
    return "hung" if hung else False


if __name__ == "__main__":
    sys.exit(main())
