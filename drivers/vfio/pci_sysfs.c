// SPDX-License-Identifier: GPL-2.0-only
/* sysfs look-ups for the VFIO layer: never writes anything. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "pci_sysfs.h"

#define PCI_DEVICES "/sys/bus/pci/devices/"

/*
 * Exactly DDDD:BB:DD.F (hex digits, as sysfs and lspci -D print it): no
 * short form, no blanks, no more or fewer digits; device <= 1f, function <= 7.
 */
int pci_bdf_normalize(const char *in, char out[16])
{
	static const char shape[] = "xxxx:xx:xx.x";
	unsigned int dom, bus, dev, fn;

	if (!in || strlen(in) != sizeof(shape) - 1)
		return -EINVAL;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'x' ? !isxdigit((unsigned char)in[i]) : in[i] != shape[i])
			return -EINVAL;
	if (sscanf(in, "%4x:%2x:%2x.%1x", &dom, &bus, &dev, &fn) != 4 || dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, 16, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

int pci_bdf_check(const char *value, char *why, size_t whylen)
{
	char bdf[16];

	if (!pci_bdf_normalize(value, bdf))
		return 0;
	snprintf(why, whylen, "not a PCI address DDDD:BB:DD.F (hex: domain, bus, device <= 1f, function <= 7; "
		 "as lspci -D prints it)");
	return -EINVAL;
}

static int read_attr(const char *bdf, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), PCI_DEVICES "%s/%s", bdf, attr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int pci_dev_exists(const char *bdf)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), PCI_DEVICES "%s", bdf);
	return stat(path, &st) ? -ENODEV : 0;
}

int pci_dev_ids(const char *bdf, uint16_t *vendor, uint16_t *device, uint32_t *class)
{
	char buf[32];
	int ret;

	ret = read_attr(bdf, "vendor", buf, sizeof(buf));
	if (ret)
		return ret;
	*vendor = strtoul(buf, NULL, 16);
	ret = read_attr(bdf, "device", buf, sizeof(buf));
	if (ret)
		return ret;
	*device = strtoul(buf, NULL, 16);
	ret = read_attr(bdf, "class", buf, sizeof(buf));
	if (ret)
		return ret;
	*class = strtoul(buf, NULL, 16);
	return 0;
}

/* Basename of the symlink attr of the device into buf. */
static int link_name(const char *bdf, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	char *base;

	snprintf(path, sizeof(path), PCI_DEVICES "%s/%s", bdf, attr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	base = strrchr(target, '/');
	snprintf(buf, len, "%s", base ? base + 1 : target);
	return 0;
}

int pci_dev_driver(const char *bdf, char *buf, size_t len)
{
	int ret = link_name(bdf, "driver", buf, len);

	if (ret == -ENOENT) {
		buf[0] = 0;
		return 0;
	}
	return ret;
}

int pci_dev_iommu_group(const char *bdf)
{
	char buf[32];
	int ret = link_name(bdf, "iommu_group", buf, sizeof(buf));

	return ret ? ret : atoi(buf);
}

int pci_dev_vfio_cdev(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	snprintf(path, sizeof(path), PCI_DEVICES "%s/vfio-dev", bdf);
	d = opendir(path);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "vfio", 4)) {
			snprintf(buf, len, "%s", de->d_name);
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

char kconfig_get(const char *sym)
{
	char path[PATH_MAX], line[512];
	struct utsname u;
	size_t n = strlen(sym);
	char state = 0;
	FILE *f;

	if (uname(&u))
		return 0;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "r");
	if (!f)
		return 0;
	state = 'n';
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, sym, n) && line[n] == '=') {
			state = line[n + 1];
			break;
		}
	}
	fclose(f);
	return state;
}

int kmod_present(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return stat(path, &st) == 0;
}
