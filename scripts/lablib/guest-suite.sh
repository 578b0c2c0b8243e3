#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest side of `scripts/lab`: runs inside a lab guest (see init.sh).
#   guest-suite.sh REPO COWPIN [cowpin run options...]
# Brings every consumer up with the executable scripts/setup-* (argument
# "up", lexical order; their "COWPIN_X=y" stdout lines go into cowpin's
# environment), runs the suite once (TAP on stdout for the host's progress
# display, JSON to /lab/results.json), then "down" in reverse order.
# Each phase is stamped in /lab/events so the host can time it.
# LAB_DIR replaces /lab (the LAVA job: scripts/lava/run-in-dut.sh).
REPO=$1 COWPIN=$2
shift 2
LAB=${LAB_DIR:-/lab}
export COWPIN_STATE_DIR=/run/cowpin-state
mkdir -p "$COWPIN_STATE_DIR"

# Builtins only where it is cheap to avoid a process: under TCG every
# fork+exec costs 0.1-0.5 s.
ev() {
	read -r up _ </proc/uptime
	echo "$1 $up" >>"$LAB"/events
}

# run_setup SCRIPT up|down: with LAB_XTRACE (scripts/lab --trace-setup) under
# bash's xtrace, each command stamped with $EPOCHREALTIME (no process per
# line), into $LAB/NAME.ACTION.trace: where a slow set-up spends its time.
run_setup() {
	if [ -n "${LAB_XTRACE:-}" ]; then
		bash -c 'PS4="+ \$EPOCHREALTIME "; exec 9>"$2"; BASH_XTRACEFD=9; set -x; . "$0" "$1"' \
			"$1" "$2" "$LAB/${1##*/}.$2.trace"
	else
		"$1" "$2"
	fi
}

# show NAME ACTION FILE [export]: the script's lines as TAP diagnostics; with
# "export", a well-formed stdout line "COWPIN_X=value" (no blank in the value:
# a set-up script must not inject code) also goes into cowpin's environment.
show() {
	while IFS= read -r line; do
		case $4:$line in
		export:COWPIN_*=*)
			k=${line%%=*} v=${line#*=}
			case $k in
			*[!A-Za-z0-9_]*) ;;
			*) case $v in *" "* | *"	"*) ;; *) export "$line" ;; esac ;;
			esac ;;
		esac
		echo "# $1 $2: $line"
	done <"$3"
}

# hugetlb backings need 2 free pages each (file page + private COW copy).
echo 8 >/proc/sys/vm/nr_hugepages

# LAB_SETUPS (names) narrows the set, e.g. a KERNEL@noiommu boot.
setups=""
for s in "$REPO"/scripts/setup-*; do
	[ -f "$s" ] && [ -x "$s" ] || continue
	if [ -n "${LAB_SETUPS:-}" ]; then
		case " $LAB_SETUPS " in *" ${s##*/} "*) ;; *) continue ;; esac
	fi
	setups="$setups $s"
done

for s in $setups; do
	n=${s##*/}
	ev "up:$n"
	run_setup "$s" up >"$LAB"/$n.up.out 2>"$LAB"/$n.up.err
	rc=$?
	ev "up-done:$n"
	show "$n" up "$LAB"/$n.up.err
	show "$n" up "$LAB"/$n.up.out export
	[ $rc -eq 0 ] || echo "# $n up: exit $rc"
done

ev tests
"$COWPIN" run --json "$LAB"/results.json "$@"
status=$?
ev tests-done

# scripts/lab --memlock: what each R/O pin costs against RLIMIT_MEMLOCK.
if [ -n "${LAB_MEMLOCK:-}" ]; then
	ev memlock
	# shellcheck disable=SC2086 # word splitting intended: the options
	"$COWPIN" memlock $LAB_MEMLOCK --json "$LAB"/memlock.json ||
		echo "# cowpin memlock: exit $?"
	ev memlock-done
fi
# ... and the seed's Note 2: GUP-fast throughput on shared-memfd vs anon (lablib/note2.py).
if [ -n "${LAB_NOTE2:-}" ]; then
	ev note2
	# shellcheck disable=SC2086 # word splitting intended: the options
	"$COWPIN" memlock $LAB_NOTE2 --json "$LAB"/note2.json ||
		echo "# cowpin memlock (Note 2): exit $?"
	ev note2-done
fi

# scripts/lab: the kernel's own selftest cow.c (unmodified, built on the host)
# judges gup_test too, so it runs while setup-gup-test is still up.  It
# needs nothing else, and the other set-ups' "down" takes no pins and
# loads nothing it uses, so those run beside it (3-5 s less per guest
# under TCG); setup-gup-test goes down after it.  Bounded: TCG is slow,
# but a hang must not hold the run.
selftest=""
if [ -n "${LAB_SELFTEST:-}" ]; then
	(
		ev selftest
		(cd /tmp && timeout -k 10 "${LAB_SELFTEST_TIMEOUT:-600}" "$LAB_SELFTEST") \
			>"$LAB"/selftest.ktap 2>&1
		echo $? >"$LAB"/selftest.rc
		ev selftest-done
	) &
	selftest=$!
fi
selftest_wait() {
	[ -n "$selftest" ] || return 0
	wait "$selftest"
	selftest=""
	echo "# cow.c selftest: exit $(cat "$LAB"/selftest.rc)"
}

rev=""
for s in $setups; do
	rev="$s $rev"
done
for s in $rev; do
	n=${s##*/}
	[ "$n" = setup-gup-test ] && selftest_wait
	ev "down:$n"
	run_setup "$s" down >"$LAB"/$n.down.out 2>&1 || echo "# $n down: exit $?"
	ev "down-done:$n"
	while IFS= read -r line; do
		echo "# $n down: $line"
	done <"$LAB"/$n.down.out
done
selftest_wait
ev done
exit $status
