#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `lab`: run scripts/lab on Debian's 6.1 and 6.12 and check each
kernel's cowpin JSON against tests/lab/expectations.  TAP on stdout, one
line per kernel run and per expectation.

usage: check.py EXPECTATIONS REPORT_DIR [--lab SCRIPT --cowpin BIN]
With --lab, runs `SCRIPT --cowpin BIN --report REPORT_DIR` first (its
output goes to stderr); without, checks an existing report directory.
"""
import argparse
import errno
import fnmatch
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def parse(path):
	rules = []
	with open(path) as f:
		for no, line in enumerate(f, 1):
			w = line.split(None, 4)
			if not w or w[0].startswith("#"):
				continue
			if len(w) < 5 or w[3] not in ("ran", "all"):
				sys.exit("%s:%d: want KERNEL TESTS VERDICTS ran|all TEXT" % (path, no))
			rules.append((w[0], w[1].split(","), w[2].split(","), w[3], w[4].strip()))
	return rules


def shown(r):
	"""pass, fail, refused:EFAULT, ..."""
	v = r["verdict"]
	if v == "refused" and r.get("errno"):
		e = abs(r["errno"])	# EOPNOTSUPP, not its alias ENOTSUP
		v += ":" + ("EOPNOTSUPP" if e == errno.EOPNOTSUPP else
			    errno.errorcode.get(e, str(e)))
	return v


def wrong(r, verdicts):
	"""Does r break the rule?  "mech:NAME" entries constrain the COW mechanism
	of results that read data (pass, fail, hazard)."""
	mechs = [v[5:] for v in verdicts if v.startswith("mech:")]
	plain = [v for v in verdicts if not v.startswith("mech:")]
	if plain and shown(r) not in plain and r["verdict"] not in plain:
		return True
	# Only a device read has a mechanism: a refused or failed registration has none.
	return bool(mechs) and r["verdict"] in ("pass", "fail", "hazard") and r.get("mechanism") not in mechs


def check(rule, results, tap):
	kernel, globs, verdicts, quant, text = rule
	hits = [r for r in results
		if any(fnmatch.fnmatchcase(r["name"], g) for g in globs)]
	if quant == "ran":
		hits = [r for r in hits if r["verdict"] != "skip"]
	bad = [r for r in hits if wrong(r, verdicts)]
	note = "" if hits else " # matched no result (consumer or backing absent)"
	tap(not bad, "%s (%d results)%s" % (text, len(hits), note),
	    ["%s: %s (mechanism %s), expected %s: %s" % (
		    r["name"], shown(r), r.get("mechanism"), "|".join(verdicts), r.get("reason", ""))
	     for r in bad])


def main():
	p = argparse.ArgumentParser()
	p.add_argument("expectations")
	p.add_argument("report")
	p.add_argument("--lab")
	p.add_argument("--cowpin")
	a = p.parse_args()
	rules = parse(a.expectations)
	kernels = []
	for k, *_ in rules:
		if k not in kernels:
			kernels.append(k)
	# Older kernel first: the report's columns then read A → B.
	kernels.sort(key=lambda k: [int(x) for x in re.findall(r"[0-9]+", k)])
	n = [0]
	failed = [0]

	def tap(ok, what, diags=()):
		n[0] += 1
		failed[0] += not ok
		print("%s %d - %s" % ("ok" if ok else "not ok", n[0], what))
		for d in diags:
			print("# " + d)
		sys.stdout.flush()

	if a.lab:
		cmd = [a.lab, "--report", a.report]
		for k in kernels:
			cmd += ["--kernel", k]
		if a.cowpin:
			cmd += ["--cowpin", a.cowpin]
		rc = subprocess.run(cmd, stdout=sys.stderr).returncode
		print("# scripts/lab exit %d; report %s/report.md" % (rc, a.report))
	mdir = os.path.join(a.report, "memlock")
	mdocs = sorted(os.path.join(mdir, f) for f in os.listdir(mdir)
		       if f.endswith(".json")) if os.path.isdir(mdir) else []
	print("1..%d" % (len(kernels) + len(rules) + 1 + len(mdocs)))
	docs = {}
	for k in kernels:
		path = os.path.join(a.report, k + ".json")
		try:
			with open(path) as f:
				docs[k] = json.load(f)
			tap(True, "%s: lab produced %s (%d results)" % (
				k, path, len(docs[k]["results"])))
		except (OSError, ValueError, KeyError) as e:
			docs[k] = None
			tap(False, "%s: lab produced no JSON: %s" % (k, e))
	for rule in rules:
		if docs[rule[0]] is None:
			tap(False, "%s # no JSON from the lab for %s" % (rule[4], rule[0]))
		else:
			check(rule, docs[rule[0]]["results"], tap)
	# cowpin memlock in the guests: its invariants, not its numbers (tests/host/memlock.py).
	tap(len(mdocs) == len(kernels), "memlock: one document per kernel (%d)" % len(mdocs))
	for path in mdocs:
		out = subprocess.run([sys.executable, os.path.join(HERE, "..", "host", "memlock.py"),
				      "--check", path], capture_output=True, text=True).stdout
		bad = [l for l in out.splitlines() if l.startswith("not ok")]
		good = [l for l in out.splitlines() if l.startswith("ok ")]
		tap(good and not bad, "memlock invariants hold in %s (%d checks)" % (
			os.path.basename(path), len(good)), bad[:5])
	sys.exit(1 if failed[0] else 0)


if __name__ == "__main__":
	main()
