// SPDX-License-Identifier: GPL-2.0-only
/* Watch the device's IOMMU for faults: its fault interrupt's count and /dev/kmsg (iommu_fault.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommu_fault.h"

long long iommu_irq_count(const char *text, const char *name)
{
	size_t nlen = strlen(name);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *end = strchr(l, '\n'), *p = l, *t;
		long long sum = 0;
		bool named = false;

		end = end ? end : l + strlen(l);
		while (p < end && isspace((unsigned char)*p))
			p++;
		while (p < end && isdigit((unsigned char)*p))
			p++;
		if (p == l || p >= end || *p != ':')
			continue;	/* the CPU header, or NMI/LOC/... (not numbered) */
		p++;
		/* per-CPU counts, then chip, hwirq, and the actions' names ("a, b") */
		for (bool counts = true; p < end; p = t) {
			while (p < end && (isspace((unsigned char)*p) || *p == ','))
				p++;
			for (t = p; t < end && !isspace((unsigned char)*t) && *t != ','; t++)
				;
			if (t == p)
				break;
			if (counts && isdigit((unsigned char)*p)) {
				sum += strtoll(p, NULL, 10);
				continue;
			}
			counts = false;
			named |= (size_t)(t - p) == nlen && !strncmp(p, name, nlen);
		}
		if (named)
			return sum;
	}
	return -1;
}

/* The fault interrupt count of the IOMMU named name now, or -1. */
static long long irq_count_now(const char *name)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	long long n = -1;
	ssize_t r;
	int fd = open("/proc/interrupts", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf)
		goto out;
	while ((r = read(fd, buf + len, cap - 1 - len)) > 0) {
		len += r;
		if (len == cap - 1) {
			char *b = cap < (16u << 20) ? realloc(buf, cap * 2) : NULL;

			if (!b)
				goto out;
			buf = b;
			cap *= 2;
		}
	}
	if (r == 0) {
		buf[len] = '\0';
		n = iommu_irq_count(buf, name);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return n;
}

int iommu_faults_open(struct iommu_faults *f, const char *bdf, char *why, size_t whylen)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;
	int err;

	/* "0000:00:01.0" -> "00:01.0" */
	snprintf(f->bus_dev_fn, sizeof(f->bus_dev_fn), "%s", strlen(bdf) > 5 ? bdf + 5 : bdf);
	f->iommu[0] = '\0';
	f->irqs = -1;
	err = cp_kmsg_open(&f->log);
	if (err) {
		/* cp_kmsg_open's words are the dmesg gate's; these are about IOMMU faults. */
		const char *w = strstr(f->log.why, ": ");

		snprintf(why, whylen, "%s", w ? w + 2 : f->log.why);
		return err;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		base = strrchr(target, '/');
		snprintf(f->iommu, sizeof(f->iommu), "%.63s", base ? base + 1 : target);
		f->irqs = irq_count_now(f->iommu);
	}
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

/* 1 and the first fault line of the device logged since the last call, else 0. */
static int log_check(struct iommu_faults *f, char *line, size_t len)
{
	char rec[2048], text[1024];
	int level, found = 0;
	ssize_t n;

	if (f->log.fd < 0)
		return 0;
	for (;;) {
		n = read(f->log.fd, rec, sizeof(rec) - 1);
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

int iommu_faults_check(struct iommu_faults *f, char *line, size_t len)
{
	char logged[1024] = "";
	long long now = f->irqs >= 0 ? irq_count_now(f->iommu) : -1;
	int found = log_check(f, logged, sizeof(logged));

	if (f->irqs >= 0 && now < 0) {
		snprintf(line, len, "the fault interrupt count of IOMMU %s is gone from /proc/interrupts", f->iommu);
		return 1;
	}
	if (f->irqs >= 0 && now > f->irqs) {
		snprintf(line, len, "IOMMU %s raised %lld fault interrupt%s (/proc/interrupts)%s%s%s", f->iommu,
			 now - f->irqs, now - f->irqs == 1 ? "" : "s", found ? "; log: \"" : "", logged,
			 found ? "\"" : "");
		f->irqs = now;
		return 1;
	}
	if (found)
		snprintf(line, len, "\"%s\"", logged);
	return found;
}

void iommu_faults_close(struct iommu_faults *f)
{
	cp_kmsg_close(&f->log);
}
