# SPDX-License-Identifier: GPL-2.0-only
"""The seed's Note 2, measured: "for shared mappings we'll now always
fallback to the slow path to lookup the VMA when R/O long-term pinning".

Each guest runs `cowpin memlock OPTS` (guest-suite.sh, LAB_NOTE2) on
gup-test-fast, in the same lab run.  GUP-fast asks gup_must_unshare(NULL, ...)
only for a PTE that is not writable, and for a non-anon page without the VMA
that now says "fall back": so the shared mapping that loses GUP-fast is one
mapped read-only (ro-shared-file: PROT_READ, MAP_SHARED), while shared-memfd,
written by the process and so mapped writable, keeps it.  anon (exclusive
anon pages) is the control for everything else that differs between the
guests.  The table gives each kernel's median registration throughput and
the 6.12/6.1 ratio per backing with its spread.
"""
import json

# 16 MiB: 4096 PTEs per pin, long enough to dwarf the ioctl, short under TCG.
# 15 registrations each: TCG guests on a shared host are noisy.
OPTS = ("--consumer gup-test-fast --backing shared-memfd --backing ro-shared-file "
	"--backing anon --size 16M --repeat 15")
BACKINGS = ("shared-memfd", "ro-shared-file", "anon")


def _quart(v):
	"""(q1, median, q3) of v by the median of halves."""
	v = sorted(v)
	n = len(v)

	def med(w):
		return (w[(len(w) - 1) // 2] + w[len(w) // 2]) / 2.0
	return med(v[:(n + 1) // 2]), med(v), med(v[n // 2:])


def samples(path):
	"""{backing: [seconds per registration]} of gup-test-fast in a memlock JSON."""
	try:
		with open(path) as f:
			doc = json.load(f)
	except (OSError, ValueError):
		return {}
	out = {}
	for e in doc.get("memlock", []):
		t = e.get("throughput") or {}
		if e.get("consumer") == "gup-test-fast" and e.get("status") == "ok" and t.get("samples_s"):
			out[e["backing"]] = (e["size"], [s for s in t["samples_s"] if s > 0])
	return out


def ratio(old, new):
	"""Throughput new/old from seconds per registration: the ratio of the
	medians, and as its spread the quartiles of all pairwise ratios."""
	q1, _, q3 = _quart([o / n for o in old for n in new])
	return _quart(old)[1] / _quart(new)[1], q1, q3


def table(runs):
	"""Markdown lines for the memlock section; [] when the guests did not measure."""
	docs = [(r["label"], samples(r["note2"])) for r in runs if r.get("note2")]
	if len(docs) < 2:
		return []
	(la, a), (lb, b) = docs[0], docs[-1]
	out = ["", "### Note 2: GUP-fast R/O long-term pins of shared mappings take the slow path",
	       "", "`cowpin memlock %s` in each guest, same lab run (registration = "
	       "`PIN_LONGTERM_TEST_START` with `USE_FAST`)." % OPTS, "",
	       "| gup-test-fast | %s median | %s median | %s/%s throughput (IQR spread) | fastest: %s/%s | n |" % (
		       la, lb, lb, la, lb, la),
	       "|---|---|---|---|---|---|"]
	rs = {}
	for bk in BACKINGS:
		if bk not in a or bk not in b:
			out.append("| %s | %s | %s | — | — | — |" % (bk, "ok" if bk in a else "no data",
							 "ok" if bk in b else "no data"))
			continue
		size = a[bk][0]
		gib = lambda v: size / float(1 << 30) / _quart(v)[1]
		rs[bk] = ratio(a[bk][1], b[bk][1])
		out.append("| %s | %.2f GiB/s | %.2f GiB/s | %.2f (%.2f–%.2f) | %.2f | %d / %d |" % (
			bk, gib(a[bk][1]), gib(b[bk][1]), rs[bk][0], rs[bk][1], rs[bk][2],
			min(a[bk][1]) / min(b[bk][1]), len(a[bk][1]), len(b[bk][1])))
	if "anon" in rs:
		out.append("")
		out += ["- %s: ratio relative to anon's (the control): %.2f" % (bk, rs[bk][0] / rs["anon"][0])
			for bk in BACKINGS if bk != "anon" and bk in rs]
		out.append("- below 1: %s lost GUP-fast there (the slow path looks up the VMA)" % lb)
	out.append("- TCG guests on a shared host: a registration the host preempts takes "
		   "several ms more, so the medians scatter; the fastest of N is the "
		   "uncontended figure")
	return out
