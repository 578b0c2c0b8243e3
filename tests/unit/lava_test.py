#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The LAVA path's checks can fail (TAP).

From a real lab report (lab-report/*.json) a lava-run log is synthesised as
lava-run writes it (YAML lines: `results` entries per case, `target` lines
with the files between COWPIN-FILE markers).  Read back it must give the
same JSON and agree with it (lablib/lava_log.check), and agree with the
native report (tests/lava/compare.py); each mutation (a result flipped,
missing, twice, a case of no test, a damaged file, a verdict changed, a
native report of another kernel, of another run or of none, of another
cowpin binary, a LAVA document of another run, a LAVA error) must be caught.
The job passes its run id to the DUT (the definition's COWPIN_RUN_ID).  The generated job
holds no path of this machine but its artifact URLs, its QEMU options are
the native lab's, and `lava-run --validate` accepts it and rejects a
mutated one (SKIP without lava-dispatcher: scripts/test-all installs it).
"""
import base64
import copy
import gzip
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
sys.path.insert(0, os.path.join(ROOT, "tests", "lava"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from lablib import kernels, lava_job, lava_log, lava_run, vm  # noqa: E402
import compare  # noqa: E402
from tap import Tap  # noqa: E402

T = Tap()
RUN_ID = "20261202T151134.123456Z-7ree-bu11d"	# the run the fixtures are stamped with
OTHER_ID = "20261125T090000.000000Z-7ree-bu11d"	# last week's
LAVA_TMP = "/var/lib/lava/dispatcher/tmp"


def tap(ok, what, diag=""):
	"""diag (a string, or a list of lines) only under a failure: it is
	often a whole stdout."""
	if ok or not diag:
		diag = ()
	elif not isinstance(diag, (str, list)):
		diag = str(diag)
	T.ok(ok, what, diag)


def entry(lvl, msg):
	return json.dumps({"dt": "2026-01-01T00:00:00", "lvl": lvl, "msg": msg})


def cases_of(doc):
	m = lava_log.mapping()
	cs = [{"case": r["name"], "definition": "0_cowpin", "result": m[r["verdict"]]}
	      for r in doc["results"]]
	cs.append({"case": "cowpin.results", "definition": "0_cowpin", "result": "pass"})
	cs.append({"case": "memlock.gup-test.anon.2048K.vm_pin", "definition": "0_cowpin",
		   "result": "pass", "measurement": "2048.0", "units": "KiB"})
	return cs


def make_log(cases, files, damage=False):
	"""A lava-run log: a lava case, the cases, the files as the DUT prints
	them (damage: each file's last base64 line lost)."""
	lines = [entry("results", {"case": "validate", "definition": "lava", "result": "pass"})]
	lines += [entry("results", c) for c in cases]
	for name, body in files.items():	# (as run-in-dut.sh prints them)
		lines.append(entry("target", "COWPIN-FILE-BEGIN " + name))
		b64 = base64.encodebytes(gzip.compress(body)).decode()
		lines += [entry("target", l) for l in b64.split()[:-1 if damage else None]]
		lines.append(entry("target", "COWPIN-FILE-END " + name))
	# lava-run tags numbers: YAML, not JSON.
	lines.append('{"dt": "x", "lvl": "results", "msg": {"case": "job", "definition": "lava", "size": ! "590", "result": "pass"}}')
	return "\n".join(lines) + "\n"


def log_checks(label, doc):
	files = {"results.json": json.dumps(doc).encode(), "rc": b"0\n"}
	cases = cases_of(doc)
	got_cases, got_files, job = lava_log.parse(make_log(cases, files))
	tap(json.loads(got_files["results.json"]) == doc and got_files["rc"] == b"0\n" and job == "pass",
	    "%s: the files come back from the log unchanged" % label)
	tap(len(got_cases) == len(cases), "%s: every cowpin case read back (%d)" % (label, len(cases)))
	bad = lava_log.check(got_cases, doc)
	tap(not bad, "%s: the LAVA cases agree with the JSON" % label, bad[:5])
	tap(lava_log.measurements(got_cases) == {
		"memlock.gup-test.anon.2048K.vm_pin": ("2048.0", "KiB")}, "%s: memlock measurement read" % label)
	i = next(i for i, c in enumerate(cases) if c["result"] == "pass")
	mutants = {"a result flipped": lambda cs: cs[i].update(result="fail"),
		   "a case missing": lambda cs: cs.pop(i),
		   "a case twice": lambda cs: cs.append(dict(cs[i])),
		   "a case of no test": lambda cs: cs.append({"case": "x.y.z", "definition": "0_cowpin",
								    "result": "pass"}),
		   "cowpin.results missing": lambda cs: cs.pop(len(cs) - 2)}
	for what, mutate in mutants.items():
		cs = copy.deepcopy(cases)
		mutate(cs)
		mc, _, _ = lava_log.parse(make_log(cs, files))
		bad = lava_log.check(mc, doc)
		tap(bool(bad), "%s: lava_log.check catches %s" % (label, what), "accepted")
	# A damaged file: lava-job reports an error, never a result.
	text = make_log(cases, files, damage=True)
	with tempfile.TemporaryDirectory() as tmp:
		for name, t in (("intact", make_log(cases, files)), ("damaged", text),
				("without results", make_log(cases, {"rc": b"0\n"})),
				("of a failed job", make_log(cases, files).replace(
					'"case": "job", "definition": "lava", "size": ! "590", "result": "pass"',
					'"case": "job", "definition": "lava", "size": ! "590", "result": "fail"'))):
			log = os.path.join(tmp, "lava-run.log")
			with open(log, "w") as f:
				f.write(t)
			run = {"t": {}}
			err = lava_run.collect(run, log, None, RUN_ID)
			tap((err is None) == (name == "intact"), "%s: lava-job on a log %s: %s" % (
				label, name, err or "no error"), err)
		# The DUT's JSON of another run (or none) is an error of this one, never its result.
		for what, rid in (("of another run", OTHER_ID), ("without a run id", None)):
			log = os.path.join(tmp, "lava-run.log")
			with open(log, "w") as f:
				f.write(make_log(cases, dict(files, **{"results.json": json.dumps(
					dict(doc, run_id=rid)).encode()})))
			run = {"t": {}}
			err = lava_run.collect(run, log, None, RUN_ID)
			tap(err is not None and run.get("json") is None,
			    "%s: lava-job refuses a results.json %s" % (label, what), err)


def compare_checks(label, doc):
	tap(compare.differences(doc, copy.deepcopy(doc), RUN_ID) == [], "%s: a run equals itself" % label)
	i = next(i for i, r in enumerate(doc["results"]) if r["verdict"] == "pass")
	mut = copy.deepcopy(doc)
	mut["results"][i]["verdict"] = "fail"
	tap(len(compare.differences(mut, doc, RUN_ID)) == 1, "%s: compare catches a verdict flipped" % label)
	mut = copy.deepcopy(doc)
	mut["results"].pop(i)
	tap(len(compare.differences(mut, doc, RUN_ID)) == 1, "%s: compare catches a test missing" % label)
	r = next((r for r in doc["results"] if r["verdict"] == "refused"), None)
	if r:
		mut = copy.deepcopy(doc)
		next(x for x in mut["results"] if x["name"] == r["name"])["errno"] = -1
		tap(len(compare.differences(mut, doc, RUN_ID)) == 1, "%s: compare catches another errno" % label)
	if doc.get("selftest"):
		mut = copy.deepcopy(doc)
		s = mut["selftest"][0]
		s["result"] = "not ok" if s["result"] != "not ok" else "ok"
		tap(len(compare.differences(mut, doc, RUN_ID)) == 1, "%s: compare catches a cow.c line changed" % label)
	mut = copy.deepcopy(doc)
	mut["kernel"] = "0.0.0-other"
	tap(len(compare.differences(mut, doc, RUN_ID)) == 1, "%s: compare catches a native report of another kernel" % label)
	# The native reference must be of the lab suite's run (the id it wrote), of the same binary.
	for what, change, want in (("of another run", {"run_id": OTHER_ID}, RUN_ID),
				   ("without a run id", {"run_id": None}, RUN_ID),
				   ("of another cowpin binary", {"build_id": "00" * 20}, RUN_ID),
				   ("with no run id to compare it with", {}, None)):
		native = dict(copy.deepcopy(doc), **change)
		d = compare.differences(doc, native, want)
		tap(len(d) == 1, "%s: compare refuses a native report %s" % (label, what), d)


def suite_checks(docs):
	"""compare.py as the suite runs it: a LAVA error fails it."""
	with tempfile.TemporaryDirectory() as tmp:
		lava, native = os.path.join(tmp, "lava"), os.path.join(tmp, "native")
		os.makedirs(lava)
		os.makedirs(native)
		for k, doc in docs.items():
			for d in (lava, native):
				with open(os.path.join(d, k + ".json"), "w") as f:
					json.dump(doc, f)
			with open(os.path.join(lava, "lava-cases-%s.json" % k), "w") as f:
				json.dump(cases_of(doc), f)

		ids = {"lava": os.path.join(tmp, "lava.run-id"), "native": os.path.join(tmp, "native.run-id")}

		def run(errors, lava_id=RUN_ID, native_id=RUN_ID):
			with open(os.path.join(lava, "lab.json"), "w") as f:
				json.dump({"kernels": [{"label": k, "error": errors.get(k)} for k in docs]}, f)
			for n, rid in (("lava", lava_id), ("native", native_id)):
				if rid is None:
					if os.path.exists(ids[n]):
						os.unlink(ids[n])
				else:
					with open(ids[n], "w") as f:
						f.write(rid + "\n")
			return subprocess.run([sys.executable, compare.__file__, lava, native] + list(docs) +
					      ["--run-id-file", ids["lava"], "--native-run-id-file", ids["native"]],
					      capture_output=True, text=True)
		r = run({})
		tap(r.returncode == 0 and "not ok" not in r.stdout, "compare.py passes equal runs", r.stdout)
		r = run({list(docs)[0]: "lava-run exit 1"})
		tap(r.returncode == 1, "compare.py fails on a LAVA error", r.stdout)
		# The lab suite ran again (a new id) but wrote no report: last run's is no reference.
		r = run({}, native_id=OTHER_ID)
		tap(r.returncode == 1 and "native report: it carries run id %s" % RUN_ID in r.stdout,
		    "compare.py fails on a native report of another run than the lab suite's", r.stdout)
		r = run({}, native_id=None)
		tap(r.returncode == 1, "compare.py fails on a native report when the lab suite's run id is unknown",
		    r.stdout)
		r = run({}, lava_id=OTHER_ID)
		tap(r.returncode == 1 and "LAVA JSON it carries run id" in r.stdout,
		    "compare.py fails on LAVA JSON of another run", r.stdout)


class FakeKernel(kernels.Kernel):
	def __init__(self):
		super().__init__("6.12", "/nonexistent/vmlinuz", "/nonexistent/lib/modules/6.12.0-test",
				 "6.12.0-test", "test")


def job_checks():
	k = FakeKernel()
	g = vm.Guest(k, mem="2G", smp=2, edu=True)
	urls = {n: "https://lab.example.org/cowpin/%s" % n for n in ("kernel", "ramdisk", "scratch", "nvme")}
	doc = lava_job.job("6.12", g, urls, kvm=False, run_id=RUN_ID)
	text = lava_job.dump(doc)
	test = doc["actions"][2]["test"]["definitions"][0]
	steps = test["repository"]["run"]["steps"]
	tap(test.get("parameters") == {"COWPIN_RUN_ID": RUN_ID} and
	    "COWPIN_RUN_ID" in test["repository"].get("params", {}) and
	    any(s.startswith('COWPIN_RUN_ID="$COWPIN_RUN_ID" ') for s in steps),
	    "the job passes its run id to the DUT (a test parameter, into run-in-dut.sh's environment)",
	    [test.get("parameters"), steps])
	tap("parameters" not in lava_job.job("6.12", g, urls, kvm=False)["actions"][2]["test"]["definitions"][0],
	    "a job without a run id has no such parameter")

	def local_paths(t):
		for u in urls.values():
			t = t.replace(u, "")
		return [p for p in (ROOT, os.path.expanduser("~"), kernels.cache_root(), "file://",
				    "/tmp/", "/work/") if p in t]
	tap(not local_paths(text), "the job names no path of this machine", local_paths(text))
	mut = copy.deepcopy(doc)
	mut["context"]["extra_options"].append("-drive file=%s/x.img" % kernels.cache_root())
	tap(bool(local_paths(lava_job.dump(mut))), "a job with a local path is caught")
	opts = [o for pair in doc["context"]["extra_options"] for o in pair.split(" ", 1)]
	argv = g.argv("/nonexistent", "tcg", "/nonexistent/initrd")
	mo = g.machine_options()
	tap(opts[:len(mo)] == mo and any(argv[i:i + len(mo)] == mo for i in range(len(argv))),
	    "the job's QEMU machine and devices are the native lab's", opts)
	nvme = doc["actions"][0]["deploy"]["images"].get("nvme", {}).get("image_arg", "")
	tap(nvme.split() == vm.nvme_options("{nvme}"),
	    "the job's NVMe (vfio-*-nvme) is the native lab's, as an image after the vIOMMU", [nvme])
	noio = lava_job.job("x", vm.Guest(k, edu=True, noiommu=True), urls, kvm=False)
	tap(noio["context"]["extra_options"] != doc["context"]["extra_options"],
	    "another guest gives other options (the comparison can fail)")
	tap(doc["context"].get("no_kvm") is True and "no_kvm" not in lava_job.job(
		"6.12", g, urls, kvm=True)["context"], "no_kvm only without KVM")
	if not shutil.which("lava-run"):
		T.skip("lava-run --validate", "lava-dispatcher is not installed (scripts/test-all installs it)")
		return
	with tempfile.TemporaryDirectory() as tmp:
		for n in urls:	# --validate looks at file:// artifacts
			open(os.path.join(tmp, n), "wb").close()
		local = {n: "file://" + os.path.join(tmp, n) for n in urls}
		dev = os.path.join(tmp, "device.yaml")
		disp = os.path.join(tmp, "dispatcher.yaml")
		job = lava_job.job("6.12", g, local, kvm=False, run_id=RUN_ID)
		with open(dev, "w") as f:
			f.write(lava_job.device(lava_run.templates(), job["context"]))
		with open(disp, "w") as f:
			f.write(lava_job.DISPATCHER)
		bad = copy.deepcopy(job)
		bad["actions"][1]["boot"]["method"] = "qemu-nonexistent"
		for name, j, want in (("the generated job", job, 0), ("a mutated job", bad, 1)):
			path = os.path.join(tmp, "job.yaml")
			with open(path, "w") as f:
				f.write(lava_job.dump(j))
			job_id = "%d9%d" % (os.getpid(), want)
			r = subprocess.run(["lava-run", "--validate", "--job-id", job_id,
					    "--output-dir", os.path.join(tmp, "out%d" % want), "--device", dev,
					    "--dispatcher", disp, path], capture_output=True, text=True)
			# --validate leaves its (empty) scratch directory behind.
			shutil.rmtree(os.path.join(LAVA_TMP, job_id), ignore_errors=True)
			tap((r.returncode == 0) == (want == 0), "lava-run --validate %s %s" % (
				"accepts" if want == 0 else "rejects", name), r.stdout[-2000:])


def main():
	docs = {}
	for k in ("6.1", "6.12"):
		with open(os.path.join(HERE, "lab-report", k + ".json")) as f:
			docs[k] = json.load(f)
		# As this run's cowpin stamps them (the committed report predates run ids).
		docs[k].update(run_id=RUN_ID, build_id="ab" * 20)
		log_checks(k, docs[k])
		compare_checks(k, docs[k])
	suite_checks(docs)
	job_checks()
	return T.done()


if __name__ == "__main__":
	sys.exit(main())
