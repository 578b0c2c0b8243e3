#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# In a lab guest: the same plan N times in a row under one device set-up
# (scripts/with-devices: under TCG the set-up and tear-down cost more than
# the tests):  repeat-guest.sh OUT COWPIN N [run options...]
# Writes OUT/run-I.json, OUT/times and OUT/dmesg; the host side compares.
set -u
out=$1 cowpin=$2 n=$3
shift 3
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
"$repo/scripts/with-devices" bash -c '
	out=$1 cowpin=$2 n=$3
	shift 3
	for i in $(seq "$n"); do
		start=$(date +%s)
		"$cowpin" run --format json "$@" >"$out/run-$i.json" 2>"$out/run-$i.stderr"
		echo "run $i: exit $? in $(($(date +%s) - start)) s" >>"$out/times"
	done' repeat "$out" "$cowpin" "$n" "$@" 2>"$out/with-devices.stderr"
dmesg >"$out/dmesg"
exit 0
