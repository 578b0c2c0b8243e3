# SPDX-License-Identifier: GPL-2.0-only
"""A self-contained ramdisk for one kernel: the LAVA job's root filesystem.

A LAVA worker has no access to this machine's disk (the native lab mounts
the host root over 9p), so everything the suite runs on the device under
test is packed in: busybox, cowpin, the executable scripts/setup-* with the
tools they call (bash, kmod, iproute2's ip and rdma, jq for the results)
and every library those need (their ldd closure, plus rdma-core's rxe/siw
providers and /etc/libibverbs.d), the kernel's modules the set-up loads
(modules.dep closure, decompressed once here: xz under TCG is slow, and a
fresh depmod over the subset so modprobe resolves names and aliases), the
cowpin_gup_test.ko (lablib/kmod.py), the selftest cow.c (lablib/selftest.py),
guest-suite.sh and the LAVA side (scripts/lava/).  Cached like the lab's
initramfs (cpio.newc, gzip).
"""
import gzip
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile

from . import initramfs, kernels, util, vm

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
LAVA = os.path.join(SCRIPTS, "lava")
OPT = "opt/cowpin"	# where the suite lives in the ramdisk
# Host programs the DUT side runs (set-up scripts, guest-suite.sh, run-in-dut.sh).
TOOLS = ["/usr/bin/bash", "/usr/bin/kmod", "/usr/bin/rdma", "/usr/sbin/ip",
	 "/usr/bin/jq", "/usr/bin/timeout",
	 "/usr/bin/comm"]	# (Debian's busybox has no comm)
KMOD_LINKS = ["modprobe", "insmod", "rmmod", "lsmod", "depmod", "modinfo"]
# rdma-core loads its providers by name from /etc/libibverbs.d.
PROVIDERS = ["rxe", "siw"]
PROVIDER_DIR = "/usr/lib/x86_64-linux-gnu/libibverbs"
# What the set-up scripts and the scratch disk load (names absent from a
# kernel are skipped: the tests that need them SKIP as in the native lab),
# plus what the kernel requests on its own (crc32 for rxe).
MODULES = ["virtio_pci", "virtio_blk", "ext4", "ib_uverbs", "rdma_ucm", "rdma_rxe",
	   "siw", "dummy", "vivid", "vfio-pci", "vfio_iommu_type1", "iommufd", "nvme",
	   "crc32_generic", "crc32c_generic", "crc32-pclmul", "crc32c-intel",
	   "9pnet_virtio", "9p"]	# the native lab's share (scripts/lab)


def _ldd(path):
	"""Absolute paths of the shared objects path needs (ld.so included)."""
	out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
	libs = []
	for line in out.splitlines():
		w = line.split()
		if "=>" in w and len(w) > w.index("=>") + 1 and w[w.index("=>") + 1].startswith("/"):
			libs.append(w[w.index("=>") + 1])
		elif w and w[0].startswith("/"):
			libs.append(w[0])
	return libs


def _real(path):
	"""path with its directory resolved (merged /usr), its name kept (a
	library's soname link becomes a file of that name)."""
	return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


class Tree:
	"""Files of the ramdisk: archive path -> (mode, body) or symlink."""

	def __init__(self):
		self.files = {}
		self.dirs = set()	# empty directories (mount points)

	def file(self, name, body, mode=0o644):
		self.files[name.lstrip("/")] = (0o100000 | mode, body)

	def link(self, name, target):
		self.files[name.lstrip("/")] = (0o120777, target.encode())

	def host(self, path, name=None, mode=None):
		with open(path, "rb") as f:
			body = f.read()
		self.file(name or _real(path), body, mode if mode is not None else
			  os.stat(path).st_mode & 0o777)

	def elf(self, path, name=None):
		"""A program or library and its whole ldd closure."""
		self.host(path, name)
		for lib in _ldd(path):
			if _real(lib).lstrip("/") not in self.files:
				self.host(lib, _real(lib), 0o755)

	def cpio(self):
		c = initramfs._Cpio()
		dirs = set(self.dirs)
		for n in list(self.files) + list(self.dirs):
			d = os.path.dirname(n)
			while d:
				dirs.add(d)
				d = os.path.dirname(d)
		for d in sorted(dirs):	# parents first: the kernel's unpacker makes no parents
			if d not in self.files:
				c.dir(d)
		c.add("dev/console", 0o20600, rdev=(5, 1))
		for n in sorted(self.files):
			mode, body = self.files[n]
			c.add(n, mode, body)
		return c.finish()


def _modules(tree, k):
	"""The kernel's modules the DUT needs, decompressed, with a depmod of
	exactly that subset (modules.dep, .alias, .softdep, .builtin)."""
	rel = initramfs.module_closure(k.modules, MODULES)
	with tempfile.TemporaryDirectory(prefix="cowpin-lava-mods-") as tmp:
		mdir = os.path.join(tmp, "lib/modules", k.kver)
		os.makedirs(mdir)
		for f in ("modules.builtin", "modules.builtin.modinfo", "modules.order"):
			if os.path.exists(os.path.join(k.modules, f)):
				shutil.copy(os.path.join(k.modules, f), mdir)
		for p in rel:
			out = os.path.join(mdir, p.rsplit(".ko", 1)[0] + ".ko")
			os.makedirs(os.path.dirname(out), exist_ok=True)
			with open(out, "wb") as f:
				f.write(initramfs._read_module(os.path.join(k.modules, p)))
		subprocess.run(["depmod", "-b", tmp, k.kver], check=True)
		for root, _, files in os.walk(mdir):
			for f in files:
				path = os.path.join(root, f)
				tree.host(path, "usr/lib/modules/%s/%s" % (
					k.kver, os.path.relpath(path, mdir)), 0o644)
	return rel


