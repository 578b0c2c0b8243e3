#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The host suite says what it tested (tests/host/run.py's last line, TAP).

    host_reads.py COWPIN

Saved documents (run.py --json) built from a real io_uring result of this
cowpin: where cowpin's "consumers" says a read-only consumer was available,
only io_uring (a writable pin) results, or that consumer's results all
skip, error or refused, must be `not ok`; a read-only pass, fail or hazard
is `ok`; with no read-only consumer available the line is a visible SKIP
naming each and why; a document that does not say which consumers were
available is `not ok`.  And this host's real run gives no `not ok` there.
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import Tap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, "..", "host", "run.py")
COWPIN = sys.argv[1]
T = Tap()


def tap(ok, what, diag=""):
	"""diag (often a whole stdout) only under a failure."""
	T.ok(ok, what, str(diag)[:3000] if diag and not ok else ())


def cowpin_json(*consumers):
	args = [COWPIN, "run", "--backing", "anon", "--case", "ro-pin-snapshot", "--format", "json"]
	for c in consumers:
		args += ["--consumer", c]
	return json.loads(subprocess.run(args, capture_output=True, text=True, timeout=120).stdout)


def last_line(doc):
	"""run.py's last TAP result line for the saved doc."""
	with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
		json.dump(doc, f)
		f.flush()
		out = subprocess.run([sys.executable, RUN, COWPIN, "/nonexistent/with-devices", "--json", f.name],
				     capture_output=True, text=True, timeout=60).stdout
	lines = [l for l in out.splitlines() if l.startswith(("ok ", "not ok "))]
	return (lines or [""])[-1], out


def main():
	base = cowpin_json("io_uring")
	io = next(r for r in base["results"] if r["consumer"] == "io_uring")
	if io["verdict"] != "pass" or "consumers" not in base:
		tap(False, "a real io_uring result and cowpin's \"consumers\"", json.dumps(base)[:2000])
		return T.done()

	def doc(rxe_available, *rxe_verdicts):
		d = copy.deepcopy(base)
		d["consumers"]["rdma-rxe"] = {"available": rxe_available, "pin": "read-only"}
		if not rxe_available:
			d["consumers"]["rdma-rxe"]["reason"] = "no rxe device (modprobe rdma_rxe)"
		for v in rxe_verdicts:
			r = dict(copy.deepcopy(io), consumer="rdma-rxe", name="rdma-rxe.anon.ro-pin-snapshot",
				 pin="read-only", verdict=v, reason="synthetic %s" % v)
			if v == "refused":
				r.update(errno=14, errno_name="EFAULT")
			d["results"].append(r)
		return d
	for what, d, want in (
		("only io_uring results, rdma-rxe available", doc(True), "not ok"),
		("rdma-rxe available, its results skip", doc(True, "skip"), "not ok"),
		("rdma-rxe available, its results error", doc(True, "error"), "not ok"),
		("rdma-rxe available, its results refused", doc(True, "refused"), "not ok"),
		("rdma-rxe read back: pass", doc(True, "pass"), "ok"),
		("rdma-rxe read back: fail", doc(True, "fail"), "ok"),
		("rdma-rxe read back: hazard", doc(True, "hazard", "skip"), "ok"),
		("no read-only consumer available", doc(False, "skip"), "skip"),
		("no \"consumers\" in the document", {k: v for k, v in doc(True).items() if k != "consumers"},
		 "not ok"),
	):
		line, out = last_line(d)
		got = "not ok" if line.startswith("not ok") else "skip" if "# SKIP" in line else "ok"
		named = want != "skip" or ("no read-only consumer available on this host: rdma-rxe: no rxe device"
					    in line)
		tap(got == want and named, "run.py's last line is %s for %s" % (want, what), out)
	# This host, this cowpin: the real plan's probes, never a silent green.
	line, out = last_line(cowpin_json("io_uring", "rdma-rxe", "rdma-siw", "gup-test", "vfio-type1", "v4l2"))
	tap(line.startswith("ok ") and ("read-only pins read back" in line or
					"no read-only consumer available on this host: " in line),
	    "this host: %s" % line[:300], out)
	return T.done()


if __name__ == "__main__":
	sys.exit(main())
