/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The child of the ro-pin-fork case: forked after the R/O pin, it keeps the
 * mapping, waits until the parent has written, and reports what its own
 * mapping holds at the tested spans.  COW must keep it at the old content
 * whatever the parent's pin did.
 */
#ifndef COWPIN_FORK_CHILD_H
#define COWPIN_FORK_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pattern.h"

struct cp_fork_child {
	pid_t pid;
	int go;		/* parent writes a byte here once it has written B */
	int answer;	/* the child writes its finding here */
};

/* Fork the child; 0, or -errno. */
int cp_fork_child_start(struct cp_fork_child *f, const unsigned char *addr, const size_t *offs, int n,
			size_t span, enum cp_pattern want);
/*
 * Tell the child the write is done and collect its finding within bound
 * seconds.  Returns 1 if the child saw want everywhere, 0 if not (why says
 * what it saw), -errno if it gave no answer (why says why; it is killed).
 */
int cp_fork_child_finish(struct cp_fork_child *f, double bound_s, char *why, size_t whylen);

#endif
