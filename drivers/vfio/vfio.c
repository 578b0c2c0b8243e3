// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device-independent VFIO layer, common part: open/close by mode, BAR
 * mmap, config space, bus mastering, and map/unmap dispatch.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>

#include "consumer.h"
#include "uapi.h"
#include "vfio.h"

const char *vfio_mode_name(enum vfio_mode mode)
{
	switch (mode) {
	case VFIO_MODE_TYPE1:
		return "type1";
	case VFIO_MODE_IOMMUFD:
		return "iommufd";
	case VFIO_MODE_NOIOMMU:
		return "noiommu";
	}
	return "?";
}

static int region_info(struct vfio_dev *dev, unsigned int index,
		       struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, info) ? -errno : 0;
}

int vfio_dev_open(struct cp_env *env, struct vfio_dev *dev, enum vfio_mode mode,
		  const char *bdf)
{
	struct vfio_region_info cfg;
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->mode = mode;
	dev->container = dev->group = dev->iommufd = dev->fd = -1;
	strncpy(dev->bdf, bdf, sizeof(dev->bdf) - 1);

	if (mode == VFIO_MODE_IOMMUFD)
		ret = vfio_cdev_open(env, dev);
	else
		ret = vfio_container_open(env, dev);
	if (ret)
		goto fail;

	ret = region_info(dev, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	if (ret) {
		cp_why(env, "VFIO_DEVICE_GET_REGION_INFO(config) on %s: %s", bdf,
		       strerror(-ret));
		goto fail;
	}
	dev->cfg_offset = cfg.offset;
	ret = vfio_cfg_read(dev, PCI_VENDOR_ID, &dev->vendor, 2);
	if (!ret)
		ret = vfio_cfg_read(dev, PCI_DEVICE_ID, &dev->device, 2);
	if (!ret)
		ret = vfio_cfg_read(dev, PCI_CLASS_REVISION, &dev->class, 4);
	dev->class >>= 8;	/* class, subclass, programming interface */
	if (ret) {
		cp_why(env, "reading config space of %s through VFIO: %s", bdf,
		       strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	vfio_dev_close(dev);
	return ret;
}

void vfio_dev_close(struct vfio_dev *dev)
{
	int i;

	for (i = 0; i < 6; i++) {
		if (dev->bar[i].map)
			munmap(dev->bar[i].map, dev->bar[i].size);
		dev->bar[i].map = NULL;
	}
	if (dev->fd >= 0)
		vfio_dev_restore_command(dev);
	if (dev->mode == VFIO_MODE_IOMMUFD)
		vfio_cdev_close(dev);
	else
		vfio_container_close(dev);
}

void *vfio_dev_bar(struct cp_env *env, struct vfio_dev *dev, int bar, size_t *size)
{
	struct vfio_region_info info;
	void *map;
	int ret;

	if (bar < 0 || bar > 5)
		return NULL;
	if (dev->bar[bar].map)
		goto out;
	ret = region_info(dev, VFIO_PCI_BAR0_REGION_INDEX + bar, &info);
	if (ret) {
		cp_why(env, "VFIO region info of BAR%d of %s: %s", bar, dev->bdf,
		       strerror(-ret));
		return NULL;
	}
	if (!info.size || !(info.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		cp_why(env, "BAR%d of %s is %s (region flags 0x%x)", bar, dev->bdf,
		       info.size ? "not mmap-able" : "absent", info.flags);
		return NULL;
	}
	map = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd,
		   info.offset);
	if (map == MAP_FAILED) {
		cp_why(env, "mmap of BAR%d of %s: %s", bar, dev->bdf, strerror(errno));
		return NULL;
	}
	dev->bar[bar].map = map;
	dev->bar[bar].size = info.size;
out:
	if (size)
		*size = dev->bar[bar].size;
	return dev->bar[bar].map;
}

int vfio_cfg_read(struct vfio_dev *dev, unsigned int off, void *buf, size_t len)
{
	ssize_t n = pread(dev->fd, buf, len, dev->cfg_offset + off);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

int vfio_cfg_write(struct vfio_dev *dev, unsigned int off, const void *buf, size_t len)
{
	ssize_t n = pwrite(dev->fd, buf, len, dev->cfg_offset + off);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

int vfio_dev_enable_dma(struct cp_env *env, struct vfio_dev *dev)
{
	uint16_t cmd;
	int ret;

	ret = vfio_cfg_read(dev, PCI_COMMAND, &cmd, 2);
	if (ret)
		goto fail;
	if (!dev->command_saved) {
		dev->cfg_command = cmd;
		dev->command_saved = true;
	}
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	ret = vfio_cfg_write(dev, PCI_COMMAND, &cmd, 2);
	if (!ret)
		ret = vfio_cfg_read(dev, PCI_COMMAND, &cmd, 2);
	if (!ret && !(cmd & PCI_COMMAND_MASTER))
		ret = -EIO;
	if (!ret)
		return 0;
fail:
	cp_why(env, "enabling bus mastering on %s through VFIO config space: %s",
	       dev->bdf, strerror(-ret));
	return ret;
}

void vfio_dev_restore_command(struct vfio_dev *dev)
{
	if (dev->command_saved)
		vfio_cfg_write(dev, PCI_COMMAND, &dev->cfg_command, 2);
	dev->command_saved = false;
}

int vfio_dma_map(struct vfio_dev *dev, void *va, size_t len, uint64_t iova, bool writable)
{
	if (dev->mode == VFIO_MODE_IOMMUFD)
		return vfio_cdev_map(dev, va, len, iova, writable);
	return vfio_container_map(dev, va, len, iova, writable);
}

int vfio_dma_unmap(struct vfio_dev *dev, uint64_t iova, size_t len)
{
	if (dev->mode == VFIO_MODE_IOMMUFD)
		return vfio_cdev_unmap(dev, iova, len);
	return vfio_container_unmap(dev, iova, len);
}
