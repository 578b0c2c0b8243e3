# SPDX-License-Identifier: GPL-2.0-only
"""Resolve a --kernel spec to a bootable kernel + modules tree.

Debian kernels come from the package archive (apt-get download, dpkg-deb -x,
depmod) and are cached, so a second run downloads nothing.  Built kernels
(build:6.12) come from scripts/build-kernel; user kernels are taken as given.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from . import util

# Series -> regex of the unsigned generic amd64 image package names.
SERIES = {
	"6.1": r"linux-image-6\.1\.0-[0-9]+-amd64-unsigned",
	"6.12": r"linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned",
}


class Kernel:
	"""What a guest boots: label for tables, bzImage, modules dir (or None)."""

	def __init__(self, label, image, modules, kver, origin):
		self.label = label
		self.image = image
		self.modules = modules	# .../lib/modules/KVER or None (all built in)
		self.kver = kver
		self.origin = origin	# package name + version, or path
		self.download_s = 0.0	# seconds spent fetching (0 when cached)
		# Built kernels: run_build_kernel's info (first build's wall/CPU
		# seconds, and whether this run built it).
		self.build = None
		# Extra cmdline words per boot mode (all, iommu, noiommu): built
		# kernels take module options there (scripts/kernel/cmdline).
		self.cmdline = {}
		self.noiommu = False	# boot edu without the vIOMMU (KERNEL@noiommu)
		# cowpin_gup_test.ko for it (lablib/kmod.py): path, or why none.
		self.gup_ko = None
		self.gup_no_ko = None
		self.gup_kmod = None	# headers/build seconds


def cache_root():
	base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
	return os.path.join(base, "cowpin")


_NAMES = []
_VERSIONS = {}


def _apt_names(regex):
	# apt-cache rebuilds its cache on every call where pkgcache is off (as in
	# containers): ~1 s CPU each, so list every linux-image-6.* name once.
	if not _NAMES:
		out = subprocess.run(["apt-cache", "pkgnames", "linux-image-6."],
				     capture_output=True, text=True).stdout
		_NAMES.extend(out.split())
	return [n for n in _NAMES if re.match("^%s$" % regex, n)]


def _numkey(s):
	return [int(x) for x in re.findall(r"[0-9]+", s)]


def _candidates(regex):
	names = _apt_names(regex)
	if not names:
		# A fresh container has empty package lists.
		if os.geteuid() != 0:
			raise util.LabError("no package matches %s and not root to run "
					    "apt-get update; run it as root" % regex)
		util.say("apt-cache finds no %s: running apt-get update" % regex)
		subprocess.run([util.APT_WAIT, "update", "-q"], check=True,
			       stdout=subprocess.DEVNULL)
		del _NAMES[:]
		names = _apt_names(regex)
	if not names:
		raise util.LabError("the package archive has no %s" % regex)
	return sorted(names, key=_numkey)


def _versions(pkg):
	"""Versions of pkg, newest first; one apt-cache call fetches the
	newest package of every series along with it."""
	if pkg not in _VERSIONS:
		want = [pkg] + [max(_apt_names(r), key=_numkey)
				for r in SERIES.values() if _apt_names(r)]
		out = subprocess.run(["apt-cache", "madison"] + want,
				     capture_output=True, text=True).stdout
		for p in want:
			_VERSIONS.setdefault(p, [])
		for l in out.splitlines():
			f = [x.strip() for x in l.split("|")]
			if len(f) >= 2 and f[1] not in _VERSIONS.setdefault(f[0], []):
				_VERSIONS[f[0]].append(f[1])
	return _VERSIONS[pkg]


def _resolve_debian(spec):
	"""spec: series (6.1), package name, or full Debian version -> (pkg, ver)."""
	if spec in SERIES:
		pkg = _candidates(SERIES[spec])[-1]
		vers = _versions(pkg)
		if not vers:
			raise util.LabError("apt-cache has no version of %s" % pkg)
		return pkg, vers[0]
	if spec.startswith("linux-image-"):
		vers = _versions(spec)
		if not vers:
			raise util.LabError("no package %s in the archive" % spec)
		return spec, vers[0]
	m = re.match(r"^([0-9]+\.[0-9]+)\.", spec)
	if m and m.group(1) in SERIES:
		for pkg in reversed(_candidates(SERIES[m.group(1)])):
			if spec in _versions(pkg):
				return pkg, spec
	raise util.LabError("--kernel %s: not 6.1, 6.12, a linux-image package "
			    "or a Debian version of one in the archive" % spec)


def _resolve_memo(spec):
	"""_resolve_debian, remembered until the package lists change: apt-cache
	costs seconds per call on a loaded host and exec boots are short."""
	path = os.path.join(cache_root(), "kernels", "resolved.json")
	try:
		stamp = os.stat("/var/lib/apt/lists").st_mtime
	except OSError:
		stamp = None
	try:
		with open(path) as f:
			memo = json.load(f)
	except (OSError, ValueError):
		memo = {}
	if memo.get("lists") != stamp:
		memo = {"lists": stamp}
	if spec not in memo:
		memo[spec] = list(_resolve_debian(spec))
		util.write_atomic(path, json.dumps(memo).encode())
	return memo[spec]


def _fetch_debian(spec):
	pkg, ver = _resolve_memo(spec)
	root = os.path.join(cache_root(), "kernels", "%s_%s" % (pkg, ver))
	t0 = time.monotonic()
	if not os.path.exists(os.path.join(root, ".complete")):
		util.say("downloading %s %s" % (pkg, ver))
		# A private directory: another lab run may be fetching the same package.
		os.makedirs(os.path.dirname(root), exist_ok=True)
		tmp = tempfile.mkdtemp(dir=os.path.dirname(root), prefix=".fetch-")
		os.chmod(tmp, 0o755)	# mkdtemp makes it 0700; it becomes the cache entry
		try:
			subprocess.run([util.APT_WAIT, "download", "-q", "%s=%s" % (pkg, ver)],
				       cwd=tmp, check=True, stdout=subprocess.DEVNULL,
				       stderr=subprocess.DEVNULL)
			deb = [f for f in os.listdir(tmp) if f.endswith(".deb")][0]
			subprocess.run(["dpkg-deb", "-x", deb, "."], cwd=tmp, check=True)
			os.unlink(os.path.join(tmp, deb))
			kver = os.listdir(os.path.join(tmp, "lib/modules"))[0]
			# The .deb ships no modules.dep.
			subprocess.run(["depmod", "-b", tmp, kver], check=True)
			open(os.path.join(tmp, ".complete"), "w").close()
		except BaseException:
			shutil.rmtree(tmp, ignore_errors=True)
			raise
		if os.path.exists(os.path.join(root, ".complete")):
			shutil.rmtree(tmp)	# the other run finished first
		else:
			shutil.rmtree(root, ignore_errors=True)
			os.rename(tmp, root)
	dl = time.monotonic() - t0
	kver = os.listdir(os.path.join(root, "lib/modules"))[0]
	label = spec if spec in SERIES else ver
	k = Kernel(label, os.path.join(root, "boot", "vmlinuz-" + kver),
		   os.path.join(root, "lib/modules", kver), kver, "%s %s" % (pkg, ver))
	k.download_s = dl if dl > 0.5 else 0.0
	return k


def bzimage_version(path):
	"""The kernel release string from a bzImage's setup header."""
	with open(path, "rb") as f:
		hdr = f.read(0x300)
		if hdr[0x202:0x206] != b"HdrS":
			return None
		off = int.from_bytes(hdr[0x20e:0x210], "little") + 0x200
		f.seek(off)
		return f.read(256).split(b" ")[0].decode(errors="replace")


