# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the setup-* scripts (bash): which modules `up` loaded, and
# unloading exactly those.  Few processes on purpose: in a lab guest under
# TCG every fork+exec costs 0.1-0.5 s, and a loop that ran one grep or cat
# per module made set-up take a minute (issue 18).  The caller defines say().

# Modules present now, one per line, sorted (built-ins with parameters show
# up too: they are there before and after, so they never count as ours).
modules_now() { ls /sys/module 2>/dev/null | sort; }

# Modules present now that are not in FILE (an earlier modules_now).
modules_since() { modules_now | comm -13 "$1" -; }

# rmmod exactly the named modules, users first.  /proc/modules lists the
# newest module first and a module always loads after its dependencies, so
# that order is an unload order: one rmmod for all of them, then bounded
# retries for those a reference still holds (device teardown, a child just
# killed).  Names the kernel does not list (gone, built in) are skipped.
unload_modules() {	# module...
	local -A want=()
	local m rest left=() tries=0
	for m in "$@"; do
		want[$m]=1
	done
	while :; do
		left=()
		while read -r m rest; do
			[ -n "${want[$m]:-}" ] && left+=("$m")
		done </proc/modules
		[ ${#left[@]} -eq 0 ] && return 0
		[ $tries -ge 20 ] && break
		[ $tries -gt 0 ] && sleep 0.25
		rmmod "${left[@]}" 2>/dev/null
		tries=$((tries + 1))
	done
	say "could not unload: ${left[*]} (still in use)"
	return 1
}
