/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One memlock attempt: a forked child that (optionally) drops CAP_IPC_LOCK,
 * opens the consumer, sets RLIMIT_MEMLOCK, then for each repetition maps a
 * FRESH buffer (a pin may turn zeropages into anon pages: attempts never
 * share one), registers it read-only, reads the counters, unregisters.
 * The child writes into shared memory; the parent bounds it in time.
 */
#ifndef COWPIN_MEMLOCK_ATTEMPT_H
#define COWPIN_MEMLOCK_ATTEMPT_H

#include <stdbool.h>
#include <stddef.h>

#include "consumer.h"
#include "env.h"
#include "procfs.h"

#define CP_ML_MAX_REPEAT 1000

enum cp_ml_stage {
	CP_ML_START,	/* the child never got going (fork, timeout before anything) */
	CP_ML_CAPS,
	CP_ML_OPEN,
	CP_ML_RLIMIT,
	CP_ML_BACKING,
	CP_ML_PIN,	/* the registration: err set = refused */
	CP_ML_DONE,
};

struct cp_ml_counters {
	struct cp_status st;
	long rss_anon_kb;	/* RssAnon: a pin that unshares file pages moves RSS from file to anon */
	long memcg_kb;		/* -1: no cgroup v2 memory.current */
};

struct cp_ml_attempt {
	/* in */
	const struct consumer_ops *ops;
	const struct cp_settings *settings;
	enum cp_backing_id backing;
	size_t size;
	bool drop_cap;		/* drop CAP_IPC_LOCK before opening */
	long limit_kb;		/* RLIMIT_MEMLOCK to set after opening; -1: leave it */
	int repeat;		/* registrations, each on a fresh buffer */
	double timeout_s;
	char memcg[512];	/* memory.current path, "" if none */
	/* out */
	enum cp_ml_stage stage;	/* where the child stopped (DONE: every repetition ran) */
	int err;		/* -errno at that stage */
	bool harness_failed;	/* the pin failed before or after the registration call itself */
	char why[512];
	bool timed_out;
	int signal;		/* the child died of this signal */
	int nsamples;		/* successful registrations */
	/* The first registration: before, registered, unregistered (or after the refusal). */
	struct cp_ml_counters base, pinned, unpinned;
	double pin_s[CP_ML_MAX_REPEAT];
	/* Worst VmLck/VmPin left above the pre-pin base after unregistration or a refusal. */
	long left_lck_kb, left_pin_kb;
};

/* Run it; returns 0 when the child reported (see stage/err), -errno otherwise. */
int cp_ml_attempt_run(struct cp_ml_attempt *a);
const char *cp_ml_stage_name(enum cp_ml_stage s);
/* Stop a running attempt's child (signal handler safe). */
void cp_ml_attempt_kill(void);

#endif
