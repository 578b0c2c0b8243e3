#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `lab`: clean-up after an interrupted run, and repeatable verdicts.

    lab_hardening.py interrupt LAB COWPIN WORKDIR [KERNEL...]
    lab_hardening.py repeat LAB COWPIN WORKDIR N [KERNEL...]

interrupt: in a guest (--edu), interrupt `scripts/with-devices cowpin run`
  with SIGINT during the rdma-rxe tests and with SIGTERM during the
  vfio-type1 tests (each sent to the whole process group, as Ctrl-C and a CI
  timeout do); afterwards no cowpin process, no cowpin_* rdma link, the same
  modules (vivid, rdma_rxe, vfio-pci unloaded), the edu device's driver
  binding and nr_hugepages as before, no state left in /run, clean dmesg.
repeat: the whole plan N times per kernel in one guest, under one device
  set-up; every test's verdict (and errno) must be the same in all N runs.
  The count is reported.  One plan (245 tests) took 40-55 s in a guest on an
  idle 2-core host, 10-16 min with its set-up under load 20.
TAP on stdout.  KERNEL defaults to 6.1 and 6.12.
"""
import errno
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
from tap import Tap  # noqa: E402

T = Tap()
tap = T.ok


def lab(labscript, kernel, keep, cmd, mem=None, timeout=3600):
	# A generous boot bound: the lab shares a loaded host (boots took 3+ min under load).
	argv = [labscript, "exec", "--kernel", kernel, "--edu", "-q", "--keep", keep, "--boot-timeout", "600"]
	if mem:
		argv += ["--mem", mem]
	argv += ["--timeout", str(timeout)]
	p = subprocess.run(argv + ["--", cmd], cwd=REPO, capture_output=True, text=True, timeout=timeout + 900)
	return p.returncode, p.stdout + p.stderr


def snap(path):
	out = {}
	if os.path.exists(path):
		for line in open(path):
			k, _, v = line.partition(": ")	# "edu 0000:00:01.0 driver: vfio-pci"
			out[k.strip()] = v.strip()
	return out


def read(path, default=""):
	return open(path).read().strip() if os.path.exists(path) else default


ROUNDS = [
	# tag, signal, trigger (consumer, or "setup": during the device set-up), consumers,
	# with-devices' exit status (bash skips its INT trap when cowpin handled the
	# SIGINT itself and exited 1: the normal path cleans up then)
	("sigint-rdma", "INT", "rdma-rxe", ["rdma-rxe", "vfio-type1", "v4l2"], ("1", "130")),
	("sigterm-vfio", "TERM", "vfio-type1", ["vfio-type1", "v4l2"], ("143",)),
	("sigint-setup", "INT", "setup", ["rdma-rxe", "vfio-type1", "v4l2"], ("130",)),
]


def interrupt(labscript, cowpin, work, kernels):
	T.plan(len(kernels) * len(ROUNDS))
	for k in kernels:
		keep = os.path.join(work, f"interrupt-{k}")
		subprocess.run(["rm", "-rf", keep])
		cmd = " && ".join(
			f"bash tests/lab-hardening/interrupt-guest.sh /lab/{tag} {cowpin} {sig} {trig} {' '.join(cons)}"
			for tag, sig, trig, cons, _ in ROUNDS)
		rc, out = lab(labscript, k, keep, cmd, timeout=5400)
		for tag, sig, trig, cons, want_rc in ROUNDS:
			d = os.path.join(keep, tag)
			when = "device set-up" if trig == "setup" else f"{trig} tests"
			name = f"{k}: SIG{sig} during {when} leaves the guest as found"
			# Judge each round on its own files: a later round's trouble must not hide it.
			if not os.path.exists(os.path.join(d, "after")):
				tap(False, name, [f"lab exec exit {rc}; the round did not finish"] +
				    [f"ps 30 s after the signal: {read(f'{d}/ps-30s')[-1500:]}"] * bool(read(f"{d}/ps-30s")) +
				    out.strip().splitlines()[-10:])
				continue
			before, during, after = snap(f"{d}/before"), snap(f"{d}/during"), snap(f"{d}/after")
			bad = []
			for key in sorted(set(before) | set(after)):
				if before.get(key) != after.get(key):
					bad.append(f"{key}: before '{before.get(key)}', after '{after.get(key)}'")
			if "cowpin_" in after.get("rdma links", ""):
				bad.append(f"rdma links left: {after['rdma links']}")
			if read(f"{d}/procs"):
				bad.append(f"processes left: {read(f'{d}/procs')}")
			if os.path.exists(f"{d}/hung"):
				bad.append(read(f"{d}/hung"))
			if read(f"{d}/dmesg-bad"):
				bad.append(f"dmesg: {read(f'{d}/dmesg-bad')[:300]}")
			got = read(f"{d}/rc", "?")
			if got not in want_rc:
				bad.append(f"with-devices exit {got}, expected {' or '.join(want_rc)} (SIG{sig})")
			tapout = read(f"{d}/tap")
			if trig != "setup" and "interrupted by signal" not in tapout:
				bad.append("cowpin did not report the interruption in its TAP")
			# The interruption must have hit a set-up machine, or it proves nothing.
			setup = []
			if "cowpin_rxe0" in during.get("rdma links", ""):
				setup.append("rdma link cowpin_rxe0")
			if any(k2.startswith("edu") and v == "vfio-pci" for k2, v in during.items()):
				setup.append("edu bound to vfio-pci")
			if "video" in during.get("video nodes", ""):
				setup.append("vivid loaded")
			if not setup:
				bad.append("nothing was set up when the signal came (no rdma link, vfio binding or vivid)")
			n = read(f"{d}/results-before-signal", "?")
			tap(not bad, f"{name} ({n} results before the signal; undone: {', '.join(setup)})", bad)
	return T.done()


def repeat(labscript, cowpin, work, n, kernels):
	T.plan(len(kernels))
	total_runs = total_tests = 0
	for k in kernels:
		keep = os.path.join(work, f"repeat-{k}")
		subprocess.run(["rm", "-rf", keep])
		rc, out = lab(labscript, k, keep, f"bash tests/lab-hardening/repeat-guest.sh /lab/repeat {cowpin} {n}",
			      timeout=1800 + n * 900)
		runs = []
		for i in range(1, n + 1):
			try:
				runs.append(json.load(open(os.path.join(keep, "repeat", f"run-{i}.json"))))
			except (OSError, ValueError):
				runs.append(None)
		name = f"{k}: {n} runs of the whole plan give identical verdicts"
		if None in runs:
			tap(False, name, [f"lab exec exit {rc}; runs with JSON: {sum(r is not None for r in runs)}"] +
			    out.strip().splitlines()[-10:])
			continue
		if rc != 0:	# every run wrote its JSON: compare them, but say the job did not end well
			T.diag(f"lab exec exit {rc} after the last run (tear-down cut short?)")

		def key(r):
			v = r["verdict"]
			return v + (":" + errno.errorcode.get(abs(r["errno"]), str(r["errno"]))
				    if v == "refused" and r.get("errno") else "")
		maps = [{r["name"]: key(r) for r in doc["results"]} for doc in runs]
		diff = []
		for t in sorted(maps[0]):
			seen = [m.get(t, "absent") for m in maps]
			if len(set(seen)) > 1:
				diff.append(f"{t}: {' / '.join(seen)}")
		if any(set(m) != set(maps[0]) for m in maps):
			diff.append("the plans differ between runs")
		summary = runs[0]["summary"]
		total_runs += n
		total_tests += n * len(maps[0])
		times = read(os.path.join(keep, "repeat", "times")).replace("\n", "; ")
		tap(not diff, f"{name}: {len(maps[0])} tests x {n} = {n * len(maps[0])} results, "
		    f"{len(diff)} differ ({summary}; {times})", diff[:30])
	T.diag(f"{total_runs} full runs, {total_tests} test results compared")
	return T.done()


def main():
	mode, labscript, cowpin, work = sys.argv[1:5]
	os.makedirs(work, exist_ok=True)
	# A copy: a rebuild of build/cowpin during the (long) guest runs must not change it.
	copy = os.path.abspath(os.path.join(work, f"cowpin-under-test.{os.getpid()}"))
	shutil.copy2(cowpin, copy)	# the guest sees the host's / as is
	try:
		if mode == "interrupt":
			return interrupt(labscript, copy, work, sys.argv[5:] or ["6.1", "6.12"])
		return repeat(labscript, copy, work, int(sys.argv[5]), sys.argv[6:] or ["6.1", "6.12"])
	finally:
		os.unlink(copy)


if __name__ == "__main__":
	sys.exit(main())
