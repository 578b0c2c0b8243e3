#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Valgrind memcheck on `cowpin run --consumer io_uring`: the parent and every
forked test child (one log per process) must report 0 errors, definite leaks
included, and the io_uring tests must still pass under valgrind."""
import glob
import json
import re
import shutil
import subprocess
import sys
import tempfile

cowpin = sys.argv[1]
print("TAP version 13")
print("1..3")
if not shutil.which("valgrind"):
    for i in range(1, 4):
        print(f"ok {i} # SKIP no valgrind (apt-get install valgrind)")
    sys.exit(0)

with tempfile.TemporaryDirectory() as tmp:
    cmd = ["valgrind", "--tool=memcheck", "--leak-check=full", "--errors-for-leak-kinds=definite",
           "--show-leak-kinds=definite", "--track-origins=yes", f"--log-file={tmp}/vg.%p",
           cowpin, "run", "--consumer", "io_uring", "--format", "json", "--timeout", "600"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=2400)
    try:
        summary = json.loads(p.stdout)["summary"]
    except (ValueError, KeyError):
        summary = None
    print(f"{'ok' if p.returncode == 0 else 'not ok'} 1 cowpin run under valgrind exits 0 (got {p.returncode})")
    good = summary is not None and summary.get("pass", 0) > 0 and summary.get("fail", 1) == 0 \
        and summary.get("error", 1) == 0
    print(f"{'ok' if good else 'not ok'} 2 io_uring verdicts under valgrind: {summary}")
    logs = sorted(glob.glob(f"{tmp}/vg.*"))
    dirty = []
    for path in logs:
        text = open(path).read()
        m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
        if not m or m.group(1) != "0":
            dirty.append((path, text))
    print(f"{'ok' if logs and not dirty else 'not ok'} 3 memcheck clean in {len(logs) - len(dirty)} of "
          f"{len(logs)} processes (parent + one child per test)")
    for path, text in dirty[:3]:
        sys.stdout.write("".join("# " + l + "\n" for l in text.splitlines()[-60:]))
