#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Suite `unit`: what the docs show exists.  docs_test.py COWPIN

For README.md, docs/*.md and drivers/vfio/README.md: every repository path
they name in backticks, in a code block or as a link target exists (globs
must match something); every option a `cowpin` command there shows is in
`COWPIN --help`, its subcommand among the help's commands; every option of a
`scripts/lab`, `scripts/lab exec` or `scripts/lava-job` command is in that
script's `-h`; a lone option in backticks (`--timeout`) is in one of those
helps.  Then the same check on mutated docs and a mutated help (a wrong
path, an unknown option, a removed option, a broken link, an unknown
subcommand) must report each mutation.  TAP.
"""
import glob
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from tap import Tap  # noqa: E402

# What a repository path starts with (build/ is generated, not checked).
PATH_RE = re.compile(r"^(?:src|drivers|tests|scripts|docs|\.ci)/|^(?:README\.md|meson\.build|LICENSE)$")
SEPARATORS = {"|", "||", "&&", ";", "&"}
# The tools whose options are checked, by the words that name them.
TOOLS = {"cowpin": "cowpin", "scripts/lab": "lab", "scripts/lava-job": "lava-job"}


def doc_files():
	return ["README.md"] + sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md"))) \
		+ ["drivers/vfio/README.md"]


def snippets(text):
	"""(kind, text): 'code' for each command line of a fenced block (a
	trailing backslash joins the next line), 'span' for each backtick
	span outside them."""
	out, block, cont = [], False, ""
	for line in text.splitlines():
		if line.lstrip().startswith("```"):
			block, cont = not block, ""
			continue
		if block:
			if line.rstrip().endswith("\\"):
				cont += line.rstrip()[:-1] + " "
				continue
			out.append(("code", cont + line))
			cont = ""
			continue
		for m in re.finditer(r"``?([^`]+)``?", line):
			out.append(("span", m.group(1)))
	return out


def words(s, kind):
	try:
		toks = shlex.split(s, comments=(kind == "code"))
	except ValueError:
		toks = s.split()
	return toks


def clean(tok):
	tok = tok.strip("[](),;:.\"'")
	tok = re.sub(r"'s$", "", tok)
	return re.sub(r":\d+$", "", tok)


def path_ok(p):
	full = os.path.join(ROOT, p)
	if any(c in p for c in "*?["):
		return bool(glob.glob(full))
	return os.path.exists(full)


def help_options(help_text):
	return set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", help_text))


def cowpin_commands(help_text):
	m = re.search(r"^commands:\n((?:  \S.*\n)+)", help_text, re.M)
	return {l.split()[0] for l in m.group(1).splitlines()} if m else set()


def tool_of(tok, nxt):
	if os.path.basename(tok) == "cowpin":
		return "cowpin"
	if tok == "scripts/lab" and nxt == "exec":
		return "lab exec"
	return TOOLS.get(tok)


def check_command(toks, helps, where, seen):
	"""Problems of one command line (already split into words)."""
	probs = []
	i = 0
	while i < len(toks):
		tool = tool_of(toks[i], toks[i + 1] if i + 1 < len(toks) else None)
		if not tool:
			i += 1
			continue
		i += 2 if tool == "lab exec" else 1
		opts = helps[tool]["options"] | {"--help", "-h"}
		first = True
		while i < len(toks) and toks[i] not in SEPARATORS and not tool_of(toks[i], None):
			t = clean(toks[i])
			if toks[i] == "--":	# scripts/lab exec -- COMMAND: the guest's
				i = len(toks)
				break
			if t.startswith("-") and len(t) > 1:
				opt = t.split("=", 1)[0]
				seen["options"] += 1
				if opt not in opts:
					probs.append("%s: %s option %s is not in its help" % (where, tool, opt))
			elif first and tool == "cowpin" and re.fullmatch(r"[a-z|]+", t):
				for sub in t.split("|"):
					seen["commands"] += 1
					if sub not in helps["cowpin"]["commands"]:
						probs.append("%s: cowpin has no command '%s'" % (where, sub))
			first = False
			i += 1
	return probs


def problems(name, text, helps, seen=None):
	"""Everything the doc NAME (text) shows that does not exist; seen
	counts what was checked (paths, options, commands, links)."""
	probs = []
	if seen is None:
		seen = {}
	for k in ("paths", "options", "commands", "links"):
		seen.setdefault(k, 0)
	for n, (kind, s) in enumerate(snippets(text)):
		where = "%s: `%s`" % (name, s if len(s) < 70 else s[:67] + "...")
		toks = words(s, kind)
		for t in toks:
			p = clean(t)
			if PATH_RE.search(p):
				seen["paths"] += 1
			if PATH_RE.search(p) and not path_ok(p):
				probs.append("%s: no such path %s" % (where, p))
		if kind == "span" and toks and toks[0].startswith("--"):
			opt = clean(toks[0]).split("=", 1)[0]
			seen["options"] += 1
			if not any(opt in h["options"] for h in helps.values()):
				probs.append("%s: option %s is in no help (cowpin, scripts/lab, scripts/lava-job)" % (where, opt))
		probs += check_command(toks, helps, where, seen)
	base = os.path.dirname(name)
	for m in re.finditer(r"\]\(([^)\s]+)\)", text):
		target = m.group(1).split("#", 1)[0]
		if not target or re.match(r"[a-z]+:", target):
			continue
		seen["links"] += 1
		if not os.path.exists(os.path.join(ROOT, base, target)):
			probs.append("%s: link to %s: no such file" % (name, target))
	return probs


def run_help(cmd):
	r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=ROOT)
	return r.stdout + r.stderr


def main():
	if len(sys.argv) != 2:
		sys.exit("usage: docs_test.py COWPIN")
	T = Tap()
	cowpin = os.path.abspath(sys.argv[1])	# meson runs us in build/; the helps run in ROOT
	cp = run_help([cowpin, "--help"])
	texts = {
		"cowpin": cp,
		"lab": run_help([os.path.join(ROOT, "scripts", "lab"), "-h"]),
		"lab exec": run_help([os.path.join(ROOT, "scripts", "lab"), "exec", "-h"]),
		"lava-job": run_help([os.path.join(ROOT, "scripts", "lava-job"), "-h"]),
	}
	helps = {k: {"options": help_options(v)} for k, v in texts.items()}
	helps["cowpin"]["commands"] = cowpin_commands(cp)
	for k, v in texts.items():
		if not T.ok(len(helps[k]["options"]) > 5, "%s's help lists its options" % k, v.splitlines()[:5]):
			sys.exit(T.done())
	T.ok(helps["cowpin"]["commands"] >= {"list", "info", "run", "memlock"}, "cowpin's help lists its commands",
	     sorted(helps["cowpin"]["commands"]))

	docs = {}
	for d in doc_files():
		with open(os.path.join(ROOT, d), encoding="utf-8") as f:
			docs[d] = f.read()
		seen = {}
		probs = problems(d, docs[d], helps, seen)
		T.ok(not probs, "%s: every path, option and command it shows exists (%s)" % (
			d, ", ".join("%d %s" % (v, k) for k, v in seen.items())), probs)

	# Each mutation must be reported, naming what was mutated.
	def mutant(what, doc, old, new, expect, mhelps=helps):
		text = docs[doc]
		if old is not None:
			if not T.ok(old in text, "mutant '%s': %s holds %r" % (what, doc, old)):
				return
			text = text.replace(old, new, 1)
		else:
			text += new
		probs = problems(doc, text, mhelps)
		T.ok(any(expect in p for p in probs), "mutant '%s' is reported" % what,
		     probs or ["nothing reported"])

	mutant("a wrong path", "docs/lab.md", "`scripts/lablib/guest-suite.sh`",
	       "`scripts/lablib/guest_suite.sh`", "no such path scripts/lablib/guest_suite.sh")
	mutant("a path that is not there", "README.md", None, "\nRun `scripts/no-such-script --now`.\n",
	       "no such path scripts/no-such-script")
	mutant("a glob that matches nothing", "docs/host.md", "`scripts/setup-*`", "`scripts/setp-*`",
	       "no such path scripts/setp-*")
	mutant("a broken link", "README.md", "(docs/lab.md)", "(docs/labs.md)", "link to docs/labs.md")
	mutant("an unknown cowpin option in a code block", "docs/host.md", "--backing memfd --format json",
	       "--backing memfd --fromat json", "cowpin option --fromat")
	mutant("an unknown cowpin command", "README.md", None, "\n`build/cowpin lst`\n", "no command 'lst'")
	mutant("an unknown scripts/lab option", "docs/lab.md", "scripts/lab --no-memlock",
	       "scripts/lab --no-memlok", "lab option --no-memlok")
	mutant("an unknown lone option", "docs/results.md", None, "\nsee `--expect-fil F`\n",
	       "option --expect-fil is in no help")
	# An option removed from cowpin (its help no longer lists it): the docs showing it fail.
	cut = re.sub(r"--format\b", "", cp)
	mhelps = dict(helps, cowpin={"options": help_options(cut), "commands": helps["cowpin"]["commands"]})
	mutant("an option removed from cowpin --help", "docs/host.md", None, "", "cowpin option --format", mhelps)
	sys.exit(T.done())


if __name__ == "__main__":
	main()
