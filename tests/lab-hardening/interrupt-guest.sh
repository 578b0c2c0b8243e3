#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# In a lab guest: start `scripts/with-devices COWPIN run --consumer C...` in
# its own process group, wait for the first result line of TRIGGER (a test
# of that consumer is then running or next), send SIG to the whole group as
# a terminal's Ctrl-C would, and snapshot what the suite may have changed
# before, during and after:  interrupt-guest.sh OUT COWPIN SIG TRIGGER C...
# The host side (lab_hardening.py) compares the snapshots.
set -u
out=$1 cowpin=$2 sig=$3 trigger=$4
shift 4
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"

snapshot() {
	local d
	echo "modules: $(ls /sys/module | tr '\n' ' ')"
	# `rdma link` would load ib_core (netlink autoload): only ask when it is there.
	if [ -d /sys/module/ib_core ]; then
		echo "rdma links: $(rdma link show 2>/dev/null | awk '{print $2}' | tr '\n' ' ')"
	else
		echo "rdma links: "
	fi
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] || continue
		echo "edu $(basename "$d") driver: $(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)"
	done
	echo "nr_hugepages: $(cat /proc/sys/vm/nr_hugepages)"
	echo "state dirs: $(ls -d /run/cowpin* 2>/dev/null | tr '\n' ' ')"
	echo "video nodes: $(ls /dev/video* 2>/dev/null | tr '\n' ' ')"
}

snapshot >"$out/before"
args=()
for c in "$@"; do
	args+=(--consumer "$c")
done
# `&` in a script starts the job with SIGINT ignored, and bash cannot trap a
# signal ignored on entry: restore the default as a terminal's job would have it.
setsid env --default-signal=INT,QUIT "$repo/scripts/with-devices" "$cowpin" run "${args[@]}" --timeout 300 >"$out/tap" 2>"$out/stderr" &
pid=$!
# Not a group leader (no job control here), so setsid did not fork: the
# session and process group are $pid's (asking ps could race setsid()).
pgid=$pid
# Bounded waits throughout: TCG is slow, but nothing may hang.
# TRIGGER "setup" = as soon as the first device is set up (the later set-up
# scripts still run); else a consumer name = after its first result.
for _ in $(seq 1200); do
	if [ "$trigger" = setup ]; then
		grep -q "^setup-rdma: added" "$out/stderr" && break
	else
		grep -q "^\(not \)\?ok .* $trigger\." "$out/tap" && sleep 3 && break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
snapshot >"$out/during"
grep -c "^\(not \)\?ok " "$out/tap" >"$out/results-before-signal"
kill -"$sig" -- "-$pgid"
sent=$(date +%s)
while kill -0 "$pid" 2>/dev/null && [ $(($(date +%s) - sent)) -lt 300 ]; do
	# What is still running 30 s after the signal (diagnosis of a slow clean-up).
	[ $(($(date +%s) - sent)) -ge 30 ] && [ ! -e "$out/ps-30s" ] && ps -e -o pid,pgid,stat,etime,args --forest >"$out/ps-30s"
	sleep 0.5
done
if kill -0 "$pid" 2>/dev/null; then
	ps -e -o pid,pgid,stat,etime,args --forest >"$out/ps-hung"
	echo "still running 300 s after SIG$sig" >"$out/hung"
	kill -KILL -- "-$pgid"
fi
wait "$pid"
echo $? >"$out/rc"
sleep 1
snapshot >"$out/after"
{ pgrep -a -x cowpin; pgrep -a -f "[w]ith-devices|scripts/setup-"; } >"$out/procs"
dmesg >"$out/dmesg"
grep -E "WARNING:|BUG:|Oops|Bad page|general protection" "$out/dmesg" >"$out/dmesg-bad"
exit 0
