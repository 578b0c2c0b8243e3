#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `lab-built`: build (or reuse) the 6.12 kernel from Debian's source,
run scripts/lab on it, and hold its results to tests/lab-built/expect.

usage: run.py EXPECT REPORT_DIR --build-kernel SCRIPT --lab SCRIPT [--cowpin BIN]
       run.py EXPECT REPORT_DIR            (check an existing report only)

TAP on stdout: the kernel build, the lab run, then one line per assertion
(check.py).  The lab's own output goes to stderr (meson's log).
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import check  # noqa: E402

SERIES = "6.12"
LABEL = "build_" + SERIES	# scripts/lab's file name for --kernel build:6.12


def build_info(image):
	info = {}
	try:
		with open(os.path.join(os.path.dirname(image), "build-info")) as f:
			for line in f:
				for w in line.split():
					if "=" in w:
						k, v = w.split("=", 1)
						info[k] = v
	except OSError:
		pass
	return info


def build(tap, tool):
	t0 = time.monotonic()
	r = subprocess.run([tool, SERIES], stdout=subprocess.PIPE, text=True)
	secs = time.monotonic() - t0
	last = r.stdout.strip().splitlines()[-1:] or [""]
	if r.returncode or not last[0].startswith("KERNEL="):
		tap.line(False, "build the %s kernel from Debian's linux-source-%s" % (SERIES, SERIES),
			 ["scripts/build-kernel %s exited %d; its messages are in the log" % (SERIES, r.returncode)])
		return False
	image = last[0].split("=", 1)[1]
	info = build_info(image)
	how = "reused from the cache" if secs < 60 else "built"
	tap.line(True, "%s kernel from Debian's linux-source-%s %s in %.0f s" % (SERIES, SERIES, how, secs),
		 ["%s: first build took %s s wall, %s s CPU (-j%s); %s" % (
			 image, info.get("build_seconds", "?"), info.get("cpu_seconds", "?"),
			 info.get("jobs", "?"), info.get("source", "?"))])
	return True


def run_lab(tap, lab, report, cowpin, consumers):
	cmd = [lab, "--kernel", "build:" + SERIES, "--report", report, "--hugetlb-1g"]
	if cowpin:
		cmd += ["--cowpin", cowpin]
	for c in consumers:
		cmd += ["--consumer", c]
	t0 = time.monotonic()
	rc = subprocess.run(cmd, stdout=sys.stderr).returncode
	tap.line(rc == 0, "scripts/lab on build:%s ran (%.0f s)" % (SERIES, time.monotonic() - t0),
		 ["%s exited %d; report: %s/report.md" % (" ".join(cmd), rc, report)])


def load(report):
	"""Every result of the built kernel's runs (one JSON per boot mode)."""
	results, files = [], sorted(glob.glob(os.path.join(report, LABEL + "*.json")))
	for path in files:
		with open(path) as f:
			results += list(check.results_in(json.load(f)))
	return files, results


def main():
	p = argparse.ArgumentParser()
	p.add_argument("expect")
	p.add_argument("report")
	p.add_argument("--build-kernel")
	p.add_argument("--lab")
	p.add_argument("--cowpin")
	a = p.parse_args()
	sets, rules = check.parse_expect(a.expect)
	tap = check.Tap(1)
	if a.build_kernel and not build(tap, a.build_kernel):
		print("1..%d" % tap.n)
		return 1
	if a.lab:
		consumers = sorted({r[0] for kind, r, _ in rules if kind == "assert"})
		run_lab(tap, a.lab, os.path.abspath(a.report), a.cowpin, consumers)
	files, results = load(a.report)
	tap.line(bool(results), "results of the built kernel: %d in %s" % (
		len(results), ", ".join(os.path.basename(f) for f in files) or "no %s*.json" % LABEL))
	for kind, rule, _ in rules:
		if kind == "cross-check":
			check.check_cross(tap, rule, results)
		else:
			check.check_assert(tap, rule, sets, results)
	print("1..%d" % tap.n)
	return 1 if tap.failed else 0


if __name__ == "__main__":
	sys.exit(main())
