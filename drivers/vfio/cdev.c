// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd + VFIO device cdev (Linux 6.6+ for the cdev, CONFIG_IOMMUFD and
 * CONFIG_VFIO_DEVICE_CDEV): bind the device to an iommufd, attach it to an
 * IOAS, and map user memory into that IOAS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "consumer.h"
#include "pci_sysfs.h"
#include "uapi.h"
#include "vfio.h"

int vfio_cdev_open(struct cp_env *env, struct vfio_dev *dev)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	char name[32], path[64];
	int ret;

	dev->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (dev->iommufd < 0) {
		ret = -errno;
		cp_why(env, "open /dev/iommu: %s", strerror(errno));
		return ret;
	}
	if (pci_dev_vfio_cdev(dev->bdf, name, sizeof(name))) {
		cp_why(env, "%s has no VFIO device cdev (/sys/bus/pci/devices/%s/vfio-dev): the kernel needs CONFIG_VFIO_DEVICE_CDEV=y and the device bound to vfio-pci",
		       dev->bdf, dev->bdf);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	dev->fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		ret = -errno;
		cp_why(env, "open %s: %s%s", path, strerror(errno),
		       errno == EBUSY ? " (another process holds the device)" : "");
		return ret;
	}
	bind.iommufd = dev->iommufd;
	if (ioctl(dev->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		ret = -errno;
		cp_why(env, "VFIO_DEVICE_BIND_IOMMUFD on %s: %s", path, strerror(errno));
		return ret;
	}
	if (ioctl(dev->iommufd, IOMMU_IOAS_ALLOC, &alloc)) {
		ret = -errno;
		cp_why(env, "IOMMU_IOAS_ALLOC: %s", strerror(errno));
		return ret;
	}
	dev->ioas_id = alloc.out_ioas_id;
	attach.pt_id = dev->ioas_id;
	if (ioctl(dev->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach)) {
		ret = -errno;
		cp_why(env, "VFIO_DEVICE_ATTACH_IOMMUFD_PT(ioas %u): %s", dev->ioas_id,
		       strerror(errno));
		return ret;
	}
	return 0;
}

/* Closing the device detaches it; closing the iommufd frees the IOAS and its pins. */
void vfio_cdev_close(struct vfio_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	if (dev->iommufd >= 0)
		close(dev->iommufd);
	dev->fd = dev->iommufd = -1;
}

int vfio_cdev_map(struct vfio_dev *dev, void *va, size_t len, uint64_t iova, bool writable)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 (writable ? IOMMU_IOAS_MAP_WRITEABLE : 0),
		.ioas_id = dev->ioas_id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioctl(dev->iommufd, IOMMU_IOAS_MAP, &map) ? -errno : 0;
}

int vfio_cdev_unmap(struct vfio_dev *dev, uint64_t iova, size_t len)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = dev->ioas_id,
		.iova = iova,
		.length = len,
	};

	if (ioctl(dev->iommufd, IOMMU_IOAS_UNMAP, &unmap))
		return -errno;
	return unmap.length == len ? 0 : -EIO;
}
