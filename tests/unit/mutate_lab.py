#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `unit`: proves cowpin's checks can fail, without booting anything.

Real lab reports (tests/unit/lab-report: Debian's 6.1 and 6.12;
tests/unit/lab-built-report: the kernel built from Debian's 6.12 source,
vIOMMU and noiommu boots) are mutated one way at a time and judged by
  lab           tests/lab/expectations, per lab label;
  lab-built     tests/lab-built/expect per boot, and check.py's cross-check;
  host          tests/host/expectations, the lab's reports taken as the
                results of a host running that kernel (uname -r from the JSON);
  selftest      tests/lab/selftest and tests/lab/selftest_check.py: cow.c's
                seed lines in the reports and tests/unit/data (JSON, KTAP);
  explanations  scripts/lablib/explanations.txt over the A/B rows.
The rules are docs/rules.md's (tests/lib/rules.py), judged with the plan
(the unmutated report's test names) and the run id (rules.check_run).
Each must reject every mutant of every class (tests/unit/mutants.py):
verdict flipped (to pass, fail:stale, refused:EFAULT, error, skip), fail
kind swapped (every other kind; a pass to every kind), errno changed,
became hazard, skip reason changed (to one wrong for the test: another
consumer's or backing's, a device failure's), mechanism flipped, compared
in full reduced, result added / duplicated, consumer / backing / case
removed on one kernel, stale report (another run's id, none); cow.c line
flipped / removed, KTAP line removed.  One TAP line per suite and class,
`CLASS: caught N/N`; the misses name the rules that accepted them.

The unmutated reports must pass (or the test could pass by rejecting
everything), and every rule must reject at least one mutant of a verdict,
kind, errno, reason or mechanism (not only a removal); every explanation
must stop explaining a row once a mutant changes it.  On the host alone a
mutant a rule states as an alternative (`pass,refused:EOPNOTSUPP`: tmpfs)
is listed apart, never a fail kind for another, a skip or an error.

Mutants of one result that are alike -- the same rules match its name and
the same verdict, kind, errno, reason (skip, error; and the same parts of
the name its rules' reasons name as $consumer, $backing, $case), mechanism
and compared-in-full -- are judged once (docs/rules.md: a result is judged
by those alone); --full judges each on its own (same counts, ~7x longer).

usage: mutate_lab.py [--full] [--jobs N] [--rules SUITE=PATH] [--drop FILE:LINE]... [SUITE...]
--rules judges a suite by another rules file, --drop leaves a rule out:
both show this test failing (caught < N, idle rules).
"""
import argparse
import copy
import importlib.util
import json
import multiprocessing
import os
import re
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.dont_write_bytecode = True
for d in ("tests/lib", "tests/unit", "tests/lab", "scripts"):
	sys.path.insert(0, os.path.join(ROOT, d))
import rules as rl  # noqa: E402	(tests/lib/rules.py)
import mutants as mu  # noqa: E402
import selftest_check  # noqa: E402
from lablib import selftest  # noqa: E402
from tap import Tap  # noqa: E402

DATA = os.path.join("tests", "unit")
# The id of the run whose documents are judged; a document with another
# (an earlier run's report left in place) or none must be rejected.
RUN_ID = "20261202T151100Z-unit-mutate-lab"
STALE_ID = "20261125T093000Z-an-earlier-run"
SUITES = {
	"lab": ("tests/lab/expectations", [("6.1", "lab-report/6.1.json"), ("6.12", "lab-report/6.12.json")]),
	"lab-built": ("tests/lab-built/expect", [("build:6.12", "lab-built-report/build_6.12.json"),
						 ("build:6.12@noiommu", "lab-built-report/build_6.12_noiommu.json")]),
	# A host running Debian's 6.1 or 6.12: the label is the kernel release.
	"host": ("tests/host/expectations", [(None, "lab-report/6.1.json"), (None, "lab-report/6.12.json")]),
}


def load(path):
	with open(os.path.join(DATA, path)) as f:
		doc = json.load(f)
	doc["run_id"] = RUN_ID	# what scripts/lab stamps into the run's documents
	return doc


def fields(r):
	"""What the judge reads of a result besides its name (docs/rules.md)."""
	v = r["verdict"]
	return (v, r.get("fail_kind"), r.get("errno"), r.get("reason") if v in ("skip", "error") else None,
		r.get("mechanism"), bool(r.get("compared_bytes")) and r.get("compared_bytes") == r.get("buffer_bytes"))


NAMED = re.compile(r"\$(consumer|backing|case)\b")	# docs/rules.md: a reason's own test
PARTS = ("consumer", "backing", "case")


def named(rules):
	"""The parts of a test name ($consumer, ...) the reason patterns of
	these rules name."""
	used = {m for x in rules for a in x.atoms if a[0] in ("skip", "error") for m in NAMED.findall(a[1])}
	return tuple(p for p in PARTS if p in used)


def module(path):
	"""A checker's module by path (tests/lab/check.py and tests/lab-built/check.py share a name)."""
	name = path.replace("/", "_").replace("-", "_")[:-3]
	if name not in sys.modules:
		spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, path))
		sys.modules[name] = importlib.util.module_from_spec(spec)
		spec.loader.exec_module(sys.modules[name])
	return sys.modules[name]


def exact(atom, r):
	"""Does a plain atom name exactly r's verdict (not a pattern)?"""
	return atom[0] in ("pass", "hazard", "fail", "refused") and mu.shown(r) == ":".join(atom)


class Suite:
	def __init__(self, name, path, docs, drop, full):
		self.name, self.path, self.full = name, path, full
		self.varies = name == "host"	# the host has whatever devices and file systems it has
		self.rules = rl.parse(path)
		self.dropped = [r for r in self.rules if r.where in drop]
		self.rules[:] = [r for r in self.rules if r.where not in drop]
		self.docs = {}
		for label, file in docs:
			doc = load(file)
			self.docs[label or doc["kernel"]] = doc
		self.results = {k: d["results"] for k, d in self.docs.items()}
		self.plan = {k: [r["name"] for r in v] for k, v in self.results.items()}
		self.mine = {k: rl.for_kernel(self.rules, k) for k in self.docs}
		self.cache, self._named = {}, {}
		self.judged = 0
		# Checks beside the rules: (name, f(label, results) -> [finding]).
		self.extra = []
		if name == "lab-built":
			self.extra.append(("tests/lab-built/check.py: cross-check", self.cross_check))

	def cross_check(self, label, results):
		"""lab-built's cross-check over both boots: a relation between
		results (every R/O consumer agrees with gup-test), not a rule."""
		ok, diags = module("tests/lab-built/check.py").cross_check(
			[r for k in self.results for r in (results if k == label else self.results[k])])
		return [] if ok else [(self.extra[0][0], "violates", "; ".join(diags[1:3]))]

	def judge(self, label, results):
		self.judged += 1
		return [(f.rule.where if f.rule else None, f.kind, f.text)
			for f in rl.judge(self.mine[label], results, self.plan[label])]

	def judge_mutant(self, label, mt):
		"""The rules' findings (alike mutants judged once), the extra checks'."""
		results = mt.results or self.results[label][:mt.at] + [mt.m] + self.results[label][mt.at + 1:]
		return self.judge_rules(label, mt) + [f for _, x in self.extra for f in x(label, results)]

	def judge_rules(self, label, mt):
		if mt.at is None:
			return self.judge(label, mt.results)
		hit = tuple(i for i, x in enumerate(self.mine[label]) if x.matches(mt.m["name"]))
		key = (label, hit, fields(mt.m))
		if mt.m["verdict"] in ("skip", "error"):	# "^backing $backing unavailable"
			key += tuple(mt.m[p] for p in self.named(label, hit))
		if self.full or key not in self.cache:
			base = self.results[label]
			self.cache[key] = self.judge(label, base[:mt.at] + [mt.m] + base[mt.at + 1:])
		return self.cache[key]

	def named(self, label, hit):
		if (label, hit) not in self._named:
			self._named[(label, hit)] = named([self.mine[label][i] for i in hit])
		return self._named[(label, hit)]

	def accepting(self, label, m):
		"""The rules whose plain atoms allow m (FILE:LINE)."""
		return [x.where for x in self.mine[label] if x.atoms and x.matches(m["name"]) and
			any(rl.allows(a, m) for a in x.atoms)]

	def alternative(self, label, r, m):
		"""On a host only (the lab's kernels are known exactly): a rule
		covering r that allows r and names the mutant's verdict exactly
		(`pass,refused:EOPNOTSUPP`: a host's tmpfile may be on tmpfs;
		`hazard,@noiommu_absent`: a host may have noiommu), so the file
		says both are right there.  A failure only for a skip (on a host
		with 1 GiB pages 6.1's pin is stale), never another kind for a
		failure (a rule that expects stale data must not accept an Oops);
		never a skip or an error (a wrong reason is what that mutant is)."""
		if not self.varies or m["verdict"] in ("skip", "error") or r["verdict"] == "fail" or \
		   (m["verdict"] == "fail" and r["verdict"] != "skip") or mu.shown(m) == mu.shown(r):
			return None
		for x in self.mine[label]:
			if x.atoms and x.matches(r["name"]) and any(rl.allows(a, r) for a in x.atoms) and \
			   any(exact(a, m) for a in x.atoms):
				return x.where
		return None


class Count:
	"""caught/total per class, the misses, the stated alternatives."""

	def __init__(self):
		self.total, self.caught = {}, {}
		self.missed, self.allowed, self.by = {}, {}, {}

	def add(self, cls, caught, what, by=()):
		"""by: the rules that accepted a mutant not caught."""
		self.total[cls] = self.total.get(cls, 0) + 1
		self.caught[cls] = self.caught.get(cls, 0) + bool(caught)
		if not caught:
			self.missed.setdefault(cls, []).append("not caught: %s%s" % (
				what, " (accepted by %s)" % ", ".join(by) if by else ""))
			for w in by or ["no rule (nothing constrains it)"]:
				c = self.by.setdefault(cls, {})
				c[w] = c.get(w, 0) + 1

	def line(self, tap, suite, cls, none_why="no such result in these reports"):
		n = self.total.get(cls, 0)
		alt = self.allowed.get(cls, [])
		if not n and not alt:
			tap.skip("%s: %s" % (suite, cls), none_why)
			return
		missed = self.missed.get(cls, [])
		more = ["... %d more" % (len(missed) - 20)] if len(missed) > 20 else []
		by = ["%d not caught accepted by %s" % (c, w) for w, c in sorted(
			self.by.get(cls, {}).items(), key=lambda x: -x[1])]
		alts = {}
		for where, step, what in alt:
			alts.setdefault((where, step), []).append(what)
		tap.ok(not missed, "%s: %s: caught %d/%d%s" % (
			suite, cls, self.caught.get(cls, 0), n,
			" (%d more accepted as a stated alternative, listed)" % len(alt) if alt else ""),
			by + missed[:20] + more + ["%d accepted as %s's stated alternative %s, e.g. %s" % (
				len(w), where, step, w[0]) for (where, step), w in sorted(alts.items())])


def results_suite(tap, s, reasons):
	t0 = time.time()
	base = {k: s.judge(k, v) + [f for _, x in s.extra for f in x(k, v)] for k, v in s.results.items()}
	tap.ok(not any(base.values()), "%s: the unmutated reports pass (%s; %d rules of %s%s)" % (
		s.name, ", ".join("%s: %d results" % (k, len(v)) for k, v in s.results.items()),
		len(s.rules), s.path, "".join(" and " + w for w, _ in s.extra)),
		["%s: rejected by %s: %s" % (k, w or kind, t)
					for k, f in base.items() for w, kind, t in f][:40])
	count, used, n = Count(), set(), 0
	for label, results in s.results.items():
		for mt in mu.results_mutants(results, reasons):
			n += 1
			found = s.judge_mutant(label, mt)
			what = "%s: %s" % (label, mt.what)
			if not found and mt.at is not None:
				alt = s.alternative(label, results[mt.at], mt.m)
				if alt:
					step = "%s -> %s" % (mu.shown(results[mt.at]), mu.shown(mt.m))
					count.allowed.setdefault(mt.cls, []).append((alt, step, what))
					continue
			count.add(mt.cls, found, what, () if found or mt.at is None else s.accepting(label, mt.m))
			if mt.changed:
				used.update(w for w, kind, _ in found if w and kind == "violates")
	for cls in mu.CLASSES:
		count.line(tap, s.name, cls)
	stale(tap, s)
	idle = ["%s: %s" % (x.where, x.text) for x in s.rules if x.where not in used]
	idle += [w for w, _ in s.extra if w not in used]
	tap.ok(not idle, "%s: every rule rejects a mutant of a verdict, kind, errno, reason or mechanism (%d rules%s)"
	       % (s.name, len(s.rules), "".join(" and " + w for w, _ in s.extra)), ["exercised by no mutant: " + i for i in idle] +
	       ["left out (--drop): %s" % x.where for x in s.dropped])
	tap.diag("%s: %d mutants, %d judgements, %.1f s" % (s.name, n, s.judged, time.time() - t0))


def stale(tap, s):
	"""A document of another run, or of none, is rejected: rules.check_run."""
	check_run = getattr(rl, "check_run", None)
	if check_run is None:
		tap.skip("%s: stale report" % s.name, "tests/lib/rules.py has no check_run(doc, run_id) yet")
		return
	count = Count()
	for label, doc in s.docs.items():
		if check_run(doc, RUN_ID):
			count.add("stale report", False, "%s: the run's own document is rejected" % label)
		for what, m in (("another run's id", dict(doc, run_id=STALE_ID)),
				("no run id", {k: v for k, v in doc.items() if k != "run_id"}),
				("an empty run id", dict(doc, run_id=""))):
			count.add("stale report", check_run(m, RUN_ID), "%s: a document with %s" % (label, what))
	count.line(tap, s.name, "stale report")


def selftest_suite(tap):
	"""cow.c's seed lines (tests/lab/selftest: ok or not ok per kernel;
	selftest_check.check: agreement with cowpin's gup-test, line by line)."""
	t0 = time.time()
	path = os.path.join("tests", "lab", "selftest")
	wants = module("tests/lab/check.py").selftest_rules(path)
	docs = [("6.1", load("lab-report/6.1.json")), ("6.12", load("lab-report/6.12.json")),
		("6.1", load("data/lab-6.1-selftest.json"))]
	CHECK = "selftest_check.check (cow.c agrees with cowpin's gup-test)"
	rules = [CHECK] + ["%s: %s `%s`" % (path, k, w) for k, w in wants]

	def judge(label, doc):
		out = [(CHECK, t) for ok, t in selftest_check.check(doc) if not ok]
		for k, w in wants:
			if k == label:
				out += [("%s: %s `%s`" % (path, k, w), t) for ok, t in selftest_check.expect(doc, w) if not ok]
		return out

	def cowpin_skipped(doc, name):
		r = next((r for r in doc["results"] if r["name"] == selftest.match(name)), None)
		return r is not None and r["verdict"] == "skip"

	base = [(label, judge(label, doc)) for label, doc in docs]
	tap.ok(not any(f for _, f in base), "selftest: the unmutated documents pass (%d documents, %d rules)" % (
		len(docs), len(rules)), ["%s: %s: %s" % (k, w, t) for k, f in base for w, t in f][:20])
	count, used, legit = Count(), set(), []

	def one(cls, label, doc, what):
		found = judge(label, doc)
		count.add(cls, found, "%s: %s" % (label, what))
		used.update(w for w, _ in found)

	for label, doc in docs:
		for i, e in enumerate(doc["selftest"]):
			if e["name"] not in selftest.SEED:
				continue	# not one of the seed's lines: nothing judges it
			if e["result"] in ("ok", "not ok"):
				m = copy.deepcopy(doc)
				m["selftest"][i]["result"] = "ok" if e["result"] == "not ok" else "not ok"
				one("cow.c line flipped", label, m, "'%s' %s -> %s" % (
					e["name"], e["result"], m["selftest"][i]["result"]))
			if cowpin_skipped(doc, e["name"]):
				legit.append("%s: '%s' removed (cowpin skipped it too)" % (label, e["name"]))
				continue
			m = copy.deepcopy(doc)
			del m["selftest"][i]
			one("cow.c line removed", label, m, "'%s' removed" % e["name"])
	# The 6.1 guest's own KTAP (its non-anon part), one line removed at a
	# time, parsed as scripts/lab does: a seed line that then reads
	# otherwise (missing, or another heading's result) must be caught.
	saved = docs[2][1]
	with open(os.path.join(DATA, "data", "cow-6.1-nonanon.ktap")) as f:
		ktap = f.read().splitlines()
	src = saved["selftest_run"]["source"]

	def seed(entries):
		return {e["name"]: e["result"] for e in entries if e["name"] in selftest.SEED}
	want = seed(selftest.parse("\n".join(ktap), src))
	for i, line in enumerate(ktap):
		entries = selftest.parse("\n".join(ktap[:i] + ktap[i + 1:]), src)
		got = seed(entries)
		moved = [n for n in selftest.SEED if got.get(n) != want.get(n) and not cowpin_skipped(saved, n)]
		if not moved:
			continue	# a line no seed result depends on
		m = dict(saved, selftest=entries)
		one("KTAP line removed", "6.1", m, "KTAP line %d removed: %r" % (i + 1, line))
	for cls in ("cow.c line flipped", "cow.c line removed", "KTAP line removed"):
		count.line(tap, "selftest", cls)
	idle = [r for r in rules if r not in used]
	tap.ok(not idle, "selftest: every rule rejects a mutant (%d rules)" % len(rules),
	       ["exercised by no mutant: " + i for i in idle] + ["not a mutant: " + x for x in legit])
	tap.diag("selftest: %.1f s" % (time.time() - t0))


# A/B pairs of the committed reports: the lab's, and 6.1 against the built
# kernel's boots (iommufd, siw, noiommu rows skip>...).
PAIRS = (("6.1", "6.12"), ("6.1", "build:6.12"), ("6.1", "build:6.12@noiommu"))


def explanations_suite(tap):
	"""scripts/lablib/explanations.txt (transitions): each line must stop
	explaining a row it explains in the committed reports once a mutant of
	one of the row's results changes the row's transition."""
	t0 = time.time()
	from lablib import report
	rules = report.explanations()
	files = dict(SUITES["lab"][1] + SUITES["lab-built"][1])
	docs = {k: load(f)["results"] for k, f in files.items()}
	used, unexplained, n, moved, gone = set(), [], 0, 0, 0

	def row(labels, rs):
		"""(mark, transition) of one row as report.py makes it."""
		(_, _, mark), = report.ab_rows([{"label": k, "json": {"results": [r] if r else []}}
						for k, r in zip(labels, rs)])
		return mark, report.transition(rs, mark) if mark else None

	for labels in PAIRS:
		runs = [{"label": k, "json": {"results": docs[k]}} for k in labels]
		for name, rs, mark in report.ab_rows(runs):
			if not mark:
				continue
			rule = rl.explain(rules, name, report.transition(rs, mark), labels)
			if rule is None:
				unexplained.append("%s: %s %s" % (">".join(labels), name, report.transition(rs, mark)))
				continue
			for side, r in enumerate(rs):
				for cls, what, m in mu.in_place(r, REASONS, docs[labels[side]]) if r else ():
					mark2, change = row(labels, rs[:side] + [m] + rs[side + 1:])
					if not mark2:
						continue	# the row no longer differs: nothing to explain
					n += 1
					now = rl.explain(rules, name, change, labels)
					if now is not rule:
						used.add(rule.where)
						moved += 1
						gone += now is None
	idle = ["%s: %s" % (os.path.relpath(x.where), x.text[:80]) for x in rules if x.where not in used]
	tap.ok(not idle, "explanations: every line stops explaining a row it explains once a mutant changes "
	       "the row (%d lines; %d mutated rows, %d moved off their line, %d of them unexplained)" % (
		       len(rules), n, moved, gone), ["explains no row of %s, or no mutant moved it: %s" % (
			       ", ".join(">".join(p) for p in PAIRS), i) for i in idle])
	tap.diag(["rows of the committed reports no line explains: %d" % len(unexplained)] + unexplained[:12])
	tap.diag("explanations: %.1f s" % (time.time() - t0))


class Recorder:
	"""A suite's TAP lines, written in a worker process and replayed in
	order by the parent (tap.Tap's ok, skip and diag)."""

	def __init__(self):
		self.calls = []

	def __getattr__(self, meth):
		return lambda *args: self.calls.append((meth, args))


def run(job):
	"""One suite in a worker: its TAP calls."""
	name, path, a = job
	rec = Recorder()
	if name in ("selftest", "explanations"):
		(selftest_suite if name == "selftest" else explanations_suite)(rec)
		return rec.calls
	try:
		s = Suite(name, path, SUITES[name][1], a.drop, a.full)
	except (rl.RuleError, OSError) as e:
		rec.ok(False, "%s: %s parses" % (name, path), [str(e)])
		return rec.calls
	results_suite(rec, s, REASONS)
	return rec.calls


# Every report's skip reasons, whichever suites run: the same mutants.
REASONS = None


def main():
	global REASONS
	p = argparse.ArgumentParser()
	p.add_argument("suites", nargs="*", default=list(SUITES) + ["selftest", "explanations"])
	p.add_argument("--full", action="store_true", help="judge every mutant on its own")
	p.add_argument("--rules", action="append", default=[], metavar="SUITE=PATH")
	p.add_argument("--drop", action="append", default=[], metavar="FILE:LINE")
	p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
		       help="suites judged at once (default: 2, the lab host's cores)")
	a = p.parse_args()
	os.chdir(ROOT)	# rules are named by relative FILE:LINE
	paths = {k: v[0] for k, v in SUITES.items()}
	paths.update(x.split("=", 1) for x in a.rules)
	REASONS = mu.Reasons([load(f)["results"] for v in SUITES.values() for _, f in v[1]])
	tap = Tap()
	t0 = time.time()
	# The host suite is the longest: first, so that the others share the
	# other worker.
	order = sorted(a.suites, key=lambda n: n != "host")
	jobs = [(n, paths.get(n), a) for n in order]
	if a.jobs > 1:
		with multiprocessing.get_context("fork").Pool(a.jobs) as pool:
			out = dict(zip(order, pool.map(run, jobs, chunksize=1)))
	else:
		out = {n: run(j) for n, j in zip(order, jobs)}
	for n in a.suites:
		for meth, args in out[n]:
			getattr(tap, meth)(*args)
	tap.diag("mutate-lab: %.1f s" % (time.time() - t0))
	return tap.done()


if __name__ == "__main__":
	sys.exit(main())
