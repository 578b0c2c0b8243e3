# SPDX-License-Identifier: GPL-2.0-only
# Shared by scripts/vfio-bind, vfio-unbind and setup-vfio (sourced, not run).

say() { echo "$(basename "$0"): $*" >&2; }
die() { say "$*"; exit 1; }

# Normalize a BDF to DDDD:BB:DD.F (lower case), or fail.
vfio_bdf() {
	local b=${1,,}
	[[ $b =~ ^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] && b=0000:$b
	[[ $b =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] || return 1
	echo "$b"
}

vfio_state_file() { echo "${COWPIN_STATE_DIR:-/run/cowpin}/vfio-$1.state"; }

vfio_driver_of() {
	local l=/sys/bus/pci/devices/$1/driver
	[ -e "$l" ] && basename "$(readlink "$l")"
	return 0
}

# Put bdf back on driver orig ("" = none) with driver_override as saved.
vfio_restore() {	# bdf orig override
	local bdf=$1 orig=$2 override=$3 dev=/sys/bus/pci/devices/$1
	[ -e "$dev/driver" ] && echo "$bdf" >"$dev/driver/unbind"
	if [ "$override" = "(null)" ]; then
		echo >"$dev/driver_override"
	else
		echo "$override" >"$dev/driver_override"
	fi
	[ -n "$orig" ] || return 0
	echo "$bdf" >/sys/bus/pci/drivers_probe 2>/dev/null
	[ "$(vfio_driver_of "$bdf")" = "$orig" ] ||
		echo "$bdf" >"/sys/bus/pci/drivers/$orig/bind" 2>/dev/null
	return 0
}
