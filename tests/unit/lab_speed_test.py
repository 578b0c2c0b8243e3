#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `unit`: what the faster lab (issue 18) must not lose.

- `scripts/lab --bench` fails when a run's verdicts differ from the first
  run's: identical committed reports pass, one verdict (or mechanism) changed
  in the second run is named; its phase table gives min/median/max.
- the guest-clock check: a guest whose clock ran 4.42x host time over the
  tests (seen in a lab run on a loaded host) is flagged in the Timings, one
  within the tolerance is not, and too short a phase gives no figure.
- guest-suite.sh's show(), which now filters the set-up scripts' output with
  shell builtins instead of grep: a well-formed COWPIN_X=value line from
  stdout is exported, a value with a blank, a bad name, or the same line on
  stderr is not (a set-up script must not inject code).
TAP on stdout.
"""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from lablib import bench, report  # noqa: E402
from tap import Tap  # noqa: E402

DATA = os.path.join(ROOT, "tests", "unit", "lab-report")
GUEST_SUITE = os.path.join(ROOT, "scripts", "lablib", "guest-suite.sh")
T = Tap(plan=9)
line = T.ok


def run_dir(tmp, name, docs):
	d = os.path.join(tmp, name)
	os.makedirs(d)
	for k, doc in docs.items():
		with open(os.path.join(d, k + ".json"), "w") as f:
			json.dump(doc, f)
	with open(os.path.join(d, "lab.json"), "w") as f:	# never read as a kernel
		json.dump({"kernels": []}, f)
	return d


def bench_checks(tmp):
	docs = {}
	for k in ("6.1", "6.12"):
		with open(os.path.join(DATA, k + ".json")) as f:
			docs[k] = json.load(f)
	first = bench.verdicts(run_dir(tmp, "run1", docs))
	same = bench.differences(first, bench.verdicts(run_dir(tmp, "run2", docs)))
	line(not same and len(first["6.1"]) > 100, "identical runs: no difference (%d tests on 6.1)"
	     % len(first["6.1"]), same[:3])
	for field, value in (("verdict", "fail"), ("mechanism", "no-cow-break")):
		mut = copy.deepcopy(docs)
		r = next(r for r in mut["6.12"]["results"] if r["verdict"] == "pass" and r.get("mechanism"))
		r[field] = value
		diff = bench.differences(first, bench.verdicts(run_dir(tmp, "mut-" + field, mut)))
		line(len(diff) == 1 and r["name"] in diff[0],
		     "a changed %s in run 2 is named: %s" % (field, r["name"]), diff[:3])
	runs = [{"total_s": t, "kernels": [{"label": "6.1", "t": {"wall": w, "setup_up": 5.0, "setup_down": 5.0}}]}
		for t, w in ((90.0, 80.0), (100.0, 100.0), (120.0, 100.0))]
	tab = bench.table(runs)
	wall = next(l for l in tab if l.startswith("| guest total"))
	share = next(l for l in tab if l.startswith("| set-up share"))
	total = next(l for l in tab if "total wall" in l)
	line("80.0 / 100.0 / 100.0" in wall and "10.0 / 10.0 / 12.5" in share and "90.0 / 100.0 / 120.0" in total,
	     "bench table: min / median / max of a phase, the set-up share and the total", tab)


def show_checks(tmp):
	out = os.path.join(tmp, "setup.out")
	err = os.path.join(tmp, "setup.err")
	with open(out, "w") as f:
		f.write("COWPIN_GOOD=/dev/video0\nCOWPIN_BLANK=a b\nCOWPIN_BAD-NAME=1\n"
			"COWPIN_SEMI=x;touch\nnoise line\n")
	with open(err, "w") as f:
		f.write("COWPIN_FROM_STDERR=1\n")
	with open(GUEST_SUITE) as f:
		src = f.read()
	start = src.index("show() {")
	func = src[start:src.index("\n}\n", start) + 3]
	script = func + ('show t up "$1"\nshow t up "$2" export\n'
			 'echo "GOOD=${COWPIN_GOOD:-} BLANK=${COWPIN_BLANK:-} SEMI=${COWPIN_SEMI:-} '
			 'STDERR=${COWPIN_FROM_STDERR:-}"\n')
	r = subprocess.run(["sh", "-c", script, "sh", err, out], capture_output=True, text=True)
	last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
	line(r.returncode == 0 and last == "GOOD=/dev/video0 BLANK= SEMI=x;touch STDERR=",
	     "show(): exports only well-formed stdout assignments", [last, r.stderr.strip()])
	line("# t up: noise line" in r.stdout and "# t up: COWPIN_BLANK=a b" in r.stdout,
	     "show(): every line still reaches the log as a diagnostic", r.stdout.splitlines()[:6])


def clock_checks():
	host = {"tests": 13.1, "tests-done": 35.4}	# 22.3 s on the host
	fast = {"tests": 35.99, "tests-done": 134.69}	# 98.7 s in the guest: /tmp/wt19-a2, 6.1
	ok = {"tests": 13.0, "tests-done": 35.9}
	c_fast, c_ok = report.guest_clock(host, fast), report.guest_clock(host, ok)
	line(c_fast is not None and abs(c_fast - 4.42) < 0.01 and abs(c_ok - 1.03) < 0.01,
	     "guest_clock: guest uptime over host seconds across the tests", ["%r %r" % (c_fast, c_ok)])
	line(report.guest_clock({"tests": 1.0, "tests-done": 4.0}, ok) is None and
	     report.guest_clock(host, {"tests": 1.0}) is None,
	     "guest_clock: no figure from a phase under 10 s or a missing event")
	runs = [{"label": "6.1", "t": {"guest_clock": c_fast, "wall": 90.0}},
		{"label": "6.12", "t": {"guest_clock": c_ok, "wall": 90.0}}]
	text = "\n".join(report.timings(runs, 90.0))
	line("6.1: the guest's clock ran 4.43× host time" in text and "6.12: the guest" not in text
	     and "| 1.03× |" in text,
	     "Timings flag the fast guest clock only", text.splitlines()[-3:])


def main():
	tmp = tempfile.mkdtemp(prefix="cowpin-lab-speed-")
	try:
		bench_checks(tmp)
		clock_checks()
		show_checks(tmp)
	finally:
		shutil.rmtree(tmp, ignore_errors=True)
	return T.done()


if __name__ == "__main__":
	sys.exit(main())
