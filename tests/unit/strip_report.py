#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Refresh the mutation test's data (tests/unit/lab-report,
tests/unit/lab-built-report) from a real lab report directory.

usage: strip_report.py REPORT_DIR DEST_DIR NAME...
  e.g. strip_report.py build/lab-report-X tests/unit/lab-report 6.1 6.12
       strip_report.py REPORT tests/unit/lab-built-report build_6.12 build_6.12_noiommu

Copies REPORT_DIR/NAME.json to DEST_DIR/NAME.json, results unchanged
except each one's `evidence` (page traces and byte spans: ~90% of the
size, read by no check) and `diag` lines, which are dropped.
"""
import json
import os
import sys


def main(src, dst, *names):
	os.makedirs(dst, exist_ok=True)
	for n in names:
		with open(os.path.join(src, n + ".json")) as f:
			doc = json.load(f)
		for r in doc["results"]:
			r.pop("evidence", None)
			r.pop("diag", None)
		with open(os.path.join(dst, n + ".json"), "w") as f:
			json.dump(doc, f, indent=1, sort_keys=True)
			f.write("\n")
		print("%s: %d results" % (os.path.join(dst, n + ".json"), len(doc["results"])))


if __name__ == "__main__":
	if len(sys.argv) < 4:
		sys.exit(__doc__)
	main(*sys.argv[1:])
