#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check cowpin results against an expectation file (tests/lab-built/expect).

usage: check.py EXPECT RESULTS.json [--first N]

RESULTS.json is any JSON holding cowpin result objects (a `cowpin run
--format json` report, or the lab's report for one kernel): every object
with consumer/backing/case/verdict keys counts.  Prints TAP (one line per
assertion, then one for the results no assertion covers, starting at N,
default 1, with no plan: the caller prints it) and exits 1 if any failed.
Verdicts mean what they mean in the lab's rules (tests/lab/rules.py):
refused:EFAULT, fail:stale, mech:NAME.  A result that no `all` assertion
with plain verdicts covers is an "unexpected test" (tests/unit/mutate_lab.py
proves every assertion can fail).
"""
import fnmatch
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
sys.dont_write_bytecode = True
# The lab's verdict semantics: refused:EFAULT, fail:stale, mech:NAME.
from rules import CONSTRAINTS, VERDICTS, WHOLE, wrong  # noqa: E402
# Verdicts that say something about the kernel's pin (compared by cross-check).
COMPARABLE = {"pass", "fail", "refused"}


class Tap:
	def __init__(self, first):
		self.n = first - 1
		self.failed = 0

	def line(self, ok, what, diags=()):
		self.n += 1
		if not ok:
			self.failed += 1
		print("%s %d - %s" % ("ok" if ok else "not ok", self.n, what))
		for d in diags:
			print("# " + d)


def results_in(doc):
	"""Every result object anywhere in doc."""
	if isinstance(doc, dict):
		if {"consumer", "backing", "case", "verdict"} <= doc.keys():
			yield doc
			return
		for v in doc.values():
			yield from results_in(v)
	elif isinstance(doc, list):
		for v in doc:
			yield from results_in(v)


def parse_expect(path):
	sets, rules = {}, []
	with open(path) as f:
		for no, raw in enumerate(f, 1):
			words = raw.split()
			if not words or words[0].startswith("#"):
				continue
			where = "%s:%d" % (path, no)
			if words[0] == "set" and len(words) == 3:
				sets[words[1]] = words[2].split(",")
			elif words[0] == "cross-check" and len(words) == 2:
				rules.append(("cross-check", words[1], where))
			elif len(words) >= 6:
				cons, back, case, verd, quant = words[:5]
				bad = {v for v in verd.split(",") if not v.startswith("mech:") and v != WHOLE
				       and v.split(":")[0] not in VERDICTS}
				if bad or quant not in ("all", "any"):
					raise SystemExit("%s: bad verdicts %s or quantifier %s" % (where, bad, quant))
				rules.append(("assert", (cons, back, case, verd.split(","), quant,
							 " ".join(words[5:])), where))
			else:
				raise SystemExit("%s: cannot parse: %s" % (where, raw.strip()))
	return sets, rules


def expand(word, sets):
	"""None for `*`, else the list of names."""
	if word == "*":
		return None
	if word.startswith("@"):
		if word not in sets:
			raise SystemExit("unknown set %s" % word)
		return sets[word]
	return word.split(",")


def describe(r):
	why = r.get("reason") or ""
	mech = r.get("mechanism")
	return "%s: %s%s%s" % (r.get("name") or "%s.%s.%s" % (r["consumer"], r["backing"], r["case"]),
			       r["verdict"], " (mechanism %s)" % mech if mech else "",
			       " (%s)" % why if why else "")


def matching(rule, sets, results):
	cons, back, case = rule[:3]
	backs, cases = expand(back, sets), expand(case, sets)
	return [r for r in results
		if fnmatch.fnmatchcase(r["consumer"], cons)
		and (backs is None or r["backing"] in backs)
		and (cases is None or r["case"] in cases)]


def plain(verdicts):
	return [v for v in verdicts if not v.startswith(CONSTRAINTS)]


def judge_assert(rule, sets, results, skip_ok=()):
	"""(ok, diagnostics) of one assertion over the results; skip_ok: ids
	of results another rule allows to skip (for mech: rules)."""
	cons, back, case, verdicts, quant, what = rule
	match = matching(rule, sets, results)
	if not match:
		return False, ["missing: no %s results for backings %s cases %s -- "
			       "the consumer does not produce them (yet), or it is not built in"
			       % (cons, back, case)]
	if quant == "any":
		hits = [r for r in match if not wrong(r, verdicts)]
		return bool(hits), (["%d of %d matching results are %s" % (len(hits), len(match), "/".join(verdicts))]
				    + ([] if hits else [describe(r) for r in match]))
	bad = [r for r in match if wrong(r, verdicts, id(r) in skip_ok)]
	missing = [b for b in (expand(back, sets) or []) if not any(r["backing"] == b for r in match)]
	diags = ["%d results checked" % len(match)]
	diags += ["missing: no %s result on backing %s" % (cons, b) for b in missing]
	diags += ["unexpected: " + describe(r) for r in bad]
	return not bad and not missing, diags


def judge_cross(ref, results):
	"""Every real consumer's comparable verdict equals ref's on the same backing+case."""
	refs = {(r["backing"], r["case"]): r for r in results if r["consumer"] == ref}
	if not refs:
		return False, ["missing: no %s results, nothing to compare with" % ref]
	agree, differ, uncompared = 0, [], set()
	for r in results:
		if r["consumer"] == ref or r.get("pin", "").startswith("writable"):
			continue
		if r["verdict"] not in COMPARABLE:
			uncompared.add("%s (%s)" % (r["consumer"], r["verdict"]))
			continue
		g = refs.get((r["backing"], r["case"]))
		if not g or g["verdict"] not in COMPARABLE:
			uncompared.add("%s.%s (%s has %s)" % (r["backing"], r["case"], ref,
							     g["verdict"] if g else "no result"))
			continue
		if g["verdict"] == r["verdict"]:
			agree += 1
		else:
			differ.append("%s: %s, but %s says %s" % (r.get("name", r["consumer"]),
								r["verdict"], ref, g["verdict"]))
	diags = ["%d verdicts agree with %s" % (agree, ref)]
	diags += ["disagrees: " + d for d in differ]
	if uncompared:
		diags.append("not compared: " + ", ".join(sorted(uncompared)))
	if not agree and not differ:
		diags.append("nothing comparable: no consumer produced pass/fail/refused")
	return agree > 0 and not differ, diags


def uncovered(rules, sets, results):
	"""Results no `all` assertion states the verdict of: "unexpected test"."""
	seen = set()
	for kind, rule, _ in rules:
		if kind == "assert" and rule[4] == "all" and plain(rule[3]):
			seen.update(id(r) for r in matching(rule, sets, results))
	return [r for r in results if id(r) not in seen]


def judge(sets, rules, results):
	"""[(where, what, ok, diagnostics)]: one per rule, then completeness
	(where None)."""
	out = []
	skip_ok = set()
	for kind, rule, _ in rules:
		if kind == "assert" and rule[4] == "all" and "skip" in rule[3]:
			skip_ok.update(id(r) for r in matching(rule, sets, results))
	for kind, rule, where in rules:
		if kind == "cross-check":
			ok, diags = judge_cross(rule, results)
			out.append((where, "cross-check: every real consumer agrees with %s" % rule, ok, diags))
		else:
			ok, diags = judge_assert(rule, sets, results, skip_ok)
			out.append((where, rule[5], ok, diags))
	odd = uncovered(rules, sets, results)
	out.append((None, "a rule states the verdict of every result (%d results)" % len(results),
		    not odd, ["unexpected test: %s %s" % (r.get("name"), r["verdict"]) for r in odd]))
	return out


def check_all(tap, sets, rules, results):
	for where, what, ok, diags in judge(sets, rules, results):
		tap.line(ok, what, diags)


def main(argv):
	first = 1
	if "--first" in argv:
		i = argv.index("--first")
		first = int(argv[i + 1])
		del argv[i:i + 2]
	if len(argv) != 2:
		raise SystemExit(__doc__)
	sets, rules = parse_expect(argv[0])
	with open(argv[1]) as f:
		results = list(results_in(json.load(f)))
	tap = Tap(first)
	print("# %d results in %s" % (len(results), argv[1]))
	check_all(tap, sets, rules, results)
	return tap


if __name__ == "__main__":
	t = main(sys.argv[1:])
	print("1..%d" % t.n)
	sys.exit(1 if t.failed else 0)
