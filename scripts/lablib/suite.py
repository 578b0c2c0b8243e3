# SPDX-License-Identifier: GPL-2.0-only
"""`scripts/lab`: the A/B lab.  Boots each kernel in turn, runs the suite
inside (lablib/guest-suite.sh), prints the A/B table and writes the report
directory (report.md + one JSON per kernel)."""
import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

from . import (cli, hostdeps, kernels, kmod, lava_ramdisk, note2, report, reportdir,
	       runid, selftest, util, vm)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# The memlock helper's pick: ~1-1.5 min per guest under TCG.
MEMLOCK = ("--consumer vfio-type1 --consumer rdma-rxe --backing zeropage "
	   "--backing huge-zeropage --size 2M --size 32M --repeat 3")
NOIOMMU = ["vfio-noiommu", "vfio-noiommu-nvme"]
TAP = re.compile(rb"^(not ok|ok) [0-9]+ ([^ #]+)(.*)$")


def build_cowpin(repo):
	"""meson setup + ninja when needed; returns the binary."""
	b = os.path.join(repo, "build")
	if not os.path.exists(os.path.join(b, "build.ninja")):
		util.say("building cowpin: meson setup build")
		r = subprocess.run(["meson", "setup", b], cwd=repo,
				   capture_output=True, text=True)
		if r.returncode:
			sys.stderr.write(r.stdout + r.stderr)
			raise util.LabError("meson setup build failed")
	util.say("building cowpin: ninja -C build")
	r = subprocess.run(["ninja", "-C", b], cwd=repo, capture_output=True,
			   text=True)
	if r.returncode:
		sys.stderr.write(r.stdout + r.stderr)
		raise util.LabError("ninja -C build failed")
	return os.path.join(b, "cowpin")


class Progress:
	"""Host-side view of one guest: TAP results as one line each."""

	def __init__(self, label, verbose, prefix):
		self.label = label
		# Guests running side by side: tag every line with its kernel.
		self.prefix = ("[%s] " % label).encode() if prefix else b""
		self.verbose = verbose
		self.buf = {"stdout": b"", "stderr": b""}
		self.consumer = None
		self.why = False	# the next diagnostic explains a "not ok"

	def event(self, name, line, t):
		if name == "booted":
			util.say("%s: booted in %.1fs" % (self.label, t))
		elif name.startswith("up:"):
			util.say("%s: %s up" % (self.label, name[3:]))
		elif name == "tests":
			util.say("%s: running cowpin (%.1fs after QEMU start)" % (self.label, t))
		elif name == "selftest":
			util.say("%s: running the kernel's selftest cow.c" % self.label)
		elif name in ("memlock", "note2"):
			util.say("%s: running cowpin memlock (%s)" % (self.label, name))
		elif name == "tests-done":
			util.say("%s: tests done at %.1fs" % (self.label, t))

	def sink(self, stream, data):
		self.buf[stream] += data
		*lines, self.buf[stream] = self.buf[stream].split(b"\n")
		for l in lines:
			self.line(stream, l)

	def out(self, indent, l):
		sys.stdout.buffer.write(self.prefix + indent + l + b"\n")
		sys.stdout.flush()

	def line(self, stream, l):
		if self.verbose:
			self.out(b"", l)
			return
		m = TAP.match(l)
		if m:
			c = m.group(2).split(b".")[0].decode()
			if c != self.consumer:
				self.consumer = c
				util.say("%s: consumer %s" % (self.label, c))
			self.out(b"    ", l)
			self.why = l.startswith(b"not ok")
		elif self.why and l.startswith(b"#"):
			self.why = False
			self.out(b"        ", l)
		elif stream == "stderr" or b" up: " in l or b" down: " in l:
			self.out(b"    ", l)


