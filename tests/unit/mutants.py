# SPDX-License-Identifier: GPL-2.0-only
"""The mutant classes of tests/unit/mutate_lab.py: one change at a time to
one kernel's results, each a result a check of cowpin must reject.

results_mutants(results, ...) yields Mutant(cls, what, at, m, results,
changed): `at` is the index of the one result replaced by `m` (results
None), or None when the list itself changes (`results`: the new list).
`changed` is True for a mutant of a result's verdict, kind, errno, reason
or mechanism: only those count as a rule's exercise (a rule that only
fails because its results vanished proves nothing about them).
"""
import collections
import errno

# The one name of each class, in the order mutate_lab.py prints them.
CLASSES = ("verdict flipped", "fail kind swapped", "errno changed", "became hazard",
	   "skip reason changed", "mechanism flipped", "compared in full reduced",
	   "result added", "result duplicated", "consumer removed", "backing removed",
	   "case removed")
# docs/rules.md's fail kinds: each fail result gets every other one, each
# device read that passed every one.
KINDS = ("stale", "corrupt", "reads-mapping", "child-saw-write", "file-changed",
	 "kernel-log", "pin-leak", "crash", "timeout")
# A refusal's errno becomes each other one of these (the errnos a
# registration returns: EFAULT, EOPNOTSUPP, vb2's ENOMEM, ...), or none.
ERRNOS = ("EFAULT", "EOPNOTSUPP", "ENOMEM", "EPERM", "EINVAL", "EBUSY")
# A flipped mechanism: the one that would tell the opposite story.
FLIP = {"unshare-at-pin": "no-cow-break", "no-cow-break": "unshare-at-pin",
	"forced-write-at-pin": "no-cow-break", "no-cow-needed": "no-cow-break"}
READS = ("pass", "fail", "hazard")	# verdicts of a device read
# Skip reasons of failures, as cowpin's code words them: a skip must not
# pass with them (issue 23 item 5: a present device that fails to open).
BROKEN = ("ibv_open_device(siw0): Input/output error",
	  "ibv_query_device(rxe0): Connection timed out",
	  "backing set-up failed: mmap: Cannot allocate memory")

Mutant = collections.namedtuple("Mutant", "cls what at m results changed")


def errnum(name):
	return getattr(errno, name)


def shown(r):
	"""pass, fail:stale, refused:EFAULT, skip, ... (for the mutant's name)."""
	v = r["verdict"]
	if v == "fail":
		return "fail:%s" % r.get("fail_kind")
	if v == "refused":
		e = abs(r.get("errno") or 0)
		return "refused:%s" % ("EOPNOTSUPP" if e == errno.EOPNOTSUPP else
				       errno.errorcode.get(e, "none"))
	return v


def as_verdict(r, to, reason=None):
	"""r with the verdict `to` (pass, fail:KIND, refused:ERRNO, error,
	skip, hazard) and the fields such a result has."""
	v, _, arg = to.partition(":")
	m = dict(r, verdict=v, reason=reason or "mutant: was %s" % shown(r), errno=0)
	m.pop("fail_kind", None)
	if v == "fail":
		m["fail_kind"] = arg
	elif v == "refused":
		m["errno"] = errnum(arg) if arg else 0
	if v in ("refused", "error", "skip"):
		m.pop("mechanism", None)
	elif v == "hazard" and not m.get("mechanism"):
		m["mechanism"] = "no-cow-break"	# noiommu's: the process's old page
	return m


