#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# In a lab guest: the same plan N times in a row, each run with its own
# device set-up and tear-down:  repeat-guest.sh OUT COWPIN N [run options...]
# Writes OUT/run-I.json; the host side compares the verdicts.
set -u
out=$1 cowpin=$2 n=$3
shift 3
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
for i in $(seq "$n"); do
	start=$(date +%s)
	"$repo/scripts/with-devices" "$cowpin" run --format json "$@" >"$out/run-$i.json" 2>"$out/run-$i.stderr"
	echo "run $i: exit $? in $(($(date +%s) - start)) s" >>"$out/times"
done
exit 0