def _builtin_modules_dir(image, kver):
	"""Fake modules dir for an all-built-in kernel so `modprobe x` succeeds."""
	d = os.path.join(cache_root(), "builtin-modules", kver)
	src = os.path.dirname(os.path.abspath(image))
	for _ in range(4):	# arch/x86/boot/bzImage -> build tree root
		if os.path.exists(os.path.join(src, "modules.builtin")):
			break
		src = os.path.dirname(src)
	else:
		os.makedirs(os.path.join(d, "lib/modules", kver), exist_ok=True)
		return os.path.join(d, "lib/modules", kver)
	mdir = os.path.join(d, "lib/modules", kver)
	os.makedirs(mdir, exist_ok=True)
	for f in ("modules.builtin", "modules.builtin.modinfo", "modules.order"):
		if os.path.exists(os.path.join(src, f)):
			shutil.copy(os.path.join(src, f), mdir)
	subprocess.run(["depmod", "-b", d, kver], stderr=subprocess.DEVNULL)
	return mdir


def run_build_kernel(tool, series, timeout=None):
	"""Run scripts/build-kernel SERIES; return (bzImage, info): its
	build-info plus "this_run_s" (seconds this call took) and "built_now"
	(this call built it: build-info is newer than the call, not cached).
	A failure raises LabError.  With a timeout the build runs in its own
	session and, once over it, is interrupted (make removes half-written
	objects; the object tree is kept) and TimeoutExpired is raised; without
	one it stays in ours, so a Ctrl-C reaches it."""
	t0, wall0 = time.monotonic(), time.time()
	p = subprocess.Popen([tool, series], stdout=subprocess.PIPE, text=True,
			     start_new_session=timeout is not None)
	try:
		out, _ = p.communicate(timeout=timeout)
	except subprocess.TimeoutExpired:
		os.killpg(p.pid, signal.SIGINT)
		p.communicate()
		raise
	lines = out.strip().splitlines()
	if p.returncode or not lines or not lines[-1].startswith("KERNEL="):
		raise util.LabError("scripts/build-kernel %s failed (exit %d); its messages "
				    "are above" % (series, p.returncode))
	image = lines[-1].split("=", 1)[1]
	info = build_info(image)
	info["this_run_s"] = time.monotonic() - t0
	try:
		info["built_now"] = os.path.getmtime(os.path.join(
			os.path.dirname(image), "build-info")) >= wall0
	except OSError:
		info["built_now"] = False
	return image, info


