#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Valgrind memcheck on `cowpin run --consumer io_uring`: the parent and every
forked test child (one log per process) must report 0 errors, definite leaks
included, and the io_uring tests must still give what the running kernel
should (tests/host/expectations: on 6.1 an ext4 tmpfile is refused)."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
import rules  # noqa: E402	(docs/rules.md)
from tap import Tap  # noqa: E402


def exit_ok(rc, results):
    """cowpin run exits 1 when any test failed, was refused or errored, else 0."""
    return rc == (1 if any(r["verdict"] in ("fail", "refused", "error") for r in results) else 0)


cowpin = sys.argv[1]
t = Tap(plan=3)
if not shutil.which("valgrind"):
    for what in ("cowpin run under valgrind exits as its verdicts say",
                 "io_uring verdicts under valgrind are this kernel's", "memcheck clean in every process"):
        t.skip(what, "no valgrind (apt-get install valgrind)")
    sys.exit(t.done())

with tempfile.TemporaryDirectory() as tmp:
    cmd = ["valgrind", "--tool=memcheck", "--leak-check=full", "--errors-for-leak-kinds=definite",
           "--show-leak-kinds=definite", "--track-origins=yes", f"--log-file={tmp}/vg.%p",
           cowpin, "run", "--consumer", "io_uring", "--format", "json", "--timeout", "600"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=2400)
    try:
        doc = json.loads(p.stdout)
        summary, results = doc["summary"], doc["results"]
    except (ValueError, KeyError):
        doc, summary, results = {}, None, []
    good = summary is not None and exit_ok(p.returncode, results)
    t.ok(good, f"cowpin run under valgrind exits as its verdicts say (got {p.returncode})")
    # The host's rules on io_uring's results alone: only what breaks a rule counts.
    mine = rules.for_kernel(rules.parse(os.path.join(HERE, "expectations")),
                            doc.get("kernel") or os.uname().release)
    bad = [f.text for f in rules.judge(mine, results) if f.kind in ("violates", "unexpected")]
    good = summary is not None and summary.get("pass", 0) > 0 and not bad
    t.ok(good, f"io_uring verdicts under valgrind are this kernel's: {summary}",
         [f"not what this kernel should give: {bad[:5]}"] if bad else [])
    logs = sorted(glob.glob(f"{tmp}/vg.*"))
    dirty = []
    for path in logs:
        text = open(path).read()
        m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
        if not m or m.group(1) != "0":
            dirty.append((path, text))
    t.ok(logs and not dirty, f"memcheck clean in {len(logs) - len(dirty)} of "
         f"{len(logs)} processes (parent + one child per test)",
         [l for _, text in dirty[:3] for l in text.splitlines()[-60:]])
sys.exit(t.done())
