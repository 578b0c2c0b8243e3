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
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SELECT = ["--consumer", "vfio-type1", "--consumer", "vfio-type1-nvme",
	  "--backing", "zeropage", "--backing", "huge-zeropage",
	  "--case", "ro-pin-snapshot", "--case", "detects-stale", "--case", "ro-pin-reliable"]

# The one parser of the rule language is tests/lib/rules.py (issue 23, H1);
# until it is merged this file carries the least of it that EXPECT uses
# (exact kernel labels, {a,b} globs, error:"REGEX"): drop _Mini at merge.
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
try:
	import rules as R	# noqa: E402
except ImportError:
	R = None


class _Mini:
	class Rule:
		def __init__(self, kernel, globs, regex, text):
			self.kernel, self.globs, self.regex, self.text = kernel, globs, regex, text

	@staticmethod
	def braces(g):
		m = re.search(r"\{([^{}]*)\}", g)
		return [g] if not m else [x for alt in m.group(1).split(",")
					  for x in _Mini.braces(g[:m.start()] + alt + g[m.end():])]

	@staticmethod
	def parse(path):
		out = []
		for no, line in enumerate(open(path), 1):
			if not line.strip() or line.lstrip().startswith("#"):
				continue
			m = re.match(r'(\S+)\s+(\S+)\s+error:"((?:[^"])*)"\s+(.+)$', line.strip())
			if not m:
				raise SystemExit('%s:%d: this interim judge reads only KERNEL TESTS error:"REGEX" TEXT' % (path, no))
			globs = [x for g in m.group(2).split(",") for x in _Mini.braces(g)] \
				if "{" not in m.group(2) else _Mini.braces(m.group(2))
			out.append(_Mini.Rule(m.group(1), globs, re.compile(m.group(3)), m.group(4)))
		return out

	@staticmethod
	def judge(rules, results, plan):
		found = []
		names = [r["name"] for r in results]
		for r in results:
			cover = [x for x in rules if any(fnmatch.fnmatchcase(r["name"], g) for g in x.globs)]
			if not cover:
				found.append("unexpected test: %s %s" % (r["name"], r["verdict"]))
			for x in cover:
				if r["verdict"] != "error" or not x.regex.search(r.get("reason") or ""):
					found.append("%s: %s%s: %s, expected error:\"%s\"" % (
						r["name"], r["verdict"], ":" + r["fail_kind"] if r.get("fail_kind") else "",
						r.get("reason"), x.regex.pattern))
		for x in rules:
			found += ["matched no result: " + g for g in x.globs
				  if not any(fnmatch.fnmatchcase(n, g) for n in names)]
		found += ["planned, no result: " + n for n in plan if n not in names]
		found += ["not in the plan or twice: " + n for n in set(names)
			  if n not in plan or names.count(n) > 1]
		return found


def load(path):
	if R:
		return R.parse(path)
	return _Mini.parse(path)


def kernels_of(rules):
	ks = []
	for r in rules:
		for k in (r.kernels if R else [r.kernel]):
			if k not in ks:
				ks.append(k)
	return ks


def judge(rules, label, results, plan):
	if R:
		mine = R.for_kernel(rules, label)
		return [f.text for f in R.judge(mine, results, plan)]
	return _Mini.judge([r for r in rules if r.kernel == label], results, plan)


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
	a = p.parse_args()
	rules = load(a.expect)
	kernels = kernels_of(rules)
	plan = [l.split()[0] for l in subprocess.run(
		[a.cowpin, "list"] + SELECT, stdout=subprocess.PIPE, text=True, check=True,
		timeout=60).stdout.splitlines() if l.strip()]
	n = [0]
	failed = [0]

	def tap(ok, what, diags=()):
		n[0] += 1
		failed[0] += not ok
		print("%s %d - %s" % ("ok" if ok else "not ok", n[0], what))
		for d in list(diags)[:40]:
			print("# " + d)
		sys.stdout.flush()

	print("# judge: %s" % ("tests/lib/rules.py" if R else "interim (tests/lib/rules.py not merged yet)"))
	if a.lab:
		# Only this run's results: nothing a previous run left is judged.
		shutil.rmtree(a.report, ignore_errors=True)
		os.makedirs(a.report)
		cmd = [a.lab, "--report", a.report, "--cowpin", a.cowpin, "--no-memlock", "--no-selftest",
		       "--test-dma-fault", "unmapped"] + SELECT
		for k in kernels:
			cmd += ["--kernel", k]
		t0 = time.monotonic()
		rc = subprocess.run(cmd, stdout=sys.stderr).returncode
		print("# scripts/lab exit %d in %.0f s; report %s/report.md" % (rc, time.monotonic() - t0, a.report))
	print("1..%d" % (len(kernels) * (2 + 6)))
	for k in kernels:
		path = os.path.join(a.report, k + ".json")
		try:
			with open(path) as f:
				results = json.load(f)["results"]
			tap(True, "%s: lab produced %s (%d results)" % (k, path, len(results)))
		except (OSError, ValueError, KeyError, TypeError) as e:
			results = None
			tap(False, "%s: lab produced no JSON: %s" % (k, e))
		found = judge(rules, k, results, plan) if results is not None else ["no results"]
		tap(not found, "%s: every faulted read-back is a DMA fault error seen by the IOMMU's counter (%s)" % (
			k, os.path.basename(a.expect)), found)
		for what, rs in mutants(results or []):
			tap(bool(judge(rules, k, rs, plan)), "%s: the check rejects a doctored report: %s" % (k, what))
		for _ in range(6 - len(list(mutants(results or [])))):
			tap(False, "%s: no results to doctor" % k)
	return 1 if failed[0] else 0


if __name__ == "__main__":
	sys.exit(main())
