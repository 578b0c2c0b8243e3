# SPDX-License-Identifier: GPL-2.0-only
"""Reading a LAVA job's log: its test cases and cowpin's files.

lava-run writes the per-case results only to its log (YAML, one entry per
line): `lvl: results` entries carry the cases, `lvl: target` entries the
console lines, among them the files scripts/lava/run-in-dut.sh printed
between COWPIN-FILE-BEGIN/END markers (gzip + base64).  check() holds the
cases to the results JSON: one case per cowpin test, named like it, with
the result scripts/lava/verdicts.json maps its verdict to.
"""
import base64
import binascii
import gzip
import json
import os
import re

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
VERDICTS = os.path.join(os.path.dirname(HERE), "lava", "verdicts.json")
DEFINITION = "cowpin"	# the inline definition's name (LAVA prefixes "0_")
_B64 = re.compile(r"^[A-Za-z0-9+/=]+$")
# YAML's loader is slow on a big log: only these entries are parsed.
_WANTED = re.compile(r'"lvl": "(results|target)"')


def mapping():
	with open(VERDICTS) as f:
		return {k: v for k, v in json.load(f).items() if not k.startswith("#")}


def entries(text):
	"""The log's results and target entries, in order."""
	out = []
	for line in text.splitlines():
		if _WANTED.search(line):
			try:
				e = yaml.load(line.lstrip("- "), Loader=yaml.CSafeLoader
					      if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader)
			except yaml.YAMLError:
				continue
			if isinstance(e, dict):
				out.append(e)
	return out


def parse(text):
	"""(cases, files, job): cases [{case, result, definition, ...}] of
	cowpin's definition in order; files {name: bytes} rebuilt from the
	console; job: LAVA's own result for the job (its "lava" case "job")."""
	cases, files, cur, buf, job = [], {}, None, [], None
	for e in entries(text):
		msg = e.get("msg")
		if e.get("lvl") == "results" and isinstance(msg, dict):
			if str(msg.get("definition", "")).endswith(DEFINITION):
				cases.append(msg)
			elif msg.get("definition") == "lava" and msg.get("case") == "job":
				job = msg.get("result")
			continue
		if not isinstance(msg, str):
			continue
		line = msg.strip()
		if line.startswith("COWPIN-FILE-BEGIN "):
			cur, buf = line.split(" ", 1)[1], []
		elif line.startswith("COWPIN-FILE-END ") and cur:
			try:
				files[cur] = gzip.decompress(base64.b64decode("".join(buf)))
			except (binascii.Error, OSError, EOFError):
				files[cur] = None	# damaged: check() says so
			cur = None
		elif cur and _B64.match(line):
			buf.append(line)
	return cases, files, job


def check(cases, doc):
	"""Problems (strings) with the LAVA cases of one run against its JSON:
	a test without its case, a case whose result is not the mapped verdict,
	a case twice, a case of no test.  [] when they agree."""
	m = mapping()
	want = {r["name"]: m.get(r["verdict"], "unknown") for r in doc.get("results", [])}
	got = {}
	bad = []
	extra = {"cowpin.results", "selftest.cow"}
	for c in cases:
		name = c.get("case")
		if name in got:
			bad.append("LAVA case %s reported twice" % name)
		if name in want or name in extra:
			got[name] = c.get("result")
		elif not name.startswith("memlock."):
			bad.append("LAVA case %s matches no cowpin test" % name)
	for name, res in want.items():
		if name not in got:
			bad.append("%s: no LAVA case (results missing)" % name)
		elif got[name] != res:
			bad.append("%s: LAVA result %s, cowpin's verdict maps to %s" % (
				name, got[name], res))
	if got.get("cowpin.results") != "pass":
		bad.append("LAVA case cowpin.results is %s" % got.get("cowpin.results", "missing"))
	return bad


def measurements(cases):
	"""{case: (measurement, units)} of the memlock figures."""
	return {c["case"]: (c.get("measurement"), c.get("units")) for c in cases
		if c.get("case", "").startswith("memlock.")}
