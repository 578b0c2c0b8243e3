// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

int cp_read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

char *cp_slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 65536, len = 0;
	char *buf;
	ssize_t n;

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (n == 0)
			break;
		len += n;
		if (cap - len < 4096) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

static int vmstat_field(const char *text, const char *key, long long *v)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ') {
			char *end;

			*v = strtoll(p + klen + 1, &end, 10);
			return end == p + klen + 1 ? -EINVAL : 0;
		}
	return -ENOENT;
}

int cp_foll_pins_parse(const char *text, struct cp_foll_pins *p)
{
	int err = vmstat_field(text, "nr_foll_pin_acquired", &p->acquired);

	return err ? err : vmstat_field(text, "nr_foll_pin_released", &p->released);
}

int cp_foll_pins_read(struct cp_foll_pins *p)
{
	char *text;
	int err;

	p->exact = !cp_write_text("/proc/sys/vm/stat_refresh", "1");
	text = cp_slurp("/proc/vmstat");
	if (!text)
		return -errno;
	err = cp_foll_pins_parse(text, p);
	free(text);
	return err;
}

long cp_read_long(const char *path, long dflt)
{
	char buf[64], *end;
	long v;

	if (cp_read_text(path, buf, sizeof(buf)))
		return dflt;
	errno = 0;
	v = strtol(buf, &end, 0);
	if (errno || end == buf)
		return dflt;
	return v;
}

int cp_write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

/* "Name:\t  123 kB" lines; returns -1 when absent or malformed. */
static long status_field(const char *text, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, name, nlen) && p[nlen] == ':') {
			char *end;
			long v = strtol(p + nlen + 1, &end, 10);

			return end == p + nlen + 1 || v < 0 ? -1 : v;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

int cp_status_parse(const char *text, struct cp_status *st)
{
	st->vm_pin_kb = status_field(text, "VmPin");
	st->vm_lck_kb = status_field(text, "VmLck");
	st->vm_rss_kb = status_field(text, "VmRSS");
	return st->vm_rss_kb < 0 ? -EINVAL : 0;
}

int cp_status_read(struct cp_status *st)
{
	char buf[8192];
	int err = cp_read_text("/proc/self/status", buf, sizeof(buf));

	if (err)
		return err;
	return cp_status_parse(buf, st);
}

static int pread_u64(const char *path, off_t off, uint64_t *val)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, val, sizeof(*val), off);
	close(fd);
	if (n < 0)
		return -errno;
	return n == sizeof(*val) ? 0 : -EIO;
}

int cp_pagemap_entry(const void *addr, uint64_t *entry)
{
	long psz = sysconf(_SC_PAGESIZE);

	return pread_u64("/proc/self/pagemap", ((uintptr_t)addr / psz) * 8, entry);
}

int cp_pagemap_range(const void *addr, size_t len, uint64_t *out)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t want = len / psz * 8;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, out, want, ((uintptr_t)addr / psz) * 8);
	close(fd);
	if (n < 0)
		return -errno;
	return (size_t)n == want ? 0 : -EIO;
}

int cp_kpageflags(uint64_t pfn, uint64_t *flags)
{
	return pread_u64("/proc/kpageflags", pfn * 8, flags);
}

int cp_clear_soft_dirty(void)
{
	return cp_write_text("/proc/self/clear_refs", "4");
}

long cp_smaps_parse(const char *text, unsigned long addr, const char *field)
{
	size_t flen = strlen(field);
	const char *p = text;
	bool inside = false;

	while (p && *p) {
		unsigned long start, end;
		const char *nl = strchr(p, '\n');
		char *e1, *e2;

		/*
		 * A VMA header is "start-end perms ..." in hex; fields are "Name: value kB".
		 * strtoul, not sscanf: glibc's sscanf takes strlen() of the whole rest of
		 * the text on every line, quadratic in smaps (80000 lines: 50 s).
		 */
		start = isxdigit((unsigned char)*p) ? strtoul(p, &e1, 16) : (e1 = (char *)p, 0);
		end = e1 != p && *e1 == '-' && isxdigit((unsigned char)e1[1]) ? strtoul(e1 + 1, &e2, 16) : (e2 = e1, 0);
		if (e1 != p && *e1 == '-' && e2 != e1 && *e2 == ' ') {
			inside = addr >= start && addr < end;
		} else if (inside && !strncmp(p, field, flen) && p[flen] == ':') {
			char *e;
			long v = strtol(p + flen + 1, &e, 10);

			return e == p + flen + 1 ? -1 : v;
		}
		p = nl ? nl + 1 : NULL;
	}
	return -1;
}

long cp_smaps_field(const void *addr, const char *field)
{
	char *text = cp_slurp("/proc/self/smaps");
	long v;

	if (!text)
		return -1;
	v = cp_smaps_parse(text, (unsigned long)addr, field);
	free(text);
	return v;
}
