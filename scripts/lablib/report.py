# SPDX-License-Identifier: GPL-2.0-only
"""The lab's A/B report: verdicts per test name, one column per kernel."""
import os
import sys

from . import selftest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))
import rules as rulelang  # noqa: E402	(docs/rules.md)


def explanations(path=os.path.join(HERE, "explanations.txt")):
	"""The transition rules of explanations.txt (docs/rules.md)."""
	return rulelang.parse(path, transitions=True)


errname = rulelang.errname


def verdict(r):
	"""Short verdict text: pass, fail, refused EFAULT, ..."""
	v = r.get("verdict", "?")
	e = r.get("errno") or 0
	if v == "refused" and e:
		v += " " + errname(e)
	return v


def key(r):
	"""A verdict as a rule names it: pass, fail:stale, refused:EFAULT, ..."""
	return rulelang.shown(r)


def mechanism(r):
	m = r.get("mechanism") if r else None
	if m and m != "unknown" and r.get("verdict") not in ("skip", "error"):
		return m
	return None


def cell(r):
	if r is None:
		return "—"
	m = mechanism(r)
	return "%s (%s)" % (verdict(r), m) if m else verdict(r)


def _by_name(run):
	doc = run.get("json") or {}
	return {r["name"]: r for r in doc.get("results", [])}


def ab_rows(runs):
	"""[(name, [result or None per run], mark)] in first-seen order; mark is
	"≠" (verdicts differ), "~" (same verdict, different COW mechanism)."""
	maps = [_by_name(r) for r in runs]
	names = []
	for m in maps:
		names += [n for n in m if n not in names]
	rows = []
	for n in names:
		rs = [m.get(n) for m in maps]
		# A test a kernel did not run (absent) is no difference.
		vs = {key(r) for r in rs if r}	# fail:stale vs fail:kernel-log differ too
		ms = {mechanism(r) for r in rs if r}
		mark = "≠" if len(vs) > 1 else "~" if len(ms) > 1 else ""
		rows.append((n, rs, mark))
	return rows


def all_skipped(rs):
	return all(r is None or r.get("verdict") == "skip" for r in rs)


def _secs(s):
	return "—" if s is None else "%.1f s" % s


def _fetched(r):
	"""Download time of a Debian kernel; build time of a built one: this
	run's, or the first build's when this run found it in the cache."""
	b = r.get("build")
	if b:
		first = "first build %s s wall, %s s CPU, -j%s" % (
			b.get("build_seconds", "?"), b.get("cpu_seconds", "?"), b.get("jobs", "?"))
		if b.get("built_now"):
			return "built: %s" % first
		return "cached (%s)" % first
	t = r["t"]
	return _secs(t.get("download")) if t.get("download") else "cached"


def setup_share(t):
	"""Set-up (every setup-* script, up and down) as a fraction of the
	guest's wall time, or None."""
	if t.get("setup_up") is None or not t.get("wall"):
		return None
	return (t["setup_up"] + t.get("setup_down", 0)) / t["wall"]


# How far the guest's clock may stray from the host's before its figures
# (duration_ms, in-guest bounds) are flagged: the host stamps events when it
# polls for them, a fraction of a second late.
GUEST_CLOCK_TOLERANCE = 0.10


def guest_clock(host, uptime):
	"""The guest's clock rate in host seconds over the tests phase (guest
	uptime vs the host's time of the same events), or None when too short
	to tell."""
	a, b = "tests", "tests-done"
	if not all(k in d for k in (a, b) for d in (host, uptime)):
		return None
	h = host[b] - host[a]
	return (uptime[b] - uptime[a]) / h if h >= 10 else None


def clock_warnings(runs):
	"""A line per guest whose clock ran off the host's: its per-test
	durations and in-guest bounds are off by that factor."""
	out = []
	for r in runs:
		c = r["t"].get("guest_clock")
		if c is not None and abs(c - 1) > GUEST_CLOCK_TOLERANCE:
			out.append("- **%s: the guest's clock ran %.2f× host time during the tests**: "
				   "its duration_ms figures and in-guest timeouts are off by that "
				   "factor (a TSC calibration the loaded host preempted? see "
				   "`clocksource` in the console log)" % (r["label"], c))
	return out


