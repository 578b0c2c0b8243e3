// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-noiommu: VFIO's unsafe no-IOMMU mode has no DMA map ioctl, so there
 * is no kernel pin at all: userspace hands the device physical addresses
 * (here from /proc/self/pagemap after the read fault).  When the process
 * then writes a COW page, it gets a new page and the device keeps reading
 * the old one, on every kernel: not a kernel regression but the hazard a
 * noiommu user faces, reported as such.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "pci_sysfs.h"
#include "procfs.h"
#include "readback.h"

#define NOIOMMU_PARAM "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode"

static int noiommu_probe(struct cp_env *env, const struct vfio_rb_family *fam)
{
	char val[8] = "";

	if (!kmod_present("vfio")) {
		cp_why(env, "VFIO is not loaded: modprobe vfio-pci");
		return -ENODEV;
	}
	if (access(NOIOMMU_PARAM, F_OK)) {
		cp_why(env, "the running kernel has no VFIO noiommu mode (%s missing: CONFIG_VFIO_NOIOMMU is not set; Debian's 6.1 and 6.12 kernels are built without it): boot a kernel with CONFIG_VFIO_NOIOMMU=y and vfio.enable_unsafe_noiommu_mode=1, without an IOMMU for the device",
		       NOIOMMU_PARAM);
		return -ENODEV;
	}
	cp_read_text(NOIOMMU_PARAM, val, sizeof(val));
	if (val[0] != 'Y') {
		cp_why(env, "VFIO noiommu mode is off (%s = %s): enable it with vfio.enable_unsafe_noiommu_mode=1 (taints the kernel) before binding the device to vfio-pci",
		       NOIOMMU_PARAM, val);
		return -ENODEV;
	}
	if (geteuid()) {
		cp_why(env, "noiommu needs root: CAP_SYS_RAWIO for the container, CAP_SYS_ADMIN for PFNs in /proc/self/pagemap");
		return -ENODEV;
	}
	return vfio_rb_probe(env, VFIO_MODE_NOIOMMU, fam);
}

#define VFIO_NOIOMMU_CONSUMER(fam, suffix, fsummary) \
	VFIO_RB_CONSUMER(vfio_noiommu, "vfio-noiommu", VFIO_MODE_NOIOMMU, noiommu_probe, "VFIO noiommu: no map ioctl, no pin, physical addresses (the noiommu hazard); ", CP_COUNTER_NONE, true, fam, suffix, fsummary)
VFIO_FAMILIES(VFIO_NOIOMMU_CONSUMER)