def run_kernel(k, a, cowpin, rdir):
	label = re.sub(r"[^A-Za-z0-9._+-]", "_", k.label)
	share = os.path.join(rdir, "guest-" + label)
	os.makedirs(share, exist_ok=True)
	ramdisk = a.root == "ramdisk"
	if ramdisk:	# the suite as packed in the ramdisk (lava_ramdisk.OPT)
		suite_dir = "/" + lava_ramdisk.OPT
		args = ["/bin/sh", suite_dir + "/guest-suite.sh", suite_dir, suite_dir + "/cowpin"]
	else:
		args = ["/bin/sh", os.path.join(HERE, "guest-suite.sh"), REPO, cowpin]
	# A KERNEL@noiommu boot only serves vfio-noiommu, through both engines
	# (or those of them asked for).
	noiommu = [c for c in a.consumer if c.startswith("vfio-noiommu")] or NOIOMMU
	for c in noiommu if k.noiommu else a.consumer:
		args += ["--consumer", c]
	for opt in ("backing", "case"):
		for v in getattr(a, opt):
			args += ["--" + opt, v]
	if a.test_dma_fault:	# TEST ONLY: see drivers/vfio/README.md
		args += ["--test-dma-fault", a.test_dma_fault]
	if a.hugetlb_1g:
		# Pinning a private 1 GiB hugetlb page copies all of it: minutes under TCG.
		args += ["--timeout", "900"]
	if ramdisk:	# its env: COWPIN_LAB, the gup_test module and cow.c in the ramdisk
		job = "cd /\n. %s/lava.env\n" % suite_dir
	else:
		job = "cd %s\n" % shlex.quote(REPO)
	if k.noiommu:
		job += "export LAB_SETUPS=setup-vfio\n"
		# vm.py raises edu's dma_mask to 40 bits in this boot: physical pages
		# anywhere in guest RAM are reachable, tell vfio-noiommu so.
		job += "export COWPIN_VFIO_DMA_BITS=40\n"
	if a.memlock is not None:
		job += "export LAB_MEMLOCK=%s\n" % shlex.quote(a.memlock)
		if not a.consumer or "gup-test-fast" in a.consumer:
			job += "export LAB_NOTE2=%s\n" % shlex.quote(note2.OPTS)
	# The host's root is the guest's lower layer: the cached .ko is at the same path.
	if ramdisk:
		pass
	elif k.gup_ko:
		job += "export COWPIN_GUP_TEST_KO=%s\n" % shlex.quote(k.gup_ko)
	elif k.gup_no_ko:
		job += "export COWPIN_GUP_TEST_NO_KO=%s\n" % shlex.quote(k.gup_no_ko)
	if a.trace_setup:
		job += "export LAB_XTRACE=1\n"
	# cowpin stamps it into every JSON document it writes (run, memlock, Note 2).
	job += "export COWPIN_RUN_ID=%s\n" % shlex.quote(a.run_id)
	if a.cow and not k.noiommu and not ramdisk:	# (a @noiommu boot has no gup_test set-up)
		job += "export LAB_SELFTEST=%s LAB_SELFTEST_TIMEOUT=%d\n" % (
			shlex.quote(a.cow), selftest.TIMEOUT_S)
	job += " ".join(shlex.quote(x) for x in args) + "\n"
	util.say("%s: booting %s" % (k.label, k.origin))
	p = Progress(k.label, a.verbose, a.jobs > 1)
	g = vm.Guest(k, mem=a.mem, smp=a.smp, edu=True, accel=a.accel,
		     append=a.append, huge1g=2 if a.hugetlb_1g else 0,
		     noiommu=k.noiommu)
	if ramdisk:
		g.ramdisk = lava_ramdisk.build(k, cowpin, a.cow if not k.noiommu else None)
	res = g.run(job, share, timeout=a.timeout, boot_timeout=a.boot_timeout,
		    sink=p.sink, on_event=p.event)
	ev = res.events
	t = {"download": k.download_s, "booted": res.boot_s, "tests": ev.get("tests"),
	     "wall": res.wall_s}
	for phase in ("tests", "selftest", "memlock", "note2"):	# guest-suite.sh's phases
		if phase in ev and phase + "-done" in ev:
			t[phase + "_s"] = ev[phase + "-done"] - ev[phase]
	t["guest_clock"] = report.guest_clock(ev, res.uptime)
	names = sorted(ev, key=ev.get)
	for i, n in enumerate(names):	# setup script time, up + down
		if n.startswith(("up:", "down:")) and i + 1 < len(names):
			phase, name = n.split(":", 1)
			# its own end (downs run beside cow.c), else the next event
			end = ev.get("%s-done:%s" % (phase, name), ev[names[i + 1]])
			s = end - ev[n]
			t["setup:" + name] = t.get("setup:" + name, 0) + s
			t["setup_" + phase] = t.get("setup_" + phase, 0) + s
	run = {"label": k.label, "origin": k.origin, "kver": k.kver, "t": t,
	       "build": k.build, "gup_kmod": k.gup_kmod,
	       "rc": res.rc, "error": res.error, "json": None,
	       "attempts": res.attempts, "accel": res.accel}
	jf = os.path.join(share, "results.json")
	if res.error is None and os.path.exists(jf):
		run["json"], run["error"] = read_doc(jf, a)
	if run["json"] is not None:
		if a.cow and not k.noiommu:
			selftest.attach(run["json"], share, selftest.source(a.cow),
					t.get("selftest_s"))
		elif a.cow_error and not k.noiommu:
			run["json"]["selftest_run"] = {"error": a.cow_error}
		with open(os.path.join(rdir, label + ".json"), "w") as f:
			json.dump(run["json"], f, indent=1)
		mf = os.path.join(share, "memlock.json")
		if os.path.exists(mf) and not check_doc(mf, a, run):
			os.makedirs(os.path.join(rdir, "memlock"), exist_ok=True)
			run["memlock"] = os.path.join(rdir, "memlock", label + ".json")
			shutil.copy(mf, run["memlock"])
		nf = os.path.join(share, "note2.json")
		if os.path.exists(nf) and not check_doc(nf, a, run):	# not in memlock/: check.py wants one memlock doc per kernel
			os.makedirs(os.path.join(rdir, "note2"), exist_ok=True)
			run["note2"] = os.path.join(rdir, "note2", label + ".json")
			shutil.copy(nf, run["note2"])
	elif res.error is None and run["error"] is None:
		run["error"] = "cowpin wrote no JSON (exit %s); last console lines:\n%s" % (
			res.rc, vm.Guest.console_tail(share))
	if run["error"]:
		util.say("%s: LAB ERROR: %s" % (k.label, run["error"]))
	else:
		util.say("%s: done in %.1fs (%s)" % (k.label, res.wall_s,
						    report.summary(run)))
	return run


