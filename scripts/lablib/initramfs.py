# SPDX-License-Identifier: GPL-2.0-only
"""Build (and cache) the lab's tiny initramfs for one kernel.

It holds busybox-static, the lab's /init, a /sbin/modprobe that forwards into
the real root, and the modules needed to reach the real root (virtio, 9p,
overlay), decompressed because busybox insmod cannot read .ko.xz.
"""
import hashlib
import lzma
import os

from . import util

BUSYBOX = "/bin/busybox"
HERE = os.path.dirname(os.path.abspath(__file__))
INIT = os.path.join(HERE, "init.sh")
WANTED = ["virtio_pci", "9pnet_virtio", "9p", "overlay",
	  "virtio_blk", "ext4"]	# the scratch disk (vm.PROLOGUE): insmod here is
				# cheaper than modprobe over 9p under TCG

MODPROBE = b"""#!/bin/busybox sh
# Kernel-triggered module loads (request_module) run this from the initramfs
# root: forward them to the real root's kmod, which sees the kernel's modules.
exec /bin/busybox chroot /newroot /sbin/modprobe "$@"
"""


def _norm(name):
	return name.replace("-", "_")


def _modname(path):
	base = os.path.basename(path)
	return _norm(base.split(".ko")[0])


def module_closure(mdir, wanted=WANTED):
	"""Paths (relative to mdir) of wanted modules + deps, in load order."""
	if not mdir or not os.path.exists(os.path.join(mdir, "modules.dep")):
		return []
	deps = {}
	with open(os.path.join(mdir, "modules.dep")) as f:
		for line in f:
			mod, _, rest = line.partition(":")
			deps[_modname(mod)] = (mod, rest.split())
	order, seen = [], set()

	def visit(name):
		if name in seen or name not in deps:
			return	# built in (or absent): nothing to load
		seen.add(name)
		path, dl = deps[name]
		for d in dl:
			visit(_modname(d))
		order.append(path)
	for w in wanted:
		visit(_norm(w))
	return order


class _Cpio:
	"""Minimal newc writer: the kernel unpacks it without compression."""

	def __init__(self):
		self.data = bytearray()
		self.ino = 1

	def _pad(self):
		self.data += b"\0" * (-len(self.data) % 4)

	def add(self, name, mode, body=b"", rdev=(0, 0)):
		nm = name.encode() + b"\0"
		hdr = "070701" + "".join("%08x" % v for v in (
			self.ino, mode, 0, 0, 1, 0, len(body), 0, 0,
			rdev[0], rdev[1], len(nm), 0))
		self.ino += 1
		self.data += hdr.encode() + nm
		self._pad()
		self.data += body
		self._pad()

	def dir(self, name):
		self.add(name, 0o40755)

	def file(self, name, body, mode=0o644):
		self.add(name, 0o100000 | mode, body)

	def finish(self):
		self.add("TRAILER!!!", 0)
		return bytes(self.data)


def _read_module(path):
	with open(path, "rb") as f:
		body = f.read()
	if path.endswith(".xz"):
		body = lzma.decompress(body)
	return body


def build(kernel):
	"""Return the path of the cached initramfs for this kernel."""
	mods = module_closure(kernel.modules)
	h = hashlib.sha256()
	for p in [INIT, BUSYBOX]:
		h.update(open(p, "rb").read())
	h.update(MODPROBE + repr(mods).encode() + kernel.kver.encode())
	out = os.path.join(util_cache(), "initramfs-%s-%s.cpio" % (
		kernel.kver, h.hexdigest()[:12]))
	if os.path.exists(out):
		return out
	c = _Cpio()
	for d in ["bin", "sbin", "dev", "proc", "sys", "newroot", "lib", "lib/mod"]:
		c.dir(d)
	c.add("dev/console", 0o20600, rdev=(5, 1))	# init's stdio
	c.file("bin/busybox", open(BUSYBOX, "rb").read(), 0o755)
	c.file("init", open(INIT, "rb").read(), 0o755)
	c.file("sbin/modprobe", MODPROBE, 0o755)
	names = []
	for p in mods:
		n = os.path.basename(p).split(".ko")[0] + ".ko"
		c.file("lib/mod/" + n, _read_module(os.path.join(kernel.modules, p)))
		names.append(n)
	c.file("lib/mod/order", ("\n".join(names) + "\n").encode())
	util.write_atomic(out, c.finish())
	return out


def util_cache():
	from .kernels import cache_root
	return os.path.join(cache_root(), "initramfs")
