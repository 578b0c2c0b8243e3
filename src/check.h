/* SPDX-License-Identifier: GPL-2.0-only */
/* One test: consumer × backing × case, run start to end in the calling process. */
#ifndef COWPIN_CHECK_H
#define COWPIN_CHECK_H

#include <json-c/json.h>

#include "cases.h"
#include "consumer.h"
#include "env.h"

struct cp_test {
	const struct consumer_ops *ops;
	enum cp_backing_id backing;
	enum cp_case kase;
};

/*
 * Run the test and return its result object: verdict, reason, errno,
 * mechanism, evidence and the memory deltas.  Meant to run in a child:
 * a crash or hang here must not take the run down.
 */
struct json_object *cp_check_run(const struct cp_test *t, const struct cp_settings *s);

/* The spans a device reads: first bytes, the middle page, the last bytes of what it can read. */
int cp_check_spans(size_t readable, size_t span_len, size_t *offs, int max);

#endif
