#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `host`: cowpin's JSON on the running kernel obeys the suite's own rules.

Runs `cowpin run --format json` (through scripts/with-devices when root) and
checks the document, not console text: the schema, unique names, the io_uring
reference really ran and gave what the running kernel should (it passes, or
on 6.1 refuses an ext4 tmpfile: tests/host/expectations, docs/rules.md), every data result
carries a mechanism that agrees with its verdict, and no test left a pin or
lock behind.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
import rules  # noqa: E402	(docs/rules.md)
from tap import Tap  # noqa: E402

cowpin, with_devices = sys.argv[1], sys.argv[2]
cmd = [cowpin, "run", "--format", "json"]
if os.geteuid() == 0:
    cmd = [with_devices] + cmd
proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3000)
t = Tap()	# the plan last: how many checks depends on the user (root or not)


def check(ok, what, detail=""):
    t.ok(ok, what, () if ok else detail)


try:
    doc = json.loads(proc.stdout)
except json.JSONDecodeError as e:
    check(False, "cowpin run --format json is one JSON document", f"{e}; stderr: {proc.stderr[-500:]}")
    sys.exit(t.done())

results = doc.get("results", [])
check(isinstance(doc.get("kernel"), str) and doc.get("machine"), "document names kernel and machine")
fields = {"name", "consumer", "backing", "case", "verdict", "reason", "errno", "evidence", "duration_ms"}
missing = [r.get("name") for r in results if not fields <= r.keys() and r.get("verdict") != "skip"]
check(not missing, "every result has the schema's fields", f"missing in {missing[:5]}")
names = [r["name"] for r in results]
check(len(names) == len(set(names)), "test names are unique")
check(all(r["name"] == f'{r["consumer"]}.{r["backing"]}.{r["case"]}' for r in results),
      "names are consumer.backing.case")
verdicts = {"pass", "fail", "skip", "refused", "error", "hazard"}
check(all(r["verdict"] in verdicts for r in results), "verdicts are from the schema")
check(all(r["reason"] for r in results), "every result gives a reason (skips say why)")

uring = [r for r in results if r["consumer"] == "io_uring"]
ran = [r for r in uring if r["verdict"] != "skip"]
check(len(ran) >= 8, "the io_uring reference ran", f"{len(ran)} io_uring tests ran")
# The host's rules, on io_uring's results alone (the other consumers'
# globs match nothing here: only what breaks a rule counts).
mine = rules.for_kernel(rules.parse(os.path.join(HERE, "expectations")),
                        doc.get("kernel") or os.uname().release)
bad = [f.text for f in rules.judge(mine, ran) if f.kind in ("violates", "unexpected")]
check(not bad, "io_uring gives what this kernel should in every test it ran", "; ".join(bad[:3]))

data = [r for r in results if r["case"] in ("ro-pin-snapshot", "ro-pin-reliable")
        and r["verdict"] in ("pass", "fail", "hazard")]
nomech = [r["name"] for r in data if not r.get("mechanism")]
check(not nomech, "every data result carries a mechanism", f"{nomech[:5]}")
if os.geteuid() == 0:
    unknown = [r["name"] for r in data if r.get("mechanism") in (None, "unknown", "mixed")]
    check(not unknown, "as root, every mechanism is classified", f"{unknown[:5]}")
contra = [r["name"] for r in data if r["case"] == "ro-pin-reliable" and (
    (r["mechanism"] == "no-cow-break" and r["verdict"] == "pass")
    or (r["mechanism"] in ("unshare-at-pin", "forced-write-at-pin") and r["verdict"] != "pass"))]
check(not contra, "mechanism and verdict agree", f"{contra[:5]}")
cow = {"zeropage", "huge-zeropage", "memfd", "tmpfile", "hugetlb-2M", "hugetlb-1G"}
if os.geteuid() == 0:
    # Only a device read has a mechanism: a refused registration (6.1's ext4 tmpfile) has none.
    wr = [r["name"] for r in ran if r["case"] == "ro-pin-reliable" and r["backing"] in cow
          and r["verdict"] in ("pass", "fail", "hazard") and r.get("mechanism") != "forced-write-at-pin"]
    check(not wr, "io_uring's writable pin shows as forced-write-at-pin on COW backings", f"{wr[:5]}")
leaks = [r["name"] for r in results
         if r.get("vm_pin_after_kb", 0) != 0 or r.get("vm_lck_after_kb", 0) != 0]
check(not leaks, "VmPin and VmLck back to baseline after every test", f"{leaks[:5]}")
check(proc.returncode == (1 if any(r["verdict"] in ("fail", "refused", "error") for r in results) else 0),
      "exit status follows the verdicts", f"exit {proc.returncode}")
sys.exit(t.done())
