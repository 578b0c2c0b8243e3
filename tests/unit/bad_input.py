#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The cowpin command on bad input: exit 2 and a message naming the valid values."""
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
]
print("TAP version 13")
print(f"1..{len(cases)}")
for i, (args, code, needle) in enumerate(cases, 1):
    p = subprocess.run([cowpin] + args, capture_output=True, text=True, timeout=30)
    out = p.stdout + p.stderr
    good = p.returncode == code and needle in out
    print(f"{'ok' if good else 'not ok'} {i} cowpin {' '.join(args)} -> exit {code}")
    if not good:
        print(f"# exit {p.returncode}, output: {out.strip()[:300]}")
