#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Only this run's results are judged (TAP).

    stale_report.py COWPIN

A report directory holding an earlier run's files (the committed real lab
reports tests/unit/lab-report with its memlock/, lab-built-report: as
they are, tests/lab/check.py before run ids took them all, green) and a lab that then
writes nothing (a guest that never booted), or JSON of another run, or of
another cowpin binary, must fail tests/lab/check.py --lab and
tests/lab-built/run.py --lab; JSON carrying the run id they passed and the
binary's build id must be taken, the whole check then green (so only the
run id and build id decide).
scripts/lab's side: the report directory is emptied of an earlier run's
files before anything boots (only of the lab's outputs, and only in a lab
report: any other non-empty directory is refused), and a guest's JSON of
another run is a lab error.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from lablib import reportdir, runid, suite, util  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from tap import Tap  # noqa: E402

COWPIN = os.path.abspath(sys.argv[1])
T = Tap()
OLD_ID = "20260101T000000.000000Z-0ld7ree-0ldbu11d"

# The fake lab: what scripts/lab's command line gets, and a mode saying what it writes.
FAKE = r'''#!/usr/bin/python3
import json, os, sys
sys.path.insert(0, %(scripts)r)
from lablib import runid
args = sys.argv[1:]
val = lambda o: args[args.index(o) + 1] if o in args else None
report, rid, cowpin = val("--report"), val("--run-id"), val("--cowpin")
with open(os.path.join(os.path.dirname(__file__), "argv.json"), "w") as f:
	json.dump(args, f)
mode = %(mode)r
if mode == "boots nothing":
	sys.exit(1)
stamp = {"run": rid if mode != "another run" else %(old)r,
	 "build": runid.build_id(cowpin) if mode != "another binary" else "00" * 20}
for src, rel in %(sources)r:
	with open(src) as f:
		doc = json.load(f)
	doc["run_id"], doc["build_id"] = stamp["run"], stamp["build"]
	os.makedirs(os.path.dirname(os.path.join(report, rel)), exist_ok=True)
	with open(os.path.join(report, rel), "w") as f:
		json.dump(doc, f)
'''


def tap(ok, what, diag=""):
	"""diag (often a whole stdout) only under a failure."""
	T.ok(ok, what, str(diag)[:3000] if diag and not ok else ())


def fake_lab(tmp, mode, sources):
	path = os.path.join(tmp, "fake-lab")
	with open(path, "w") as f:
		f.write(FAKE % {"scripts": os.path.join(ROOT, "scripts"), "mode": mode, "old": OLD_ID,
				"sources": sources})
	os.chmod(path, 0o755)
	return path


def sources(data):
	"""[(path, path in the report)] of every JSON of a committed report."""
	top = os.path.join(HERE, data)
	return [(p, os.path.relpath(p, top)) for p in sorted(
		glob.glob(os.path.join(top, "*.json")) + glob.glob(os.path.join(top, "memlock", "*.json")))]


def prefilled(tmp, data):
	"""A report directory holding an earlier run's files."""
	rdir = os.path.join(tmp, "report")
	shutil.copytree(os.path.join(HERE, data), rdir)
	return rdir


def lab_check(mode):
	"""tests/lab/check.py --lab FAKE over the committed 6.1/6.12 report."""
	with tempfile.TemporaryDirectory() as tmp:
		rdir = prefilled(tmp, "lab-report")
		lab = fake_lab(tmp, mode, sources("lab-report"))
		idf = os.path.join(tmp, "ab.run-id")
		r = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "lab", "check.py"),
				    os.path.join(ROOT, "tests", "lab", "expectations"), rdir, "--lab", lab,
				    "--cowpin", COWPIN, "--run-id-file", idf],
				   capture_output=True, text=True, timeout=300)
		with open(os.path.join(tmp, "argv.json")) as f:
			argv = json.load(f)
		with open(idf) as f:
			written = f.read().strip()
	given = argv[argv.index("--run-id") + 1] if "--run-id" in argv else None
	return r, given, written


def built_check(mode):
	"""tests/lab-built/run.py --lab FAKE over the committed build:6.12 report."""
	with tempfile.TemporaryDirectory() as tmp:
		rdir = prefilled(tmp, "lab-built-report")
		lab = fake_lab(tmp, mode, sources("lab-built-report"))
		return subprocess.run([sys.executable, os.path.join(ROOT, "tests", "lab-built", "run.py"),
				       os.path.join(ROOT, "tests", "lab-built", "expect"), rdir,
				       "--lab", lab, "--cowpin", COWPIN],
				      capture_output=True, text=True, timeout=300)


