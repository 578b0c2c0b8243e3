# SPDX-License-Identifier: GPL-2.0-only
"""The parser and judge of cowpin's one rule language (docs/rules.md).

parse(path[, transitions]) -> Rules; applies(rule, label_or_release);
judge(rules, results[, plan]) -> [Finding]; check_run(doc, run_id) ->
why a document is not this run's (None when it is); explain(rules, name,
change) for the A/B report's transitions; plan(cowpin, ...) -> the test
names `cowpin list` gives for a selection.  Every expectations file of cowpin
(the lab's, the built kernel's, the host's, the A/B explanations) is read
here, so a rule means the same wherever it is written.
"""
import collections
import errno
import fnmatch
import functools
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))

VERDICTS = ("pass", "fail", "refused", "skip", "error", "hazard")
KINDS = ("stale", "corrupt", "reads-mapping", "child-saw-write", "file-changed",
	 "kernel-log", "pin-leak", "crash", "timeout")
ERRNOS = set(errno.errorcode.values()) | {"EOPNOTSUPP"}
# Verdicts that come from a device read: only they carry a mechanism and
# a compared byte count.
READS = ("pass", "fail", "hazard")
WHOLE = "compared:all"


class RuleError(ValueError):
	"""A rules file that does not parse: the message starts FILE:LINE."""


Finding = collections.namedtuple("Finding", "rule kind text name", defaults=(None,))
# kind: violates (a result breaks the rule), empty (a positive glob matched
# no result), unexpected (rule None: no plain rule covers a result),
# missing / added / duplicated (rule None: the results are not the plan).
# name: the test the finding is about (None for empty).


class Rule:
	"""One rule line.  kernels: selectors; globs / nots: the positive and
	!-globs after expansion; atoms: plain atoms as tuples (("pass",),
	("fail", KIND), ("refused", ERRNO), ("skip", REGEX), ("error", REGEX),
	("hazard",)); mechs / whole: the constraints; steps: a transition's
	patterns (explanations only); text; where (FILE:LINE)."""
	__slots__ = ("kernels", "globs", "nots", "atoms", "mechs", "whole", "steps",
		     "verdicts", "text", "where", "_hit")

	def __init__(self, **kw):
		for k in self.__slots__:
			setattr(self, k, kw.get(k))
		self._hit = {}

	def matches(self, name):
		"""A name matching some glob and no !glob (cached: the mutation
		test judges thousands of reports of the same names)."""
		hit = self._hit.get(name)
		if hit is None:
			hit = self._hit[name] = any(fnmatch.fnmatchcase(name, g) for g in self.globs) \
				and not any(fnmatch.fnmatchcase(name, g) for g in self.nots)
		return hit

	def __repr__(self):
		return "Rule(%s %s)" % (self.where, self.verdicts)


class Rules(list):
	"""The rules of one file, with .sets ({name: [items]}) and .path."""


def _split(s, seps=" \t", keep_rest=0):
	"""Split s on seps outside double quotes and braces.  keep_rest > 0:
	at most that many fields, then the rest of the line as one more."""
	out, cur, quote, depth, i = [], "", False, 0, 0
	while i < len(s):
		c = s[i]
		if keep_rest and len(out) == keep_rest and not cur:
			if c in seps:
				i += 1
				continue
			out.append(s[i:].strip())
			return out
		if c == '"':
			quote = not quote
		elif not quote and c == "{":
			depth += 1
		elif not quote and c == "}":
			depth -= 1
		if c in seps and not quote and depth == 0:
			if cur:
				out.append(cur)
			cur = ""
		else:
			cur += c
		i += 1
	if quote:
		raise ValueError("unterminated \"")
	if cur:
		out.append(cur)
	return out


def _braces(g):
	"""Brace alternatives: a{b,c}d -> [abd, acd], nested too."""
	m = re.search(r"\{([^{}]*)\}", g)
	if not m:
		return [g]
	return [x for alt in m.group(1).split(",")
		for x in _braces(g[:m.start()] + alt + g[m.end():])]


def _sets_in(word, sets, where):
	"""@NAME -> {items of set NAME}."""
	def sub(m):
		if m.group(1) not in sets:
			raise RuleError("%s: unknown set @%s" % (where, m.group(1)))
		return "{" + ",".join(sets[m.group(1)]) + "}"
	for _ in range(10):	# sets of sets
		if "@" not in word:
			return word
		word = re.sub(r"@([A-Za-z0-9_]+)", sub, word)
	raise RuleError("%s: sets nest too deep in %s" % (where, word))


