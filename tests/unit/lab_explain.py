#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `unit`: the A/B report (scripts/lablib/report.py) picks each
explanation by the verdict transition, not by the test's name alone.

On the committed real report (tests/unit/lab-report) every row that differs
must be explained; then single results are changed so that a row takes a
transition no line of explanations.txt names (a 6.12 pass that becomes a
fail, a stale read that becomes a kernel WARNING, an EFAULT refusal that
becomes EOPNOTSUPP, a mechanism that moves the other way), and that row
must be listed as unexplained.  TAP on stdout.
"""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from lablib import report  # noqa: E402
from tap import Tap  # noqa: E402

DATA = os.path.join(ROOT, "tests", "unit", "lab-report")
KERNELS = ("6.1", "6.12")
T = Tap()
line = T.ok


def runs_of(docs):
	return [{"label": k, "json": {"results": docs[k]}} for k in KERNELS]


def unexplained(docs):
	return {name: change for _, name, _, change, text in report.explained(runs_of(docs)) if text is None}


def changed(docs, kernel, name, **fields):
	d = dict(docs)
	d[kernel] = [dict(r, **fields) if r["name"] == name else r for r in docs[kernel]]
	assert d[kernel] != docs[kernel], "no result %s on %s" % (name, kernel)
	return d


def main():
	docs = {}
	for k in KERNELS:
		with open(os.path.join(DATA, k + ".json")) as f:
			docs[k] = json.load(f)["results"]
	rows = report.explained(runs_of(docs))
	odd = unexplained(docs)
	line(rows and not odd, "the real report: %d differing rows, all explained" % len(rows),
	     ["unexplained: %s %s" % kv for kv in sorted(odd.items())])
	# Each mutant: (what, kernel, test, fields, the transition it must show).
	for what, k, name, fields, want in (
		("a 6.12 pass becomes a fail", "6.12", "rdma-rxe.memfd.ro-pin-reliable",
		 {"verdict": "fail", "fail_kind": "stale"}, "pass>fail:stale"),
		("6.1's stale read becomes a kernel WARNING", "6.1", "vfio-type1.memfd.ro-pin-reliable",
		 {"fail_kind": "kernel-log"}, "fail:kernel-log>pass"),
		("rxe's EFAULT refusal becomes EOPNOTSUPP", "6.1", "rdma-rxe.ro-shared-file.ro-register",
		 {"errno": 95}, "refused:EOPNOTSUPP>pass"),
		("vfio-type1's mechanism moves backwards", "6.12", "vfio-type1.memfd.ro-pin-snapshot",
		 {"mechanism": "forced-write-at-pin"}, "pass/no-cow-break>pass/forced-write-at-pin"),
		("a stale read on 6.12 too", "6.12", "vfio-type1.memfd.ro-pin-reliable",
		 {"verdict": "fail", "fail_kind": "stale", "mechanism": "no-cow-break"}, None),
	):
		got = unexplained(changed(docs, k, name, **fields))
		if want is None:	# no difference left: nothing to explain
			line(name not in got and not any(r[1] == name for r in report.explained(
				runs_of(changed(docs, k, name, **fields)))), "%s: the row no longer differs" % what)
		else:
			ok = got.get(name) == want
			line(ok, "%s: listed as unexplained (%s)" % (what, want),
			     [] if ok else ["got: %s" % got.get(name, "explained")])
	return T.done()


if __name__ == "__main__":
	sys.exit(main())
