#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `lab`: run scripts/lab on Debian's 6.1 and 6.12 and check each
kernel's cowpin JSON against tests/lab/expectations (docs/rules.md,
tests/lib/rules.py).  TAP on stdout: one line per kernel run, per rule
(with the results that break it, or "matched no result"), per kernel for
the results no rule covers ("unexpected test") or that are not the plan
`COWPIN list` gives (missing, added, twice), and for memlock.

usage: check.py EXPECTATIONS REPORT_DIR [--lab SCRIPT --cowpin BIN [--run-id-file F]]
       check.py EXPECTATIONS REPORT_DIR [--run-id ID] [--cowpin BIN]
With --lab, makes a new run id (lablib/runid.py; written to --run-id-file
for tests/lava/compare.py) and runs `SCRIPT --cowpin BIN --report
REPORT_DIR --run-id ID` first (its output goes to stderr); without, checks
an existing report directory, of run --run-id (default: the one its
lab.json names).  A kernel JSON or memlock document with another run id or
none, or written by another cowpin than BIN (its ELF build id), counts as
absent: only the results of this run are judged.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
import rules as rulelang  # noqa: E402	(tests/lib/rules.py: docs/rules.md)
import selftest_check  # noqa: E402
from tap import Tap  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from lablib import report, runid  # noqa: E402


def check(rule, found, docs, tap):
	"""One TAP line per rule: its own findings over the results of every
	kernel it applies to (found, docs: per kernel)."""
	ks = [k for k in docs if rulelang.applies(rule, k)]
	mine = ["%s: no JSON from the lab" % k for k in ks if docs[k] is None]
	mine += ["%s: %s" % (k, f.text) for k in ks for f in found.get(k, []) if f.rule is rule]
	more = ["... %d more" % (len(mine) - 40)] if len(mine) > 40 else []
	tap.ok(not mine, "%s (%s)" % (rule.text, os.path.basename(rule.where)), mine[:40] + more)


def plan_of(cowpin, label):
	"""The test names the lab's run on this kernel was asked for: `cowpin
	list` of the binary it ran (scripts/lab runs the whole plan; a
	@noiommu boot only vfio-noiommu)."""
	if cowpin is None:
		return None
	noiommu = ["vfio-noiommu", "vfio-noiommu-nvme"] if label.endswith("@noiommu") else []
	return rulelang.plan(cowpin, consumers=noiommu)


def selftest_rules(path):
	"""[(kernel, "ok" | "not ok")] from the selftest file beside EXPECTATIONS:
	what the kernel's own cow.c must say of every seed line cowpin ran."""
	out = []
	if not os.path.exists(path):
		return out
	with open(path) as f:
		for no, line in enumerate(f, 1):
			w = line.split(None, 1)
			if not w or w[0].startswith("#"):
				continue
			want = w[1].split("#")[0].strip() if len(w) > 1 else ""
			if want not in ("ok", "not ok"):
				raise SystemExit("%s:%d: want KERNEL ok|not ok" % (path, no))
			out.append((w[0], want))
	return out


def this_run(a):
	"""(run id, build id or None) the report's documents must carry; with
	--lab the id is new, passed to the lab and written to --run-id-file."""
	rid = runid.of_check(a.report, bool(a.lab), a.cowpin or "", os.path.join(HERE, "..", ".."), a.run_id)
	if a.lab and a.run_id_file:
		with open(a.run_id_file, "w") as f:
			f.write(rid + "\n")
	return rid, runid.build_id(a.cowpin) if a.cowpin else None


def load_doc(path, rid, build):
	"""(document, None) if the JSON at path is of run rid (and binary build),
	else (None, why)."""
	try:
		with open(path) as f:
			doc = json.load(f)
	except (OSError, ValueError) as e:
		return None, str(e)
	why = runid.stale(doc, rid, build) if rid else "no run id to check it against (--run-id)"
	return (None, "%s is not of this run: %s" % (path, why)) if why else (doc, None)


