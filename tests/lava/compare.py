#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `lava`, after tests/lab/check.py held the LAVA run's per-kernel
JSON to tests/lab/expectations: the LAVA run itself and the native lab.

usage: compare.py LAVA_REPORT NATIVE_REPORT KERNEL... [--run-id-file F]
                  [--native-run-id-file F]
TAP, per kernel: scripts/lava-job reported no error for it (lava-run and
the job passed, results present); its LAVA test cases are exactly cowpin's
tests with the mapped results (scripts/lava/verdicts.json); and its
verdicts equal the native lab's (scripts/lab's report from the `lab`
suite, run before this one) test by test, cow.c's results line by line.
Without a native report, that line is a SKIP saying so.  The LAVA JSON
must carry the run id in --run-id-file (the `lava` suite's check.py wrote
it), the native one that in --native-run-id-file (the `lab` suite's run):
a native report of any other run is no reference, nor one of another
cowpin binary (build id) than the LAVA run's.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from rules import shown  # noqa: E402	(tests/lib/rules.py)
from tap import Tap  # noqa: E402
from lablib import lava_log, runid  # noqa: E402


def verdict(r):
	"""pass, refused:EFAULT, fail:stale, ... (what the rules judge)."""
	return shown(r)


def differences(lava, native, native_run_id=None):
	"""Test-by-test differences between two runs' JSON documents; the
	native one must be of run native_run_id (given by the caller, never
	read from the report) and of the same cowpin binary."""
	a = {r["name"]: r for r in lava.get("results", [])}
	b = {r["name"]: r for r in native.get("results", [])}
	out = []
	for n in sorted(set(a) | set(b)):
		if n not in a:
			out.append("%s: native %s, absent under LAVA" % (n, verdict(b[n])))
		elif n not in b:
			out.append("%s: LAVA %s, absent in the native lab" % (n, verdict(a[n])))
		elif verdict(a[n]) != verdict(b[n]):
			out.append("%s: LAVA %s, native %s" % (n, verdict(a[n]), verdict(b[n])))
	sa = {s["name"]: s["result"] for s in lava.get("selftest", [])}
	sb = {s["name"]: s["result"] for s in native.get("selftest", [])}
	for n in sorted(set(sa) | set(sb)):
		if sa.get(n) != sb.get(n):
			out.append("cow.c %s: LAVA %s, native %s" % (n, sa.get(n, "absent"), sb.get(n, "absent")))
	for key in ("kernel", "build_id"):	# another kernel or binary is no reference
		if lava.get(key) != native.get(key) or not native.get(key):
			out.append("%s: LAVA %s, native %s" % (key, lava.get(key), native.get(key)))
	why = runid.stale(native, native_run_id) if native_run_id else \
		"no run id of the native lab's run to check it against"
	if why:	# a stale native report is no reference
		out.append("native report: %s" % why)
	return out


def run_id_from(path):
	"""The run id a checker wrote to path, or None."""
	try:
		with open(path) as f:
			return f.read().strip() or None
	except (OSError, TypeError):
		return None


def option(argv, name):
	"""(value of --name VALUE or None, argv without it)."""
	if name not in argv or argv.index(name) + 1 >= len(argv):
		return None, argv
	i = argv.index(name)
	return argv[i + 1], argv[:i] + argv[i + 2:]


def load(path):
	try:
		with open(path) as f:
			return json.load(f)
	except (OSError, ValueError):
		return None


def main(argv):
	lava_file, argv = option(argv, "--run-id-file")
	native_file, argv = option(argv, "--native-run-id-file")
	lava_id, native_id = run_id_from(lava_file), run_id_from(native_file)
	lava_dir, native_dir, kernels = argv[0], argv[1], argv[2:]
	lab = load(os.path.join(lava_dir, "lab.json")) or {}
	errors = {k.get("label"): k.get("error") for k in lab.get("kernels", [])}
	t = Tap(plan=3 * len(kernels))
	for k in kernels:
		doc = load(os.path.join(lava_dir, k + ".json"))
		cases = load(os.path.join(lava_dir, "lava-cases-%s.json" % k))
		stale = runid.stale(doc, lava_id) if lava_id and doc is not None else None
		if k not in errors:
			t.ok(False, "%s: scripts/lava-job ran the kernel" % k, ["no entry in lab.json"])
		else:
			t.ok(errors[k] is None, "%s: scripts/lava-job: no LAVA error" % k,
			     [str(errors[k])[:2000]] if errors[k] else [])
		if doc is None or cases is None or stale:
			t.ok(False, "%s: LAVA cases equal cowpin's tests" % k,
			     ["LAVA JSON %s" % stale if stale else "no JSON or cases"])
		else:
			bad = lava_log.check(cases, doc)
			t.ok(not bad, "%s: %d LAVA cases, one per cowpin test (%d) with its mapped result" % (
				k, len(cases), len(doc.get("results", []))), bad[:40])
		native = load(os.path.join(native_dir, k + ".json"))
		if native is None:
			t.skip("%s: verdicts equal the native lab's" % k,
			       "no native report %s (the lab suite writes it; scripts/test-all runs it first)" %
			       os.path.join(native_dir, k + ".json"))
		elif doc is None or stale:
			t.ok(False, "%s: verdicts equal the native lab's" % k, ["no LAVA JSON of this run"])
		else:
			diff = differences(doc, native, native_id)
			t.ok(not diff, "%s: verdicts equal the native lab's test by test (%d tests)" % (
				k, len(native.get("results", []))), diff[:40])
	return t.done()


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
