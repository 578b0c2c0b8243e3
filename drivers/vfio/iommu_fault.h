/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IOMMU faults of the device.  Under QEMU a DMA read that faults in the
 * vIOMMU hands the device zeros (edu stores them; QEMU's NVMe writes them
 * to disk and completes the Write with success), which look exactly like a
 * zeropage's content: no byte the device returns can tell such a read from
 * a good one, so only the IOMMU can.  Two signs, either one an error:
 *   - the count of the IOMMU's fault interrupt in /proc/interrupts (Intel:
 *     "DMAR-MSI ... dmar0"), raised for every fault the IOMMU records and
 *     never rate-limited;
 *   - a fault line naming the device in /dev/kmsg (DMAR, AMD-Vi), which
 *     the kernel rate-limits (Intel: 10 lines per 5 s, a fault takes two).
 * Without a readable kernel log the faults cannot be watched at all and
 * iommu_faults_open() fails: the read-backs would be no evidence.
 */
#ifndef COWPIN_VFIO_IOMMU_FAULT_H
#define COWPIN_VFIO_IOMMU_FAULT_H

#include <stddef.h>

#include "kmsg.h"

struct iommu_faults {
	struct cp_kmsg log;	/* /dev/kmsg from "now" (the kernel's log device, checked), fd -1 if not open */
	char bus_dev_fn[16];	/* "00:01.0": how DMAR/AMD-Vi name the requester */
	char iommu[64];		/* the device's IOMMU in sysfs ("dmar0"), "" if none */
	long long irqs;		/* its fault interrupt's count at the last look, -1 if it has none */
};

/*
 * Start watching from now.  -errno + why if /dev/kmsg cannot be read (then
 * nothing is watched).  A missing fault interrupt is not an error: irqs -1.
 */
int iommu_faults_open(struct iommu_faults *f, const char *bdf, char *why, size_t whylen);
/* > 0 and what was seen in line if the IOMMU faulted since open or the last call. */
int iommu_faults_check(struct iommu_faults *f, char *line, size_t len);
void iommu_faults_close(struct iommu_faults *f);

/*
 * The count (summed over CPUs) of the interrupt whose action is named name
 * in text, the contents of /proc/interrupts; -1 if there is none.
 */
long long iommu_irq_count(const char *text, const char *name);

#endif
