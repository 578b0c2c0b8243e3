#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `lab-built`: build (or reuse) the 6.12 kernel from Debian's source,
run scripts/lab on it, and hold its results to tests/lab-built/expect.

usage: run.py EXPECT REPORT_DIR --build-kernel SCRIPT --lab SCRIPT [--cowpin BIN]
       run.py EXPECT REPORT_DIR [--run-id ID] [--cowpin BIN]  (an existing report only)

TAP on stdout: the kernel build, the lab run, then one line per rule, per
boot for completeness against `cowpin list`'s plan, and the cross-check
(check.py).  The lab's own output goes to stderr (meson's log).  With
--lab the run gets a new run id (lablib/runid.py); only JSON of that run
(and of the cowpin BIN, by its ELF build id) is judged, any other in the
report directory fails the results line.  Without --lab: of run --run-id,
default the one the report's lab.json names.
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
import check  # noqa: E402
import rules as rulelang  # noqa: E402	(docs/rules.md)
from tap import Tap  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from lablib import runid  # noqa: E402
from lablib.kernels import run_build_kernel  # noqa: E402
from lablib.util import LabError  # noqa: E402

SERIES = "6.12"


# meson's timeout for this test is 2700 s: the build may take at most this
# much of it (a first build took 8 min on 2 idle cores), the lab the rest.
BUILD_BOUND = int(os.environ.get("COWPIN_BUILD_TIMEOUT", "1500"))
TOTAL_BOUND = 2700 - 60
START = time.monotonic()


def build(tap, tool):
	what = "build the %s kernel from Debian's linux-source-%s" % (SERIES, SERIES)
	try:
		image, info = run_build_kernel(tool, SERIES, timeout=BUILD_BOUND)
	except subprocess.TimeoutExpired:
		tap.ok(False, what, ["scripts/build-kernel %s did not finish in %d s (COWPIN_BUILD_TIMEOUT): "
				       "busy machine? its object tree is kept, the next run continues it" % (SERIES, BUILD_BOUND)])
		return False
	except LabError as e:
		tap.ok(False, what, [str(e)])
		return False
	how = "built" if info["built_now"] else "reused from the cache"
	tap.ok(True, "%s kernel from Debian's linux-source-%s %s in %.0f s" % (SERIES, SERIES, how, info["this_run_s"]),
		 ["%s: first build took %s s wall, %s s CPU (-j%s); %s %s" % (
			 image, info.get("build_seconds", "?"), info.get("cpu_seconds", "?"),
			 info.get("jobs", "?"), info.get("source", "?"), info.get("source_version", ""))])
	return True


def run_lab(tap, lab, report, cowpin, consumers, rid):
	# Two boots: the vIOMMU one for everything, and one without it for
	# vfio-noiommu (scripts/lab runs only that consumer there).
	left = int(TOTAL_BOUND - (time.monotonic() - START))
	cmd = [lab, "--kernel", "build:" + SERIES, "--kernel", "build:%s@noiommu" % SERIES,
	       "--report", report, "--timeout", str(max(60, min(1800, left))), "--run-id", rid]
	# No --hugetlb-1g: pinning a private 1 GiB hugetlb page copies all of it,
	# 2-4 minutes per test under TCG; that backing is covered by
	# `scripts/lab --hugetlb-1g`, outside CI's time budget.
	if cowpin:
		cmd += ["--cowpin", cowpin]
	for c in consumers:
		cmd += ["--consumer", c]
	t0 = time.monotonic()
	rc = subprocess.run(cmd, stdout=sys.stderr).returncode
	tap.ok(rc == 0, "scripts/lab on build:%s ran (%.0f s)" % (SERIES, time.monotonic() - t0),
		 ["%s exited %d; report: %s/report.md" % (" ".join(cmd), rc, report)])


def main():
	p = argparse.ArgumentParser()
	p.add_argument("expect")
	p.add_argument("report")
	p.add_argument("--build-kernel")
	p.add_argument("--lab")
	p.add_argument("--cowpin")
	p.add_argument("--run-id")
	a = p.parse_args()
	rid = runid.of_check(a.report, bool(a.lab), a.cowpin or "", os.path.join(HERE, "..", ".."), a.run_id)
	build_id = runid.build_id(a.cowpin) if a.cowpin else None
	rules = rulelang.parse(a.expect)
	tap = Tap()
	if a.build_kernel and not build(tap, a.build_kernel):
		return tap.done()
	if a.lab:
		# vfio-noiommu(-nvme) only runs in the @noiommu boot (the lab picks
		# them there by itself); asked for in the vIOMMU boot they would only
		# SKIP.  The vIOMMU boot runs the expect file's @built.
		run_lab(tap, a.lab, os.path.abspath(a.report), a.cowpin, rules.sets["built"], rid)
	docs, stale = check.check(tap, rules, a.report, a.cowpin, rid, build_id)
	tap.ok(all(v is not None for v in docs.values()) and not stale, "results of the built kernel: %s (run %s)" % (
		", ".join("%s %s" % (check.file_of(k), "%d results" % len(v) if v is not None else "missing")
			  for k, v in docs.items()), rid), stale)
	return tap.done()


if __name__ == "__main__":
	sys.exit(main())
