#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""cowpin in a bad environment: every scenario must end in SKIPs with exact
reasons, never a crash, an error or a false pass.

    bad_env.py COWPIN WITH_DEVICES [SCENARIO...]

Each scenario runs `cowpin run --format json` (through scripts/with-devices
where the set-up is what suffers) with one thing broken, in a private mount
namespace (unshare -m) where it can be, and compares the JSON with a run in
the unbroken environment: a test may keep its verdict or become a SKIP whose
reason names the broken thing; anything else (a new pass, fail, error, a
crash, a changed plan) fails the scenario.  The system-wide knobs (THP,
nr_hugepages) are restored afterwards, also on failure or SIGTERM.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import Tap  # noqa: E402

COWPIN, WITH_DEVICES = (os.path.abspath(a) for a in sys.argv[1:3])
ONLY = sys.argv[3:]
# A smaller plan where runs are slow (lab guests): e.g. "--consumer vfio-type1 --backing memfd".
RUN_ARGS = os.environ.get("COWPIN_ENV_RUN_ARGS", "")
THP = "/sys/kernel/mm/transparent_hugepage/enabled"
POOL = "/proc/sys/vm/nr_hugepages"
TMP = tempfile.mkdtemp(prefix="cowpin-env.")
os.chmod(TMP, 0o1777)		# nobody writes its tmpfile/ro-shared-file here

# Shell run inside `unshare -m` before cowpin: /dev without kmsg (the other
# nodes bound back from the real /dev), so open() gives ENOENT.
DEV_WITHOUT_KMSG = """
old=$(mktemp -d)
mount --rbind /dev "$old"
mount -t tmpfs -o mode=755 tmpfs /dev
for e in "$old"/* "$old"/.[!.]*; do
	[ -e "$e" ] || [ -L "$e" ] || continue
	n=/dev/${e##*/}
	[ "$n" = /dev/kmsg ] && continue
	if [ -L "$e" ]; then cp -P "$e" "$n"
	elif [ -d "$e" ]; then mkdir "$n" && mount --rbind "$e" "$n"
	else touch "$n" && mount --bind "$e" "$n"
	fi
done
"""


def sh(cmd):
	return subprocess.run(cmd, shell=True, capture_output=True, text=True)


def run_cowpin(prefix="", setup="", devices=False, ns=False):
	"""cowpin's JSON document and exit status in the given conditions."""
	cmd = f"{WITH_DEVICES} " if devices else ""
	cmd += f"{COWPIN} run --format json --tmpdir {TMP} --timeout 120 {RUN_ARGS}"
	if prefix:
		cmd = f"{prefix} {cmd}"
	script = f"set -e\n{setup}\nexec {cmd}"
	argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", script] if ns else ["sh", "-c", script]
	p = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
	try:
		doc = json.loads(p.stdout)
	except ValueError:
		doc = None
	return doc, p.returncode, p.stderr


class Restore:
	"""Write a value to a system file and put the old one back, whatever happens."""

	def __init__(self, path, value):
		self.path, self.value, self.old = path, value, None

	def __enter__(self):
		with open(self.path) as f:
			text = f.read().strip()
		m = re.search(r"\[(\w+)\]", text)		# THP files show "always [madvise] never"
		self.old = m.group(1) if m else text
		with open(self.path, "w") as f:
			f.write(self.value)
		return self

	def __exit__(self, *exc):
		with open(self.path, "w") as f:
			f.write(self.old)
		return False


def verdicts(doc):
	return {r["name"]: r for r in doc["results"]}


