#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the LAVA job's ramdisk (lablib/lava_ramdisk.py): the ramdisk is
# the whole root, so this only mounts what udev/systemd would, then leaves a
# root shell on the console for LAVA (its prompt "/ # " ends the boot action).
/usr/bin/busybox --install -s	# applets where no real tool (bash, kmod, ip...) is
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/hugepages
ln -s /proc/self/fd /dev/fd	# bash process substitution
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
mount -t hugetlbfs hugetlbfs /dev/hugepages
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs run /run
ip link set lo up	# rxe on lo, local sockets
# What udev would load for the virtio devices (the native lab's initramfs
# does too): the scratch disk's virtio_blk finds its PCI transport.
modprobe virtio_pci
# Kernel messages stay in the log (cowpin reads /dev/kmsg) but off the
# console, where they would cut into the test shell's lines and markers.
dmesg -n 1
echo "cowpin-ramdisk: $(uname -r) up; root shell on the console"
cd /
exec setsid cttyhack sh -l
