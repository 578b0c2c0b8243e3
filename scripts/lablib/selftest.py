# SPDX-License-Identifier: GPL-2.0-only
"""The kernel's own selftest as an independent judge of cowpin's gup-test.

scripts/build-cow-selftest builds tools/testing/selftests/mm/cow.c from
Debian's linux-source-6.12, unmodified, on the host (cached); the guest runs
it after cowpin while gup_test (the kernel's or cowpin's module) is still up
(guest-suite.sh, LAB_SELFTEST), and this module turns its KTAP into the
per-kernel JSON's `selftest` array and the report's "The seed's table".
"""
import os
import re
import subprocess
import sys

from . import util

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(os.path.dirname(HERE), "build-cow-selftest")
# Bounds cow.c in the guest: it took 7-59 s under TCG (docs/performance.md); a hang must not
# hold the lab (guest-suite.sh kills it and the run is recorded).
TIMEOUT_S = 600
# The seed ("mm/gup: reliable R/O long-term pinning in COW mappings") ends
# with these twelve kselftest lines, in this order.
_BACKINGS = [("shared zeropage", "zeropage"), ("memfd", "memfd"),
	     ("tmpfile", "tmpfile"), ("huge zeropage", "huge-zeropage"),
	     ("memfd hugetlb (2048 kB)", "hugetlb-2M"),
	     ("memfd hugetlb (1048576 kB)", "hugetlb-1G")]
_PINS = [("R/O longterm GUP pin", "gup-test"), ("R/O longterm GUP-fast pin", "gup-test-fast")]
SEED = ["%s ... with %s" % (p, b) for p, _ in _PINS for b, _ in _BACKINGS]
# cowpin's test for a cow.c heading: same pin (GUP or GUP-fast), same backing.
_MATCH = {"%s ... with %s" % (p, b): "%s.%s.ro-pin-reliable" % (c, cb)
	  for p, c in _PINS for b, cb in _BACKINGS}
# Every do_test_ro_pin() caller: the anon ones ("R/O GUP pin on R/O-mapped
# exclusive page ...") and the non-anon ones above.
_RO_PIN = re.compile(r"^R/O (longterm )?GUP(-fast)? pin")
_RUN = re.compile(r"^# \[RUN\] (.*)$")
_RESULT = re.compile(r"^(ok|not ok) ([0-9]+)\s*(.*)$")
DESC = "Longterm R/O pin is reliable"


def match(name):
	"""cowpin's test for a seed line (None for any other heading)."""
	return _MATCH.get(name)


def build():
	"""Path of the cached cow binary (built now if needed); raises LabError."""
	r = subprocess.run([TOOL], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			   text=True, timeout=1800)
	sys.stderr.write(r.stderr)
	lines = r.stdout.strip().splitlines()
	if r.returncode or not lines or not lines[-1].startswith("COW="):
		why = (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]
		raise util.LabError("scripts/build-cow-selftest failed: %s" % why)
	return lines[-1].split("=", 1)[1]


def source(cow):
	"""'linux-source-6.12 VERSION tools/.../cow.c' from the build's build-info."""
	try:
		with open(os.path.join(os.path.dirname(cow), "build-info")) as f:
			m = re.search(r"source=(\S+ \S+)", f.read())
	except OSError:
		m = None
	return "%s tools/testing/selftests/mm/cow.c" % (m.group(1) if m else "?")


def parse(text, src):
	"""Every R/O pin result of cow.c's KTAP with its [RUN] heading: the
	"Longterm R/O pin is reliable" lines, and the skips and failures the
	same tests gave instead (gup_test absent, no free hugepages, ...)."""
	out, heading = [], None
	for line in text.splitlines():
		m = _RUN.match(line)
		if m:
			heading = m.group(1).strip()
			continue
		m = _RESULT.match(line)
		if not m or heading is None:
			continue
		desc = m.group(3)
		if desc != DESC and not _RO_PIN.match(heading):
			continue
		skip = re.match(r"^# SKIP\s*(.*)$", desc)
		result = "skip" if skip else m.group(1)
		out.append({"source": src, "name": heading, "number": int(m.group(2)),
			    "result": result, "reason": skip.group(1) if skip else desc,
			    "cowpin": [match(heading)] if match(heading) else []})
		heading = None	# one result per heading
	return out


def attach(doc, share, src, secs):
	"""Put the guest's cow.c run (share/selftest.ktap, .rc) into doc."""
	run = {"source": src, "seconds": secs, "timeout_s": TIMEOUT_S}
	try:
		with open(os.path.join(share, "selftest.ktap"), errors="replace") as f:
			text = f.read()
		with open(os.path.join(share, "selftest.rc")) as f:
			run["exit"] = int(f.read().strip() or -1)
	except (OSError, ValueError) as e:
		run["error"] = "cow.c left no KTAP in the guest: %s" % e
		text = ""
	if run.get("exit") in (124, 137):
		run["error"] = "cow.c killed after %d s (timeout)" % TIMEOUT_S
	elif run.get("exit") not in (None, 0, 1, 4):	# kselftest: pass, fail, skip
		run["error"] = "cow.c exited %s (not a kselftest status)" % run["exit"]
	doc["selftest"] = parse(text, src)
	doc["selftest_run"] = run


def _cowpin(run, name):
	doc = run.get("json") or {}
	r = next((r for r in doc.get("results", []) if r.get("name") == name), None)
	return r.get("verdict", "?") if r else "—"


def table(runs):
	"""The seed's twelve lines, cow.c's result and cowpin's verdict per kernel."""
	runs = [r for r in runs if r.get("json")]
	head = "| seed line | " + " | ".join(
		"%s cow.c | %s cowpin" % (r["label"], r["label"]) for r in runs) + " |"
	out = [head, "|---" * (1 + 2 * len(runs)) + "|"]
	for name in SEED:
		cells = []
		for r in runs:
			st = {e["name"]: e for e in r["json"].get("selftest", [])}
			e = st.get(name)
			cells.append(("%s (%s)" % (e["result"], e["reason"]) if e and e["result"] == "skip"
				      else e["result"] if e else "—"))
			cells.append("%s `%s`" % (_cowpin(r, _MATCH[name]), _MATCH[name]))
		out.append("| %s | %s |" % (name, " | ".join(cells)))
	out.append("")
	for r in runs:
		sr = r["json"].get("selftest_run")
		if not sr:
			out.append("- **%s**: cow.c not run (`scripts/lab --no-selftest`, or gup-test not selected)" % r["label"])
			continue
		out.append("- **%s**: %s, %s s in the guest, exit %s%s" % (
			r["label"], sr.get("source", "cow.c"), "?" if sr.get("seconds") is None else "%.1f" % sr["seconds"],
			sr.get("exit", "?"), "; **%s**" % sr["error"] if sr.get("error") else ""))
	return out
