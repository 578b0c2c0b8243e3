// SPDX-License-Identifier: GPL-2.0-only
/* Watch /dev/kmsg for IOMMU faults naming the device (Intel DMAR, AMD-Vi). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iommu_fault.h"
#include "kmsg.h"

int iommu_faults_open(struct iommu_faults *f, const char *bdf)
{
	/* "0000:00:01.0" -> "00:01.0" */
	snprintf(f->bus_dev_fn, sizeof(f->bus_dev_fn), "%s", strlen(bdf) > 5 ? bdf + 5 : bdf);
	f->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	lseek(f->fd, 0, SEEK_END);
	return 0;
}

static bool is_fault_of(const char *text, const char *bus_dev_fn)
{
	/*
	 * DMAR: [DMA Read NO_PASID] Request device [00:01.0] fault addr 0x1000000 ...
	 * AMD-Vi: Event logged [IO_PAGE_FAULT domain=... address=...] for device 00:01.0 ...
	 */
	if (!strstr(text, bus_dev_fn))
		return false;
	return (strstr(text, "DMAR") && strstr(text, "fault")) || strstr(text, "IO_PAGE_FAULT") ||
	       strstr(text, "IOMMU fault") || strstr(text, "iommu fault");
}

int iommu_faults_check(struct iommu_faults *f, char *line, size_t len)
{
	char rec[2048], text[1024];
	int level, found = 0;
	ssize_t n;

	if (f->fd < 0)
		return 0;
	for (;;) {
		n = read(f->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten: go on with the next */
		if (n <= 0)
			break;
		if (cp_kmsg_parse(rec, n, &level, text, sizeof(text)))
			continue;
		if (!found && is_fault_of(text, f->bus_dev_fn)) {
			snprintf(line, len, "%s", text);
			found = 1;
		}
	}
	return found;
}

void iommu_faults_close(struct iommu_faults *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}
