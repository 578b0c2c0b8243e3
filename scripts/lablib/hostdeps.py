# SPDX-License-Identifier: GPL-2.0-only
"""Make sure the host has what the lab needs (installing as root)."""
import os
import subprocess

from . import util

# The guest runs the host's binaries (its root is the host root), so the
# guest-side tools (rdma, librxe, modprobe) are host packages too.
LAB = ["qemu-system-x86", "busybox-static", "kmod", "iproute2", "rdma-core",
       "ibverbs-providers", "e2fsprogs"]
# The lab report draws the memlock A/B plot (scripts/memlock-plot).
REPORT = ["gnuplot-nox"]
BUILD = ["meson", "ninja-build", "gcc", "pkg-config", "libjson-c-dev",
	 "liburing-dev", "libibverbs-dev", "librdmacm-dev", "linux-libc-dev"]
# scripts/test-all: Debian's python3 for the test scripts, clang's runtime
# for the fuzz targets, valgrind for memcheck (gnuplot: REPORT).
TESTS = ["python3", "clang", "libclang-rt-14-dev", "valgrind"]
# scripts/lava-job: jq goes into the ramdisk; lava-run (Debian's python3)
# runs the jobs here, the device type rendered with jinja2.
LAVA = ["jq", "lava-dispatcher", "python3-jinja2", "python3-yaml"]


def missing(pkgs):
	out = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\\n"]
			     + pkgs, capture_output=True, text=True).stdout
	ok = {l.split()[0] for l in out.splitlines() if l.endswith(" installed")}
	return [p for p in pkgs if p not in ok]


def ensure(build=True, extra=()):
	need = missing(LAB + REPORT + (BUILD if build else []) + list(extra))
	if not need:
		return
	if os.geteuid() != 0:
		raise util.LabError("missing host packages: %s (as root: apt-get "
				    "install %s)" % (", ".join(need), " ".join(need)))
	util.say("installing missing host packages: %s" % " ".join(need))
	# apt-wait: waits (saying so) while another apt holds the dpkg lock.
	cmd = [util.APT_WAIT, "install", "-y", "-q", "--no-install-recommends"] + need
	if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode:
		subprocess.run([util.APT_WAIT, "update", "-q"], stdout=subprocess.DEVNULL)
		subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
