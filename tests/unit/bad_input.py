#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The cowpin command on bad input: exit 2 and a message naming the valid values."""
import collections
import re
import subprocess
import sys

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
    (["run", "--run-id", "two words"], 2, "--run-id"),
    (["memlock", "--run-id", ""], 2, "--run-id"),
]
print("TAP version 13")
print(f"1..{len(cases) + 1}")
for i, (args, code, needle) in enumerate(cases, 1):
    p = subprocess.run([cowpin] + args, capture_output=True, text=True, timeout=30)
    out = p.stdout + p.stderr
    good = p.returncode == code and needle in out
    print(f"{'ok' if good else 'not ok'} {i} cowpin {' '.join(args)} -> exit {code}")
    if not good:
        print(f"# exit {p.returncode}, output: {out.strip()[:300]}")

# --help lists each option once; shared consumer options name their consumers.
out = subprocess.run([cowpin, "--help"], capture_output=True, text=True, timeout=30).stdout
seen = collections.Counter(re.findall(r"^\s+--([a-z][a-z0-9-]*)", out, re.M))
twice = sorted(o for o, n in seen.items() if n > 1)
named = re.search(r"^\s+rdma-rxe, rdma-siw\b.*:$", out, re.M) and \
    re.search(r"^\s+vfio-type1, vfio-iommufd, vfio-noiommu:$", out, re.M)
good = seen and not twice and named
print(f"{'ok' if good else 'not ok'} {len(cases) + 1} cowpin --help lists each option once, "
      f"naming the consumers of shared ones")
if not good:
    print(f"# printed more than once: {twice}; consumer headers found: {bool(named)}")