def timings(runs, total):
	out = ["| kernel | accel | download / build | QEMU start → booted | → first test | "
	       "set-up up / down | tests | cow.c | memlock | Note 2 | guest total | set-up share | "
	       "guest clock |",
	       "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
	for r in runs:
		t = r["t"]
		share = setup_share(t)
		clock = t.get("guest_clock")
		out.append("| %s | %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s | %s | %s |" % (
			r["label"], r.get("accel") or "—", _fetched(r),
			_secs(t.get("booted")), _secs(t.get("tests")),
			_secs(t.get("setup_up")), _secs(t.get("setup_down")),
			_secs(t.get("tests_s")), _secs(t.get("selftest_s")),
			_secs(t.get("memlock_s")), _secs(t.get("note2_s")), _secs(t.get("wall")),
			"—" if share is None else "%.0f %%" % (100 * share),
			"—" if clock is None else "%.2f×" % clock))
	out.append("\nTotal wall time: %.1f s" % total)
	warn = clock_warnings(runs)
	if warn:
		out += [""] + warn
	return out


def slowest_tests(runs, n=5):
	"""The n slowest tests per kernel: where a regression in test time shows."""
	out = []
	for r in runs:
		res = sorted(_by_name(r).values(), key=lambda x: -(x.get("duration_ms") or 0))[:n]
		if res:
			out.append("- %s: %s" % (r["label"], ", ".join(
				"%s %.1f s" % (x["name"], (x.get("duration_ms") or 0) / 1000.0) for x in res)))
	return out


def consumer_times(runs):
	"""Seconds of test time per consumer (sum of duration_ms) per kernel."""
	cons = []
	per = []
	for r in runs:
		d = {}
		for res in _by_name(r).values():
			c = res.get("consumer", "?")
			d[c] = d.get(c, 0) + (res.get("duration_ms") or 0) / 1000.0
			if c not in cons:
				cons.append(c)
		for k, v in r["t"].items():	# setup scripts' up/down time
			if k.startswith("setup:"):
				d[k] = v
				if k not in cons:
					cons.append(k)
		for e in _memlock_entries(r):	# cowpin memlock, per consumer
			k = "memlock:" + e.get("consumer", "?")
			d[k] = d.get(k, 0) + (e.get("duration_ms") or 0) / 1000.0
			if k not in cons:
				cons.append(k)
		per.append(d)
	out = ["| consumer | " + " | ".join(r["label"] for r in runs) + " |",
	       "|---" * (len(runs) + 1) + "|"]
	for c in cons:
		out.append("| %s | %s |" % (c, " | ".join(
			_secs(d.get(c)) for d in per)))
	return out


def _memlock_entries(run):
	import json
	if not run.get("memlock"):
		return []
	try:
		with open(run["memlock"]) as f:
			return json.load(f).get("memlock") or []
	except (OSError, ValueError):
		return []


def summary(run):
	counts = {}
	for r in _by_name(run).values():
		counts[r.get("verdict")] = counts.get(r.get("verdict"), 0) + 1
	return ", ".join("%d %s" % (n, v) for v, n in sorted(counts.items()))


def ab_table(runs):
	"""Rows where some kernel ran the test; the rest in skipped()."""
	labels = [r["label"] for r in runs]
	out = ["| | test | " + " | ".join(labels) + " |",
	       "|---|---" + "|---" * len(labels) + "|"]
	for name, rs, mark in ab_rows(runs):
		if not all_skipped(rs):
			out.append("| %s | %s | %s |" % (mark, name,
							 " | ".join(cell(r) for r in rs)))
	return out


def skipped(runs):
	"""Tests skipped on every kernel, one line per reason."""
	groups = {}
	for name, rs, _ in ab_rows(runs):
		if all_skipped(rs):
			r = next(r for r in rs if r)
			groups.setdefault(r.get("reason", ""), []).append(r)
	out = []
	for why, rs in groups.items():
		if "hugepagesz=1G" in why:
			why += " (`scripts/lab --hugetlb-1g` does; minutes more under TCG)"
		cons = sorted({r.get("consumer", "?") for r in rs})
		bks = sorted({r.get("backing", "?") for r in rs})
		out.append("- %s; %s (%d tests): %s" % (
			", ".join(cons), ", ".join(bks) if len(bks) <= 3 else "%d backings" % len(bks),
			len(rs), why))
	return out or ["- none"]


UNEXPLAINED = "**unexplained**: no line of scripts/lablib/explanations.txt covers this transition"


def transition(rs, mark):
	"""The row's change in column order, repeats merged: "fail>pass",
	"refused:EFAULT>pass"; for a `~` row verdict/mechanism, e.g.
	"pass/forced-write-at-pin>pass/unshare-at-pin".  Absent results
	(a kernel that did not run the test) are no step."""
	steps = []
	for r in rs:
		if r is None:
			continue
		s = key(r) if mark == "≠" else "%s/%s" % (key(r), mechanism(r))
		if not steps or steps[-1] != s:
			steps.append(s)
	return ">".join(steps)


def why(rules, name, change, labels=None):
	"""The text of the first explanation whose transition and tests match,
	else None: chosen by what changed, narrowed by the test's name."""
	rule = rulelang.explain(rules, name, change, labels)
	return rule.text if rule else None


def explained(runs, rules=None):
	"""[(mark, name, rs, transition, text or None)] for every differing row."""
	rules = explanations() if rules is None else rules
	labels = [r["label"] for r in runs]
	out = []
	for name, rs, mark in ab_rows(runs):
		if mark:
			change = transition(rs, mark)
			out.append((mark, name, rs, change, why(rules, name, change, labels)))
	return out


def explain(runs):
	"""One bullet per (change, explanation), naming its tests; a transition
	no explanation covers is listed as unexplained."""
	groups = {}
	for mark, name, rs, change, text in explained(runs):
		if mark == "≠":
			shown = " → ".join("%s %s" % (run["label"], verdict(r) if r else "absent")
					   for run, r in zip(runs, rs))
		else:
			shown = "same verdict, mechanism " + " → ".join(
				"%s %s" % (run["label"], mechanism(r)) for run, r in zip(runs, rs))
		text = text or "%s (`%s`)" % (UNEXPLAINED, change)
		groups.setdefault((mark, shown, text), []).append(name)
	out = []
	for (mark, change, text), names in sorted(groups.items(), key=lambda g: g[0][0] == "~"):
		out.append("- %s **%s**: %s: %s" % (mark, ", ".join(names), change, text))
	return out or ["- no test's verdict differs between the kernels"]


# Why a device consumer's verdict differs from gup_test's on the same
# backing and case: what the page trace saw the consumer's pin do.
CAUSES = {
	"forced-write-at-pin": "it forced a write at registration (FOLL_FORCE|FOLL_WRITE, "
	"or a writable pin): COW was broken before the pin, which gup_test's R/O pin does not do",
	"no-cow-break": "its pin kept the shared page (no COW break) where gup_test's did not",
	"unshare-at-pin": "its R/O pin unshared (FAULT_FLAG_UNSHARE) where gup_test's did not",
	"no-cow-needed": "its pages needed no COW break",
}


def _why(r, ref_r, ref):
	m, rm = mechanism(r), mechanism(ref_r)
	cause = CAUSES.get(m, "no mechanism to explain it: compare the evidence in the JSON")
	return "%s %s (%s) vs %s %s (%s): %s" % (
		r["name"], r["verdict"], m or "?", ref, ref_r["verdict"], rm or "?", cause)


def cross_check(run, ref="gup-test"):
	"""Does every device consumer's verdict agree with the kernel's own
	gup_test on the same backing and case?  One line for the kernel, each
	disagreement with its cause (the consumer's COW mechanism)."""
	results = list(_by_name(run).values())
	refs = {(r["backing"], r["case"]): r for r in results
		if r.get("consumer") == ref and r.get("verdict") in ("pass", "fail")}
	if not refs:
		return "- **%s**: %s gave no verdict here (no gup_test: neither CONFIG_GUP_TEST nor cowpin's module, or not run in this boot): no cross-check" % (
			run["label"], ref)
	agree, differ = 0, []
	for r in results:
		key = (r.get("backing"), r.get("case"))
		if r.get("consumer", "").startswith(ref) or key not in refs or \
		   r.get("verdict") not in ("pass", "fail"):
			continue
		if r["verdict"] == refs[key]["verdict"]:
			agree += 1
		else:
			differ.append(_why(r, refs[key], ref))
	out = "- **%s**: %d verdicts agree with %s; %d disagree" % (
		run["label"], agree, ref, len(differ))
	return "\n".join([out + (":" if differ else "")] + ["  - " + d for d in differ])


def markdown(runs, total, started):
	out = ["# cowpin A/B lab report", "",
	       "Started %s. `≠` marks tests whose verdict differs, `~` tests with "
	       "the same verdict reached by a different COW mechanism (observed at "
	       "pin time, in parentheses). Tests skipped on every kernel are "
	       "listed after the explanations." % started, ""]
	for r in runs:
		line = "- **%s**: %s (`%s`)" % (r["label"], r["origin"], r["kver"])
		if r.get("json"):
			line += ": " + summary(r)
		if r.get("attempts", 1) > 1:
			line += " (guest retried: attempt %d)" % r["attempts"]
		if r.get("error"):
			line += ": **lab error** (see below)"
		elif r.get("rc") not in (None, 0):
			line += "; cowpin exit %s" % r["rc"]
		out.append(line)
	out += ["", "## A/B verdicts", ""] + ab_table(runs)
	out += ["", "## What differs and why", ""] + explain(runs)
	out += ["", "## Cross-check against the kernel's own gup_test", ""]
	out += [cross_check(r) for r in runs if r.get("json")]
	if any((r.get("json") or {}).get("selftest_run") for r in runs):
		out += ["", "## The seed's table", "",
			"The twelve kselftest lines the seed ends with, from the kernel's own "
			"`tools/testing/selftests/mm/cow.c` (unmodified) run in each guest, "
			"beside cowpin's verdict for the same pin and backing.", ""]
		out += selftest.table(runs)
	out += ["", "## Skipped on every kernel", ""] + skipped(runs)
	out += ["", "## Timings", ""] + timings(runs, total)
	out += ["", "### Time per consumer (tests: sum of duration_ms; setup: its script, up + down; memlock: sum of its measurements)", ""]
	out += consumer_times(runs)
	out += ["", "### Slowest tests", ""] + slowest_tests(runs)
	for r in runs:
		if r.get("error"):
			out += ["", "## Lab error on %s" % r["label"], "", "```",
				r["error"], "```"]
	return "\n".join(out) + "\n"
