#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vfio-*-nvme writes to a disk: without the controller AND the blocks named
it refuses (SKIP, before any device is touched), saying what it would
overwrite and how to allow it.  Naming both lets it past the refusal (the
mutated input this check must not refuse): then it fails later on this
host for other reasons (no VFIO, no such device), never with a refusal."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
from tap import Tap  # noqa: E402

cowpin = sys.argv[1]
# A PCI domain no machine has (ffff): even where the unit suite runs as root
# beside a vfio-pci-bound NVMe, the cases that get past the refusal find no
# such device and write nothing.
BDF, LBA = "ffff:00:1f.7", "2048+4096"
cases = [
    # (extra args, extra env, the reason must contain / None: must not refuse / 2: exit 2)
    ([], {}, "refusing to write: vfio-*-nvme overwrites blocks"),
    (["--nvme-scratch-lba", LBA], {}, "refusing to write: vfio-*-nvme overwrites blocks"),
    ([], {"COWPIN_NVME_SCRATCH_LBA": LBA}, "refusing to write: vfio-*-nvme overwrites blocks"),
    (["--vfio-nvme-device", BDF], {}, "refusing to write to the NVMe namespace"),
    ([], {"COWPIN_VFIO_NVME_DEVICE": BDF}, "refusing to write to the NVMe namespace"),
    # A malformed range is no refusal but bad input: exit 2, nothing probed (tests/unit/bad_input.py has more).
    (["--vfio-nvme-device", BDF, "--nvme-scratch-lba", "2048+"], {}, 2),
    (["--vfio-nvme-device", BDF, "--nvme-scratch-lba", "-"], {}, 2),
    ([], {"COWPIN_VFIO_NVME_DEVICE": BDF, "COWPIN_NVME_SCRATCH_LBA": "0100+"}, 2),
    (["--vfio-nvme-device", BDF, "--nvme-scratch-lba", LBA], {}, None),
    ([], {"COWPIN_VFIO_NVME_DEVICE": BDF, "COWPIN_NVME_SCRATCH_LBA": "2048"}, None),
]
env0 = {k: v for k, v in os.environ.items() if not k.startswith("COWPIN_")}
consumers = ["vfio-type1-nvme", "vfio-iommufd-nvme", "vfio-noiommu-nvme"]
t = Tap(plan=len(cases) * len(consumers))
for args, env, needle in cases:
    for c in consumers:
        p = subprocess.run([cowpin, "run", "--consumer", c, "--backing", "anon", "--case",
                            "ro-pin-reliable"] + args, env=dict(env0, **env),
                           capture_output=True, text=True, timeout=60)
        line = next((l for l in p.stdout.splitlines() if l.startswith(("ok ", "not ok "))), "")
        if needle == 2:
            good = p.returncode == 2 and not line and "not START[+COUNT]" in p.stderr
        elif needle:
            good = "# SKIP" in line and needle in line
        else:
            good = bool(line) and "refusing" not in line and "START[+COUNT]" not in line
        what = " ".join(args + ["%s=%s" % kv for kv in env.items()]) or "nothing named"
        t.ok(good, f"{c} with {what}: "
             f"{'exit 2' if needle == 2 else 'refuses' if needle else 'goes past the refusal'}",
             [] if good else f"exit {p.returncode}: {line or p.stdout.strip()[-300:] + p.stderr.strip()[-300:]}")
sys.exit(t.done())