def env_file(k, cow, memlock, note2, run_args=()):
	"""/opt/cowpin/lava.env: what the native lab exports into its job
	(suite.run_kernel), with the ramdisk's paths."""
	env = {"COWPIN_LAB": "1"}
	if k.gup_ko:
		env["COWPIN_GUP_TEST_KO"] = "/%s/cowpin_gup_test.ko" % OPT
	elif k.gup_no_ko:
		env["COWPIN_GUP_TEST_NO_KO"] = k.gup_no_ko
	if cow:
		from . import selftest
		env["LAB_SELFTEST"] = "/%s/cow" % OPT
		env["LAB_SELFTEST_TIMEOUT"] = str(selftest.TIMEOUT_S)
	if memlock:
		env["LAB_MEMLOCK"] = memlock
	if note2:
		env["LAB_NOTE2"] = note2
	if run_args:	# a narrowed run (--consumer ...): words without blanks
		env["LAB_RUN_ARGS"] = " ".join(run_args)
	return "".join("export %s=%s\n" % (n, shlex.quote(v)) for n, v in sorted(env.items()))


def contents(k, cowpin, cow=None, memlock=None, note2=None, run_args=()):
	"""The Tree of kernel k's ramdisk."""
	t = Tree()
	for top in ("bin", "sbin", "lib", "lib64"):	# Debian's merged /usr
		if os.path.islink("/" + top):
			t.link(top, os.readlink("/" + top))
	t.host(initramfs.BUSYBOX, "usr/bin/busybox", 0o755)
	t.host(os.path.join(LAVA, "init.sh"), "init", 0o755)
	for tool in TOOLS:
		t.elf(tool)
	for name in KMOD_LINKS:
		t.link("usr/sbin/" + name, "/usr/bin/kmod")
	for p in PROVIDERS:
		t.elf(os.path.join(PROVIDER_DIR, "lib%s-rdmav34.so" % p))
		t.host("/etc/libibverbs.d/%s.driver" % p)
	t.elf(cowpin, OPT + "/cowpin")
	if cow:
		t.elf(cow, OPT + "/cow")
	if k.gup_ko:
		t.host(k.gup_ko, OPT + "/cowpin_gup_test.ko", 0o644)
	for f in sorted(os.listdir(SCRIPTS)):	# setup-* and what they call or source
		p = os.path.join(SCRIPTS, f)
		if (f.startswith(("setup-", "vfio-")) or f.endswith("-lib.sh")) and os.path.isfile(p):
			t.host(p, "%s/scripts/%s" % (OPT, f))
	t.host(os.path.join(HERE, "guest-suite.sh"), OPT + "/guest-suite.sh", 0o755)
	for f in os.listdir(LAVA):
		t.host(os.path.join(LAVA, f), "%s/lava/%s" % (OPT, f))
	t.file(OPT + "/prologue.sh", vm.PROLOGUE.encode())
	t.file(OPT + "/lava.env", env_file(k, cow, memlock, note2, run_args).encode())
	t.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
	t.file("etc/group", b"root:x:0:\n")
	t.dirs |= {"proc", "sys", "dev", "run", "tmp", "var/tmp", "root", "mnt"}
	_modules(t, k)
	return t


def build(k, cowpin, cow=None, memlock=None, note2=None, run_args=()):
	"""Path of kernel k's cached ramdisk (.cpio.gz), built when absent."""
	t = contents(k, cowpin, cow, memlock, note2, run_args)
	h = hashlib.sha256()
	for n in sorted(t.files):
		h.update(n.encode() + b"\0" + str(t.files[n][0]).encode() + b"\0")
		h.update(hashlib.sha256(t.files[n][1]).digest())
	out = os.path.join(kernels.cache_root(), "lava", "ramdisk-%s-%s.cpio.gz" % (
		k.kver, h.hexdigest()[:12]))
	if not os.path.exists(out):
		util.write_atomic(out, gzip.compress(t.cpio(), 6, mtime=0))
	return out


# The lab NVMe's image under LAVA: decompressed into the worker's tmpfs, so
# small: 64 MiB holds every buffer but hugetlb-1G's.
NVME_MB = 64


def nvme_disk():
	"""The lab NVMe's throwaway image (zeros), gzipped."""
	out = os.path.join(kernels.cache_root(), "lava", "nvme-%dM.raw.gz" % NVME_MB)
	if not os.path.exists(out):
		util.write_atomic(out, gzip.compress(bytes(NVME_MB << 20), 6, mtime=0))
	return out


def scratch_disk():
	"""The lab's ext4 scratch disk (/var/tmp in the guest), empty, gzipped."""
	out = os.path.join(kernels.cache_root(), "lava", "scratch-%dM.ext4.gz" % vm.SCRATCH_MB)
	if os.path.exists(out):
		return out
	with tempfile.TemporaryDirectory(prefix="cowpin-lava-scratch-") as tmp:
		img = os.path.join(tmp, "scratch.img")
		vm.make_scratch(img)
		with open(img, "rb") as f:
			util.write_atomic(out, gzip.compress(f.read(), 6, mtime=0))
	return out
