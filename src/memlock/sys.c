// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memlock/sys.h"
#include "procfs.h"

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

bool cp_cap_effective(int cap)
{
	struct __user_cap_data_struct d[2];

	if (caps_get(d))
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

int cp_cap_drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	unsigned int bit = 1u << (CP_CAP_IPC_LOCK % 32);
	int i = CP_CAP_IPC_LOCK / 32;

	if (caps_get(d))
		return -errno;
	d[i].effective &= ~bit;
	d[i].permitted &= ~bit;
	d[i].inheritable &= ~bit;
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return cp_cap_effective(CP_CAP_IPC_LOCK) ? -EPERM : 0;
}

long cp_meminfo_parse(const char *text, const char *field)
{
	size_t n = strlen(field);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, field, n) && p[n] == ':') {
			char *end;
			long v = strtol(p + n + 1, &end, 10);

			return end == p + n + 1 ? -1 : v;
		}
	}
	return -1;
}

long cp_meminfo_kb(const char *field)
{
	char *text = cp_slurp("/proc/meminfo");
	long v = text ? cp_meminfo_parse(text, field) : -1;

	free(text);
	return v;
}

/* The cgroup2 mount point from mountinfo: "id pid maj:min root mnt opts - cgroup2 src opts". */
static int cgroup2_mount(char *mnt, size_t len)
{
	char *text = cp_slurp("/proc/self/mountinfo");
	int err = -ENOENT;

	for (char *p = text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		char root[1024], point[1024], *dash;

		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		dash = strstr(p, " - ");
		if (!dash || strncmp(dash + 3, "cgroup2 ", 8))
			continue;
		if (sscanf(p, "%*s %*s %*s %1023s %1023s", root, point) == 2 && !strcmp(root, "/")) {
			snprintf(mnt, len, "%s", point);
			err = 0;
			break;
		}
	}
	free(text);
	return err;
}

int cp_memcg_file(char *path, size_t len, char *why, size_t whylen)
{
	char mnt[1024], cg[1024] = "";
	char *text = cp_slurp("/proc/self/cgroup");

	for (char *p = text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(p, "0::", 3))
			snprintf(cg, sizeof(cg), "%s", p + 3);
	}
	free(text);
	if (!cg[0]) {
		snprintf(why, whylen, "not in a cgroup v2 hierarchy (/proc/self/cgroup has no 0:: line)");
		return -ENOENT;
	}
	if (cgroup2_mount(mnt, sizeof(mnt))) {
		snprintf(why, whylen, "no cgroup2 filesystem mounted (cgroup v1 only)");
		return -ENOENT;
	}
	snprintf(path, len, "%s%s%smemory.current", mnt, strcmp(cg, "/") ? cg : "", "/");
	if (access(path, R_OK)) {
		snprintf(why, whylen, "%s unreadable: %s (memory controller not enabled for this cgroup)",
			 path, strerror(errno));
		return -errno;
	}
	return 0;
}

long cp_memcg_current_kb(const char *path)
{
	char buf[64];
	long long v;

	if (!path || !*path || cp_read_text(path, buf, sizeof(buf)) || sscanf(buf, "%lld", &v) != 1)
		return -1;
	return v / 1024;
}
