#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Interrupting `scripts/with-devices cowpin run --consumer io_uring` on this
host with SIGINT, SIGTERM and SIGHUP (to the process group, as a terminal, a
CI timeout and a dropped ssh session do): the run must stop with the
interruption reported in its TAP, leave no cowpin process and no
/run/cowpin-state.* directory, and put nr_hugepages back (with-devices
raises it).  The lab's interrupt-cleanup test does the same with devices."""
import glob
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import Tap  # noqa: E402

COWPIN, WITH_DEVICES = (os.path.abspath(a) for a in sys.argv[1:3])
POOL = "/proc/sys/vm/nr_hugepages"
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]

T = Tap(plan=len(SIGNALS))
if os.geteuid() != 0:
	for s in SIGNALS:
		T.skip(s.name, "needs root (with-devices sets nothing up otherwise)")
	sys.exit(T.done())

for sig in SIGNALS:
	pool = open(POOL).read().strip()
	states = set(glob.glob("/run/cowpin-state.*"))
	p = subprocess.Popen([WITH_DEVICES, COWPIN, "run", "--consumer", "io_uring", "--timeout", "60"],
			     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
	# Signal once the first result is out: a test is then running or about to.
	out = ""
	deadline = time.time() + 120
	while time.time() < deadline:
		line = p.stdout.readline()
		if not line:
			break
		out += line
		if line.startswith("ok ") or line.startswith("not ok "):
			break
	os.killpg(p.pid, sig)
	try:
		rest, _ = p.communicate(timeout=120)
		out += rest
	except subprocess.TimeoutExpired:
		os.killpg(p.pid, signal.SIGKILL)
		p.communicate()
		out += "\n(still running 120 s after the signal)"
	bad = []
	if p.returncode == 0:
		bad.append("exit status 0 after an interruption")
	if "interrupted by signal" not in out:
		bad.append("no 'interrupted by signal' in the TAP")
	# Only our session: other cowpin runs on this machine are not ours to judge.
	left = subprocess.run(["pgrep", "-a", "-s", str(p.pid)], capture_output=True, text=True).stdout.strip()
	if left:
		bad.append(f"processes left: {left}")
	if open(POOL).read().strip() != pool:
		bad.append(f"nr_hugepages {open(POOL).read().strip()}, was {pool}")
	new_states = set(glob.glob("/run/cowpin-state.*")) - states
	if new_states:
		bad.append(f"state left: {sorted(new_states)}")
	T.ok(not bad, f"{sig.name} to the group: with-devices exit {p.returncode}, "
	     "devices and pool restored, nothing left running", bad)
sys.exit(T.done())
