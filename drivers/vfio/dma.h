/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DMA-engine drivers: a device behind VFIO that reads memory by DMA.  The
 * VFIO consumers use one to read the pinned buffer back into a bounce that
 * holds what the device saw.  Two kinds:
 *   copy engines (edu; Intel CBDMA/ioat, DSA): gather() copies every
 *     piece of a read-back (test IOVA, length) into consecutive bytes of
 *     the bounce page in one call, so an engine can batch the pieces
 *     (edu: one transfer back for all of them; ioat/DSA: one descriptor
 *     per piece in one chain);
 *   storage engines (NVMe): readback() moves the whole readable buffer
 *     through the device (Write to scratch blocks, Read back) into a bounce
 *     as large as the buffer, so every byte is compared.
 * Adding an engine is one more file with one of these plus a line in dma.c.
 */
#ifndef COWPIN_VFIO_DMA_H
#define COWPIN_VFIO_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cp_env;
struct vfio_dev;

/* One piece of a copy engine's gather: len bytes from bus address src. */
struct vfio_dma_piece {
	uint64_t src;
	size_t len;
};

/* Memory the driver may use for itself, mapped read/write for the device. */
struct vfio_dma_region {
	void *va;
	uint64_t iova;		/* bus address of the first page (the physical address in noiommu) */
	size_t len;
	const uint64_t *page_bus; /* bus address of every 4 KiB page: noiommu's are not contiguous */
};

struct vfio_dma_driver {
	const char *name;
	/* true if this driver runs the device with these PCI ids and class */
	bool (*probe)(uint16_t vendor, uint16_t device, uint32_t class);
	size_t max_len;		/* copy engines: largest piece, and largest sum of a gather's pieces */
	unsigned int dma_bits;	/* bus address bits the device drives by default */
	size_t region_len;	/* driver-private DMA memory it needs, whole 4 KiB pages; 0 = one page */
	int poison;		/* byte a copy yields when the source was never read, or -1 */
	/*
	 * Before any device use: 0 if the user allowed what the engine does
	 * (NVMe: named the blocks it may overwrite), else -ENODEV + cp_why().
	 * NULL: nothing to allow.
	 */
	int (*permit)(struct cp_env *env);
	/*
	 * Set the device up (BARs via vfio_dev_bar(), bus mastering is already
	 * on).  region is valid until remove().  -errno + cp_why() on failure.
	 */
	int (*init)(struct cp_env *env, struct vfio_dev *dev,
		    const struct vfio_dma_region *region, void **priv);
	void (*remove)(struct cp_env *env, void *priv);
	/*
	 * Copy engines: copy the n pieces, in order, into consecutive bytes
	 * from bus address dst (piece i lands at dst + the lengths of pieces
	 * 0..i-1; every piece and their sum at most max_len) and return once
	 * all of it is in memory, each transfer (descriptor) waiting at most
	 * timeout seconds.  -ETIMEDOUT + cp_why() naming the transfer (k of n)
	 * and the device's status if one is not done.  A piece the device
	 * failed to read must come back as poison, never older data.
	 */
	int (*gather)(struct cp_env *env, void *priv, const struct vfio_dma_piece *pieces,
		      size_t n, uint64_t dst, double timeout);
	/*
	 * Storage engines, instead of gather: have the device read
	 * all len bytes of src and write them to dst (src[i], dst[i]: bus
	 * address of 4 KiB page i), each command waiting at most timeout
	 * seconds.  -errno + cp_why() with the device's status on failure.
	 */
	int (*readback)(struct cp_env *env, void *priv, const uint64_t *src, const uint64_t *dst,
			size_t len, double timeout);
};

/* The driver for these ids and class, or NULL. */
const struct vfio_dma_driver *vfio_dma_driver_find(uint16_t vendor, uint16_t device, uint32_t class);
/* Every storage engine's permit(): 0 if the user allowed what they do. */
int vfio_dma_permit(struct cp_env *env);
/* "edu (1234:11e8)" style list of what is supported, for skip reasons. */
const char *vfio_dma_drivers_supported(void);

#endif
