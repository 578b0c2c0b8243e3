#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check the built kernel's lab report against tests/lab-built/expect.

usage: check.py EXPECT REPORT_DIR [--cowpin BIN] [--first N]

REPORT_DIR holds scripts/lab's JSON per boot (build_6.12.json for
build:6.12, build_6.12_noiommu.json for build:6.12@noiommu).  The rules
are docs/rules.md's (tests/lib/rules.py); with --cowpin each boot's results
must also be exactly its plan (`BIN list` for the consumers that boot ran).
Beside the rules, the cross-check: every R/O consumer's verdict agrees with
gup-test's on the same backing and case (a relation between two results,
which a rule cannot state).  Prints TAP (one line per rule, per boot for
completeness, the cross-check; from N, default 1, without a plan: the
caller prints it) and exits 1 if any failed.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
import rules as rulelang  # noqa: E402	(docs/rules.md)
from tap import Tap  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from lablib import runid  # noqa: E402

# Verdicts that say something about the kernel's pin (compared by the cross-check).
COMPARABLE = {"pass", "fail", "refused"}
REFERENCE = "gup-test"


def file_of(label):
	"""scripts/lab's JSON name for a label: build:6.12@noiommu -> build_6.12_noiommu.json."""
	return re.sub(r"[^A-Za-z0-9._+-]", "_", label) + ".json"


def consumers(rules, label):
	"""The consumers a boot is asked for: @built for the vIOMMU boot, @noiommu
	for the @noiommu one (the sets of the expect file)."""
	return rules.sets["noiommu" if label.endswith("@noiommu") else "built"]


def load(rules, report, rid=None, build=None):
	"""({label: results, or None when that boot left no JSON of this run},
	[why a document is not of this run]).  rid: the run id every document
	must carry (lablib/runid.py; None: not checked), build: the ELF build
	id of the cowpin that must have written it."""
	docs, stale = {}, []
	for k in rulelang.labels(rules):
		try:
			with open(os.path.join(report, file_of(k))) as f:
				doc = json.load(f)
			docs[k] = doc["results"]
		except (OSError, ValueError, KeyError, TypeError):
			docs[k] = None
			continue
		why = runid.stale(doc, rid, build) if rid else None
		if why:
			stale.append("%s is not of this run: %s" % (file_of(k), why))
			docs[k] = None
	return docs, stale


def cross_check(results, ref=REFERENCE):
	"""(ok, diagnostics): every R/O consumer's comparable verdict equals
	ref's on the same backing+case (writable pins are no comparison)."""
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
		if rulelang.shown(g) == rulelang.shown(r):
			agree += 1
		else:
			differ.append("%s: %s, but %s says %s" % (r["name"], rulelang.shown(r), ref,
								rulelang.shown(g)))
	diags = ["%d verdicts agree with %s" % (agree, ref)]
	diags += ["disagrees: " + d for d in differ]
	if uncompared:
		diags.append("not compared: " + ", ".join(sorted(uncompared)))
	if not agree and not differ:
		diags.append("nothing comparable: no consumer produced pass/fail/refused")
	return agree > 0 and not differ, diags


def judge(rules, docs, plans=None):
	"""[(where, what, ok, diagnostics)]: one per rule over the boots it
	applies to, one per boot for completeness (where None), the cross-check
	over both boots (where "cross-check")."""
	plans = plans or {}
	found = {k: rulelang.judge(rulelang.for_kernel(rules, k), v, plans.get(k))
		 for k, v in docs.items() if v is not None}
	out = []
	for rule in rules:
		ks = [k for k in docs if rulelang.applies(rule, k)]
		bad = ["%s: no JSON (%s)" % (k, file_of(k)) for k in ks if docs[k] is None]
		bad += ["%s: %s" % (k, f.text) for k in ks for f in found.get(k, []) if f.rule is rule]
		out.append((rule.where, rule.text, not bad, bad))
	for k, v in docs.items():
		odd = [f.text for f in found.get(k, []) if f.rule is None]
		out.append((None, "%s: a rule states the verdict of every result, and the results are %s (%d)" % (
			k, "the plan" if k in plans else "not held to a plan (no --cowpin)", len(v or [])),
			v is not None and not odd, odd))
	merged = [r for v in docs.values() for r in v or []]
	ok, diags = cross_check(merged)
	out.append(("cross-check", "cross-check: every R/O consumer agrees with %s" % REFERENCE, ok, diags))
	return out


def check(tap, rules, report, cowpin=None, rid=None, build=None):
	docs, stale = load(rules, report, rid, build)
	plans = {k: rulelang.plan(cowpin, consumers=consumers(rules, k)) for k in docs} if cowpin else None
	for where, what, ok, diags in judge(rules, docs, plans):
		more = ["... %d more" % (len(diags) - 40)] if len(diags) > 40 else []
		tap.ok(ok, "%s (%s)" % (what, os.path.basename(where)) if where and ":" in where else what,
		       diags[:40] + more)
	return docs, stale


def main(argv):
	first = 1
	if "--first" in argv:
		i = argv.index("--first")
		first = int(argv[i + 1])
		del argv[i:i + 2]
	cowpin = None
	if "--cowpin" in argv:
		i = argv.index("--cowpin")
		cowpin = argv[i + 1]
		del argv[i:i + 2]
	if len(argv) != 2:
		raise SystemExit(__doc__)
	tap = Tap(first=first, header=first == 1)
	check(tap, rulelang.parse(argv[0]), argv[1], cowpin)
	return tap


if __name__ == "__main__":
	t = main(sys.argv[1:])
	sys.exit(t.done())
