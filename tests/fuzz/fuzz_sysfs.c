// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: sysfs/procfs value files.  The input becomes the content
 * of a file (a memfd, read through /proc/self/fd) that cp_read_text,
 * cp_read_long and cp_slurp read as they read sysfs; the text is also fed to
 * the PCI address parser (--vfio-device and sysfs names).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "procfs.h"
#include "../../drivers/vfio/pci_sysfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], *buf, *all, bdf[16];
	size_t bufsize;
	int fd;

	if (size < 1 || size > 65536)
		return 0;
	bufsize = 1 + data[0] % 128;
	data++;
	size--;
	fd = memfd_create("cowpin-fuzz-sysfs", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	buf = malloc(bufsize);
	if (!cp_read_text(path, buf, bufsize) && strlen(buf) >= bufsize)
		abort();
	(void)cp_read_long(path, -7);
	all = cp_slurp(path);
	/* The whole file up to its first NUL, nothing else. */
	if (!all || strlen(all) > size || strncmp(all, (const char *)data, strlen(all)))
		abort();
	if (!pci_bdf_normalize(all, bdf) && strlen(bdf) != 12)
		abort();
	free(all);
	free(buf);
	close(fd);
	return 0;
}
