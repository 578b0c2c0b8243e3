#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `host`: the whole plan on the running kernel, judged by what THIS
kernel should do (tests/host/expectations, docs/rules.md), one TAP line per
cowpin test.

    run.py COWPIN WITH_DEVICES [--json F]

Runs `WITH_DEVICES COWPIN run --format json` (devices set up and torn down;
without root cowpin alone).  A test is `ok` when every rule that matches it
holds and some rule states its verdict: on 6.1, io_uring's EOPNOTSUPP on an
ext4 tmpfile or rdma's EFAULT on a read-only shared file is the right
answer, from 6.2 on they must pass; a skip is ok only with a reason a rule
names for that consumer or backing.  Then: every rule's globs match a result,
the results are exactly `COWPIN list`'s plan, a read-only consumer's device
read was tested where this host has a read-only consumer (ro_reads.py; a
SKIP line names why not), and the exit status.  --json F judges a saved document instead of running cowpin.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
import rules  # noqa: E402
import ro_reads  # noqa: E402
from tap import Tap  # noqa: E402

RULES = os.path.join(HERE, "expectations")


def exit_ok(rc, results):
	"""cowpin run exits 1 when any test failed, was refused or errored, else 0."""
	return rc == (1 if any(r["verdict"] in ("fail", "refused", "error") for r in results) else 0)


def main():
	cowpin, with_devices = sys.argv[1], sys.argv[2]
	saved = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
	tap = Tap()
	if saved:
		with open(saved) as f:
			out, rc = f.read(), None
	else:
		cmd = [cowpin, "run", "--format", "json"]
		if os.geteuid() == 0:
			cmd = [with_devices] + cmd
		# cowpin bounds every test (--timeout); this bounds the whole plan.
		proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=2900)
		out, rc = proc.stdout, proc.returncode
	try:
		doc = json.loads(out)
		results = doc["results"]
	except (ValueError, KeyError) as e:
		tap.ok(False, "cowpin run --format json gives one JSON document", "%s; exit %s" % (e, rc))
		return tap.done()
	release = doc.get("kernel") or os.uname().release
	mine = rules.for_kernel(rules.parse(RULES), release)
	found = rules.judge(mine, results, rules.plan(cowpin))
	tap.ok(bool(results), "cowpin ran %d tests on %s (%d rules for this kernel)" % (
		len(results), release, len(mine)))
	per = {}
	for f in found:
		if f.kind in ("violates", "unexpected"):
			per.setdefault(f.name, []).append(f)
	for r in results:
		bad = per.get(r["name"], [])
		what = "%s: %s" % (r["name"], rules.shown(r))
		if bad:
			tap.ok(False, what, ["%s; rule %s: %s" % (f.text, f.rule.where, f.rule.text) if f.rule
					     else f.text for f in bad])
		elif r["verdict"] == "skip":
			tap.skip(what, r.get("reason", ""))
		else:
			tap.ok(True, what)
	empty = [f.text + " (%s)" % f.rule.where for f in found if f.kind == "empty"]
	tap.ok(not empty, "every glob of the %d rules for %s matches a result" % (len(mine), release), empty)
	odd = [f.text for f in found if f.kind in ("missing", "added", "duplicated")]
	tap.ok(not odd, "the results are exactly `cowpin list`'s plan (%d tests)" % len(results), odd[:40])
	# What was tested (ro_reads.py): a read-only pin read back by a device
	# where this host has a read-only consumer, or a SKIP naming why not.
	ok, what, diags = ro_reads.check(doc)
	if " # SKIP " in what:
		tap.skip(*what.split(" # SKIP ", 1))
		tap.diag(diags)
	else:
		tap.ok(ok, what, diags)
	if rc is not None:
		tap.ok(exit_ok(rc, results), "cowpin's exit status %d follows its verdicts" % rc)
	return tap.done()


if __name__ == "__main__":
	sys.exit(main())
