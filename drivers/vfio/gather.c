// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copy engines' gathers into the bounce page and the per-piece poison
 * check (gather.h).  The storage engines' whole-buffer read-back uses the
 * same check on its one big piece.
 */
#include <errno.h>
#include <string.h>

#include "consumer.h"
#include "gather.h"

size_t vfio_gather_fit(const struct vfio_dma_piece *pieces, size_t n, size_t limit)
{
	size_t k = 1, total = pieces[0].len;

	while (k < n && total + pieces[k].len <= limit)
		total += pieces[k++].len;
	return k;
}

static bool all_bytes(const unsigned char *p, size_t n, int c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

int vfio_poison_check(struct cp_env *env, const struct vfio_dma_driver *drv,
		      const unsigned char *seen, size_t n, uint64_t dst, uint64_t src)
{
	if (n >= 16 && all_bytes(seen, n, VFIO_BOUNCE_POISON)) {
		cp_why(env, "%s wrote nothing to the bounce (bus 0x%llx, read from bus 0x%llx): its DMA write failed (IOMMU fault? see dmesg)",
		       drv->name, (unsigned long long)dst, (unsigned long long)src);
		return -EIO;
	}
	if (n >= 16 && drv->poison >= 0 && all_bytes(seen, n, drv->poison)) {
		cp_why(env, "%s did not read the source at bus 0x%llx (its staging poison came back): DMA read failed (IOMMU fault? see dmesg)",
		       drv->name, (unsigned long long)src);
		return -EIO;
	}
	return 0;
}

int vfio_gather_read(struct cp_env *env, const struct vfio_dma_driver *drv, void *priv,
		     const struct vfio_bounce *bounce, const struct vfio_dma_piece *pieces,
		     unsigned char *const *out, size_t n, double timeout)
{
	size_t i, at, total = 0;
	int err;

	for (i = 0; i < n; i++)
		total += pieces[i].len;
	if (total > bounce->len) {
		cp_why(env, "a gather of %zu bytes does not fit the %zu-byte bounce", total, bounce->len);
		return -EINVAL;
	}
	memset(bounce->va, VFIO_BOUNCE_POISON, total);
	err = drv->gather(env, priv, pieces, n, bounce->bus, timeout);
	if (err)
		return err;
	for (i = 0, at = 0; i < n; at += pieces[i++].len) {
		err = vfio_poison_check(env, drv, bounce->va + at, pieces[i].len, bounce->bus + at,
					pieces[i].src);
		if (err)
			return err;
		memcpy(out[i], bounce->va + at, pieces[i].len);
	}
	return 0;
}