def read_doc(path, a):
	"""(document, None), or (None, why) when the guest's JSON at path is not
	of this run (another run id, none, or another cowpin's build id)."""
	try:
		with open(path) as f:
			doc = json.load(f)
	except ValueError as e:
		return None, "%s is no JSON document: %s" % (os.path.basename(path), e)
	why = runid.stale(doc, a.run_id, a.build_id)
	return (None, "%s is not of this run: %s" % (os.path.basename(path), why)) if why else (doc, None)


def check_doc(path, a, run):
	"""A memlock or Note 2 document of another run is an error of this one."""
	doc, why = read_doc(path, a)
	if why:
		run["error"] = "; ".join(e for e in (run["error"], why) if e)
	return why


def plot_memlock(runs, rdir):
	"""scripts/memlock-plot over the guests' memlock JSON: its A/B table."""
	docs = [r["memlock"] for r in runs if r.get("memlock")]
	if not docs:
		return ""
	prefix = os.path.join(rdir, "memlock", "memlock")
	r = subprocess.run([os.path.join(REPO, "scripts", "memlock-plot"), "-o",
			    prefix] + docs, capture_output=True, text=True)
	if r.returncode or not os.path.exists(prefix + ".md"):
		return "\n## memlock\n\nmemlock-plot failed:\n```\n%s\n```\n" % (
			r.stdout + r.stderr)
	with open(prefix + ".md") as f:
		return "\n## memlock (`cowpin memlock`, memlock/memlock.svg)\n\n" + f.read()


