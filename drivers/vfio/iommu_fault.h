/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IOMMU faults of the device, from the kernel log.  Under QEMU a DMA read
 * that faults in the vIOMMU hands the device zeros, which look exactly
 * like a stale zeropage: a read-back is only evidence if no fault was
 * logged for it.  The IOMMU drivers log faults with the requester's BDF.
 */
#ifndef COWPIN_VFIO_IOMMU_FAULT_H
#define COWPIN_VFIO_IOMMU_FAULT_H

#include <stddef.h>

struct iommu_faults {
	int fd;			/* /dev/kmsg from "now", or -1 */
	char bus_dev_fn[16];	/* "00:01.0": how DMAR/AMD-Vi name the requester */
};

/* Start watching at the end of the log; -errno if /dev/kmsg is unreadable. */
int iommu_faults_open(struct iommu_faults *f, const char *bdf);
/* 1 and the log line in line if a fault of the device was logged since the last call. */
int iommu_faults_check(struct iommu_faults *f, char *line, size_t len);
void iommu_faults_close(struct iommu_faults *f);

#endif
