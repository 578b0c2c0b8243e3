/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef COWPIN_REAP_H
#define COWPIN_REAP_H

#include <sys/types.h>

/*
 * Wait at most bound_s seconds for child pid to exit and reap it.
 * 0 (status filled in), -ETIMEDOUT, or -errno from waitpid().
 *
 * Why not a WNOHANG loop with naps: a child that closed its pipe is not
 * reapable yet (exit closes files before the task turns zombie), so a poll
 * right after EOF almost always misses it and every test paid a whole nap
 * (50 ms: ~20 s per lab guest).  A pidfd is readable the moment the child
 * can be reaped; without pidfd_open() (Linux < 5.3) the naps start at 1 ms.
 */
int cp_reap(pid_t pid, int *status, double bound_s);

#endif
