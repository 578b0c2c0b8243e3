# SPDX-License-Identifier: GPL-2.0-only
"""Judge cowpin results against tests/host/expectations for the running kernel.

The rule syntax and a rule's verdict test are the lab's (tests/lab/check.py:
parse, shown, wrong); what differs is which rules apply (the kernel column is
a version condition on the running kernel, not a lab label) and that every
result is judged: the last matching rule decides, and a result no rule
covers must pass, be a hazard, or skip with a reason.
"""
import os
import re
import sys

sys.dont_write_bytecode = True	# the source tree stays clean (read-only in the lab)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
import check as lab  # noqa: E402

RULES = os.path.join(HERE, "expectations")
shown = lab.shown


def version(release):
	"""(major, minor) of a kernel release such as 6.1.0-57-amd64."""
	m = re.match(r"(\d+)\.(\d+)", release)
	return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def applies(cond, release):
	"""Is the rule's kernel column (*, <6.2, >=6.2, =6.1 ...) true of release?"""
	if cond == "*":
		return True
	m = re.match(r"(<=|>=|<|>|=)(\d+)\.(\d+)$", cond)
	if not m:
		sys.exit("%s: bad kernel condition %r (want *, <6.2, >=6.2, ...)" % (RULES, cond))
	v, want = version(release), (int(m.group(2)), int(m.group(3)))
	return {"<": v < want, "<=": v <= want, ">": v > want, ">=": v >= want,
		"=": v == want}[m.group(1)]


def rules_for(release, path=RULES):
	return [r for r in lab.parse(path) if applies(r.kernel, release)]


def judge(r, rules):
	"""(ok, why) for one result: is its verdict what this kernel should give?"""
	if r["verdict"] == "error":
		return False, "error is never an acceptable verdict"
	rule = None
	for k in rules:
		if k.matches(r):
			rule = k
	if rule is None:
		if r["verdict"] in ("pass", "hazard") or (r["verdict"] == "skip" and r.get("reason")):
			return True, ""
		return False, "no rule allows %s here (only pass, hazard, skip)" % shown(r)
	verdicts, text = rule.verdicts, rule.text
	# A host has the devices it has: a skip with its reason is never wrong,
	# unless the rule names only skip (then anything else is).
	if r["verdict"] == "skip" and r.get("reason"):
		return True, text
	if lab.wrong(r, verdicts):
		return False, "expected %s: %s" % ("|".join(verdicts), text)
	return True, text


def exit_ok(rc, results):
	"""cowpin run exits 1 when any test failed, was refused or errored, else 0."""
	return rc == (1 if any(r["verdict"] in ("fail", "refused", "error") for r in results) else 0)
