// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kmsg.h"

int cp_kmsg_open(struct cp_kmsg *k)
{
	struct stat st = { 0 };

	k->why[0] = '\0';
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0) {
		snprintf(k->why, sizeof(k->why), "dmesg gate off: cannot read /dev/kmsg: %s%s", strerror(errno),
			 errno == EPERM || errno == EACCES ? " (run as root or set kernel.dmesg_restrict=0)" : "");
		return -errno;
	}
	/*
	 * Containers bind /dev/null or /dev/console over /dev/kmsg: reading
	 * that would show a clean log whatever the kernel said.
	 */
	if (fstat(k->fd, &st) || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 11) {
		snprintf(k->why, sizeof(k->why),
			 "dmesg gate off: /dev/kmsg is not the kernel log device (char 1:11); it is %s %u:%u",
			 S_ISCHR(st.st_mode) ? "char" : "not a char device", major(st.st_rdev), minor(st.st_rdev));
		close(k->fd);
		k->fd = -1;
		return -ENODEV;
	}
	/* Only what is logged from now on counts. */
	lseek(k->fd, 0, SEEK_END);
	return 0;
}

int cp_kmsg_parse(const char *rec, size_t len, int *level, char *text, size_t textlen)
{
	const char *semi = memchr(rec, ';', len), *end;
	char *e;
	long prio;
	size_t n;

	if (!semi || textlen == 0)
		return -EINVAL;
	prio = strtol(rec, &e, 10);
	if (e == rec || *e != ',' || prio < 0)
		return -EINVAL;
	*level = prio & 7;
	semi++;
	end = memchr(semi, '\n', len - (semi - rec));
	n = (end ? (size_t)(end - semi) : len - (semi - rec));
	if (n >= textlen)
		n = textlen - 1;
	memcpy(text, semi, n);
	text[n] = '\0';
	return 0;
}

bool cp_kmsg_is_bad(const char *text)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "kernel BUG", "Oops", "Bad page", "general protection fault",
		"Kernel panic", "UBSAN:", "KASAN:", "refcount_t:",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(text, bad[i]))
			return true;
	/* SLUB's slab_bug(): "BUG kmalloc-64 (Not tainted): Redzone overwritten", no colon after BUG. */
	if (!strncmp(text, "BUG ", 4) && strstr(text, " (") && strstr(text, "): "))
		return true;
	/* The hung task detector: "INFO: task cowpin:123 blocked for more than 120 seconds." */
	if (strstr(text, "INFO: task ") && strstr(text, " blocked for more than "))
		return true;
	return false;
}

int cp_kmsg_scan(struct cp_kmsg *k, struct json_object *hits)
{
	char rec[8192], text[1024];
	int found = 0, level;

	if (k->fd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(k->fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)	/* overwritten records: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (cp_kmsg_parse(rec, n, &level, text, sizeof(text)))
			continue;
		if (cp_kmsg_is_bad(text)) {
			json_object_array_add(hits, json_object_new_string(text));
			found++;
		}
	}
	return found;
}

void cp_kmsg_close(struct cp_kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}
