/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The plan and its execution: every selected consumer × backing × case,
 * computed up front (as kselftest's cow.c does), each test in its own
 * child with a time bound, a pin-leak gate and a dmesg gate.
 */
#ifndef COWPIN_RUNNER_H
#define COWPIN_RUNNER_H

#include <stdbool.h>
#include <stdio.h>

#include "check.h"
#include "env.h"
#include "result.h"

struct cp_expect {
	const char *pattern;	/* fnmatch() glob on the test name */
	const char *kind;	/* the fail_kind expected (stale, corrupt, ...): no other */
	const char *reason;
};

struct cp_run_opts {
	struct cp_settings settings;
	unsigned int consumers;		/* bit per cp_consumers[] index; 0 = all */
	unsigned int backings;		/* CP_BACKING_BIT()s; 0 = all */
	unsigned int cases;		/* CP_CASE_BIT()s; 0 = all */
	const struct cp_expect *expect;	/* failures the user declared expected */
	int nexpect;
	bool json;			/* stdout: one JSON document instead of TAP */
	const char *json_file;		/* also write the JSON document here */
	const char *run_id;		/* --run-id / COWPIN_RUN_ID: stamped into the JSON */
};

struct cp_plan_entry {
	struct cp_test t;
	char name[128];
	char skip[512];			/* non-empty: skipped without running, why */
	bool unavailable;		/* the consumer's probe failed (skip says why) */
};

struct cp_plan {
	int n;
	struct cp_plan_entry *e;
};

int cp_plan_build(const struct cp_run_opts *o, struct cp_plan *p);
void cp_plan_free(struct cp_plan *p);
/* Which --expect a result of test name meets (NULL: none); see runner.c. */
const struct cp_expect *cp_expectation(const struct cp_expect *e, int n, const char *name, enum cp_verdict v,
				       const char *kind, const struct cp_expect **other);
/* Runs the plan, writes TAP or JSON; returns the exit code (0: nothing failed unexpectedly). */
int cp_run(const struct cp_run_opts *o);
/* Probe one consumer: 0 or -errno with why. */
int cp_probe_consumer(const struct consumer_ops *ops, const struct cp_settings *s, char *why, size_t whylen);

#endif