def _atom(a, where):
	"""One plain atom or constraint; raises on what docs/rules.md forbids."""
	v, _, arg = a.partition(":")
	if v == "mech":
		if not arg:
			raise RuleError("%s: mech: names no mechanism" % where)
		return "mech", arg
	if a == WHOLE:
		return "whole", True
	if v not in VERDICTS:
		raise RuleError("%s: unknown verdict %r" % (where, a))
	if v in ("pass", "hazard"):
		if arg:
			raise RuleError("%s: %s takes no argument: %r" % (where, v, a))
		return "atom", (v,)
	if v == "fail":
		if not arg:
			raise RuleError("%s: bare `fail`: name the kind (fail:stale, ...)" % where)
		if arg not in KINDS:
			raise RuleError("%s: unknown fail kind %r (one of %s)" % (where, arg, " ".join(KINDS)))
		return "atom", (v, arg)
	if v == "refused":
		if not arg:
			raise RuleError("%s: bare `refused`: name the errno (refused:EFAULT)" % where)
		if arg not in ERRNOS:
			raise RuleError("%s: unknown errno name %r" % (where, arg))
		return "atom", (v, arg)
	if not (len(arg) >= 2 and arg[0] == arg[-1] == '"'):
		raise RuleError('%s: bare `%s`: give the reason it must match (%s:"REGEX")' % (where, v, v))
	try:
		_regex(arg[1:-1], "consumer", "backing", "case")
	except re.error as e:
		raise RuleError("%s: bad regex %s: %s" % (where, arg, e))
	return "atom", (v, arg[1:-1])


NAMED = re.compile(r"\$(consumer|backing|case)\b")


@functools.lru_cache(maxsize=None)
def _regex(pattern, consumer, backing, case):
	"""A reason pattern with $consumer, $backing and $case standing for the
	result's own (escaped): a skip names the consumer or backing it is about."""
	parts = {"consumer": consumer, "backing": backing, "case": case}
	return re.compile(NAMED.sub(lambda m: re.escape(parts[m.group(1)]), pattern))


def _step(s, where):
	"""A transition step VERDICT[:KIND|ERRNO][/MECHANISM], an fnmatch
	pattern; a literal fail/refused must name its kind/errno too."""
	head = s.split("/")[0]
	v, _, arg = head.partition(":")
	wild = set("*?[")
	if not set(v) & wild:
		if v not in VERDICTS:
			raise RuleError("%s: unknown verdict %r in transition" % (where, s))
		if v in ("fail", "refused") and not arg:
			raise RuleError("%s: bare `%s` in transition: name the %s" % (
				where, v, "kind" if v == "fail" else "errno"))
		if arg and not set(arg) & wild and arg not in (KINDS if v == "fail" else ERRNOS):
			raise RuleError("%s: unknown %s %r in transition" % (
				where, "fail kind" if v == "fail" else "errno name", arg))
	return s


KERNEL = re.compile(r"(<=|>=|<|>|=)(\d+)\.(\d+)$")


def parse(path, transitions=False):
	"""Rules of one file.  transitions: it is the explanations file (every
	VERDICTS a transition); else an expectations file (none may be)."""
	rules = Rules()
	rules.sets, rules.path = {}, path
	with open(path) as f:
		for no, line in enumerate(f, 1):
			where = "%s:%d" % (path, no)
			if not line.strip() or line.lstrip().startswith("#"):
				continue
			try:
				w = _split(line.strip(), keep_rest=3)
			except ValueError as e:
				raise RuleError("%s: %s" % (where, e))
			if w[0] == "set":
				if len(w) < 3 or not re.match(r"[A-Za-z0-9_]+$", w[1]):
					raise RuleError("%s: want set NAME ITEM,ITEM,..." % where)
				if len(w) > 3 or _split(w[2])[1:]:
					raise RuleError("%s: a set's items are one comma list" % where)
				rules.sets[w[1]] = _split(w[2], ",")
				continue
			if len(w) < 4:
				raise RuleError("%s: want KERNELS TESTS VERDICTS TEXT" % where)
			rules.append(_rule(w, where, rules.sets, transitions))
	return rules


