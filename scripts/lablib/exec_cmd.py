# SPDX-License-Identifier: GPL-2.0-only
"""`scripts/lab exec`: boot a kernel and run one shell command inside.

stdout/stderr stream back; the exit status is the command's (125 when the
lab itself failed).  Several --kernel: run in turn, the status is the first
non-zero one.
"""
import argparse
import os
import shlex
import shutil
import sys
import tempfile

from . import cli, kernels, util, vm

def job_script(cmd, cwd, env):
	s = ""
	for kv in env:
		k, _, v = kv.partition("=")
		s += "export %s=%s\n" % (k, shlex.quote(v))
	s += "cd %s 2>/dev/null || cd /\n" % shlex.quote(cwd)
	return s + cmd + "\n"


def main(argv):
	p = argparse.ArgumentParser(prog="scripts/lab exec",
				    description="Boot a kernel under QEMU and run "
				    "one shell command in it (host root read-only "
				    "under a tmpfs overlay; cwd kept).")
	cli.add_vm_args(p, "2G", "; 4G reserves one 1 GiB hugepage, 5G two")
	p.add_argument("--edu", action="store_true",
		       help="add an intel-iommu vIOMMU and the edu PCI device")
	p.add_argument("--noiommu", action="store_true",
		       help="the edu device WITHOUT a vIOMMU (VFIO noiommu mode; "
		       "vfio.enable_unsafe_noiommu_mode=1)")
	p.add_argument("-e", "--env", action="append", default=[],
		       metavar="K=V", help="environment for the command")
	p.add_argument("--keep", metavar="DIR",
		       help="use DIR as the lab share and keep it (console.log, ...)")
	p.add_argument("-q", "--quiet", action="store_true",
		       help="no progress lines")
	p.add_argument("cmd", nargs=argparse.REMAINDER,
		       help="-- 'shell command'")
	a = p.parse_args(argv)
	cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
	if not cmd:
		p.error("no command (use: scripts/lab exec [opts] -- 'command')")
	cmd = " ".join(cmd)
	say = (lambda m: None) if a.quiet else util.say
	repo = os.path.dirname(os.path.dirname(os.path.dirname(
		os.path.realpath(__file__))))
	status = 0
	for spec, mods in a.kernels or [["6.12", None]]:
		k = kernels.resolve(spec, mods, repo)
		share = a.keep or tempfile.mkdtemp(prefix="cowpin-lab-")
		os.makedirs(share, exist_ok=True)
		say("%s: booting %s" % (k.label, k.origin))
		g = vm.Guest(k, mem=a.mem, smp=a.smp, edu=a.edu, accel=a.accel,
			     append=a.append, noiommu=a.noiommu)
		try:
			r = g.run(job_script(cmd, os.getcwd(), a.env), share,
				  timeout=a.timeout, boot_timeout=a.boot_timeout)
		finally:
			if not a.keep:
				shutil.rmtree(share, ignore_errors=True)
		if r.error:
			sys.stderr.write("lab: %s: %s\n" % (k.label, r.error))
			rc = 125
		else:
			rc = r.rc
			say("%s: exit %d, booted in %.1fs, %.1fs total" % (
				k.label, rc, r.boot_s or -1, r.wall_s))
		status = status or rc
	return status