class Reasons:
	"""The skip reasons of every report the test reads (and BROKEN), and
	which of them a test may have: one seen for it, or one of its
	consumer's that is the consumer's whole (on two backings and two
	cases: "siw not built"), or one of its backing's (for two consumers
	and two cases: "hugetlb-1G unavailable").  Any other is wrong for it:
	a skip reason changed, and the reason of a result turned skip."""

	def __init__(self, docs):
		self.seen = collections.defaultdict(set)	# name -> reasons
		where = collections.defaultdict(set)		# reason -> {(c, b, case)}
		pool = []
		for results in docs:
			for r in results:
				if r["verdict"] == "skip" and r.get("reason"):
					self.seen[r["name"]].add(r["reason"])
					where[r["reason"]].add((r["consumer"], r["backing"], r["case"]))
					if r["reason"] not in pool:
						pool.append(r["reason"])
		self.pool = pool + list(BROKEN)
		self.wide = {}	# (reason, "consumer"|"backing", value)
		for x, w in where.items():
			for i, key in ((0, "consumer"), (1, "backing")):
				for v in {t[i] for t in w}:
					mine = [t for t in w if t[i] == v]
					if len({t[1 - i] for t in mine}) >= 2 and len({t[2] for t in mine}) >= 2:
						self.wide[(x, key, v)] = True

	def right(self, r, x):
		return x in self.seen[r["name"]] or (x, "consumer", r["consumer"]) in self.wide or \
			(x, "backing", r["backing"]) in self.wide

	def others(self, r):
		"""Every reason wrong for r's test."""
		return [x for x in self.pool if not self.right(r, x)]

	def borrowed(self, r, results):
		"""A wrong reason for r, of its consumer or backing if one is."""
		for key in ("consumer", "backing"):
			for x in results:
				if x["verdict"] == "skip" and x[key] == r[key] and not self.right(r, x["reason"]):
					return x["reason"]
		return self.others(r)[0]


def in_place(r, reasons, results):
	"""(cls, what, m) for every change of one result r."""
	v = shown(r)
	for to in ("pass", "fail:stale", "refused:EFAULT", "error", "skip"):
		if to != v and not (to == "refused:EFAULT" and r["verdict"] == "refused"):
			yield "verdict flipped", "%s -> %s" % (v, to), as_verdict(
				r, to, reasons.borrowed(r, results) if to == "skip" else None)
	if r["verdict"] == "fail":
		for k in KINDS:
			if k != r.get("fail_kind"):
				yield "fail kind swapped", "%s -> fail:%s" % (v, k), as_verdict(r, "fail:" + k)
	elif r["verdict"] in ("pass", "hazard"):
		# What the device read, or the run, could have gone wrong with
		# instead: every kind (stale is a flip above).
		for k in KINDS:
			if k != "stale":
				yield "fail kind swapped", "%s -> fail:%s" % (v, k), as_verdict(r, "fail:" + k)
	if r["verdict"] == "refused":
		for e in ERRNOS:
			if "refused:" + e != v:
				yield "errno changed", "%s -> refused:%s" % (v, e), dict(r, errno=-errnum(e))
		yield "errno changed", "%s -> refused with no errno" % v, dict(r, errno=0)
	if r["verdict"] != "hazard":
		yield "became hazard", "%s -> hazard" % v, as_verdict(r, "hazard")
	if r["verdict"] == "skip":
		for x in reasons.others(r):
			yield "skip reason changed", "skip reason -> %r" % x, dict(r, reason=x)
	if r["verdict"] in READS and r.get("mechanism") in FLIP:
		yield "mechanism flipped", "mechanism %s -> %s" % (r["mechanism"], FLIP[r["mechanism"]]), \
			dict(r, mechanism=FLIP[r["mechanism"]])
	if r["verdict"] in READS and r.get("compared_bytes") and \
	   r.get("compared_bytes") == r.get("buffer_bytes"):
		yield "compared in full reduced", "compared only its three 256-byte spans", \
			dict(r, compared_bytes=3 * 256)


def results_mutants(results, reasons):
	for i, r in enumerate(results):
		for cls, what, m in in_place(r, reasons, results):
			yield Mutant(cls, "%s %s" % (r["name"], what), i, m, None, True)
	first = {}
	for r in results:
		first.setdefault(r["consumer"], r)
	for c, r in first.items():
		name = "%s.%s.not-planned" % (c, r["backing"])
		yield Mutant("result added", "%s added (a copy of %s)" % (name, r["name"]), None, None,
			     results + [dict(r, name=name, case="not-planned")], False)
		yield Mutant("result duplicated", "%s twice" % r["name"], None, None, results + [dict(r)], False)
	for cls, keys in (("consumer removed", ("consumer",)), ("backing removed", ("consumer", "backing")),
			  ("case removed", ("consumer", "case"))):
		groups = []
		for r in results:
			g = tuple(r[k] for k in keys)
			if g not in groups:
				groups.append(g)
		for g in groups:
			yield Mutant(cls, "every %s result removed" % ".".join(g), None, None,
				     [r for r in results if tuple(r[k] for k in keys) != g], False)
