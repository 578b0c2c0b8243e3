# SPDX-License-Identifier: GPL-2.0-only
"""`scripts/lava-job`: the A/B lab as LAVA jobs, one per kernel.

Writes each kernel's job (lava_job.py) with its self-contained ramdisk
(lava_ramdisk.py) and, unless --no-run, runs it here with Debian's
lava-dispatcher (`lava-run`, installed on demand; the qemu device type's
templates from lava-server, extracted, never installed), reads the cases
and cowpin's files back from the job's log (lava_log.py) and prints the
same A/B table and report directory as scripts/lab.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from . import (cli, hostdeps, kernels, kmod, lava_job, lava_log, lava_ramdisk,
	       note2, reportdir, runid, selftest, suite, util, vm)

def templates():
	"""Directory with Debian lava-server's device-type templates
	(qemu.jinja2, base.jinja2): apt-get download + dpkg-deb -x, cached."""
	root = os.path.join(kernels.cache_root(), "lava", "lava-server")
	d = os.path.join(root, "usr/share/lava-server/device-types")
	if os.path.exists(os.path.join(root, ".complete")):
		return d
	util.say("fetching the qemu device type from Debian's lava-server (not installing it)")
	os.makedirs(os.path.dirname(root), exist_ok=True)
	tmp = tempfile.mkdtemp(dir=os.path.dirname(root), prefix=".fetch-")
	try:
		subprocess.run([util.APT_WAIT, "download", "-q", "lava-server"], cwd=tmp,
			       check=True, stdout=subprocess.DEVNULL)
		deb = [f for f in os.listdir(tmp) if f.endswith(".deb")][0]
		subprocess.run(["dpkg-deb", "-x", deb, "."], cwd=tmp, check=True)
		os.unlink(os.path.join(tmp, deb))
		open(os.path.join(tmp, ".complete"), "w").close()
	except BaseException:
		shutil.rmtree(tmp, ignore_errors=True)
		raise
	if os.path.exists(os.path.join(root, ".complete")):
		shutil.rmtree(tmp)
	else:
		shutil.rmtree(root, ignore_errors=True)
		os.rename(tmp, root)
	return d


def artifacts(k, a, cowpin, jdir):
	"""{kernel, ramdisk, scratch, nvme} -> URL: file:// of the cached files, or
	--url BASE/NAME with the files copied to REPORT/artifacts to host."""
	run_args = []
	for opt in ("consumer", "backing", "case"):
		for v in getattr(a, opt):
			run_args += ["--" + opt, v]
	files = {"kernel": k.image,
		 "ramdisk": lava_ramdisk.build(k, cowpin, a.cow if not k.noiommu else None,
					       a.memlock, a.note2, run_args),
		 "scratch": lava_ramdisk.scratch_disk(),
		 "nvme": lava_ramdisk.nvme_disk()}
	if not a.url:
		return {n: "file://" + os.path.abspath(p) for n, p in files.items()}
	adir = os.path.join(a.report, "artifacts")
	os.makedirs(adir, exist_ok=True)
	urls = {}
	for n, p in files.items():
		name = os.path.basename(p) if n != "kernel" else "vmlinuz-" + k.kver
		shutil.copy(p, os.path.join(adir, name))
		urls[n] = a.url.rstrip("/") + "/" + name
	return urls


def _events(data):
	"""guest-suite.sh's events (name uptime) -> the lab's phase seconds."""
	ev = {}
	for line in (data or b"").decode(errors="replace").splitlines():
		w = line.split()
		if len(w) == 2:
			ev.setdefault(w[0], float(w[1]))
	t = {}
	for phase in ("tests", "selftest", "memlock", "note2"):
		if phase in ev and phase + "-done" in ev:
			t[phase + "_s"] = ev[phase + "-done"] - ev[phase]
	if "tests" in ev:
		t["tests"] = ev["tests"]	# guest uptime at the first test
	return t


def lava_run(jdir, job_id, timeout):
	"""Run lava-run on jdir/job.yaml; (exit status or None on timeout, log)."""
	log = os.path.join(jdir, "lava-run.log")
	cmd = ["lava-run", "--job-id", job_id, "--output-dir", os.path.join(jdir, "output"),
	       "--device", os.path.join(jdir, "device.yaml"),
	       "--dispatcher", os.path.join(jdir, "dispatcher.yaml"),
	       os.path.join(jdir, "job.yaml")]
	with open(log, "wb") as out:
		p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
				     stdin=subprocess.DEVNULL, start_new_session=True)
		deadline = time.monotonic() + timeout
		try:
			rc = None
			while rc is None and time.monotonic() < deadline and not vm.STOP.is_set():
				try:
					rc = p.wait(timeout=1)
				except subprocess.TimeoutExpired:
					pass
		finally:	# timeout, Ctrl-C: lava-run and its QEMU go too
			if p.poll() is None:
				# SIGTERM: lava-run cancels the job and kills its QEMU
				# (which runs in a session of its own: not in our group).
				p.send_signal(signal.SIGTERM)
				try:
					p.wait(timeout=60)
				except subprocess.TimeoutExpired:
					os.killpg(p.pid, signal.SIGKILL)
					p.wait()
	return rc, log


def collect(run, log, cow, run_id=None, build_id=None):
	"""Fill run (json, lava cases, error) from a finished job's log; with
	run_id, a results.json (or memlock, Note 2 document) of another run, or
	of another cowpin than build_id, is an error and not used."""
	with open(log, errors="replace") as f:
		cases, files, job = lava_log.parse(f.read())
	run["lava"] = {"log": log, "cases": len(cases), "job_result": job,
		       "measurements": len(lava_log.measurements(cases))}
	run["t"].update(_events(files.get("events")))
	fdir = os.path.join(os.path.dirname(log), "files")
	os.makedirs(fdir, exist_ok=True)
	for n, body in files.items():
		if body is not None:
			with open(os.path.join(fdir, n), "wb") as f:
				f.write(body)
	try:
		run["rc"] = int(files.get("rc") or b"x")
	except ValueError:
		run["rc"] = None
	try:
		doc = json.loads(files["results.json"])
	except (KeyError, TypeError, ValueError) as e:
		return "no cowpin results.json in the LAVA log %s (%s: %s)" % (log, type(e).__name__, e)
	if run_id is not None:
		for n in ("results.json", "memlock.json", "note2.json"):
			try:
				why = runid.stale(json.loads(files[n]), run_id, build_id) if files.get(n) else None
			except ValueError as e:
				why = str(e)
			if why:	# (run["json"] stays None: save() copies nothing)
				return "%s in the LAVA log %s is not of this run: %s" % (n, log, why)
	if cow or "selftest.rc" in files:	# (a farm's log: the source is in its KTAP)
		selftest.attach(doc, fdir, selftest.source(cow) if cow else "cow.c",
				run["t"].get("selftest_s"))
	run["json"] = doc
	run["cases"] = cases
	bad = lava_log.check(cases, doc)
	if bad:
		return "LAVA cases disagree with cowpin's JSON (%d): %s" % (
			len(bad), "; ".join(bad[:20]))
	if job != "pass":
		return "LAVA job result %s (log %s)" % (job or "missing", log)
	return None


def run_kernel(k, a, cowpin, idx):
	label = k.label
	jdir = os.path.join(a.report, "lava", label.replace("/", "_"))
	os.makedirs(jdir, exist_ok=True)
	run = {"label": label, "origin": k.origin, "kver": k.kver, "t": {}, "build": None,
	       "gup_kmod": k.gup_kmod, "rc": None, "error": None, "json": None, "attempts": 1}
	guest = vm.Guest(k, mem=a.mem, smp=a.smp, edu=True, append=a.append)
	kvm = vm.kvm_usable() if a.accel is None else a.accel.startswith("kvm")
	doc = lava_job.job(label, guest, artifacts(k, a, cowpin, jdir), kvm, a.run_id)
	with open(os.path.join(jdir, "job.yaml"), "w") as f:
		f.write(lava_job.dump(doc))
	util.say("%s: job %s" % (label, os.path.join(jdir, "job.yaml")))
	if a.no_run:
		return run
	with open(os.path.join(jdir, "device.yaml"), "w") as f:
		f.write(lava_job.device(a.templates, doc["context"]))
	with open(os.path.join(jdir, "dispatcher.yaml"), "w") as f:
		f.write(lava_job.DISPATCHER)
	shutil.rmtree(os.path.join(jdir, "output"), ignore_errors=True)
	# Distinct ids: lava-run's scratch is /var/lib/lava/dispatcher/tmp/ID.
	job_id = "%d%02d" % (os.getpid(), idx)
	util.say("%s: lava-run --job-id %s (log %s)" % (label, job_id, os.path.join(jdir, "lava-run.log")))
	t0 = time.monotonic()
	rc, log = lava_run(jdir, job_id, lava_job.TIMEOUTS["job"] * 60 + 120)
	run["t"]["wall"] = time.monotonic() - t0
	run["lava_run_rc"] = rc
	err = collect(run, log, a.cow, a.run_id, a.build_id)
	if rc != 0:
		err = "lava-run %s (log %s)%s" % ("timed out or interrupted" if rc is None else "exit %d" % rc,
						 log, "; " + err if err else "")
	run["error"] = err
	save(run, a.report, jdir)
	return run


def save(run, rdir, jdir):
	"""The lab's report files of one run: KERNEL.json, memlock/, note2/,
	and lava-cases-KERNEL.json."""
	label = run["label"]
	err = run["error"]
	doc = run["json"]
	if doc is not None:
		with open(os.path.join(rdir, label + ".json"), "w") as f:
			json.dump(doc, f, indent=1)
		with open(os.path.join(rdir, "lava-cases-%s.json" % label), "w") as f:
			json.dump(run["cases"], f, indent=1)
		for kind in ("memlock", "note2"):
			src = os.path.join(jdir, "files", kind + ".json")
			if os.path.exists(src):
				os.makedirs(os.path.join(rdir, kind), exist_ok=True)
				run[kind] = os.path.join(rdir, kind, label + ".json")
				shutil.copy(src, run[kind])
	if err:
		util.say("%s: LAB ERROR: %s" % (label, err))
	else:
		util.say("%s: done in %.1fs: %d LAVA cases (%d measurements), %s" % (
			label, run["t"].get("wall", 0), run["lava"]["cases"],
			run["lava"]["measurements"], suite.report.summary(run)))


def main(argv):
	p = argparse.ArgumentParser(prog="scripts/lava-job", description=(
		"The A/B lab as LAVA jobs: write one job per kernel (Debian's 6.1 "
		"and 6.12 by default) with a self-contained ramdisk, run them here "
		"with lava-run, and print the same A/B table as scripts/lab."))
	cli.add_vm_args(p, "2G", "")
	p.add_argument("--cowpin", help="cowpin binary (default: build it in build/)")
	p.add_argument("--report", help="report dir (default build/lava-report-<time>); an "
		       "earlier lab report there is removed first, any other non-empty "
		       "directory is refused")
	suite.add_run_id_arg(p)
	p.add_argument("--url", help="base URL where the artifacts will be served "
		       "(http(s)://...): they are copied to REPORT/artifacts and the "
		       "jobs name BASE/FILE (default: file:// URLs of this machine)")
	p.add_argument("--no-run", action="store_true",
		       help="only write the jobs (REPORT/lava/KERNEL/job.yaml)")
	p.add_argument("--memlock", nargs="?", const=suite.MEMLOCK, default=suite.MEMLOCK,
		       metavar="OPTS", help="cowpin memlock OPTS in each guest (default on)")
	p.add_argument("--no-memlock", dest="memlock", action="store_const", const=None)
	p.add_argument("--no-selftest", dest="selftest", action="store_false",
		       help="do not run the kernel's selftest cow.c")
	p.add_argument("-j", "--jobs", type=int, default=2, help="jobs at once (default 2)")
	for opt in ("consumer", "backing", "case"):
		p.add_argument("--" + opt, action="append", default=[],
			       help="passed to `cowpin run` (repeatable)")
	p.add_argument("--log", action="append", default=[], metavar="KERNEL=PATH",
		       help="build the report from a finished job's log instead of "
		       "running one (e.g. `lavacli jobs logs --raw ID` of a farm's "
		       "job; repeatable, in column order)")
	a = p.parse_args(argv)
	if a.log:
		return from_logs(a)
	hostdeps.ensure(build=not a.cowpin, extra=["jq"] if a.no_run else hostdeps.LAVA)
	cowpin = os.path.abspath(a.cowpin) if a.cowpin else suite.build_cowpin(suite.REPO)
	started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
	a.report = os.path.abspath(a.report or os.path.join(
		suite.REPO, "build", "lava-report-" + time.strftime("%Y%m%d-%H%M%S")))
	suite.set_run_id(a, cowpin)	# (the job passes it to the DUT: cowpin.yaml's params)
	reportdir.prepare(a.report, a.run_id)
	a.templates = None if a.no_run else templates()
	gup = not a.consumer or any(c.startswith("gup-test") for c in a.consumer)
	a.note2 = note2.OPTS if a.memlock is not None and (
		not a.consumer or "gup-test-fast" in a.consumer) else None
	ks = []
	for spec, mods in a.kernels or [[k, None] for k in cli.DEFAULT_KERNELS]:
		if "@" in spec:
			raise util.LabError("--kernel %s: the LAVA jobs have no @mode boots" % spec)
		k = kernels.resolve(spec, mods, suite.REPO)
		if gup:
			kmod.provide(k, suite.REPO)
		ks.append(k)
	a.cow = selftest.build() if a.selftest and gup else None
	with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
		runs = list(pool.map(lambda ik: run_kernel(ik[1], a, cowpin, ik[0]),
				     enumerate(ks)))
	if a.no_run:
		print("jobs: %s" % " ".join(os.path.join(a.report, "lava", k.label, "job.yaml")
					    for k in ks))
		return 0
	suite.publish(runs, a.report, started, a.run_id)
	for r in runs:
		print("LAVA %s: %s" % (r["label"], "error: " + r["error"] if r["error"] else
				      "%d cases (%d measurements), %.0f s" % (
					      r["lava"]["cases"], r["lava"]["measurements"], r["t"]["wall"])))
	return 1 if any(r["error"] for r in runs) else 0


def from_logs(a):
	"""The A/B table and report directory from LAVA logs (a farm's jobs);
	with --run-id, documents of another run are errors."""
	started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
	a.report = os.path.abspath(a.report or os.path.join(
		suite.REPO, "build", "lava-report-" + time.strftime("%Y%m%d-%H%M%S")))
	if a.run_id is not None and not runid.valid(a.run_id):
		raise util.LabError("--run-id %r: want 1-200 of A-Z a-z 0-9 . _ : + -" % a.run_id)
	reportdir.prepare(a.report, a.run_id or "none (from LAVA logs: their documents carry their own)")
	runs = []
	for spec in a.log:
		label, sep, path = spec.partition("=")
		if not sep or not os.path.exists(path):
			raise util.LabError("--log %s: want KERNEL=PATH of a job log" % spec)
		jdir = os.path.join(a.report, "lava", label)
		os.makedirs(jdir, exist_ok=True)
		log = os.path.join(jdir, "lava-run.log")
		shutil.copy(path, log)
		run = {"label": label, "origin": "LAVA job log %s" % os.path.abspath(path),
		       "kver": "?", "t": {}, "rc": None, "json": None, "attempts": 1}
		run["error"] = collect(run, log, None, a.run_id)
		run["kver"] = (run["json"] or {}).get("kernel", "?")
		save(run, a.report, jdir)
		runs.append(run)
	suite.publish(runs, a.report, started, a.run_id)
	return 1 if any(r["error"] for r in runs) else 0