def _built(spec, repo):
	series = spec.split(":", 1)[1]
	tool = os.path.join(repo, "scripts", "build-kernel")
	if not os.access(tool, os.X_OK):
		raise util.LabError("%s: scripts/build-kernel is missing" % spec)
	util.say("building kernel %s (scripts/build-kernel)" % series)
	image, info = run_build_kernel(tool, series)
	kver = bzimage_version(image) or series
	k = Kernel(spec, image, _builtin_modules_dir(image, kver), kver, image)
	k.build = info
	k.cmdline = cmdline_modes(os.path.join(repo, "scripts", "kernel", "cmdline"))
	return k


def build_info(image):
	"""scripts/build-kernel's build-info next to IMAGE, as a dict."""
	info = {}
	try:
		with open(os.path.join(os.path.dirname(image), "build-info")) as f:
			for line in f:
				for word in line.split():
					key, sep, val = word.partition("=")
					if sep:
						info[key] = val
	except OSError:
		pass
	return info


def cmdline_modes(path):
	"""scripts/kernel/cmdline: lines "MODE: words" -> {mode: words}."""
	modes = {}
	if os.path.exists(path):
		with open(path) as f:
			for line in f:
				mode, sep, words = line.partition(":")
				if sep and not line.startswith("#"):
					modes[mode.strip()] = (modes.get(mode.strip(), "") + " "
							       + words.strip()).strip()
	return modes


def _user(path, modules):
	if not os.path.exists(path):
		raise util.LabError("--kernel %s: no such file" % path)
	kver = bzimage_version(path) or os.path.basename(path)
	if modules:
		modules = os.path.abspath(modules)
		if not os.path.exists(os.path.join(modules, "modules.dep")):
			raise util.LabError("--modules %s has no modules.dep (run depmod)"
					    % modules)
		kver = os.path.basename(modules.rstrip("/"))
	else:
		modules = _builtin_modules_dir(path, kver)
	return Kernel(kver, os.path.abspath(path), modules, kver, os.path.abspath(path))


def resolve(spec, modules=None, repo="."):
	if spec.startswith("build:"):
		return _built(spec, repo)
	if "/" in spec or os.path.isfile(spec):
		return _user(spec, modules)
	return _fetch_debian(spec)
