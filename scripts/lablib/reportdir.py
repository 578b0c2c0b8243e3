# SPDX-License-Identifier: GPL-2.0-only
"""The report directory of one lab run (scripts/lab, scripts/lava-job):
new, or emptied of what an earlier run wrote there before anything boots,
so that no file of that run can stand in for one this run failed to write.

Only the lab's own outputs are removed, and only from a directory that is
a lab report (it has run-id or lab.json); any other non-empty directory is
refused: --report may be mistyped, and nothing of the user's is deleted.
"""
import fnmatch
import os
import shutil

from . import util

MARKERS = ("run-id", "lab.json")	# a lab report: written first / last by every run
FILES = ("*.json", "report.md", "run-id")	# KERNEL.json, lava-cases-KERNEL.json, lab.json
DIRS = ("memlock", "note2", "guest-*", "lava", "artifacts")


def outputs(rdir):
	"""The names in rdir a lab run writes."""
	out = []
	for n in sorted(os.listdir(rdir)):
		p = os.path.join(rdir, n)
		pats = DIRS if os.path.isdir(p) and not os.path.islink(p) else FILES
		if any(fnmatch.fnmatch(n, pat) for pat in pats):
			out.append(n)
	return out


def prepare(rdir, run_id):
	"""Make rdir the empty report directory of run run_id (writes rdir/run-id)."""
	if os.path.isdir(rdir) and os.listdir(rdir):
		if not any(os.path.exists(os.path.join(rdir, m)) for m in MARKERS):
			raise util.LabError(
				"--report %s is not empty and is not a lab report (no %s): refusing to "
				"write there or delete anything; name a new or empty directory" % (
					rdir, " or ".join(MARKERS)))
		gone = outputs(rdir)
		for n in gone:
			p = os.path.join(rdir, n)
			if os.path.isdir(p) and not os.path.islink(p):
				shutil.rmtree(p)
			else:
				os.unlink(p)
		util.say("report %s: removed the earlier run's %s" % (rdir, ", ".join(gone)))
		left = os.listdir(rdir)
		if left:
			util.say("report %s: left in place (not the lab's): %s" % (rdir, ", ".join(sorted(left))))
	os.makedirs(rdir, exist_ok=True)
	with open(os.path.join(rdir, "run-id"), "w") as f:
		f.write(run_id + "\n")
