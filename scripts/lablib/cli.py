# SPDX-License-Identifier: GPL-2.0-only
"""Command-line pieces shared by `scripts/lab` and `scripts/lab exec`."""
import argparse

DEFAULT_KERNELS = ["6.1", "6.12"]
# `scripts/lab --built`: the kernel scripts/build-kernel makes from Debian's
# source, booted twice (with the vIOMMU, and without it for vfio-noiommu).
BUILT_KERNELS = ["build:6.12", "build:6.12@noiommu"]


class _Kernel(argparse.Action):
	def __call__(self, parser, ns, value, option=None):
		ns.kernels = (ns.kernels or []) + [[value, None]]


class _Modules(argparse.Action):
	"""--modules belongs to the --kernel PATH before it."""

	def __call__(self, parser, ns, value, option=None):
		if not ns.kernels:
			parser.error("--modules must follow the --kernel PATH it belongs to")
		ns.kernels[-1][1] = value


def add_vm_args(p, mem, mem_help):
	p.add_argument("--kernel", action=_Kernel, dest="kernels", metavar="K",
		       help="6.1, 6.12, a Debian package version, build:6.12 or "
		       "PATH/bzImage (repeatable; default: 6.1 and 6.12); append "
		       "@noiommu for a boot without the vIOMMU that runs only "
		       "vfio-noiommu (e.g. build:6.12@noiommu)")
	p.add_argument("--modules", action=_Modules, metavar="DIR",
		       help="PATH/lib/modules/KVER for the --kernel PATH before it")
	p.add_argument("--mem", default=mem, help="guest RAM (default %s%s)" % (
		mem, mem_help))
	p.add_argument("--smp", type=int, default=2, help="guest CPUs (default 2)")
	p.add_argument("--accel", help="QEMU accelerator (default: kvm if usable, "
		       "else tcg)")
	p.add_argument("--append", default="", help="extra kernel cmdline")
	p.add_argument("--timeout", type=int, default=2400,
		       help="seconds a guest may run (default 2400)")
	p.add_argument("--boot-timeout", type=int, default=600,
		       help="wall seconds until init must report (default 600; "
		       "a guest that burns 120 CPU seconds without booting is "
		       "stuck earlier)")
