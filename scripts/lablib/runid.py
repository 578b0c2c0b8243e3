# SPDX-License-Identifier: GPL-2.0-only
"""Run ids: which run a report belongs to, so no checker judges another's.

A run id is UTC time (to the microsecond) + the git tree hash of the
checkout as it is (uncommitted changes included) + the ELF build id of the
cowpin binary, e.g. 20261202T151134.123456Z-<tree>-<build id>.  `cowpin run`
and `cowpin memlock` stamp it (--run-id / COWPIN_RUN_ID) into their JSON as
"run_id", beside their own "build_id"; scripts/lab and scripts/lava-job pass
it into every guest, and the checkers (tests/lab/check.py,
tests/lab-built/run.py, tests/lab-dma-fault/check.py, tests/lava/compare.py;
of_check() says which id each holds a report to) refuse a document with
another run id, none, or another binary's build id.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import time

VALID = re.compile(r"^[A-Za-z0-9._:+-]{1,200}$")	# what cowpin --run-id accepts
NT_GNU_BUILD_ID = 3


def build_id(path):
	"""The ELF build id (hex) of the binary at path, as `readelf -n` prints
	it, or None: read from its PT_NOTE segments (64-bit little-endian ELF)."""
	try:
		with open(path, "rb") as f:
			elf = f.read()
	except OSError:
		return None
	if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
		return None
	phoff, = struct.unpack_from("<Q", elf, 0x20)
	phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
	for i in range(phnum):
		p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
		if p_type != 4:	# PT_NOTE
			continue
		off, end = p_offset, p_offset + p_filesz
		while off + 12 <= end:
			namesz, descsz, ntype = struct.unpack_from("<III", elf, off)
			name = elf[off + 12:off + 12 + namesz]
			desc = off + 12 + ((namesz + 3) & ~3)
			if ntype == NT_GNU_BUILD_ID and name == b"GNU\0":
				return elf[desc:desc + descsz].hex()
			off = desc + ((descsz + 3) & ~3)
	return None


def tree_hash(repo):
	"""The git tree of repo's work tree as it is now (a throwaway index:
	the checkout's own index and objects are not changed but for new blobs),
	or "notree" outside a git checkout."""
	if not shutil.which("git"):
		return "notree"
	try:
		top = subprocess.run(["git", "-C", repo, "rev-parse", "--show-toplevel"],
				     capture_output=True, text=True, check=True).stdout.strip()
		index = subprocess.run(["git", "-C", top, "rev-parse", "--git-path", "index"],
				       capture_output=True, text=True, check=True).stdout.strip()
		with tempfile.TemporaryDirectory(prefix="cowpin-runid-") as tmp:
			env = dict(os.environ, GIT_INDEX_FILE=os.path.join(tmp, "index"))
			src = os.path.join(top, index)
			if os.path.exists(src):	# a copy: git add then only hashes what changed
				shutil.copy(src, env["GIT_INDEX_FILE"])
			subprocess.run(["git", "-C", top, "add", "-A"], env=env, check=True,
				       capture_output=True, timeout=120)
			return subprocess.run(["git", "-C", top, "write-tree"], env=env, check=True,
					      capture_output=True, text=True).stdout.strip()
	except (subprocess.SubprocessError, OSError):
		return "notree"


def make(cowpin, repo):
	"""A new run id for a run of the cowpin binary at cowpin from repo."""
	t = time.time()
	stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(t)) + ".%06dZ" % (int(t * 1e6) % 1000000)
	return "%s-%s-%s" % (stamp, tree_hash(repo), build_id(cowpin) or "nobuildid")


def valid(run_id):
	return bool(run_id and VALID.match(run_id))


def stale(doc, run_id, build=None):
	"""Why doc (a cowpin JSON document) is not of run run_id (and, when
	build is given, not written by the binary with that build id); None
	when it is."""
	if not isinstance(doc, dict):
		return "not a cowpin JSON document"
	got = doc.get("run_id")
	if got != run_id:
		return "it carries run id %s, not this run's %s" % (
			got if got else "none", run_id)
	if build is not None and doc.get("build_id") != build:
		return "it was written by cowpin build id %s, not %s (the binary of this run)" % (
			doc.get("build_id") or "none", build)
	return None


def of_check(report, new, cowpin="", repo=".", given=None):
	"""The run id a checker holds the report directory to: a new one when
	the checker runs the lab itself (new), else `given` (its --run-id), else
	the one the report's lab.json names (None without one)."""
	if new:
		return make(cowpin, repo)
	if given:
		return given
	try:
		with open(os.path.join(report, "lab.json")) as f:
			return json.load(f).get("run_id")
	except (OSError, ValueError, AttributeError):
		return None
