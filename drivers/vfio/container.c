// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO group + container API: type1v2 (the IOMMU maps and pins user
 * memory) and noiommu (no translation, so no map ioctl and no pin).
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

static int group_path(struct cp_env *env, struct vfio_dev *dev, char *path, size_t len)
{
	bool noiommu = dev->mode == VFIO_MODE_NOIOMMU;
	char other[64];
	struct stat st;
	int group;

	group = pci_dev_iommu_group(dev->bdf);
	if (group < 0) {
		cp_why(env, "%s has no IOMMU group: %s", dev->bdf, noiommu ?
		       "bind it to vfio-pci after enabling vfio.enable_unsafe_noiommu_mode=1" :
		       "the kernel runs without an IOMMU (QEMU: -device intel-iommu first, guest: intel_iommu=on)");
		return -ENODEV;
	}
	snprintf(path, len, "/dev/vfio/%s%d", noiommu ? "noiommu-" : "", group);
	snprintf(other, sizeof(other), "/dev/vfio/%s%d", noiommu ? "" : "noiommu-", group);
	if (stat(path, &st) == 0)
		return 0;
	if (stat(other, &st) == 0) {
		cp_why(env, "%s is in %s, not %s: %s", dev->bdf, other, path, noiommu ?
		       "the kernel has an IOMMU for it, so VFIO gives it a real group (noiommu needs a machine or guest without an IOMMU)" :
		       "VFIO put it in a noiommu group (no IOMMU translates its DMA), use vfio-noiommu");
		return -ENODEV;
	}
	cp_why(env, "%s does not exist: is %s bound to vfio-pci? (scripts/vfio-bind %s)",
	       path, dev->bdf, dev->bdf);
	return -ENODEV;
}

int vfio_container_open(struct cp_env *env, struct vfio_dev *dev)
{
	bool noiommu = dev->mode == VFIO_MODE_NOIOMMU;
	unsigned long type = noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1v2_IOMMU;
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int ret;

	ret = group_path(env, dev, path, sizeof(path));
	if (ret)
		return ret;

	dev->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (dev->container < 0) {
		ret = -errno;
		cp_why(env, "open /dev/vfio/vfio: %s", strerror(errno));
		return ret;
	}
	if (ioctl(dev->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		cp_why(env, "/dev/vfio/vfio speaks an unknown VFIO API version");
		return -ENODEV;
	}
	if (ioctl(dev->container, VFIO_CHECK_EXTENSION, type) <= 0) {
		cp_why(env, "the VFIO container has no %s backend: %s", noiommu ?
		       "VFIO_NOIOMMU_IOMMU" : "VFIO_TYPE1v2_IOMMU", noiommu ?
		       "CONFIG_VFIO_NOIOMMU=y and vfio.enable_unsafe_noiommu_mode=1 are needed" :
		       "modprobe vfio_iommu_type1");
		return -ENODEV;
	}

	dev->group = open(path, O_RDWR | O_CLOEXEC);
	if (dev->group < 0) {
		ret = -errno;
		cp_why(env, "open %s: %s%s", path, strerror(errno),
		       errno == EBUSY ? " (another process holds the group)" : "");
		return ret;
	}
	if (ioctl(dev->group, VFIO_GROUP_GET_STATUS, &status)) {
		ret = -errno;
		cp_why(env, "VFIO_GROUP_GET_STATUS on %s: %s", path, strerror(errno));
		return ret;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		cp_why(env, "group %s is not viable: every device in it must be bound to vfio-pci or to no driver (see /sys/bus/pci/devices/%s/iommu_group/devices)",
		       path, dev->bdf);
		return -ENODEV;
	}
	if (ioctl(dev->group, VFIO_GROUP_SET_CONTAINER, &dev->container)) {
		ret = -errno;
		cp_why(env, "VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
		return ret;
	}
	if (ioctl(dev->container, VFIO_SET_IOMMU, type)) {
		ret = -errno;
		cp_why(env, "VFIO_SET_IOMMU(%s): %s%s", noiommu ? "noiommu" : "type1v2",
		       strerror(errno), noiommu && errno == EPERM ?
		       " (noiommu needs CAP_SYS_RAWIO)" : "");
		return ret;
	}
	dev->fd = ioctl(dev->group, VFIO_GROUP_GET_DEVICE_FD, dev->bdf);
	if (dev->fd < 0) {
		ret = -errno;
		cp_why(env, "VFIO_GROUP_GET_DEVICE_FD(%s): %s", dev->bdf, strerror(errno));
		return ret;
	}
	return 0;
}

/* Closing the container drops every mapping and its pins: nothing can leak. */
void vfio_container_close(struct vfio_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	if (dev->group >= 0)
		close(dev->group);
	if (dev->container >= 0)
		close(dev->container);
	dev->fd = dev->group = dev->container = -1;
}

int vfio_container_map(struct vfio_dev *dev, void *va, size_t len, uint64_t iova, bool writable)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | (writable ? VFIO_DMA_MAP_FLAG_WRITE : 0),
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	if (dev->mode == VFIO_MODE_NOIOMMU)
		return -EOPNOTSUPP;
	return ioctl(dev->container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

int vfio_container_unmap(struct vfio_dev *dev, uint64_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = len,
	};

	if (dev->mode == VFIO_MODE_NOIOMMU)
		return -EOPNOTSUPP;
	if (ioctl(dev->container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	return unmap.size == len ? 0 : -EIO;
}
