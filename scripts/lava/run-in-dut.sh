#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The LAVA test definition's one step (scripts/lava/cowpin.yaml), on the
# device under test booted into lablib/lava_ramdisk.py's ramdisk:
#  1. the native lab's guest side, unchanged: lablib/guest-suite.sh (set-up
#     scripts up, `cowpin run --json`, memlock, cow.c beside set-up down), with
#     lava.env giving what scripts/lab would export (gup_test module, ...);
#  2. every cowpin test as one LAVA test case named like the test, its
#     result mapped from cowpin's verdict by verdicts.json, each preceded by
#     a "cowpin-verdict:" line with the exact verdict and reason;
#  3. memlock figures as LAVA measurements (KiB, s);
#  4. the JSON documents and cow.c's KTAP on the console between
#     "COWPIN-FILE-BEGIN NAME" / "COWPIN-FILE-END NAME" markers (gzip +
#     base64), from which scripts/lava-job rebuilds the lab's report.
set -u
D=/opt/cowpin
. $D/lava.env
lava_path=$PATH
. $D/prologue.sh	# PATH, HOME, the ext4 scratch disk on /var/tmp
export PATH="$PATH:$lava_path"	# and the test shell's helpers
echo "cowpin-suite: /var/tmp on $(grep ' /var/tmp ' /proc/mounts || echo 'the ramdisk (no scratch disk!)')"
# The job's run id (cowpin.yaml's COWPIN_RUN_ID parameter): cowpin stamps it
# into every JSON document, scripts/lava-job refuses documents without it.
if [ -n "${COWPIN_RUN_ID:-}" ]; then
	export COWPIN_RUN_ID
	echo "cowpin-suite: run id $COWPIN_RUN_ID"
else
	unset COWPIN_RUN_ID
	echo "cowpin-suite: no run id (COWPIN_RUN_ID) in the job"
fi
export LAB_DIR=/tmp/cowpin-lab
rm -rf "$LAB_DIR"
mkdir -p "$LAB_DIR"
# name result [measurement units]: a LAVA test case.  The signal that
# lava-test-case prints, printed directly: under TCG each lava-test-case
# call costs ~0.35 s, two minutes over a run's ~450 cases.
case_() {
	echo "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=$1 RESULT=$2${4:+ UNITS=$4}${3:+ MEASUREMENT=$3}>"
}

set -f	# LAB_RUN_ARGS may hold globs for cowpin, not for the shell
# shellcheck disable=SC2086 # word splitting intended: cowpin's options
sh $D/guest-suite.sh $D $D/cowpin ${LAB_RUN_ARGS:-}
echo $? >"$LAB_DIR/rc"
set +f
echo "cowpin-suite: guest-suite.sh exit $(cat "$LAB_DIR/rc")"

if [ -s "$LAB_DIR/results.json" ]; then
	jq -r --slurpfile m $D/lava/verdicts.json '.results[] |
		[.name, ($m[0][.verdict] // "unknown"), .verdict
		 + (if .verdict == "refused" and (.errno // 0) != 0 then ":errno " + (.errno | tostring) else "" end)
		 + (if .fail_kind then ":" + .fail_kind else "" end),
		 (.reason // "" | gsub("[\t\n]"; " "))] | @tsv' "$LAB_DIR/results.json" |
	while IFS='	' read -r name result verdict reason; do
		echo "cowpin-verdict: $name $verdict: $reason"
		case_ "$name" "$result"
	done
	case_ cowpin.results pass
else
	echo "cowpin-suite: cowpin wrote no results.json"
	case_ cowpin.results fail
fi

if [ -s "$LAB_DIR/memlock.json" ]; then	# what one R/O pin costs, per consumer/backing/size
	jq -r '.memlock[] | "memlock.\(.consumer).\(.backing).\(.size_kb)K" as $n |
		(.registered_kb // {} | to_entries[] | select(.value != null) |
		 "\($n).\(.key) \(.value) KiB"),
		(.throughput.median_s // empty | "\($n).pin-median \(.) s")' \
		"$LAB_DIR/memlock.json" |
	while read -r name value units; do
		case_ "$name" pass "$value" "$units"
	done
fi

if [ -f "$LAB_DIR/selftest.rc" ]; then	# kselftest: 0 pass, 1 fail, 4 skip
	case $(cat "$LAB_DIR/selftest.rc") in
	0) r=pass ;; 1) r=fail ;; 4) r=skip ;; *) r=unknown ;;
	esac
	case_ selftest.cow "$r"
fi

for f in results.json memlock.json note2.json selftest.ktap selftest.rc events rc; do
	[ -f "$LAB_DIR/$f" ] || continue
	echo "COWPIN-FILE-BEGIN $f"
	gzip -c "$LAB_DIR/$f" | base64
	echo "COWPIN-FILE-END $f"
done
exit 0
