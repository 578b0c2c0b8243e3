/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The smallest RLIMIT_MEMLOCK (in pages) at which a registration succeeds,
 * found by bisection over a predicate.  Pure logic: the predicate runs the
 * real attempt (a forked child with a fresh buffer) in memlock.c and a
 * table in the unit test.  Bounded in steps; the predicate bounds time by
 * returning an error once its deadline has passed.
 */
#ifndef COWPIN_MEMLOCK_BISECT_H
#define COWPIN_MEMLOCK_BISECT_H

/* Predicate results; a negative errno aborts the search (timeout, harness error). */
#define CP_LIMIT_REFUSED 0
#define CP_LIMIT_ADMITTED 1

typedef int (*cp_limit_pred)(void *ctx, long pages);

enum cp_bisect_status {
	CP_BISECT_FOUND,	/* found admitted; found-1 refused (tested) unless found == lo */
	CP_BISECT_NONE,		/* even hi was refused */
	CP_BISECT_STEPS,	/* step bound hit: the answer lies in (refused_below, found] */
	CP_BISECT_ABORTED,	/* the predicate failed (err): same bracket as STEPS, found may be -1 */
};

struct cp_bisect {
	/* in */
	long lo, hi;		/* search [lo, hi] */
	long hint;		/* first guess (tested with hint-1 first), or -1 */
	int max_steps;		/* predicate calls allowed */
	/* out */
	enum cp_bisect_status status;
	long found;		/* smallest admitted value known, -1 if none */
	long refused_below;	/* largest refused value tested below found, -1 if none */
	int steps;		/* predicate calls made */
	int err;		/* the predicate's error for ABORTED */
};

const char *cp_bisect_status_name(enum cp_bisect_status s);

/* Assumes admission is monotonic in the limit.  Returns b->status. */
enum cp_bisect_status cp_bisect_limit(struct cp_bisect *b, cp_limit_pred pred, void *ctx);

#endif
