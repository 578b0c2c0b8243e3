#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""tests/lab/selftest_check.py can fail: a per-kernel JSON saved from a lab
run (Debian 6.1, cowpin's gup_test module; results trimmed to gup-test*)
passes, and each mutation of it -- a cow.c line flipped, dropped, skipped,
cowpin's verdict flipped, cow.c not run -- fails the line it touches; the
parser reads the 6.1 guest's own KTAP (its non-anon part).  TAP."""
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import selftest_check  # noqa: E402
from tap import Tap  # noqa: E402
from lablib import selftest  # noqa: E402  (selftest_check put scripts/ on the path)

LINE = "R/O longterm GUP-fast pin ... with memfd"
TEST = "gup-test-fast.memfd.ro-pin-reliable"


def entry(doc):
	return next(e for e in doc["selftest"] if e["name"] == LINE)


def flip_cow(doc):
	entry(doc)["result"] = "ok" if entry(doc)["result"] == "not ok" else "not ok"


def drop_cow(doc):
	doc["selftest"].remove(entry(doc))


def skip_cow(doc):
	entry(doc).update(result="skip", reason="gup_test not available")


def flip_cowpin(doc):
	r = next(r for r in doc["results"] if r["name"] == TEST)
	r["verdict"] = "pass" if r["verdict"] == "fail" else "fail"


def not_run(doc):
	del doc["selftest_run"]


def parse_cases(saved):
	"""selftest.parse() on the 6.1 guest's own KTAP gives the saved seed lines;
	one "not ok" turned "ok" in the KTAP fails check() on that line."""
	with open(os.path.join(HERE, "data", "cow-6.1-nonanon.ktap")) as f:
		ktap = f.read()
	src = saved["selftest_run"]["source"]
	want = [(e["name"], e["result"]) for e in saved["selftest"] if e["cowpin"]]
	got = [(e["name"], e["result"]) for e in selftest.parse(ktap, src) if e["cowpin"]]
	doc = copy.deepcopy(saved)
	doc["selftest"] = selftest.parse(ktap.replace("not ok 186 ", "ok 186 "), src)
	bad = [t for ok, t in selftest_check.check(doc) if not ok]
	return [(got == want, "parse() of the saved KTAP gives the saved seed lines (%d)" % len(got)),
		(len(bad) == 1 and LINE in bad[0], "KTAP with 'not ok 186' made 'ok' fails check(): %s" % bad)]


def main():
	with open(os.path.join(HERE, "data", "lab-6.1-selftest.json")) as f:
		saved = json.load(f)
	t = Tap(plan=3 + 5 + 2)
	tap = t.ok

	res = selftest_check.check(saved)
	tap(len(res) == 12 and all(ok for ok, _ in res), "the saved 6.1 run agrees on all 12 seed lines",
	    [t for ok, t in res if not ok])
	res = selftest_check.expect(saved, "not ok")
	tap(res and all(ok for ok, _ in res), "6.1: every seed line cowpin ran is `not ok` (%d)" % len(res),
	    [t for ok, t in res if not ok])
	res = selftest_check.expect(saved, "ok")
	tap(res and not any(ok for ok, _ in res), "expect(doc, 'ok') fails every line on 6.1")
	for mutate in (flip_cow, drop_cow, skip_cow, flip_cowpin, not_run):
		doc = copy.deepcopy(saved)
		mutate(doc)
		bad = [t for ok, t in selftest_check.check(doc) if not ok]
		hit = bad and (mutate is not_run or all(LINE in t for t in bad))
		tap(hit, "mutation %s fails check(): %s" % (mutate.__name__, bad[0] if bad else "nothing failed"))
	for ok, what in parse_cases(saved):
		tap(ok, what)
	return t.done()


if __name__ == "__main__":
	sys.exit(main())
