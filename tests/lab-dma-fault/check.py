#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `lab-dma-fault`: a DMA fault is never data.

Runs scripts/lab on Debian's 6.1 and 6.12 with the TEST ONLY switch
--test-dma-fault unmapped (drivers/vfio/README.md), vfio-type1 (edu) and
vfio-type1-nvme, zeropage and huge-zeropage, ro-pin-snapshot, detects-stale
and ro-pin-reliable, into a report directory it has emptied, and holds each
kernel's results to EXPECT (docs/rules.md).  The check proves it can fail:
each kernel's results, doctored one way at a time (a pass, a fail:stale, a
fault only the kernel log saw, a result dropped, one added), must be
rejected.  TAP on stdout; scripts/lab's output goes to stderr.

usage: check.py EXPECT REPORT_DIR --lab SCRIPT --cowpin BIN
       check.py EXPECT REPORT_DIR --cowpin BIN     (judge an existing report)
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SELECT = ["--consumer", "vfio-type1", "--consumer", "vfio-type1-nvme",
	  "--backing", "zeropage", "--backing", "huge-zeropage",
	  "--case", "ro-pin-snapshot", "--case", "detects-stale", "--case", "ro-pin-reliable"]

sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
import rules  # noqa: E402	(tests/lib/rules.py: docs/rules.md)
from tap import Tap  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from lablib import runid  # noqa: E402


def judge(rs, label, results, plan):
	return [f.text for f in rules.judge(rules.for_kernel(rs, label), results, plan)]


def mutants(results):
	"""(what, doctored results): each must be rejected."""
	if not results:
		return
	one = results[0]

	def doctored(what, change):
		rs = copy.deepcopy(results)
		change(rs)
		return what, rs

	def set_(i, **kv):
		return lambda rs: rs[i].update(kv)
	yield doctored("%s made pass" % one["name"], set_(0, verdict="pass", reason="device read zeros"))
	yield doctored("%s made fail:stale" % one["name"], set_(0, verdict="fail", fail_kind="stale"))
	yield doctored("%s: a fault only the kernel log saw" % one["name"], set_(
		0, reason="device read failed: DMA fault: the IOMMU faulted edu's DMA (\"DMAR: [DMA Read NO_PASID] ...\")"))
	yield doctored("%s: another error" % one["name"], set_(0, reason="device read failed: edu transfer 2/4 not done"))
	yield doctored("%s dropped" % one["name"], lambda rs: rs.pop(0))
	yield doctored("%s twice" % one["name"], lambda rs: rs.append(copy.deepcopy(rs[0])))


def main():
	p = argparse.ArgumentParser()
	p.add_argument("expect")
	p.add_argument("report")
	p.add_argument("--lab")
	p.add_argument("--cowpin", required=True)
	p.add_argument("--run-id", help="without --lab: the run the report must be of (default: its lab.json's)")
	a = p.parse_args()
	rs = rules.parse(a.expect)
	kernels = rules.labels(rs)
	plan = rules.plan(a.cowpin, *[[SELECT[i + 1] for i in range(0, len(SELECT), 2) if SELECT[i] == o]
				       for o in ("--consumer", "--backing", "--case")])
	build = runid.build_id(a.cowpin)
	rid = runid.of_check(a.report, bool(a.lab), a.cowpin, os.path.join(HERE, "..", ".."), a.run_id)
	tap = Tap()
	if a.lab:
		# Only this run's results: the lab empties its report directory,
		# and every document must carry the run id given here.
		cmd = [a.lab, "--report", a.report, "--cowpin", a.cowpin, "--run-id", rid, "--no-memlock",
		       "--no-selftest", "--test-dma-fault", "unmapped"] + SELECT
		for k in kernels:
			cmd += ["--kernel", k]
		t0 = time.monotonic()
		rc = subprocess.run(cmd, stdout=sys.stderr).returncode
		tap.diag("scripts/lab exit %d in %.0f s; report %s/report.md" % (rc, time.monotonic() - t0, a.report))
	tap.plan(len(kernels) * (2 + 6))
	for k in kernels:
		path = os.path.join(a.report, k + ".json")
		try:
			with open(path) as f:
				doc = json.load(f)
			results = doc["results"]
			why = runid.stale(doc, rid, build) if rid else "no run id to check it against (--run-id)"
		except (OSError, ValueError, KeyError, TypeError) as e:
			results, why = None, str(e)
		if why:
			results = None
		tap.ok(results is not None, "%s: lab produced %s of run %s (%s)" % (
			k, path, rid, "%d results" % len(results) if results is not None else why))
		found = judge(rs, k, results, plan) if results is not None else ["no results of this run"]
		tap.ok(not found, "%s: every faulted read-back is a DMA fault error seen by the IOMMU's counter (%s)" % (
			k, os.path.basename(a.expect)), found[:40])
		doctored = list(mutants(results or []))
		for what, m in doctored:
			tap.ok(bool(judge(rs, k, m, plan)), "%s: the check rejects a doctored report: %s" % (k, what))
		for _ in range(6 - len(doctored)):
			tap.ok(False, "%s: no results to doctor" % k)
	return tap.done()


if __name__ == "__main__":
	sys.exit(main())