def main(argv):
	p = argparse.ArgumentParser(prog="scripts/lab", description=(
		"Boot Debian's Linux 6.1 (without the reliable R/O pinning series) "
		"and 6.12 (with it), or your own kernels, under QEMU; run cowpin "
		"inside each; print the A/B table and write a report directory."))
	cli.add_vm_args(p, "2G", "; 5G with --hugetlb-1g")
	p.add_argument("--hugetlb-1g", action="store_true", help=(
		"reserve two 1 GiB hugepages (and >= 5G RAM) so the hugetlb-1G "
		"backing runs; under TCG it adds minutes per consumer, so by "
		"default it skips"))
	p.add_argument("--built", action="store_true", help=(
		"add the kernel built from Debian's linux-source-6.12 as extra "
		"columns: build:6.12 and build:6.12@noiommu (siw, iommufd, "
		"noiommu, gup_test); the first build takes ~8 min on 2 idle cores"))
	p.add_argument("--cowpin", help="cowpin binary (default: build it in build/)")
	p.add_argument("--report", help="report dir (default build/lab-report-<time>); an "
		       "earlier lab report there is removed first, any other non-empty "
		       "directory is refused")
	add_run_id_arg(p)
	p.add_argument("-v", "--verbose", action="store_true",
		       help="show the guest's whole output (TAP diagnostics)")
	p.add_argument("--memlock", nargs="?", const=MEMLOCK, default=MEMLOCK, metavar="OPTS",
		       help="run `cowpin memlock OPTS` in each guest and add its A/B table "
		       "and plot (on by default; OPTS default: %s)" % MEMLOCK)
	p.add_argument("--no-memlock", dest="memlock", action="store_const", const=None,
		       help="skip the memlock measurement and Note 2 (8-46 s per guest in the runs "
		       "docs/performance.md lists)")
	p.add_argument("--no-selftest", dest="selftest", action="store_false", help=(
		"do not run the kernel's own selftest cow.c (built from Debian's "
		"linux-source-6.12) after memlock, beside the set-ups' down (7-59 s per "
		"guest in the runs docs/performance.md lists)"))
	p.add_argument("--bench", metavar="N", help=(
		"run the lab N times in a row; print min/median/max of the total "
		"and of each phase per kernel (REPORT/bench.md); fails if any "
		"verdict differs between runs"))
	p.add_argument("--root", choices=("ramdisk", "9p"), default="ramdisk", help=(
		"the guest's root: a self-contained ramdisk per kernel, the one the "
		"LAVA job boots (default), or the host's root over 9p (slower: "
		"every exec crosses 9p under TCG)"))
	p.add_argument("--trace-setup", action="store_true", help=(
		"run the setup-* scripts under bash xtrace, each command stamped "
		"(guest-NAME/setup-*.up.trace, .down.trace in the report dir)"))
	p.add_argument("-j", "--jobs", type=int, default=2,
		       help="guests running at once (default 2: a TCG guest mostly "
		       "keeps one host core busy)")
	for opt in ("consumer", "backing", "case"):
		p.add_argument("--" + opt, action="append", default=[],
			       help="passed to `cowpin run` (repeatable)")
	p.add_argument("--test-dma-fault", choices=("unmapped", "wrong-iova"), help=(
		"TEST ONLY: passed to `cowpin run`: the VFIO engines DMA from an "
		"IOVA that is not mapped, so every such read must be an error"))
	a = p.parse_args(argv)
	if a.hugetlb_1g and vm.mem_bytes(a.mem) < 5 << 30:
		a.mem = "5G"	# two aligned 1 GiB ranges are free at boot from 5G on q35
	hostdeps.ensure(build=not a.cowpin)
	cowpin = os.path.abspath(a.cowpin) if a.cowpin else build_cowpin(REPO)
	started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
	rdir = os.path.abspath(a.report or os.path.join(
		REPO, "build", "lab-report-" + time.strftime("%Y%m%d-%H%M%S")))
	set_run_id(a, cowpin)
	reportdir.prepare(rdir, a.run_id)
	specs = a.kernels or [[k, None] for k in cli.DEFAULT_KERNELS]
	if a.built:
		specs = specs + [[k, None] for k in cli.BUILT_KERNELS if [k, None] not in specs]
	# cow.c's build (an apt install of linux-source-6.12, its 1.5 GB xz
	# stream, headers_install) needs nothing from the kernels: on a fresh
	# machine it runs beside their downloads and gup_test builds (~20 s each).
	gup = not a.consumer or any(c.startswith("gup-test") for c in a.consumer)
	side = concurrent.futures.ThreadPoolExecutor(1)
	cow = side.submit(selftest.build) if a.selftest and gup and any(
		not s.endswith("@noiommu") for s, _ in specs) else None
	ks = []
	for spec, mods in specs:	# downloads first, one at a time
		# KERNEL@noiommu: a second boot of KERNEL with edu but no vIOMMU,
		# for vfio-noiommu (VFIO noiommu needs a device in no IOMMU group).
		base, _, mode = spec.partition("@")
		try:
			if mode not in ("", "noiommu"):
				raise util.LabError("--kernel %s: unknown mode @%s" % (spec, mode))
			k = kernels.resolve(base, mods, REPO)
			if mode:
				k.label += "@" + mode
				k.noiommu = True
			elif gup:
				kmod.provide(k, REPO)	# (a @noiommu boot runs only vfio-noiommu)
			ks.append(k)
		except (util.LabError, subprocess.CalledProcessError) as e:
			util.say("%s: LAB ERROR: %s" % (spec, e))
			ks.append({"label": spec, "origin": "?", "kver": "?", "t": {},
				   "rc": None, "error": str(e), "json": None})
	a.cow = a.cow_error = None
	if cow and any(not isinstance(k, dict) and not k.noiommu for k in ks):
		try:
			a.cow = cow.result()
		except (util.LabError, subprocess.SubprocessError, OSError) as e:
			a.cow_error = str(e)
			util.say("LAB ERROR: the selftest cow.c: %s" % e)
	side.shutdown(wait=True)	# (a build no kernel wants is still waited for)
	with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
		futs = [k if isinstance(k, dict) else
			pool.submit(run_kernel, k, a, cowpin, rdir) for k in ks]
		runs = [f if isinstance(f, dict) else f.result() for f in futs]
	publish(runs, rdir, started, a.run_id)
	return 1 if a.cow_error or any(r["error"] for r in runs) else 0


