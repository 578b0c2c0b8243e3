#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The cowpin command on bad input: exit 2 and a message naming the valid values."""
import collections
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
from tap import Tap  # noqa: E402

cowpin = sys.argv[1]
cases = [
    (["run", "--backing", "bogus"], 2, "zeropage"),
    (["run", "--consumer", "bogus"], 2, "io_uring"),
    (["run", "--case", "bogus"], 2, "ro-pin-reliable"),
    (["run", "--format", "yaml"], 2, "tap, json"),
    (["bogus"], 2, "list, info, run"),
    (["run", "--timeout"], 2, "option"),
    (["--help"], 0, "usage: cowpin"),
    (["list", "--consumer", "io_uring"], 0, "io_uring.memfd.ro-pin-reliable"),
    # Malformed user input is exit 2 before anything is touched (no skip, no device opened).
    (["run", "--consumer", "vfio-type1-nvme", "--nvme-scratch-lba", "abc"], 2, "not START[+COUNT]"),
    (["run", "--consumer", "vfio-type1-nvme", "--nvme-scratch-lba", "2048+0"], 2, "not START[+COUNT]"),
    (["run", "--consumer", "vfio-type1-nvme", "--nvme-scratch-lba", "-8"], 2, "not START[+COUNT]"),
    (["run", "--consumer", "vfio-type1-nvme", "--vfio-nvme-device", "00:1f.7"], 2, "DDDD:BB:DD.F"),
    (["run", "--consumer", "vfio-type1", "--vfio-device", "zz"], 2, "DDDD:BB:DD.F"),
    (["run", "--consumer", "vfio-type1", "--vfio-device", "ffff:00:20.0"], 2, "DDDD:BB:DD.F"),
    (["run", "--consumer", "vfio-type1", "--vfio-dma-bits", "40bits"], 2, "bus address bits"),
    (["run", "--consumer", "vfio-type1", "--vfio-dma-bits", "19"], 2, "bus address bits"),
    (["run", "--consumer", "rdma-rxe", "--rdma-port", "0"], 2, "port number"),
    (["run", "--consumer", "rdma-rxe", "--rdma-gid-index", "one"], 2, "GID index"),
    # --expect names the failure kind: a bare reason would hide a timeout or an Oops.
    (["run", "--consumer", "io_uring", "--expect", "io_uring.*=old kernel"], 2, "not a failure kind"),
    (["run", "--consumer", "io_uring", "--expect", "io_uring.*=fail:x"], 2, "not a failure kind"),
    # A timeout under a stale expectation is a plain failure (exit 1, not ok without TODO).
    (["run", "--consumer", "io_uring", "--backing", "anon", "--case", "ro-pin-snapshot",
      "--timeout", "0.0001", "--expect", "io_uring.*=stale:x"], 1, "it failed with timeout: a plain failure"),
    (["run", "--run-id", "two words"], 2, "--run-id"),
    (["memlock", "--run-id", ""], 2, "--run-id"),
]
# The same through the environment: (args, env, exit code, needle).
env_cases = [
    (["list", "--consumer", "vfio-type1-nvme"], {"COWPIN_NVME_SCRATCH_LBA": "abc"}, 2, "COWPIN_NVME_SCRATCH_LBA='abc'"),
    (["run", "--consumer", "vfio-type1"], {"COWPIN_VFIO_DEVICE": "zz"}, 2, "COWPIN_VFIO_DEVICE='zz'"),
    (["run", "--consumer", "vfio-type1"], {"COWPIN_VFIO_DMA_BITS": "0x"}, 2, "COWPIN_VFIO_DMA_BITS='0x'"),
    # The command line wins over a malformed variable: nothing to reject.
    (["list", "--consumer", "vfio-type1-nvme", "--nvme-scratch-lba", "0100+8"],
     {"COWPIN_NVME_SCRATCH_LBA": "abc"}, 0, "vfio-type1-nvme.anon"),
]
env0 = {k: v for k, v in os.environ.items() if not k.startswith("COWPIN_")}
cases = [(a, {}, c, n) for a, c, n in cases] + env_cases
t = Tap(plan=len(cases) + 1)
for args, env, code, needle in cases:
    p = subprocess.run([cowpin] + args, capture_output=True, text=True, timeout=30, env=dict(env0, **env))
    out = p.stdout + p.stderr
    good = p.returncode == code and needle in out
    what = " ".join(["%s=%s" % kv for kv in env.items()] + ["cowpin"] + args)
    t.ok(good, f"{what} -> exit {code}", [] if good else f"exit {p.returncode}, output: {out.strip()[:300]}")

# --help lists each option once; shared consumer options name their consumers.
out = subprocess.run([cowpin, "--help"], capture_output=True, text=True, timeout=30).stdout
seen = collections.Counter(re.findall(r"^\s+--([a-z][a-z0-9-]*)", out, re.M))
twice = sorted(o for o, n in seen.items() if n > 1)
named = re.search(r"^\s+rdma-rxe, rdma-siw\b.*:$", out, re.M) and \
    re.search(r"^\s+vfio-type1, vfio-iommufd, vfio-noiommu:$", out, re.M)
good = seen and not twice and named
t.ok(good, "cowpin --help lists each option once, naming the consumers of shared ones",
     [] if good else f"printed more than once: {twice}; consumer headers found: {bool(named)}")
sys.exit(t.done())
