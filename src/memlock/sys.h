/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What `cowpin memlock` needs from the system around a pin: the
 * CAP_IPC_LOCK bypass (dropped with the raw capset(2) syscall, no libcap),
 * RLIMIT_MEMLOCK, MemAvailable and the cgroup v2 memory.current.
 */
#ifndef COWPIN_MEMLOCK_SYS_H
#define COWPIN_MEMLOCK_SYS_H

#include <stdbool.h>
#include <stddef.h>

#define CP_CAP_IPC_LOCK 14
#define CP_CAP_SYS_RESOURCE 24

/* How the bypass is dropped, for the report. */
#define CP_CAPS_METHOD "capset(2) raw syscall: CAP_IPC_LOCK cleared from the effective, permitted and inheritable sets of the attempt's child (uid unchanged, no libcap)"

bool cp_cap_effective(int cap);
/* Drop CAP_IPC_LOCK from this process; 0 or -errno.  Verified with capget. */
int cp_cap_drop_ipc_lock(void);

/* Field of /proc/meminfo text in kB, -1 if absent (pure parser for tests). */
long cp_meminfo_parse(const char *text, const char *field);
long cp_meminfo_kb(const char *field);

/*
 * The memory.current file of this process's cgroup v2, from /proc/self/cgroup
 * ("0::/path") and the cgroup2 mount in /proc/self/mountinfo.  0 or -errno
 * with why (no cgroup v2, no memory controller).
 */
int cp_memcg_file(char *path, size_t len, char *why, size_t whylen);
/* memory.current in KiB, or -1. */
long cp_memcg_current_kb(const char *path);

#endif
