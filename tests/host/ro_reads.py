# SPDX-License-Identifier: GPL-2.0-only
"""What the host suite tested: at least one read-only pin read back by a
device, where this host has a read-only consumer (tests/host/run.py).

io_uring's pin is writable (the harness's reference): a host suite of only
io_uring results tests nothing R/O.  Which consumers this host has comes
from the same run (cowpin's "consumers": its plan's probes), not from a
second look: a consumer that probed available but whose results are all
skip, refused or error read nothing, and that is a failure.  With no R/O
consumer available, the line is a SKIP naming each one and why.
"""
READS = ("pass", "fail", "hazard")	# verdicts of a device read


def short(why, n=90):
	"""The first clause of a probe's reason, for the one TAP line."""
	why = (why or "unavailable").split(": ")[0].split(" (")[0]
	return why if len(why) <= n else why[:n - 3] + "..."


def check(doc):
	"""(ok, TAP description, [diagnostics]) for cowpin run's document."""
	consumers, results = doc.get("consumers"), doc.get("results") or []
	if not isinstance(consumers, dict):
		return False, "cowpin says which read-only consumers this host has", [
			"no \"consumers\" in cowpin's JSON: cannot tell whether a read-only pin could be read back here"]
	ro = {n: c for n, c in sorted(consumers.items()) if c.get("pin") == "read-only"}
	avail = [n for n, c in ro.items() if c.get("available")]
	reads = {}
	for r in results:
		if r.get("pin") == "read-only" and r.get("verdict") in READS:
			reads[r["consumer"]] = reads.get(r["consumer"], 0) + 1
	if reads:
		return True, "read-only pins read back by a device: %d (%s)" % (
			sum(reads.values()), ", ".join("%s %d" % kv for kv in sorted(reads.items()))), []
	if avail:
		diags = []
		for n in avail:
			got = {}
			for r in results:
				if r.get("consumer") == n:
					got[r["verdict"]] = got.get(r["verdict"], 0) + 1
			diags.append("%s: available, but its results are %s" % (
				n, ", ".join("%s %d" % kv for kv in sorted(got.items())) or "none"))
		return False, "read-only consumers available (%s) but no device read one pin back" % (
			", ".join(avail)), diags
	why = "; ".join("%s: %s" % (n, short(c.get("reason"))) for n, c in ro.items()) or "none in the plan"
	return True, "no read-only consumer available on this host: %s # SKIP only writable pins " \
		"(io_uring, the harness's reference) were read back; `cowpin info` says how to enable each" % why, \
		["%s: %s" % (n, c.get("reason")) for n, c in ro.items()]