def add_run_id_arg(p):
	p.add_argument("--run-id", metavar="ID", help=(
		"the run id stamped into every JSON document of the run (cowpin "
		"--run-id); a document with another is an error (default: UTC time, "
		"the checkout's git tree hash and cowpin's ELF build id)"))


def set_run_id(a, cowpin):
	"""a.run_id (given or made) and a.build_id, the binary's, that every guest's JSON must carry."""
	a.build_id = runid.build_id(cowpin)
	if a.run_id is None:
		a.run_id = runid.make(cowpin, REPO)
	elif not runid.valid(a.run_id):
		raise util.LabError("--run-id %r: want 1-200 of A-Z a-z 0-9 . _ : + -" % a.run_id)
	util.say("run id %s" % a.run_id)


def publish(runs, rdir, started, run_id=None):
	"""report.md, lab.json and the A/B table on stdout (also scripts/lava-job's)."""
	memlock = plot_memlock(runs, rdir)
	total = util.elapsed()
	md = report.markdown(runs, total, started) + memlock + "".join(
		l + "\n" for l in note2.table(runs))
	with open(os.path.join(rdir, "report.md"), "w") as f:
		f.write(md)
	with open(os.path.join(rdir, "lab.json"), "w") as f:	# timings, for tools
		json.dump({"started": started, "run_id": run_id, "total_s": total, "kernels": [
			{k: r.get(k) for k in ("label", "origin", "kver", "t", "rc",
					       "error", "attempts", "accel", "gup_kmod")} for r in runs]}, f, indent=1)
	print()
	print("\n".join(report.ab_table(runs)))
	print()
	print("\n".join(report.explain(runs)))
	print("\nSkipped on every kernel:")
	print("\n".join(report.skipped(runs)))
	print()
	print("\n".join(report.timings(runs, total)))
	print("\nreport: %s" % os.path.join(rdir, "report.md"))