def main():
	p = argparse.ArgumentParser()
	p.add_argument("expectations")
	p.add_argument("report")
	p.add_argument("--lab")
	p.add_argument("--cowpin")
	p.add_argument("--run-id")
	p.add_argument("--run-id-file")
	a = p.parse_args()
	rid, build = this_run(a)
	rules = rulelang.parse(a.expectations)
	selftests = selftest_rules(os.path.join(os.path.dirname(a.expectations), "selftest"))
	# Older kernel first: the report's columns then read A → B.
	kernels = rulelang.labels(rules)
	tap = Tap()
	if a.lab:
		cmd = [a.lab, "--report", a.report]
		for k in kernels:
			cmd += ["--kernel", k]
		if a.cowpin:
			cmd += ["--cowpin", a.cowpin]
		cmd += ["--run-id", rid]
		rc = subprocess.run(cmd, stdout=sys.stderr).returncode
		tap.diag("scripts/lab exit %d; report %s/report.md" % (rc, a.report))
	tap.diag("run id %s, cowpin build id %s" % (rid, build or "not checked (no --cowpin)"))
	mdir = os.path.join(a.report, "memlock")
	mdocs = sorted(os.path.join(mdir, f) for f in os.listdir(mdir)
		       if f.endswith(".json")) if os.path.isdir(mdir) else []
	tap.plan(2 * len(kernels) + len(rules) + 2 + len(mdocs) + 2 * len(selftests))
	docs = {}
	full = {}
	for k in kernels:
		path = os.path.join(a.report, k + ".json")
		try:
			full[k], why = load_doc(path, rid, build)
			if why:
				raise ValueError(why)
			docs[k] = full[k]["results"]
			tap.ok(True, "%s: lab produced %s (%d results)" % (k, path, len(docs[k])))
		except (OSError, ValueError, KeyError, TypeError) as e:
			docs[k] = None
			full.pop(k, None)
			tap.ok(False, "%s: lab produced no JSON: %s" % (k, e))
	found = {k: rulelang.judge(rulelang.for_kernel(rules, k), docs[k], plan_of(a.cowpin, k))
		 for k in kernels if docs[k] is not None}
	for rule in rules:
		check(rule, found, docs, tap)
	# Completeness: a result no rule states a verdict for fails the check,
	# and so do results that are not exactly the plan (with --cowpin).
	for k in kernels:
		odd = [f.text for f in found.get(k, []) if f.rule is None]
		tap.ok(docs[k] is not None and not odd,
		    "%s: a rule states the verdict of every result, and the results are %s (%d results)" % (
			    k, "the plan of %s" % a.cowpin if a.cowpin else "not held to a plan (no --cowpin)",
			    len(docs[k] or [])), odd[:40])
	# The kernel's own cow.c judges too: its seed lines say what the
	# selftest file expects, and agree with cowpin's gup-test line by line.
	for k, want in selftests:
		doc = full.get(k, {})
		got = selftest_check.expect(doc, want)
		tap.ok(bool(got) and all(ok for ok, _ in got), "%s: cow.c's seed lines cowpin ran are `%s` (%d)" % (
			k, want, len(got)), [t for ok, t in got if not ok])
		got = selftest_check.check(doc)
		tap.ok(bool(got) and all(ok for ok, _ in got), "%s: cow.c agrees with cowpin's gup-test line by line (%d)" % (
			k, len(got)), [t for ok, t in got if not ok])
	# The A/B report explains every difference by its transition.
	runs = [{"label": k, "json": {"results": docs[k] or []}} for k in kernels]
	odd = ["%s: %s" % (name, change) for mark, name, _, change, text in report.explained(runs)
	       if text is None]
	tap.ok(not odd, "A/B: scripts/lablib/explanations.txt explains every difference between %s" %
	    " and ".join(kernels), ["unexplained: " + o for o in odd])
	# cowpin memlock in the guests: its invariants, not its numbers (tests/host/memlock.py).
	tap.ok(len(mdocs) == len(kernels), "memlock: one document per kernel (%d)" % len(mdocs))
	for path in mdocs:
		_, why = load_doc(path, rid, build)
		if why:
			tap.ok(False, "memlock invariants hold in %s" % os.path.basename(path), [why])
			continue
		out = subprocess.run([sys.executable, os.path.join(HERE, "..", "host", "memlock.py"),
				      "--check", path], capture_output=True, text=True).stdout
		bad = [l for l in out.splitlines() if l.startswith("not ok")]
		good = [l for l in out.splitlines() if l.startswith("ok ")]
		tap.ok(good and not bad, "memlock invariants hold in %s (%d checks)" % (
			os.path.basename(path), len(good)), bad[:5])
	sys.exit(tap.done())


if __name__ == "__main__":
	main()
