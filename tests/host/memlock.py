#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `host`: `cowpin memlock` on the running kernel obeys its invariants.

    memlock.py COWPIN [--info F]   run on this host (io_uring)
    memlock.py --check A.json ...  check documents made elsewhere (the lab guests)

Runs `cowpin memlock --format json` on io_uring (present on every host kernel)
and checks invariants, never specific numbers: the registration is charged and
every counter returns to its baseline when it is undone; the bisected
RLIMIT_MEMLOCK admits the registration and one page less refuses it (ENOMEM)
without leaving anything pinned.  Then it re-checks the limit independently:
`cowpin run` (another code path) with CAP_IPC_LOCK dropped from the bounding
set and RLIMIT_MEMLOCK at the limit must pass, and one page less must be
refused.  Finally a size above MemAvailable must be refused before mapping.

The zeropage backings are measured exactly where the running kernel maps the
shared (huge) zeropage, as `cowpin info` establishes by a read fault: where
it says "absent" (e.g. pvm_no_zero_page=1) they must skip with the reason.
--info F judges against a saved `cowpin info` instead (to show the check fails).
"""
import ctypes
import json
import os
import re
import resource
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
from tap import Tap  # noqa: E402

cowpin = sys.argv[1] if len(sys.argv) > 1 else None
info_file = sys.argv[sys.argv.index("--info") + 1] if "--info" in sys.argv else None
PAGE_KB = os.sysconf("SC_PAGESIZE") // 1024
SIZE = "2M"
t = Tap()	# the plan last: how many checks depends on what was measured


def check(ok, what, detail=""):
    t.ok(ok, what, () if ok else detail)


def memlock(args):
    p = subprocess.run([cowpin, "memlock", "--format", "json"] + args,
                       capture_output=True, text=True, timeout=1200)
    try:
        return p, json.loads(p.stdout)
    except json.JSONDecodeError:
        return p, None


def run_limited(limit_kb, backing):
    """`cowpin run` of one io_uring test with CAP_IPC_LOCK gone and RLIMIT_MEMLOCK = limit_kb."""
    def drop():
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(24, 14, 0, 0, 0)  # PR_CAPBSET_DROP, CAP_IPC_LOCK: gone after exec too
        hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)[1]
        resource.setrlimit(resource.RLIMIT_MEMLOCK, (limit_kb * 1024, hard))
    p = subprocess.run([cowpin, "run", "--consumer", "io_uring", "--backing", backing,
                        "--case", "ro-pin-snapshot", "--format", "json"],
                       capture_output=True, text=True, timeout=600, preexec_fn=drop)
    try:
        r = json.loads(p.stdout)["results"][0]
        return r["verdict"], r.get("errno_name", "")
    except (json.JSONDecodeError, KeyError, IndexError):
        return "no-json", p.stderr[-200:]


def zeropage_states():
    """{zeropage: available|absent|unavailable, huge-zeropage: ...} as `cowpin info` says."""
    if info_file:
        with open(info_file) as f:
            text = f.read()
    else:
        text = subprocess.run([cowpin, "info"], capture_output=True, text=True, timeout=120).stdout
    return dict(re.findall(r"^\s+(zeropage|huge-zeropage)\s+(available|absent|unavailable)\b", text, re.M))


def check_zeropages(doc, measured):
    """Measured where the kernel maps the (huge) zeropage, else skipped with the reason."""
    states = zeropage_states()
    for b in ("zeropage", "huge-zeropage"):
        st = states.get(b)
        e = next((e for e in doc.get("memlock", []) if e.get("backing") == b), {})
        got = f'memlock {e.get("status")}: {e.get("reason")}'
        if st is None:
            check(False, f"cowpin info says whether the kernel maps the {b}")
        elif st == "available":
            check(b in measured, f"io_uring measured on {b} (cowpin info: available)", got)
        else:
            check(b not in measured and e.get("status") == "skip" and e.get("reason"),
                  f"io_uring on {b} skips with the reason (cowpin info: {st})", got)


def check_entries(doc, consumers=None, need_found=True):
    """Invariants of every measured entry (consumers: only these; None: all)."""
    ok_entries = []
    for e in doc.get("memlock", []):
        if consumers and e.get("consumer") not in consumers:
            continue
        name = f'{e["consumer"]}.{e["backing"]}.{e["size_kb"]}K'
        if e.get("status") == "error":
            check(False, f"{name}: no error", e.get("reason", ""))
        if e.get("status") != "ok":
            continue
        ok_entries.append(e)
        reg, unreg = e["registered_kb"], e["unregistered_kb"]
        check(unreg["vm_pin"] == 0 and unreg["vm_lck"] == 0 and e["returned_to_baseline"],
              f"{name}: VmPin/VmLck return to baseline after unregistration", f"unregistered {unreg}")
        check(e["throughput"]["n"] >= 1 and e["throughput"]["median_gibps"] > 0,
              f"{name}: throughput measured")
        lim = e.get("limit", {})
        if lim.get("status") != "found":
            if need_found:
                check(False, f"{name}: limit found", f'{lim.get("status")}: {lim.get("note")}')
            continue
        at, below = lim.get("at_limit", {}), lim.get("below_limit")
        check(lim["confirmed"] and at.get("result") == "admitted" and at.get("limit_kb") == lim["limit_kb"],
              f'{name}: admitted at the bisected limit {lim["limit_kb"]} KiB')
        if lim["limit_kb"] > 0:
            check(below and below.get("result") == "refused" and below.get("limit_kb") == lim["limit_kb"] - PAGE_KB
                  and below.get("errno_name") == "ENOMEM",
                  f"{name}: one page less is refused with ENOMEM", f"below_limit {below}")
        leaks = [a for a in lim["attempts"] if a["left_pinned_kb"]]
        check(not leaks, f"{name}: no attempt (refused or undone) left anything pinned", f"{leaks[:2]}")
    return ok_entries


if len(sys.argv) > 1 and sys.argv[1] == "--check":
    # Lab mode: invariants of documents made elsewhere (one per guest kernel).
    for path in sys.argv[2:]:
        with open(path) as f:
            d = json.load(f)
        check(isinstance(d.get("kernel"), str) and "memlock" in d, f"{path}: a memlock document")
        check(check_entries(d), f'{path} ({d.get("kernel")}): some entry was measured')
    cowpin = None

if cowpin and cowpin != "--check":
    proc, doc = memlock(["--consumer", "io_uring", "--size", SIZE, "--repeat", "3",
                         "--backing", "zeropage", "--backing", "huge-zeropage",
                         "--backing", "memfd", "--backing", "anon"])
    check(doc is not None, "cowpin memlock --format json is one JSON document", proc.stderr[-300:])
    doc = doc or {}
    check(isinstance(doc.get("kernel"), str) and doc.get("machine") and "memlock" in doc,
          "document names kernel, machine and has memlock[]")
    check(proc.returncode == 0, "exit status 0 (no leak, no harness error)", f"rc {proc.returncode}")
    ok_entries = check_entries(doc, ["io_uring"])
    measured = {e["backing"] for e in ok_entries}
    check({"memfd", "anon"} <= measured, "io_uring measured on memfd and anon",
          f'{[(e.get("backing"), e.get("status"), e.get("reason")) for e in doc.get("memlock", [])]}')
    check_zeropages(doc, measured)
    for e in ok_entries:
        name = f'io_uring.{e["backing"]}.{e["size_kb"]}K'
        check(e["registered_kb"]["vm_pin"] > 0 or e["registered_kb"]["vm_lck"] > 0,
              f"{name}: the registration is charged", f'registered {e["registered_kb"]}')
        if e["limit"].get("status") == "found":
            check(e["limit"]["limit_kb"] >= e["size_kb"] * 0.5, f"{name}: the limit is of the order of the size",
                  f'{e["limit"]["limit_kb"]} KiB for {e["size_kb"]} KiB')

if cowpin:
    # Independent: the limit through `cowpin run` (io_uring charges the uid's locked_vm, which
    # other root processes share: one retry absorbs a concurrent registration).
    anon = [e for e in ok_entries if e["backing"] == "anon" and e["limit"].get("status") == "found"]
    if anon and os.geteuid() == 0:
        limit = anon[0]["limit"]["limit_kb"]
        # cowpin run's ring is not memlock's, and io_uring charges the uid's count
        # that every root process shares, so this path can differ by a few pages:
        # 16 pages over the limit memlock found must pass, 16 under must be refused.
        slack = 16 * PAGE_KB
        for attempt in range(2):
            at, below = run_limited(limit + slack, "anon"), run_limited(limit - slack, "anon")
            if at[0] == "pass" and below == ("refused", "ENOMEM"):
                break
        check(at[0] == "pass", f"cowpin run io_uring.anon passes at RLIMIT_MEMLOCK {limit + slack} KiB", f"{at}")
        check(below == ("refused", "ENOMEM"),
              f"cowpin run io_uring.anon is refused (ENOMEM) at {limit - slack} KiB", f"{below}")
    else:
        t.skip("independent check through cowpin run", "needs root and an anon limit")

    # A size above MemAvailable is refused before anything is mapped.
    p = subprocess.run([cowpin, "memlock", "--consumer", "io_uring", "--size", "1024G"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 2 and "MemAvailable" in p.stderr and "refused before mapping" in p.stderr,
          "--size 1024G: refused before mapping, naming MemAvailable", p.stderr[-200:])
sys.exit(t.done())
