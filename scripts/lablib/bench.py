# SPDX-License-Identifier: GPL-2.0-only
"""`scripts/lab --bench N [lab options]`: run the (cached) lab N times in a row
and print min / median / max of the total and of every phase per kernel, so a
change to the lab is judged by numbers.  Each run keeps its own report
(BENCH_DIR/runK); the verdicts of every run must be the same test by test,
else the bench fails: a faster lab that changes an answer is not faster."""
import json
import os
import statistics
import sys
import time

from . import report, suite, util

# lab.json "t" keys shown, in phase order, with their column names.
PHASES = [("booted", "booted"), ("tests", "→ first test"), ("setup_up", "set-up up"),
	  ("setup_down", "set-up down"), ("tests_s", "tests"), ("selftest_s", "cow.c"),
	  ("memlock_s", "memlock"), ("note2_s", "Note 2"), ("wall", "guest total")]


def _pop_bench(argv):
	"""(N, report dir or None, the lab's own argv)."""
	n, rdir, rest, it = None, None, [], iter(argv)
	for a in it:
		if a == "--bench":
			n = next(it, None)
		elif a.startswith("--bench="):
			n = a.split("=", 1)[1]
		elif a == "--report":
			rdir = next(it, None)
		elif a.startswith("--report="):
			rdir = a.split("=", 1)[1]
		else:
			rest.append(a)
	if n is None or not n.isdigit() or int(n) < 1:
		raise util.LabError("--bench N: N runs, N >= 1")
	return int(n), rdir, rest


def _stats(xs):
	xs = [x for x in xs if x is not None]
	if not xs:
		return "—"
	return "%.1f / %.1f / %.1f" % (min(xs), statistics.median(xs), max(xs))


def table(runs):
	"""runs: [lab.json dicts].  Markdown lines: min / median / max per phase."""
	labels = []
	for r in runs:
		for k in r["kernels"]:
			if k["label"] not in labels:
				labels.append(k["label"])
	out = ["| phase (s, min / median / max) | " + " | ".join(labels) + " |",
	       "|---" * (len(labels) + 1) + "|"]
	for key, name in PHASES + [("share", "set-up share %")]:
		cells = []
		for lab in labels:
			xs = []
			for r in runs:
				for k in r["kernels"]:
					if k["label"] == lab:
						t = k.get("t") or {}
						if key == "share":
							s = report.setup_share(t)
							xs.append(None if s is None else 100 * s)
						else:
							xs.append(t.get(key))
			cells.append(_stats(xs))
		out.append("| %s | %s |" % (name, " | ".join(cells)))
	out.append("| **total wall** | %s |" % " | ".join(
		[_stats([r["total_s"] for r in runs])] + [""] * (len(labels) - 1)))
	return out


def verdicts(rdir):
	"""{kernel label: {test: (verdict, mechanism)}} of one run's JSON files."""
	out = {}
	for f in sorted(os.listdir(rdir)):
		if f.endswith(".json") and f != "lab.json":
			with open(os.path.join(rdir, f)) as fh:
				d = json.load(fh)
			out[f[:-5]] = {r["name"]: (r["verdict"], r.get("mechanism"))
				       for r in d.get("results", [])}
	return out


def differences(first, other):
	"""Lines naming each test whose verdict or mechanism changed."""
	out = []
	for k in sorted(set(first) | set(other)):
		a, b = first.get(k, {}), other.get(k, {})
		for name in sorted(set(a) | set(b)):
			if a.get(name) != b.get(name):
				out.append("%s %s: %s -> %s" % (k, name, a.get(name), b.get(name)))
	return out


def main(argv):
	n, rdir, lab_argv = _pop_bench(argv)
	rdir = os.path.abspath(rdir or os.path.join(
		suite.REPO, "build", "lab-bench-" + time.strftime("%Y%m%d-%H%M%S")))
	docs, status, first = [], 0, None
	for i in range(1, n + 1):
		run_dir = os.path.join(rdir, "run%d" % i)
		util.say("bench: run %d of %d -> %s" % (i, n, run_dir))
		rc = suite.main(lab_argv + ["--report", run_dir])
		status = status or rc
		with open(os.path.join(run_dir, "lab.json")) as f:
			docs.append(json.load(f))
		v = verdicts(run_dir)
		if first is None:
			first = v
		else:
			diff = differences(first, v)
			if diff:
				status = status or 1
				sys.stdout.write("bench: run %d's verdicts differ from run 1's:\n  %s\n" % (
					i, "\n  ".join(diff)))
	lines = ["# scripts/lab --bench %d" % n, ""] + table(docs)
	with open(os.path.join(rdir, "bench.md"), "w") as f:
		f.write("\n".join(lines) + "\n")
	print()
	print("\n".join(lines))
	print("\nbench: %s" % os.path.join(rdir, "bench.md"))
	return status
