# SPDX-License-Identifier: GPL-2.0-only
"""The one TAP writer of cowpin's Python tests (TAP 13, as meson reads it).

	t = tap.Tap()                  # or Tap(plan=N): the plan first
	t.ok(good, "what", diags)      # ok/not ok N - what, then "# diag" lines
	t.ok(good, "what", todo="why") # an expected failure: ... # TODO why
	t.skip("what", "why")          # ok N - what # SKIP why
	sys.exit(t.done())             # plan (if not given first), Totals, 1 on a failure

diags: a string (its lines) or an iterable of strings.  The Totals line
is kselftest's (`# Totals: pass:N fail:N xfail:N xpass:N skip:N error:N`),
so a log shows the counts without a TAP reader.
"""
import sys


class Tap:
	def __init__(self, plan=None, first=1, header=True, out=None):
		"""first: the number of the first line (a caller that prints
		several checkers' lines as one stream); header: print
		`TAP version 13` (not when continuing another's stream)."""
		self.out = out or sys.stdout
		self.n = first - 1
		self.planned = None
		self.counts = dict(pass_=0, fail=0, xfail=0, xpass=0, skip=0, error=0)
		if header:
			self._print("TAP version 13")
		if plan is not None:
			self.plan(plan)

	def _print(self, s):
		self.out.write(s + "\n")
		self.out.flush()	# interleaved with children's stderr in meson's log

	def plan(self, n):
		self.planned = n
		self._print("1..%d" % n)

	def diag(self, diags):
		if isinstance(diags, str):
			diags = diags.splitlines()
		for d in diags:
			self._print("# " + str(d))

	def ok(self, good, what, diags=(), todo=None):
		"""One test line; returns good.  todo: a failure declared
		expected (`not ok N - what # TODO todo`), counted xfail/xpass."""
		good = bool(good)
		self.n += 1
		if todo:
			self.counts["xpass" if good else "xfail"] += 1
		else:
			self.counts["pass_" if good else "fail"] += 1
		self._print("%s %d - %s%s" % ("ok" if good else "not ok", self.n, what,
					      " # TODO " + todo if todo else ""))
		self.diag(diags)
		return good

	def skip(self, what, why):
		self.n += 1
		self.counts["skip"] += 1
		self._print("ok %d - %s # SKIP %s" % (self.n, what, why))

	def error(self, what, diags=()):
		"""A harness error (not a verdict): not ok, counted as error."""
		self.n += 1
		self.counts["error"] += 1
		self._print("not ok %d - %s" % (self.n, what))
		self.diag(diags)

	def bail(self, why):
		self._print("Bail out! " + why)

	@property
	def failed(self):
		return self.counts["fail"] + self.counts["error"]

	def totals(self):
		c = self.counts
		self._print("# Totals: pass:%d fail:%d xfail:%d xpass:%d skip:%d error:%d" % (
			c["pass_"], c["fail"], c["xfail"], c["xpass"], c["skip"], c["error"]))

	def done(self, plan=True):
		"""The plan (unless given first, or plan=False: the caller's),
		the Totals; the exit status: 1 if a line failed, else 0."""
		if plan and self.planned is None:
			self.plan(self.n)
		self.totals()
		return 1 if self.failed else 0
