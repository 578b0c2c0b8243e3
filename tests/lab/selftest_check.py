# SPDX-License-Identifier: GPL-2.0-only
"""cow.c (the kernel's own selftest) against cowpin's gup-test, line by line.

Reads one per-kernel JSON of scripts/lab (its `selftest` array, written by
scripts/lablib/selftest.py).  check(doc): every line of the seed agrees with
cowpin's verdict for the same pin and backing (`ok` <-> pass, `not ok` <->
fail); a line missing or skipped is a failure unless cowpin skipped too.
expect(doc, want): every seed line cowpin ran has cow.c result `want`.
Both return [(ok, text)], one per seed line.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from lablib import selftest  # noqa: E402

AGREES = {"ok": "pass", "not ok": "fail", "skip": "skip"}


def _lines(doc):
	"""[(seed name, cow.c entry or None, cowpin test name, cowpin result or None)]."""
	st = {e["name"]: e for e in doc.get("selftest", [])}
	res = {r["name"]: r for r in doc.get("results", [])}
	out = []
	for name in selftest.SEED:
		e = st.get(name)
		# The JSON names cowpin's match; a missing line falls back on ours.
		test = (e.get("cowpin") or [None])[0] if e else selftest.match(name)
		out.append((name, e, test, res.get(test)))
	return out


def _run_error(doc):
	run = doc.get("selftest_run")
	if not run:
		return "cow.c did not run in this guest (no selftest_run)"
	return run.get("error")


def check(doc):
	err = _run_error(doc)
	if err:
		return [(False, "cow.c: %s" % err)]
	out = []
	for name, e, test, r in _lines(doc):
		v = r.get("verdict") if r else None
		got = e["result"] if e else "missing"
		if v is None:
			ok = False
			why = "cowpin has no %s result" % test
		else:
			ok = AGREES.get(got) == v or (got == "missing" and v == "skip")
			why = "cowpin %s %s" % (test, v)
		out.append((ok, "cow.c '%s': %s%s; %s" % (
			name, got, " (%s)" % e["reason"] if e and got == "skip" else "", why)))
	return out


def expect(doc, want):
	err = _run_error(doc)
	if err:
		return [(False, "cow.c: %s" % err)]
	out = []
	for name, e, test, r in _lines(doc):
		if r and r.get("verdict") == "skip":
			continue	# absent here (hugetlb-1G without --hugetlb-1g): check() covers it
		got = e["result"] if e else "missing"
		out.append((got == want, "cow.c '%s': %s, expected %s" % (name, got, want)))
	return out
