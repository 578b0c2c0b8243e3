// SPDX-License-Identifier: GPL-2.0-only
/* The table of DMA-engine drivers the VFIO consumers can use. */
#include <stddef.h>

#include "dma.h"

extern const struct vfio_dma_driver vfio_edu_driver;

static const struct vfio_dma_driver *const drivers[] = {
	&vfio_edu_driver,
};

const struct vfio_dma_driver *vfio_dma_driver_find(uint16_t vendor, uint16_t device)
{
	size_t i;

	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i]->probe(vendor, device))
			return drivers[i];
	return NULL;
}

const char *vfio_dma_drivers_supported(void)
{
	return "QEMU edu (1234:11e8)";
}