def compare(base, doc, rc, base_rc, skip_re):
	"""Problems of doc against the baseline; the tests that became SKIPs."""
	problems, skipped = [], []
	if doc is None:
		return ["no JSON document on stdout"], skipped
	if rc < 0 or rc > 1:
		problems.append(f"exit status {rc} (crash or bad usage)")
	elif rc > base_rc:
		problems.append(f"exit status {rc}, baseline {base_rc}")
	b, d = verdicts(base), verdicts(doc)
	if set(b) != set(d):
		problems.append(f"plan changed: {len(d)} tests, baseline {len(b)}")
	for name, r in d.items():
		old = b.get(name)
		reason = r.get("reason", "")
		if "crashed" in reason or "gave no result" in reason:
			problems.append(f"{name}: {reason}")
		if not old or r["verdict"] == old["verdict"]:
			if r["verdict"] == "skip" and not reason.strip():
				problems.append(f"{name}: SKIP without a reason")
			continue
		if r["verdict"] == "skip" and re.search(skip_re, reason):
			skipped.append(name)
			continue
		problems.append(f"{name}: {old['verdict']} -> {r['verdict']}: {reason[:200]}")
	return problems, skipped


def executed(doc):
	return [r for r in doc["results"] if r["verdict"] != "skip"]


def scen_nonroot(base, base_rc):
	doc, rc, err = run_cowpin(prefix="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "
				  "--bounding-set=-all")
	probs, skipped = compare(base, doc, rc, base_rc,
				 r"CAP_SYS_ADMIN|root|[Pp]ermission denied|EPERM|EACCES|not permitted|RLIMIT_MEMLOCK")
	if doc:
		restrict = sh("cat /proc/sys/kernel/dmesg_restrict").stdout.strip() == "1"
		for r in executed(doc):
			if restrict and "cannot read /dev/kmsg" not in r.get("dmesg_gate", ""):
				probs.append(f"{r['name']}: ran without the dmesg gate and did not say so")
			if "mechanism_why" in r and r.get("mechanism") == "unknown" and \
			   "CAP_SYS_ADMIN" not in r["mechanism_why"]:
				probs.append(f"{r['name']}: trace unknown without naming CAP_SYS_ADMIN: {r['mechanism_why']}")
		hz = [n for n, r in verdicts(base).items() if ".huge-zeropage." in n and r["verdict"] != "skip"]
		if hz and not any(".huge-zeropage." in n for n in skipped):
			probs.append("huge-zeropage tests did not SKIP though PFNs are hidden from non-root")
	return probs, skipped


def scen_kmsg_absent(base, base_rc):
	doc, rc, err = run_cowpin(setup=DEV_WITHOUT_KMSG, ns=True)
	probs, skipped = compare(base, doc, rc, base_rc, r"^$")
	for r in executed(doc) if doc else []:
		if "cannot read /dev/kmsg: No such file" not in r.get("dmesg_gate", ""):
			probs.append(f"{r['name']}: dmesg gate missing but not reported: {r.get('dmesg_gate')}")
	return probs, skipped


def scen_kmsg_null(base, base_rc):
	doc, rc, err = run_cowpin(setup="mount --bind /dev/null /dev/kmsg", ns=True)
	probs, skipped = compare(base, doc, rc, base_rc, r"^$")
	for r in executed(doc) if doc else []:
		if "not the kernel log device" not in r.get("dmesg_gate", ""):
			probs.append(f"{r['name']}: /dev/kmsg is /dev/null, yet the gate claims a clean log")
	return probs, skipped


def scen_sys_ro(base, base_rc):
	# remount,bind,ro changes this namespace's mount only, never the sysfs superblock.
	doc, rc, err = run_cowpin(setup="mount -o remount,bind,ro /sys", devices=True, ns=True)
	return compare(base, doc, rc, base_rc, r"vfio|[Rr]ead-only|sysfs|bind|modprobe|not loaded|missing|no vivid")


def scen_sys_absent(base, base_rc):
	doc, rc, err = run_cowpin(setup="mount -t tmpfs tmpfs /sys", ns=True)
	return compare(base, doc, rc, base_rc, r"/sys|sysfs")


def scen_no_hugepages(base, base_rc):
	for _ in range(3):
		with Restore(POOL, "0"):
			doc, rc, err = run_cowpin()
			# Another run on this machine (with-devices) may have raised the pool meanwhile.
			changed = open(POOL).read().strip() != "0"
		if not changed:
			break
	else:
		return ["SKIP nr_hugepages kept being raised by another process during the run"], []
	probs, skipped = compare(base, doc, rc, base_rc, r"free (2 MiB|1 GiB) huge pages, need \d+: (echo|boot)")
	ran = [n for n, r in verdicts(base).items() if ".hugetlb-2M." in n and r["verdict"] != "skip"]
	if ran and not all(n in skipped for n in ran):
		probs.append("hugetlb-2M tests did not all SKIP with an empty pool")
	return probs, skipped


