/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device-independent VFIO layer: open a PCI device through a type1 or
 * noiommu container (group API) or through iommufd + the device cdev, reach
 * its BARs and config space, and map/unmap user memory for its DMA.
 *
 * It never binds or unbinds anything: the device must already be bound to
 * vfio-pci (scripts/vfio-bind, scripts/setup-vfio).
 */
#ifndef COWPIN_VFIO_VFIO_H
#define COWPIN_VFIO_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cp_env;

enum vfio_mode {
	VFIO_MODE_TYPE1,	/* container + VFIO_TYPE1v2_IOMMU */
	VFIO_MODE_IOMMUFD,	/* /dev/iommu + /dev/vfio/devices/vfioN */
	VFIO_MODE_NOIOMMU,	/* container + VFIO_NOIOMMU_IOMMU: no translation, no pins */
};

struct vfio_bar {
	void *map;		/* mmap of the whole BAR, or NULL */
	size_t size;
};

struct vfio_dev {
	enum vfio_mode mode;
	char bdf[16];		/* 0000:00:03.0 */
	uint16_t vendor, device;
	uint32_t class;		/* 0x010802 = NVMe */
	int container;		/* type1, noiommu */
	int group;
	int iommufd;		/* iommufd */
	uint32_t ioas_id;
	int fd;			/* the device */
	uint64_t cfg_offset;	/* config space region offset in fd */
	uint16_t cfg_command;	/* PCI_COMMAND as found, restored at close */
	bool command_saved;
	struct vfio_bar bar[6];
};

const char *vfio_mode_name(enum vfio_mode mode);

/* Open bdf (normalized) in mode; explains failures with cp_why(). */
int vfio_dev_open(struct cp_env *env, struct vfio_dev *dev, enum vfio_mode mode,
		  const char *bdf);
void vfio_dev_close(struct vfio_dev *dev);

/* mmap BAR bar (once); returns its mapping or NULL with cp_why(). */
void *vfio_dev_bar(struct cp_env *env, struct vfio_dev *dev, int bar, size_t *size);
int vfio_cfg_read(struct vfio_dev *dev, unsigned int off, void *buf, size_t len);
int vfio_cfg_write(struct vfio_dev *dev, unsigned int off, const void *buf, size_t len);
/* Memory decode + bus mastering on (the device may DMA), or back to as found. */
int vfio_dev_enable_dma(struct cp_env *env, struct vfio_dev *dev);
void vfio_dev_restore_command(struct vfio_dev *dev);

/*
 * Map [va, va+len) at iova.  writable=false is the R/O pin under test
 * (VFIO_DMA_MAP_FLAG_READ only / IOMMU_IOAS_MAP_READABLE only).  Returns
 * the kernel's -errno; noiommu has no map: -EOPNOTSUPP.
 */
int vfio_dma_map(struct vfio_dev *dev, void *va, size_t len, uint64_t iova, bool writable);
int vfio_dma_unmap(struct vfio_dev *dev, uint64_t iova, size_t len);

/* container.c: group + container (type1, noiommu) */
int vfio_container_open(struct cp_env *env, struct vfio_dev *dev);
void vfio_container_close(struct vfio_dev *dev);
int vfio_container_map(struct vfio_dev *dev, void *va, size_t len, uint64_t iova, bool writable);
int vfio_container_unmap(struct vfio_dev *dev, uint64_t iova, size_t len);

/* cdev.c: iommufd + VFIO device cdev */
int vfio_cdev_open(struct cp_env *env, struct vfio_dev *dev);
void vfio_cdev_close(struct vfio_dev *dev);
int vfio_cdev_map(struct vfio_dev *dev, void *va, size_t len, uint64_t iova, bool writable);
int vfio_cdev_unmap(struct vfio_dev *dev, uint64_t iova, size_t len);

/* MMIO accessors for drivers: BAR mappings are uncached device memory. */
static inline uint32_t mmio_read32(void *bar, size_t off)
{
	return *(volatile uint32_t *)((char *)bar + off);
}

static inline uint64_t mmio_read64(void *bar, size_t off)
{
	return *(volatile uint64_t *)((char *)bar + off);
}

static inline void mmio_write32(void *bar, size_t off, uint32_t val)
{
	*(volatile uint32_t *)((char *)bar + off) = val;
}

static inline void mmio_write64(void *bar, size_t off, uint64_t val)
{
	*(volatile uint64_t *)((char *)bar + off) = val;
}

#endif
