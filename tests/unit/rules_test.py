#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `unit`: tests/lib/rules.py (docs/rules.md) rejects what the
language forbids and each of its checks can fail.

Parse errors: bare fail / refused / skip / error, an unknown fail kind or
errno name, a transition in an expectations file, a plain rule in the
explanations file, an unknown set — each raised with FILE:LINE.  Judge:
fail:kernel-log under a fail:stale rule, a wrong errno, a skip whose reason
does not match (or names another backing through $backing), an empty glob,
an unexpected test, a mechanism constraint on an unexcused skip, plan
entries missing, added and twice, a document of another run; and the
unmutated cases pass.  TAP.
"""
import os
import shutil
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import rules  # noqa: E402
from tap import Tap  # noqa: E402

T = Tap()
TMP = tempfile.mkdtemp(prefix="cowpin-rules-test.")


def write(text, name="expectations"):
	path = os.path.join(TMP, name)
	with open(path, "w") as f:
		f.write(text)
	return path


def parse_error(what, text, want, transitions=False):
	"""The parser must refuse text, naming FILE:LINE (line 2: after a comment)."""
	path = write("# a comment\n" + text + "\n", "explanations.txt" if transitions else "expectations")
	try:
		rules.parse(path, transitions)
	except rules.RuleError as e:
		msg = str(e)
		T.ok(msg.startswith(path + ":2:") and want in msg, "parse error: %s" % what, msg)
		return
	T.ok(False, "parse error: %s" % what, "parsed without error: %s" % text)


def R(name, verdict="pass", **kw):
	r = dict(name=name, verdict=verdict, reason=kw.pop("reason", "r"))
	r.update(kw)
	return r


def judged(what, text, results, label="6.1", plan=None, kinds=()):
	"""judge() of text's rules over results: the finding kinds expected
	(none: the case must pass)."""
	rs = rules.for_kernel(rules.parse(write(text)), label)
	found = rules.judge(rs, results, plan)
	got = sorted({f.kind for f in found})
	T.ok(got == sorted(set(kinds)), "%s: %s" % (what, "finds " + ", ".join(kinds) if kinds else "holds"),
	     ["%s %s: %s" % (f.kind, f.rule.where if f.rule else "-", f.text) for f in found] or ["no finding"])
	return found


def main():
	# --- the parser refuses what docs/rules.md forbids
	parse_error("bare fail", "6.1  a.b.c  fail  text", "bare `fail`")
	parse_error("bare refused", "6.1  a.b.c  refused  text", "bare `refused`")
	parse_error("bare skip", "6.1  a.b.c  skip  text", "bare `skip`")
	parse_error("bare error", "6.1  a.b.c  error  text", "bare `error`")
	parse_error("skip with an unquoted reason", "6.1  a.b.c  skip:absent  text", "bare `skip`")
	parse_error("unknown fail kind", "6.1  a.b.c  fail:stall  text", "unknown fail kind")
	parse_error("unknown errno name", "6.1  a.b.c  refused:EFAULTY  text", "unknown errno name")
	parse_error("unknown verdict", "6.1  a.b.c  passed  text", "unknown verdict")
	parse_error("transition in an expectations file", "6.1  a.b.c  fail:stale>pass  text", "explanations file")
	parse_error("plain rule in the explanations file", "*  a.b.c  pass  text", "plain rule", transitions=True)
	parse_error("bare fail in a transition", "*  a.b.c  fail>pass  text", "bare `fail`", transitions=True)
	parse_error("unknown set", "6.1  a.@nosuch.c  pass  text", "unknown set")
	parse_error("bad version condition", "<6  a.b.c  pass  text", "bad version condition")
	parse_error("bad regex", '6.1  a.b.c  skip:"(unclosed"  text', "bad regex")
	parse_error("missing TEXT", "6.1  a.b.c  pass", "want KERNELS TESTS VERDICTS TEXT")

	# --- what parses: sets, braces, quoted reasons with blanks and commas
	path = write('set b  x,y\nset absent  skip:"^no dev, (none here)",skip:"^gone"\n'
		     '6.1,>=6.2  c{,-n}.@b.k,!c.y.*  pass,@absent  text with blanks\n')
	r = rules.parse(path)[0]
	T.ok(r.globs == ["c.x.k", "c.y.k", "c-n.x.k", "c-n.y.k"] and r.nots == ["c.y.*"]
	     and [a[0] for a in r.atoms] == ["pass", "skip", "skip"] and r.text == "text with blanks"
	     and r.where == path + ":3",
	     "{a,b} and @set expand; a quoted reason keeps its blanks and commas",
	     "%s %s %s %r" % (r.globs, r.nots, r.atoms, r.text))
	T.ok(rules.applies(r, "6.1") and rules.applies(r, "build:6.12") and
	     rules.applies(r, "6.18.44-fc") and rules.applies(r, "6.12") and
	     not rules.applies(r, "6.0") and not rules.applies(r, "build:6.1"), "kernel selectors: a label exactly, a version condition on N.N")

	# --- judge: meaning 1, every rule holds for every result it matches
	stale = '6.1  v.m.rel  fail:stale  stale on 6.1\n'
	judged("fail:stale under fail:stale", stale, [R("v.m.rel", "fail", fail_kind="stale")])
	judged("fail:kernel-log under a fail:stale rule", stale,
	       [R("v.m.rel", "fail", fail_kind="kernel-log")], kinds=["violates"])
	judged("a fail without its kind under a fail:stale rule", stale,
	       [R("v.m.rel", "fail")], kinds=["violates"])
	efault = '6.1  r.f.reg  refused:EFAULT  EFAULT on 6.1\n'
	judged("refused:EFAULT", efault, [R("r.f.reg", "refused", errno=14)])
	judged("a wrong errno (ENOMEM for EFAULT)", efault, [R("r.f.reg", "refused", errno=12)],
	       kinds=["violates"])
	judged("EOPNOTSUPP is named so, not ENOTSUP", '6.1  u.t.x  refused:EOPNOTSUPP  t\n',
	       [R("u.t.x", "refused", errno=95)])
	absent = '6.1  s.*  skip:"^siw not built"  siw absent\n'
	judged("a skip with its reason", absent, [R("s.m.x", "skip", reason="siw not built in this kernel")])
	judged("a skip whose reason does not match", absent,
	       [R("s.m.x", "skip", reason="ibv_open_device failed: EIO")], kinds=["violates"])
	judged("a pass where a skip is expected", absent, [R("s.m.x")], kinds=["violates"])
	own = '6.1  c.*  pass,skip:"^backing $backing unavailable"  t\n'
	judged("$backing: the test's own backing absent", own,
	       [R("c.hugetlb-1G.x", "skip", reason="backing hugetlb-1G unavailable: no pool")])
	judged("$backing: another backing's absence borrowed", own,
	       [R("c.zeropage.x", "skip", reason="backing hugetlb-1G unavailable: no pool")],
	       kinds=["violates"])
	judged("an error no rule allows", '6.1  c.*  pass  t\n', [R("c.m.x", "error")], kinds=["violates"])
	judged("hazard is not pass", '6.1  n.*  pass  t\n', [R("n.m.x", "hazard")], kinds=["violates"])
	mech = '6.1  c.*  pass,skip:"^absent"  t\n6.1  c.*  mech:unshare-at-pin  t\n'
	judged("mech: the right mechanism", mech, [R("c.m.x", mechanism="unshare-at-pin")])
	judged("mech: another mechanism", mech, [R("c.m.x", mechanism="no-cow-break")], kinds=["violates"])
	judged("mech: a skip another rule allows is excused", mech, [R("c.m.x", "skip", reason="absent here")])
	judged("mech: a skip no rule allows is not excused", mech,
	       [R("c.m.x", "skip", reason="broken")], kinds=["violates"])
	whole = '6.1  c.*  pass  t\n6.1  c.*  compared:all  t\n'
	judged("compared:all: every byte", whole, [R("c.m.x", compared_bytes=8, buffer_bytes=8)])
	judged("compared:all: the spans only", whole, [R("c.m.x", compared_bytes=4, buffer_bytes=8)],
	       kinds=["violates"])

	# --- meaning 2 and 3: empty globs, unexpected tests
	two = '6.1  a.*,b.*  pass  t\n'
	judged("both globs match", two, [R("a.m.x"), R("b.m.x")])
	judged("a glob that matches nothing", two, [R("a.m.x")], kinds=["empty"])
	judged("a {a,b} alternative that matches nothing", '6.1  {a,b}.m.x  pass  t\n', [R("a.m.x")],
	       kinds=["empty"])
	judged("a result no plain rule covers", '6.1  a.*  pass  t\n6.1  *  mech:no-cow-needed  t\n',
	       [R("a.m.x", mechanism="no-cow-needed"), R("z.m.x", mechanism="no-cow-needed")],
	       kinds=["unexpected"])
	judged("a rule for another kernel does not apply", '6.12  a.*  fail:stale  t\n6.1  a.*  pass  t\n',
	       [R("a.m.x")])

	# --- meaning 4: the results are exactly the plan
	every = '6.1  *  pass  t\n'
	plan = ["a.m.x", "a.m.y"]
	judged("the plan, exactly", every, [R("a.m.x"), R("a.m.y")], plan=plan)
	judged("a planned test missing", every, [R("a.m.x")], plan=plan, kinds=["missing"])
	judged("a test not in the plan", every, [R("a.m.x"), R("a.m.y"), R("a.m.z")], plan=plan,
	       kinds=["added"])
	judged("a test twice", every, [R("a.m.x"), R("a.m.y"), R("a.m.y")], plan=plan, kinds=["duplicated"])

	# --- meaning 5: only this run's documents
	T.ok(rules.check_run({"run_id": "r1", "results": []}, "r1") is None and
	     rules.check_run({"run_id": "r0", "results": []}, "r1") and
	     rules.check_run({"results": []}, "r1") and rules.check_run(None, "r1"),
	     "check_run: this run's id passes; another run's, none, no document are rejected")

	# --- transitions (the A/B explanations)
	tr = rules.parse(write('*  v.*.rel  fail:stale>pass  fixed\n*  v.*  pass/no-cow-break>pass/unshare-at-pin  m\n'
			       '*  v.*  refused:E*>pass  r\n', "explanations.txt"), transitions=True)
	T.ok(rules.explain(tr, "v.m.rel", "fail:stale>pass") is tr[0], "a transition explains its row")
	T.ok(rules.explain(tr, "v.m.rel", "fail:kernel-log>pass") is None,
	     "fail:kernel-log>pass is not fail:stale>pass")
	T.ok(rules.explain(tr, "v.m.x", "pass/no-cow-break>pass/unshare-at-pin") is tr[1] and
	     rules.explain(tr, "v.m.reg", "refused:EFAULT>pass") is tr[2] and
	     rules.explain(tr, "w.m.reg", "refused:EFAULT>pass") is None,
	     "mechanism steps, errno patterns, the tests narrow")

	# --- the committed rules files parse
	for path, tr in (("tests/lab/expectations", False), ("tests/lab-built/expect", False),
			 ("tests/host/expectations", False), ("scripts/lablib/explanations.txt", True)):
		try:
			n = len(rules.parse(os.path.join(ROOT, path), tr))
			T.ok(n > 0, "%s parses (%d rules)" % (path, n))
		except rules.RuleError as e:
			T.ok(False, "%s parses" % path, str(e))
	return T.done()


if __name__ == "__main__":
	try:
		sys.exit(main())
	finally:
		shutil.rmtree(TMP)