def checker_checks():
	for mode in ("boots nothing", "another run", "another binary", "this run"):
		r, given, written = lab_check(mode)
		lines = r.stdout.splitlines()
		took = [l for l in lines if ": lab produced " in l and l.startswith("ok ")]
		fresh = mode == "this run"
		tap(given is not None and runid.valid(given) and given == written and
		    given.endswith("-" + runid.build_id(COWPIN)),
		    "tests/lab/check.py --lab (%s): passes a new run id ending in the build id to the lab "
		    "and writes it to --run-id-file" % mode, "given %s, written %s" % (given, written))
		if fresh:
			tap(len(took) == 2 and r.returncode == 0,
			    "tests/lab/check.py takes both kernels' JSON and memlock documents of this run: "
			    "the committed report then passes", r.stdout)
		else:
			tap(r.returncode != 0 and not took and "not of this run" * (mode != "boots nothing") in r.stdout
			    and "memlock invariants hold in 6.1.json (" not in r.stdout,
			    "tests/lab/check.py --lab fails when the lab %s and an earlier run's JSON is left "
			    "(exit %d)" % (mode if mode == "boots nothing" else "writes JSON of " + mode,
					   r.returncode), r.stdout)
		r = built_check(mode)
		line = next((l for l in r.stdout.splitlines() if "results of the built kernel" in l), "")
		if fresh:
			tap(line.startswith("ok "), "tests/lab-built/run.py takes the JSON of this run", r.stdout)
		else:
			tap(r.returncode != 0 and line.startswith("not ok"),
			    "tests/lab-built/run.py --lab fails when the lab %s over an earlier report" % (
				    mode if mode == "boots nothing" else "writes JSON of " + mode), r.stdout)


def lab_side_checks():
	with tempfile.TemporaryDirectory() as tmp:
		rdir = prefilled(tmp, "lab-report")
		os.makedirs(os.path.join(rdir, "memlock"), exist_ok=True)
		os.makedirs(os.path.join(rdir, "guest-6.1"))
		for n in ("lab.json", "report.md", "memlock/6.1.json", "guest-6.1/results.json", "notes.txt"):
			with open(os.path.join(rdir, n), "w") as f:
				f.write("{}")
		reportdir.prepare(rdir, "new-run")
		left = sorted(os.listdir(rdir))
		tap(left == ["notes.txt", "run-id"],
		    "scripts/lab empties an earlier lab report of its outputs (KERNEL.json, lab.json, "
		    "report.md, memlock/, guest-*/), keeps what is not the lab's", left)
		with open(os.path.join(rdir, "run-id")) as f:
			tap(f.read() == "new-run\n", "... and marks it with this run's id")
		other = os.path.join(tmp, "other")
		os.makedirs(other)
		shutil.copy(os.path.join(HERE, "lab-report", "6.1.json"), other)
		try:
			reportdir.prepare(other, "new-run")
			refused = False
		except util.LabError:
			refused = True
		tap(refused and os.listdir(other) == ["6.1.json"],
		    "scripts/lab refuses a non-empty directory that is no lab report, deleting nothing",
		    os.listdir(other))

		class A:
			run_id, build_id = "new-run", runid.build_id(COWPIN)
		doc = json.load(open(os.path.join(HERE, "lab-report", "6.1.json")))
		for what, rid, bid, good in (("of this run", "new-run", A.build_id, True),
					     ("of another run", OLD_ID, A.build_id, False),
					     ("without a run id", None, A.build_id, False),
					     ("of another cowpin", "new-run", "00" * 20, False)):
			doc["run_id"], doc["build_id"] = rid, bid
			jf = os.path.join(tmp, "results.json")
			with open(jf, "w") as f:
				json.dump(doc, f)
			got, err = suite.read_doc(jf, A)
			tap((got is not None and err is None) == good,
			    "scripts/lab %s a guest's results.json %s" % ("takes" if good else "refuses", what), err)


def stamp_checks():
	"""The binary's build id as cowpin stamps it = as runid reads it = as readelf prints it."""
	doc = json.loads(subprocess.run([COWPIN, "run", "--consumer", "io_uring", "--backing", "anon",
					 "--case", "ro-pin-snapshot", "--format", "json", "--run-id", "x.1"],
					capture_output=True, text=True, timeout=120).stdout)
	want = runid.build_id(COWPIN)
	elf = subprocess.run(["readelf", "-n", COWPIN], capture_output=True, text=True).stdout \
		if shutil.which("readelf") else None
	tap(doc.get("run_id") == "x.1" and want and doc.get("build_id") == want and
	    (elf is None or "Build ID: " + want in elf),
	    "cowpin run --run-id stamps run_id, and its build_id is the binary's (%s)" % want,
	    {k: doc.get(k) for k in ("run_id", "build_id")})


def main():
	checker_checks()
	lab_side_checks()
	stamp_checks()
	return T.done()


if __name__ == "__main__":
	sys.exit(main())
