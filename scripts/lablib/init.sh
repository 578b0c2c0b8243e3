#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
# The lab guest's /init (runs from the initramfs).  The host root (9p,
# read-only) becomes the lower layer of an overlay with a tmpfs upper at
# /newroot, the kernel's own modules go on /usr/lib/modules, the writable lab
# share on /lab.  /lab/job.sh then runs chrooted there; its exit status goes
# to /lab/rc and the guest powers off.  init stays in the initramfs so that
# busybox (poweroff, the modprobe forwarder) remains at hand.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
R=/newroot
fail() {
	echo "lab-init: $*"
	[ -d $R/lab ] && echo "$*" >$R/lab/init-error
	poweroff -f
}
echo "lab-init: loading modules, mounting the host root"
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /lib/mod/order); do
	insmod /lib/mod/$m || fail "insmod $m"
done
O=trans=virtio,version=9p2000.L,msize=512000
mkdir -p /lower /ovl
mount -t 9p -o $O,ro,cache=loose root /lower || fail "mount 9p root"
mount -t tmpfs -o mode=0755 ovl /ovl
mkdir /ovl/upper /ovl/work
mount -t overlay -o lowerdir=/lower,upperdir=/ovl/upper,workdir=/ovl/work \
	overlay $R || fail "mount overlay"
mkdir -p $R/usr/lib/modules $R/lab
mount -t 9p -o $O,ro,cache=loose modules $R/usr/lib/modules || fail "mount 9p modules"
mount -t 9p -o $O lab $R/lab || fail "mount 9p lab"
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm $R/dev/hugepages
# What udev/systemd would add: bash process substitution needs /dev/fd.
ln -s /proc/self/fd $R/dev/fd
ln -s /proc/self/fd/0 $R/dev/stdin
ln -s /proc/self/fd/1 $R/dev/stdout
ln -s /proc/self/fd/2 $R/dev/stderr
mount -t devpts devpts $R/dev/pts
mount -t tmpfs shm $R/dev/shm
mount -t hugetlbfs hugetlbfs $R/dev/hugepages
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
# /run is the host's: hide it.  /tmp stays (overlay-writable): a checkout
# under /tmp must remain visible to the job.
mount -t tmpfs run $R/run
ip link set lo up	# rxe on lo, local sockets
echo "booted $(cut -d' ' -f1 /proc/uptime)" >>$R/lab/events
echo "lab-init: booted; running /lab/job.sh"
chroot $R /bin/sh /lab/job.sh >$R/lab/stdout 2>$R/lab/stderr </dev/null
rc=$?
echo $rc >$R/lab/rc
echo "lab-init: job exited $rc; powering off"
sync
poweroff -f
