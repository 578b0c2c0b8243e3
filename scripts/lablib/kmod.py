# SPDX-License-Identifier: GPL-2.0-only
"""cowpin_gup_test.ko (drivers/kmod) for a lab kernel.

A kernel without CONFIG_GUP_TEST gets cowpin's module: built on the host
with scripts/build-gup-test-module against the kernel's headers -- for
Debian's kernels the matching linux-headers-KVER, linux-headers-KVER-common
and linux-kbuild packages, fetched with apt-get download, extracted (never
installed) and cached like the kernel images.  The guest sees the host's
root read-only over 9p, so the .ko reaches it at the same path: the job
exports COWPIN_GUP_TEST_KO=path (scripts/setup-gup-test loads it), or
COWPIN_GUP_TEST_NO_KO=why when there is none (the gup-test SKIP reason).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from . import hostdeps, kernels, util

APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "download", "-q"]


def _config_has(k, sym):
	"""Is sym=y in the kernel's config (Debian's boot/config-KVER)?"""
	root = os.path.dirname(os.path.dirname(os.path.dirname(k.modules)))
	path = os.path.join(root, "boot", "config-" + k.kver)
	try:
		with open(path) as f:
			return ("%s=y\n" % sym) in f.read()
	except OSError:
		return None


def _headers_debian(k):
	"""Extract Debian's headers for k into the cache; returns the KDIR."""
	pkg, ver = k.origin.split(" ", 1)
	flavour = k.kver	# 6.1.0-57-amd64
	common = re.sub(r"-[a-z0-9]+$", "-common", flavour)
	m = re.match(r"^([0-9]+\.[0-9]+)\.0-", flavour)
	# 6.1 ships linux-kbuild-6.1; 6.12 backports one per ABI (…+deb12).
	kbuild = "linux-kbuild-" + (m.group(1) if m else re.sub(r"-[a-z0-9]+$", "", flavour))
	names = ["linux-headers-" + flavour, "linux-headers-" + common, kbuild]
	root = os.path.join(kernels.cache_root(), "headers", "%s_%s" % (flavour, ver))
	kdir = os.path.join(root, "usr/src/linux-headers-" + flavour)
	if os.path.exists(os.path.join(root, ".complete")):
		return kdir
	util.say("downloading %s %s" % (" ".join(names), ver))
	os.makedirs(os.path.dirname(root), exist_ok=True)
	tmp = tempfile.mkdtemp(dir=os.path.dirname(root), prefix=".fetch-")
	os.chmod(tmp, 0o755)
	try:
		r = subprocess.run(APT + ["%s=%s" % (n, ver) for n in names], cwd=tmp,
				   capture_output=True, text=True)
		if r.returncode:
			raise util.LabError("apt-get download %s=%s: %s" % (
				" ".join(names), ver, (r.stderr.strip().splitlines() or ["?"])[-1]))
		for deb in sorted(f for f in os.listdir(tmp) if f.endswith(".deb")):
			subprocess.run(["dpkg-deb", "-x", deb, "."], cwd=tmp, check=True)
			os.unlink(os.path.join(tmp, deb))
		# The flavour's Makefile includes /usr/src/linux-headers-…-common/Makefile
		# by absolute path: point it at our copy (Kbuild takes srctree from it).
		mk = os.path.join(tmp, "usr/src/linux-headers-%s/Makefile" % flavour)
		with open(mk) as f:
			text = f.read()
		with open(mk, "w") as f:
			f.write(text.replace("include /usr/src/", "include %s/usr/src/" % root))
		open(os.path.join(tmp, ".complete"), "w").close()
	except BaseException:
		shutil.rmtree(tmp, ignore_errors=True)
		raise
	if os.path.exists(os.path.join(root, ".complete")):
		shutil.rmtree(tmp)	# another run finished first
	else:
		shutil.rmtree(root, ignore_errors=True)
		os.rename(tmp, root)
	return kdir


def _kdir(k):
	"""The build tree for k, or raise LabError saying why there is none."""
	if k.origin.startswith("linux-image-"):
		return _headers_debian(k)
	build = os.path.join(k.modules, "build")
	if os.path.exists(os.path.join(build, "Makefile")):
		return build
	raise util.LabError("no kernel headers for %s (%s/build is missing; build "
			    "the kernel with its modules_install or pass --modules of a "
			    "tree that has one)" % (k.kver, k.modules))


def provide(k, repo):
	"""Set k.gup_ko (path) or k.gup_no_ko (why not); k.gup_kmod: timings.
	Kernels with their own gup_test (CONFIG_GUP_TEST, the built ones) get
	neither: the kernel's gup_test is the judge there."""
	k.gup_ko = k.gup_no_ko = None
	k.gup_kmod = {}
	if k.build is not None or _config_has(k, "CONFIG_GUP_TEST"):
		return
	t0 = time.monotonic()
	try:
		# Kbuild: Debian's headers of both series name gcc-12.
		hostdeps.ensure(build=False, extra=("make", "gcc-12"))
		kdir = _kdir(k)
		k.gup_kmod["headers_s"] = round(time.monotonic() - t0, 1)
		try:
			with open(os.path.join(kdir, ".config")) as f:
				if "CONFIG_GUP_TEST=y\n" in f.read():
					return
		except OSError:
			pass
		tool = os.path.join(repo, "scripts", "build-gup-test-module")
		t1 = time.monotonic()
		r = subprocess.run([tool, kdir], capture_output=True, text=True)
		sys.stderr.write(r.stderr)
		lines = r.stdout.strip().splitlines()
		if r.returncode or not lines or not lines[-1].startswith("KO="):
			# Its last line says why (build-gup-test-module: error: ...).
			why = (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]
			raise util.LabError("scripts/build-gup-test-module failed: %s" % why)
		k.gup_ko = lines[-1].split("=", 1)[1]
		k.gup_kmod["build_s"] = round(time.monotonic() - t1, 1)
	except (util.LabError, subprocess.CalledProcessError, OSError) as e:
		k.gup_no_ko = "no cowpin_gup_test module for %s: %s" % (k.kver, e)
		util.say("%s: %s" % (k.label, k.gup_no_ko))
