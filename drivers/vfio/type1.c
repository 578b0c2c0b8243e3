// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-type1: VFIO_IOMMU_MAP_DMA with VFIO_DMA_MAP_FLAG_READ only on a
 * type1v2 container.  type1 pins with FOLL_LONGTERM and no FOLL_WRITE: the
 * R/O long-term pin whose COW handling Linux 6.2 fixed.  Charged to
 * mm->locked_vm (VmLck); pfns type1 considers reserved (on x86 the 4K
 * shared zeropage) are not charged.
 */
#include <errno.h>
#include <unistd.h>

#include "pci_sysfs.h"
#include "readback.h"

static int type1_probe(struct cp_env *env, const struct vfio_rb_family *fam)
{
	if (access("/dev/vfio/vfio", F_OK)) {
		cp_why(env, "/dev/vfio/vfio is missing: VFIO is not loaded or the kernel lacks CONFIG_VFIO_CONTAINER (modprobe vfio-pci vfio_iommu_type1; in the lab: scripts/setup-vfio up)");
		return -ENODEV;
	}
	if (!kmod_present("vfio_iommu_type1")) {
		cp_why(env, "the type1 IOMMU backend is not loaded: modprobe vfio_iommu_type1 (CONFIG_VFIO_IOMMU_TYPE1)");
		return -ENODEV;
	}
	return vfio_rb_probe(env, VFIO_MODE_TYPE1, fam);
}

#define VFIO_TYPE1_CONSUMER(fam, suffix, fsummary) \
	VFIO_RB_CONSUMER(vfio_type1, "vfio-type1", VFIO_MODE_TYPE1, type1_probe, "VFIO type1 container: VFIO_IOMMU_MAP_DMA read-only, ", CP_COUNTER_LOCKED_VM, false, fam, suffix, fsummary)
VFIO_FAMILIES(VFIO_TYPE1_CONSUMER)
