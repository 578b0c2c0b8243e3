/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DMA-engine drivers: a device behind VFIO that can copy memory it reaches
 * by DMA.  The VFIO consumers use one to read the pinned buffer back: the
 * device copies test IOVA -> bounce IOVA, and the bounce holds what the
 * device saw.  Adding an engine (Intel CBDMA/ioat, DSA) is one more file
 * with one of these plus a line in dma.c.
 */
#ifndef COWPIN_VFIO_DMA_H
#define COWPIN_VFIO_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cp_env;
struct vfio_dev;

/* Memory the driver may use for itself, mapped read/write for the device. */
struct vfio_dma_region {
	void *va;
	uint64_t iova;		/* bus address (the physical address in noiommu) */
	size_t len;
};

struct vfio_dma_driver {
	const char *name;
	/* true if this driver runs the device with these PCI ids */
	bool (*probe)(uint16_t vendor, uint16_t device);
	size_t max_len;		/* largest copy a single dma_start may ask for */
	unsigned int dma_bits;	/* bus address bits the device drives by default */
	size_t region_len;	/* driver-private DMA memory it needs, <= one page; 0 = none */
	int poison;		/* byte a copy yields when the source was never read, or -1 */
	/*
	 * Set the device up (BARs via vfio_dev_bar(), bus mastering is already
	 * on).  region is valid until remove().  -errno + cp_why() on failure.
	 */
	int (*init)(struct cp_env *env, struct vfio_dev *dev,
		    const struct vfio_dma_region *region, void **priv);
	void (*remove)(struct cp_env *env, void *priv);
	/* Start copying len bytes from bus address src to bus address dst. */
	int (*dma_start)(struct cp_env *env, void *priv, uint64_t src, uint64_t dst,
			 size_t len);
	/*
	 * Wait at most timeout seconds for the copy to be complete in memory.
	 * -ETIMEDOUT + cp_why() with the device's status if it is not.
	 */
	int (*dma_wait)(struct cp_env *env, void *priv, double timeout);
};

/* The driver for these ids, or NULL. */
const struct vfio_dma_driver *vfio_dma_driver_find(uint16_t vendor, uint16_t device);
/* "edu (1234:11e8)" style list of what is supported, for skip reasons. */
const char *vfio_dma_drivers_supported(void);

#endif
