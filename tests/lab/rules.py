# SPDX-License-Identifier: GPL-2.0-only
"""The lab's expectation rules (tests/lab/expectations) and how a kernel's
results are judged by them.  check.py prints the verdict as TAP; the unit
suite's mutation test (tests/unit/mutate_lab.py) proves every rule can fail.

A rule states, for the results of one kernel whose names match its globs,
the verdicts they must have ("plain" verdicts: pass, refused:EFAULT, skip,
...) and/or the COW mechanism of their device reads ("mech:NAME").  The
judgement is complete: a result that no rule with plain verdicts covers is
an "unexpected test", and a rule with a glob that matches nothing fails
too (it would otherwise constrain nothing, silently).
"""
import collections
import errno
import fnmatch
import functools

VERDICTS = {"pass", "fail", "skip", "refused", "error", "hazard"}
# Constraints on device reads beside their verdict: "mech:NAME" (the COW
# mechanism) and WHOLE (the device's bytes were compared in full:
# compared_bytes == buffer_bytes, as storage engines like NVMe do).
CONSTRAINTS = ("mech:", "compared:")
WHOLE = "compared:all"
# Verdicts that come from a device read: only they carry a mechanism.
READS = ("pass", "fail", "hazard")


class Rule(collections.namedtuple("Rule", "kernel globs verdicts quant text")):
	"""One line of the expectations file.  quant is always "all" (every
	matching result, skips included); it stays for callers that unpack five
	fields.  .where is FILE:LINE."""
	where = "?"

	@property
	def plain(self):
		return [v for v in self.verdicts if not v.startswith(CONSTRAINTS)]

	@property
	def mechs(self):
		return [v[5:] for v in self.verdicts if v.startswith("mech:")]

	def matches(self, r, only=None):
		"""A name matching some glob (or the glob `only`) and no !glob."""
		return _matches(tuple(self.globs), r["name"], only)


@functools.lru_cache(maxsize=None)	# the mutation test judges ~1000 reports
def _matches(globs, n, only):
	return any(fnmatch.fnmatchcase(n, g) for g in ([only] if only else globs)
		   if g[0] != "!") and \
		not any(fnmatch.fnmatchcase(n, g[1:]) for g in globs if g[0] == "!")


def parse(path):
	"""[Rule] of an expectations file: KERNEL TESTS VERDICTS TEXT.
	TESTS: comma list of globs over test names; !GLOB excludes."""
	rules = []
	with open(path) as f:
		for no, line in enumerate(f, 1):
			w = line.split(None, 3)
			if not w or w[0].startswith("#"):
				continue
			where = "%s:%d" % (path, no)
			if len(w) < 4:
				raise SystemExit("%s: want KERNEL TESTS VERDICTS TEXT" % where)
			verdicts = w[2].split(",")
			bad = [v for v in verdicts if not v.startswith("mech:") and v != WHOLE
			       and v.split(":")[0] not in VERDICTS]
			if bad:
				raise SystemExit("%s: unknown verdict %s" % (where, ",".join(bad)))
			rule = Rule(w[0], w[1].split(","), verdicts, "all", w[3].strip())
			rule.where = where
			rules.append(rule)
	return rules


def shown(r):
	"""pass, fail, refused:EFAULT, ..."""
	v = r["verdict"]
	if v == "refused" and r.get("errno"):
		e = abs(r["errno"])	# EOPNOTSUPP, not its alias ENOTSUP
		v += ":" + ("EOPNOTSUPP" if e == errno.EOPNOTSUPP else
			    errno.errorcode.get(e, str(e)))
	return v


def kind(r):
	"""fail:stale, fail:reads-mapping, ... (the fail_kind), else the verdict."""
	if r["verdict"] == "fail" and r.get("fail_kind"):
		return "fail:" + r["fail_kind"]
	return r["verdict"]


def wrong(r, verdicts, skip_allowed=False):
	"""Does r break a rule with these verdicts?  Plain verdicts name what r
	may be.  "mech:NAME" entries constrain the COW mechanism of device reads,
	WHOLE that all of the buffer was compared; such a rule also fails on
	`error` (the read it asserts about never happened) and on `skip`, unless
	skip_allowed (another rule allows it).  A refused registration has no
	mechanism: the plain rules judge it."""
	mechs = [v[5:] for v in verdicts if v.startswith("mech:")]
	whole = WHOLE in verdicts
	plain = [v for v in verdicts if not v.startswith(CONSTRAINTS)]
	if plain and not {shown(r), r["verdict"], kind(r)} & set(plain):
		return True
	if not mechs and not whole:
		return False
	v = r["verdict"]
	if v in READS:
		if whole and not (r.get("compared_bytes") and r.get("compared_bytes") == r.get("buffer_bytes")):
			return True
		return bool(mechs) and r.get("mechanism") not in mechs
	return v == "error" or (v == "skip" and not skip_allowed and "skip" not in plain)


def describe(r):
	why = r.get("reason") or ""
	v = shown(r) if r["verdict"] != "fail" else kind(r)
	return "%s: %s (mechanism %s, compared %s of %s bytes)%s" % (
		r["name"], v, r.get("mechanism"), r.get("compared_bytes"), r.get("buffer_bytes"),
		": " + why if why else "")


Finding = collections.namedtuple("Finding", "rule kind text")
# kind: "violates" (a result breaks the rule), "empty" (one of its globs
# matched nothing), "unexpected" (rule None: no plain rule covers a result).


def judge(rules, results):
	"""Findings of one kernel's rules over its results; [] when all hold."""
	found = []
	covering = {}	# result index -> plain rules matching it
	for i, r in enumerate(results):
		covering[i] = [x for x in rules if x.plain and x.matches(r)]
	for rule in rules:
		hits = [i for i, r in enumerate(results) if rule.matches(r)]
		# Each glob names tests that must exist: a consumer whose results
		# vanished must not hide behind the rule's other globs.
		for g in rule.globs:
			if g[0] != "!" and not any(rule.matches(r, g) for r in results):
				found.append(Finding(rule, "empty", "matched no result: %s" % g))
		for i in hits:
			r = results[i]
			skip_ok = any("skip" in x.plain for x in covering[i])
			if wrong(r, rule.verdicts, skip_ok):
				found.append(Finding(rule, "violates", "%s, expected %s" % (
					describe(r), "|".join(rule.verdicts))))
	for i, r in enumerate(results):
		if not covering[i]:
			found.append(Finding(None, "unexpected", "unexpected test: %s %s" % (
				r["name"], shown(r) if r["verdict"] != "fail" else kind(r))))
	return found
