// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-iommufd: the VFIO device cdev bound to /dev/iommu, IOMMU_IOAS_MAP
 * with IOMMU_IOAS_MAP_READABLE and without WRITEABLE: iommufd pins with
 * FOLL_LONGTERM and no FOLL_WRITE.  Charged to mm->pinned_vm (VmPin)
 * always, and by default also to the user's locked_vm (user_struct, not
 * VmLck; IOMMU_OPTION_RLIMIT_MODE=1 would charge mm->locked_vm instead).
 * Needs CONFIG_IOMMUFD (6.2+) and CONFIG_VFIO_DEVICE_CDEV (6.6+).
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "pci_sysfs.h"
#include "readback.h"

static int iommufd_probe(struct cp_env *env, const struct vfio_rb_family *fam)
{
	struct utsname u;
	int major = 0, minor = 0, err;
	char cfg;

	uname(&u);
	sscanf(u.release, "%d.%d", &major, &minor);
	if (access("/dev/iommu", F_OK)) {
		cfg = kconfig_get("CONFIG_IOMMUFD");
		cp_why(env, "the running kernel %s has no iommufd: /dev/iommu is missing%s%s; "
		       "Debian's 6.1 and 6.12 kernels are built without it: boot a kernel with CONFIG_IOMMUFD=y and CONFIG_VFIO_DEVICE_CDEV=y (scripts/build-kernel)",
		       u.release,
		       major * 100 + minor < 602 ? " (iommufd exists from Linux 6.2, the VFIO cdev from 6.6)" : "",
		       cfg == 'm' ? " (CONFIG_IOMMUFD=m: modprobe iommufd)" :
		       cfg == 'n' ? " (CONFIG_IOMMUFD is not set)" : "");
		return -ENODEV;
	}
	/* The device's own checks first: a noiommu device has no cdev for a reason of its own. */
	err = vfio_rb_probe(env, VFIO_MODE_IOMMUFD, fam);
	if (err)
		return err;
	if (access("/dev/vfio/devices", F_OK)) {
		cfg = kconfig_get("CONFIG_VFIO_DEVICE_CDEV");
		cp_why(env, "the running kernel %s has iommufd but no VFIO device cdev (/dev/vfio/devices missing%s): it needs CONFIG_VFIO_DEVICE_CDEV=y (Linux 6.6+)",
		       u.release, cfg == 'n' ? ", CONFIG_VFIO_DEVICE_CDEV is not set" : "");
		return -ENODEV;
	}
	return 0;
}

#define VFIO_IOMMUFD_CONSUMER(fam, suffix, fsummary) \
	VFIO_RB_CONSUMER(vfio_iommufd, "vfio-iommufd", VFIO_MODE_IOMMUFD, iommufd_probe, "iommufd + VFIO cdev: IOMMU_IOAS_MAP without WRITEABLE, ", CP_COUNTER_PINNED_VM, false, fam, suffix, fsummary)
VFIO_FAMILIES(VFIO_IOMMUFD_CONSUMER)
