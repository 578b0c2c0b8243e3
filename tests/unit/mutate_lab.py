#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `unit`: proves the lab checks can fail, without booting anything.

A real lab report (tests/unit/lab-report: Debian's 6.1 and 6.12;
tests/unit/lab-built-report: the kernel built from Debian's 6.12 source,
vIOMMU and noiommu boots) is mutated one way at a time, and the lab's
check (tests/lab/rules.py with tests/lab/expectations; tests/lab-built/
check.py with tests/lab-built/expect) must reject every mutant:

  each fail (stale) result   -> pass, skip, error; fail_kind corrupt
  each pass                  -> fail, error, skip
  each refusal               -> pass
  each skip                  -> pass   (a skip rule must say which tests skip)
  each hazard                -> pass, fail, error, skip
  each detects-stale control that passed -> fail, fail_kind reads-mapping
					    (the device read the process's B)
  each device read's mechanism -> another one
  each device read compared in full -> only the three 256-byte spans
  each consumer's results removed, per kernel

The unmutated report must pass (or the test could pass by rejecting
everything), and every rule must reject at least one mutant that breaks
a result's verdict or mechanism (a rule that only ever fails because its
results vanished proves nothing about them).  TAP on stdout.

usage: mutate_lab.py [SUITE...]   (lab, lab-built; default both)
"""
import copy
import glob
import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab-built"))
import rules as lab  # noqa: E402
import check as built  # noqa: E402	(tests/lab-built/check.py)

DATA = os.path.join(ROOT, "tests", "unit")
TO = {"fail": ("pass", "skip", "error"),
      "pass": ("fail", "error", "skip"),
      "refused": ("pass",),
      "skip": ("pass",),
      "hazard": ("pass", "fail", "error", "skip")}
# A flipped mechanism: the one that would tell the opposite story.
FLIP = {"unshare-at-pin": "no-cow-break", "no-cow-break": "unshare-at-pin",
	"forced-write-at-pin": "no-cow-break", "no-cow-needed": "no-cow-break"}


def with_verdict(r, v):
	m = dict(r, verdict=v, reason="mutant: was %s" % r["verdict"])
	m.pop("fail_kind", None)
	if v == "fail":
		m["fail_kind"] = "stale"
	if v in ("skip", "error", "refused"):
		m.pop("mechanism", None)
	if r["verdict"] == "refused":
		m["errno"] = 0
	return m


def mutants(docs):
	"""(what, kind, docs') one change at a time; kind "removed" for a
	consumer's results removed, else "changed"."""
	for k, results in docs.items():
		def one(i, m):
			d = dict(docs)
			d[k] = results[:i] + [m] + results[i + 1:]
			return d
		for i, r in enumerate(results):
			was = lab.shown(r)
			for v in TO.get(r["verdict"], ()):
				yield "%s: %s %s -> %s" % (k, r["name"], was, v), "changed", one(i, with_verdict(r, v))
			if r["verdict"] == "fail":
				other = "corrupt" if r.get("fail_kind") != "corrupt" else "stale"
				yield "%s: %s fail_kind %s -> %s" % (k, r["name"], r.get("fail_kind"), other), \
					"changed", one(i, dict(r, fail_kind=other))
			if r.get("case") == "detects-stale" and r["verdict"] == "pass":
				m = dict(with_verdict(r, "fail"), fail_kind="reads-mapping")
				yield "%s: %s reads B (the mapping)" % (k, r["name"]), "changed", one(i, m)
			if r["verdict"] in lab.READS and r.get("mechanism") in FLIP:
				m = dict(r, mechanism=FLIP[r["mechanism"]])
				yield "%s: %s mechanism %s -> %s" % (k, r["name"], r["mechanism"], m["mechanism"]), \
					"changed", one(i, m)
			if r["verdict"] in lab.READS and r.get("compared_bytes") and \
			   r.get("compared_bytes") == r.get("buffer_bytes"):
				m = dict(r, compared_bytes=3 * 256)
				yield "%s: %s compared only its spans" % (k, r["name"]), "changed", one(i, m)
		for c in sorted({r["consumer"] for r in results}):
			d = dict(docs)
			d[k] = [r for r in results if r["consumer"] != c]
			yield "%s: every %s result removed" % (k, c), "removed", d


class Tap:
	def __init__(self):
		self.n = self.failed = 0

	def line(self, ok, what, diags=()):
		self.n += 1
		self.failed += not ok
		print("%s %d - %s" % ("ok" if ok else "not ok", self.n, what))
		for d in diags:
			print("# " + d)
		sys.stdout.flush()


def prove(tap, suite, docs, judge, rules):
	"""judge(docs) -> [(rule where or None, broken by a result?, why)] of
	what rejected them; rules: {where: text}."""
	n = sum(len(v) for v in docs.values())
	base = judge(docs)
	tap.line(not base, "%s: the unmutated report passes its check (%d results, %d rules)" % (
		suite, n, len(rules)), ["rejected by %s: %s" % (w or "completeness", why) for w, _, why in base][:40])
	caught, missed, used = 0, [], set()
	for what, kind, d in mutants(docs):
		found = judge(d)
		if found:
			caught += 1
			if kind == "changed":
				used.update(w for w, broke, _ in found if w and broke)
		else:
			missed.append("not caught: " + what)
	total = caught + len(missed)
	tap.line(total and not missed, "%s: mutations caught %d/%d" % (suite, caught, total), missed[:60])
	idle = ["%s: %s" % (w, t) for w, t in rules.items() if w not in used]
	tap.line(not idle, "%s: every rule rejects a mutant of a verdict or mechanism" % suite,
		 ["exercised by no mutant: " + i for i in idle])


def lab_suite(tap):
	path = os.path.join("tests", "lab", "expectations")	# relative: names rules
	rules = lab.parse(path)
	docs = {}
	for k in sorted({r.kernel for r in rules}):
		with open(os.path.join(DATA, "lab-report", k + ".json")) as f:
			docs[k] = json.load(f)["results"]

	def judge(d):
		out = []
		for k, results in d.items():
			for f in lab.judge([r for r in rules if r.kernel == k], results):
				out.append((f.rule.where if f.rule else None, f.kind == "violates", f.text))
		return out
	prove(tap, "lab", docs, judge, {r.where: r.text for r in rules})


def built_suite(tap):
	sets, rules = built.parse_expect(os.path.join("tests", "lab-built", "expect"))
	docs = {}
	for path in sorted(glob.glob(os.path.join(DATA, "lab-built-report", "*.json"))):
		with open(path) as f:
			docs[os.path.basename(path)[:-5]] = list(built.results_in(json.load(f)))

	def judge(d):
		# run.py judges the results of both boots together.
		merged = [r for k in sorted(d) for r in d[k]]
		# Every failed assertion counts: run.py cannot tell "missing" from
		# a wrong verdict, but removals are not counted as exercise anyway.
		return [(w, True, "%s: %s" % (what, "; ".join(diags[-3:])))
			for w, what, ok, diags in built.judge(sets, rules, merged) if not ok]
	texts = {w: (r[5] if k == "assert" else "cross-check " + r) for k, r, w in rules}
	prove(tap, "lab-built", docs, judge, texts)


def main():
	os.chdir(ROOT)
	tap = Tap()
	suites = sys.argv[1:] or ["lab", "lab-built"]
	if "lab" in suites:
		lab_suite(tap)
	if "lab-built" in suites:
		built_suite(tap)
	print("1..%d" % tap.n)
	return 1 if tap.failed else 0


if __name__ == "__main__":
	sys.exit(main())
