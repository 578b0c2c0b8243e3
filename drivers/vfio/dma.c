// SPDX-License-Identifier: GPL-2.0-only
/* The table of DMA-engine drivers the VFIO consumers can use. */
#include <stddef.h>

#include "dma.h"

extern const struct vfio_dma_driver vfio_edu_driver;
extern const struct vfio_dma_driver vfio_nvme_driver;

static const struct vfio_dma_driver *const drivers[] = {
	&vfio_edu_driver,
	&vfio_nvme_driver,
};

const struct vfio_dma_driver *vfio_dma_driver_find(uint16_t vendor, uint16_t device, uint32_t class)
{
	size_t i;

	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i]->probe(vendor, device, class))
			return drivers[i];
	return NULL;
}

int vfio_dma_permit(struct cp_env *env)
{
	size_t i;
	int err;

	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i]->permit && (err = drivers[i]->permit(env)))
			return err;
	return 0;
}

const char *vfio_dma_drivers_supported(void)
{
	return "QEMU edu (1234:11e8) for vfio-*, any NVMe controller (class 010802) for vfio-*-nvme";
}