def _rule(w, where, sets, transitions):
	kernels = w[0].split(",")
	for k in kernels:
		if k[0] in "<>=" and not KERNEL.match(k):
			raise RuleError("%s: bad version condition %r (want <6.2, >=6.2, =6.12 ...)" % (where, k))
	globs, nots = [], []
	for g in _split(w[1], ","):
		neg = g.startswith("!")
		for x in _braces(_sets_in(g[1:] if neg else g, sets, where)):
			if x not in globs + nots:
				(nots if neg else globs).append(x)
	if not globs:
		raise RuleError("%s: no positive glob in %r" % (where, w[1]))
	rule = Rule(kernels=kernels, globs=globs, nots=nots, atoms=[], mechs=[], whole=False,
		    steps=None, verdicts=w[2], text=w[3], where=where)
	if ">" in re.sub(r'"[^"]*"', "", w[2]) or transitions:
		if not transitions:
			raise RuleError("%s: a transition (%s) belongs in the explanations file" % (where, w[2]))
		if ">" not in w[2]:
			raise RuleError("%s: a plain rule in the explanations file: want FROM>TO" % where)
		rule.steps = [_step(s, where) for s in w[2].split(">")]
		return rule
	for a in _atoms(_split(w[2], ","), sets, where):
		what, val = _atom(a, where)
		if what == "atom":
			rule.atoms.append(val)
		elif what == "mech":
			rule.mechs.append(val)
		else:
			rule.whole = True
	return rule


def _atoms(items, sets, where, depth=0):
	"""VERDICTS items with @NAME replaced by the items of set NAME."""
	for a in items:
		if not a.startswith("@"):
			yield a
			continue
		if a[1:] not in sets:
			raise RuleError("%s: unknown set %s" % (where, a))
		if depth > 10:
			raise RuleError("%s: sets nest too deep at %s" % (where, a))
		yield from _atoms(sets[a[1:]], sets, where, depth + 1)


def version(s):
	"""(major, minor): the first N.N in a lab label or a kernel release."""
	m = re.search(r"(\d+)\.(\d+)", s)
	return (int(m.group(1)), int(m.group(2))) if m else None


def applies(rule, label):
	"""Does the rule apply to this lab label (6.1, build:6.12@noiommu) or
	running kernel release (6.1.0-57-amd64)?"""
	for k in rule.kernels:
		if k == "*" or k == label:
			return True
		m = KERNEL.match(k)
		v = version(label)
		if m and v:
			want = (int(m.group(2)), int(m.group(3)))
			if {"<": v < want, "<=": v <= want, ">": v > want, ">=": v >= want,
			    "=": v == want}[m.group(1)]:
				return True
	return False


def labels(rules):
	"""The lab labels the rules name literally, older kernel first."""
	out = []
	for r in rules:
		out += [k for k in r.kernels if k != "*" and k[0] not in "<>=" and k not in out]
	return sorted(out, key=lambda k: (version(k) or (0, 0), k))


def for_kernel(rules, label):
	return [r for r in rules if applies(r, label)]


def errname(e):
	"""EOPNOTSUPP, not its alias ENOTSUP (the name the kernel source uses)."""
	e = abs(e)
	return "EOPNOTSUPP" if e == errno.EOPNOTSUPP else errno.errorcode.get(e, str(e))


def shown(r):
	"""pass, fail:stale, refused:EFAULT, skip, ... as a rule names it."""
	v = r["verdict"]
	if v == "fail":
		return "fail:%s" % (r.get("fail_kind") or "?")
	if v == "refused":
		return "refused:%s" % (errname(r["errno"]) if r.get("errno") else "?")
	return v


def allows(atom, r):
	"""Does the plain atom allow the result?"""
	v = r["verdict"]
	if atom[0] != v:
		return False
	if v == "fail":
		return r.get("fail_kind") == atom[1]
	if v == "refused":
		return bool(r.get("errno")) and errname(r["errno"]) == atom[1]
	if v in ("skip", "error"):
		c, b, k = r["name"].split(".", 2) if r["name"].count(".") >= 2 else (r["name"], "", "")
		return bool(_regex(atom[1], c, b, k).search(r.get("reason") or ""))
	return True


def breaks(rule, r, excused=False):
	"""Does r break the rule?  excused: some plain rule covering r allows
	its skip or error (a constraint then has nothing to judge)."""
	if rule.atoms and not any(allows(a, r) for a in rule.atoms):
		return True
	if not rule.mechs and not rule.whole:
		return False
	v = r["verdict"]
	if v in READS:
		if rule.whole and not (r.get("compared_bytes") and
				       r.get("compared_bytes") == r.get("buffer_bytes")):
			return True
		return bool(rule.mechs) and r.get("mechanism") not in rule.mechs
	return v in ("skip", "error") and not excused


