/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A copy engine's read-back: the pieces of a read-back gathered by the
 * device into consecutive bytes of the bounce page, one gather per call,
 * then every piece checked on its own: a piece that came back as poison is
 * a failed DMA naming that piece's source, never data.
 */
#ifndef COWPIN_VFIO_GATHER_H
#define COWPIN_VFIO_GATHER_H

#include "dma.h"

/* What the bounce holds where the device wrote nothing. */
#define VFIO_BOUNCE_POISON 0xb7

/* Read/write memory the device writes what it read into. */
struct vfio_bounce {
	unsigned char *va;
	uint64_t bus;
	size_t len;
};

/* How many of the n pieces, from the first, the next gather takes: at least 1. */
size_t vfio_gather_fit(const struct vfio_dma_piece *pieces, size_t n, size_t limit);

/*
 * seen (n bytes the device wrote at bus dst, read from bus src) is not
 * poison: else -EIO + cp_why() saying which DMA failed.  n < 16: no check.
 */
int vfio_poison_check(struct cp_env *env, const struct vfio_dma_driver *drv,
		      const unsigned char *seen, size_t n, uint64_t dst, uint64_t src);

/*
 * One gather of n pieces through drv into the poisoned bounce, then piece
 * i checked and copied to out[i].  The pieces must fit (vfio_gather_fit
 * with the bounce's and the driver's limit).
 */
int vfio_gather_read(struct cp_env *env, const struct vfio_dma_driver *drv, void *priv,
		     const struct vfio_bounce *bounce, const struct vfio_dma_piece *pieces,
		     unsigned char *const *out, size_t n, double timeout);

#endif
