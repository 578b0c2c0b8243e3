#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `host`: the whole plan on the running kernel, judged by what THIS
kernel should do (tests/host/expectations), one TAP line per cowpin test.

    run.py COWPIN WITH_DEVICES [--json F]

Runs `WITH_DEVICES COWPIN run --format json` (devices set up and torn down;
without root cowpin alone).  A test is `ok` when its verdict is the one the
running kernel should give: on 6.1, io_uring's EOPNOTSUPP on an ext4 tmpfile
or rdma's EFAULT on a read-only shared file is the right answer, not a
failure; from 6.2 on they must pass.  --json F judges a saved document
instead of running cowpin (to show a wrong verdict fails).  The last line
says what was tested (ro_reads.py): a read-only pin read back by a device,
or a SKIP naming why this host has no read-only consumer.
"""
import json
import os
import subprocess
import sys

import expect
import ro_reads

cowpin, with_devices = sys.argv[1], sys.argv[2]
saved = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
lines = []


def tap(ok, what, diag=""):
	lines.append((ok, what, diag))


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
	print("TAP version 13\n1..1\nnot ok 1 cowpin run --format json gives one JSON document")
	print("# %s; exit %s" % (e, rc))
	sys.exit(0)

release = doc.get("kernel") or os.uname().release
rules = expect.rules_for(release)
tap(bool(results), "cowpin ran %d tests on %s (%d rules for this kernel)" % (
	len(results), release, len(rules)))
for r in results:
	ok, why = expect.judge(r, rules)
	what = "%s: %s" % (r["name"], expect.shown(r))
	if ok and r["verdict"] == "skip":
		what += " # SKIP %s" % r.get("reason", "")
	elif ok and why:
		what += " (%s)" % why
	tap(ok, what, "" if ok else "%s; cowpin: %s" % (why, r.get("reason", "")))
if rc is not None:
	tap(expect.exit_ok(rc, results), "cowpin's exit status %d follows its verdicts" % rc)
tap(*ro_reads.check(doc))

print("TAP version 13")
print("1..%d" % len(lines))
for i, (ok, what, diag) in enumerate(lines, 1):
	print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
	for d in [diag] if isinstance(diag, str) else diag:
		if d:
			print("# " + d)