def describe(r):
	why = r.get("reason") or ""
	return "%s: %s (mechanism %s, compared %s of %s bytes)%s" % (
		r["name"], shown(r), r.get("mechanism"), r.get("compared_bytes"),
		r.get("buffer_bytes"), ": " + why if why else "")


_MEMO = {}	# rule ids -> (the rules, kept alive; {name: (matching rules, glob hits)})


def _seen(rules):
	"""Per test name: the rules matching it and the (rule, glob) pairs it
	makes non-empty, computed once per rule set (the mutation test judges
	thousands of reports of the same names)."""
	key = tuple(map(id, rules))
	if key not in _MEMO:
		_MEMO[key] = (tuple(rules), {})
	return _MEMO[key][1]


def _hits(rules, name):
	hit = [x for x in rules if x.matches(name)]
	globs = frozenset((i, g) for i, x in enumerate(rules) if x in hit
			  for g in x.globs if fnmatch.fnmatchcase(name, g))
	return hit, [x for x in hit if x.atoms], globs


def judge(rules, results, plan=None):
	"""Findings of the rules that apply to one kernel over its results
	(meaning 1-3 of docs/rules.md; 4 when plan, the test names of the run,
	is given); [] when everything holds."""
	found = []
	seen = _seen(rules)
	nonempty = set()
	for r in results:
		name = r["name"]
		if name not in seen:
			seen[name] = _hits(rules, name)
		hit, cover, globs = seen[name]
		nonempty |= globs
		if not cover:
			found.append(Finding(None, "unexpected", "unexpected test: %s %s" % (
				name, shown(r)), name))
		excused = r["verdict"] in ("skip", "error") and any(
			allows(a, r) for x in cover for a in x.atoms)
		for rule in hit:
			if breaks(rule, r, excused):
				found.append(Finding(rule, "violates", "%s, expected %s" % (
					describe(r), rule.verdicts), name))
	# Each glob names tests that must exist (not left out by the rule's
	# !globs): a consumer whose results vanished must not hide behind the
	# rule's other globs.
	for i, rule in enumerate(rules):
		for g in rule.globs:
			if (i, g) not in nonempty:
				found.append(Finding(rule, "empty", "matched no result: %s" % g))
	names = [r["name"] for r in results]
	if plan is not None:
		want, got = set(plan), collections.Counter(names)
		found += [Finding(None, "missing", "planned, no result: %s" % n, n)
			  for n in plan if n not in got]
		found += [Finding(None, "added", "not in the plan: %s" % n, n)
			  for n in got if n not in want]
		found += [Finding(None, "duplicated", "%d results: %s" % (c, n), n)
			  for n, c in got.items() if c > 1]
	return found


def check_run(doc, run_id, build=None):
	"""Meaning 5: None when doc (a JSON document: results, memlock, LAVA)
	carries the run id the checker gave its run (and, with build, was
	written by the cowpin of that ELF build id), else why it is rejected.
	The one test of it is scripts/lablib/runid.py's, which scripts/lab
	applies to the guests' documents too."""
	from lablib import runid	# scripts/: only the checkers that judge run ids need it
	return runid.stale(doc, run_id, build)


def explain(rules, name, change, labels=None):
	"""The first transition rule whose steps match the row's change
	(pass/…>fail:stale, …) step by step and whose tests match the name,
	among those applying to every kernel of the row; else None."""
	steps = change.split(">")
	for rule in rules:
		if labels and not all(applies(rule, k) for k in labels):
			continue
		if len(rule.steps) == len(steps) and rule.matches(name) and all(
				fnmatch.fnmatchcase(s, p) for s, p in zip(steps, rule.steps)):
			return rule
	return None


def plan(cowpin, consumers=(), backings=(), cases=()):
	"""The test names `COWPIN list` prints for this selection (first token
	of each line: unavailable tests are listed with their SKIP reason)."""
	cmd = [cowpin, "list"]
	for opt, vals in (("--consumer", consumers), ("--backing", backings), ("--case", cases)):
		for v in vals:
			cmd += [opt, v]
	out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True, timeout=60).stdout
	return [l.split()[0] for l in out.splitlines() if l.strip()]