def scen_thp_never(base, base_rc):
	if not os.path.exists(THP):
		return ["SKIP kernel without THP"], []
	with Restore(THP, "never"):
		doc, rc, err = run_cowpin()
	probs, skipped = compare(base, doc, rc, base_rc, r"THP disabled: echo madvise > " + THP)
	ran = [n for n, r in verdicts(base).items() if ".huge-zeropage." in n and r["verdict"] != "skip"]
	if ran and not all(n in skipped for n in ran):
		probs.append("huge-zeropage tests did not all SKIP with THP disabled")
	return probs, skipped


def scen_no_modules(base, base_rc):
	rel = os.uname().release
	# An empty module tree: modprobe finds nothing; set-up must say so and go on.
	# (A kernel without a module tree, like this host's maybe, is the scenario already.)
	doc, rc, err = run_cowpin(setup=f"if [ -d /lib/modules/{rel} ]; then mount -t tmpfs tmpfs /lib/modules/{rel}; fi",
				  devices=True, ns=True)
	# vfio-*-nvme: set-up could not bind (or even identify) the lab's NVMe, so
	# none is named, and the engine refuses to write to a device nobody named.
	return compare(base, doc, rc, base_rc,
		       r"modprobe|not built|not loaded|not available|CONFIG_|no vivid|missing|is not|no verbs"
		       r"|refusing to write")


SCENARIOS = [
	("non-root (nobody, no capabilities)", "nonroot", scen_nonroot, False),
	("no /dev/kmsg", "kmsg-absent", scen_kmsg_absent, False),
	("/dev/kmsg is /dev/null (container style)", "kmsg-null", scen_kmsg_null, False),
	("read-only /sys (with device set-up)", "sys-ro", scen_sys_ro, True),
	("no sysfs mounted", "sys-absent", scen_sys_absent, False),
	("no hugepages (nr_hugepages=0)", "no-hugepages", scen_no_hugepages, False),
	("THP disabled (enabled=never)", "thp-never", scen_thp_never, False),
	("missing modules (empty /lib/modules, with device set-up)", "no-modules", scen_no_modules, True),
]


def main():
	chosen = [s for s in SCENARIOS if not ONLY or s[1] in ONLY]
	t = Tap(plan=len(chosen))
	if os.geteuid() != 0:
		for s in chosen:
			t.skip(f"{s[1]}: {s[0]}", "needs root (namespaces, sysfs writes)")
		shutil.rmtree(TMP, ignore_errors=True)
		return t.done()
	# SIGTERM (meson's timeout) must still run the Restore exits.
	signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
	bases = {}
	try:
		# The baselines have the pool a hugetlb backing needs, as with-devices sets it.
		with Restore(POOL, str(max(4, int(open(POOL).read())))):
			for devices in {s[3] for s in chosen}:
				doc, rc, err = run_cowpin(devices=devices)
				if doc is None:
					t.bail(f"baseline run gave no JSON (exit {rc}): {err[-300:]}")
					return 1
				bases[devices] = (doc, rc)
			for title, tag, fn, devices in chosen:
				base, base_rc = bases[devices]
				probs, skipped = fn(base, base_rc)
				if probs and probs[0].startswith("SKIP"):
					t.skip(f"{tag}: {title}", probs[0][len("SKIP "):])
					continue
				ran = len(executed(base)) - len(skipped)
				t.ok(not probs, f"{tag}: {title}: {len(skipped)} tests became SKIPs with the reason, "
				     f"{ran} kept their verdict", probs[:15])
	finally:
		shutil.rmtree(TMP, ignore_errors=True)
	return t.done()


if __name__ == "__main__":
	sys.exit(main())
