#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""scripts/test-all counts only the passes it ran.

A copy of scripts/test-all runs in a scratch tree with meson, ninja and
hostdeps replaced by stubs: the stub `meson test -C DIR` writes one OK
result into DIR/meson-logs/testlog.json.  build-san/ holds a FAIL left by an
earlier run.  With COWPIN_SUITES=lab the sanitizer pass does not run, so the
closing count must be "1 passed, 0 failed" (it read the old FAIL before);
with COWPIN_SUITES=unit both passes run and both count.  TAP on stdout.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.dont_write_bytecode = True
from tap import Tap  # noqa: E402
MESON = """#!/bin/sh
# meson test -C DIR ...: one OK result; meson setup: nothing
[ "$1" = test ] || exit 0
mkdir -p "$3/meson-logs"
echo '{"name": "cowpin:unit / stub", "result": "OK", "duration": 1}' > "$3/meson-logs/testlog.json"
"""


def scratch():
    d = tempfile.mkdtemp(prefix="cowpin-test-all-")
    os.makedirs(os.path.join(d, "scripts", "lablib"))
    os.makedirs(os.path.join(d, "bin"))
    with open(os.path.join(ROOT, "scripts", "test-all")) as f:
        open(os.path.join(d, "scripts", "test-all"), "w").write(f.read())
    open(os.path.join(d, "scripts", "lablib", "__init__.py"), "w").close()
    open(os.path.join(d, "scripts", "lablib", "hostdeps.py"), "w").write(
        "TESTS = LAVA = []\ndef ensure(build=True, extra=()):\n    pass\n")
    for name, text in (("meson", MESON), ("ninja", "#!/bin/sh\nexit 0\n")):
        p = os.path.join(d, "bin", name)
        open(p, "w").write(text)
        os.chmod(p, stat.S_IRWXU)
    for b in ("build", "build-san"):
        os.makedirs(os.path.join(d, b, "meson-logs"))
        open(os.path.join(d, b, "build.ninja"), "w").close()
    # What an earlier sanitizer run left behind.
    with open(os.path.join(d, "build-san", "meson-logs", "testlog.json"), "w") as f:
        f.write(json.dumps({"name": "cowpin:unit / old", "result": "FAIL", "duration": 1}) + "\n")
    return d


def run(d, suites):
    env = dict(os.environ, PATH=os.path.join(d, "bin") + ":" + os.environ["PATH"], COWPIN_SUITES=suites)
    p = subprocess.run(["bash", os.path.join(d, "scripts", "test-all")], env=env, capture_output=True,
                       text=True, timeout=60)
    return p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr.strip()[-200:]


cases = [("lab", "1 passed, 0 failed, 0 skipped", "without a sanitizer pass the old build-san log is not read"),
         ("unit", "2 passed, 0 failed, 0 skipped", "with one, both passes count (its log is rewritten)")]
t = Tap(plan=len(cases))
for suites, want, what in cases:
    d = scratch()
    got = run(d, suites)
    shutil.rmtree(d)
    t.ok(got == want, "COWPIN_SUITES=%s: %s" % (suites, what), () if got == want else "want '%s', got '%s'" % (want, got))
sys.exit(t.done())
