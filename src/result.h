/* SPDX-License-Identifier: GPL-2.0-only */
/* A test's result: a JSON object with the fields the report schema names. */
#ifndef COWPIN_RESULT_H
#define COWPIN_RESULT_H

#include <json-c/json.h>

#include "check.h"
#include "trace.h"

enum cp_verdict {
	CP_V_PASS,	/* the device saw what the process holds now */
	CP_V_FAIL,	/* it saw stale or wrong data (or a gate failed) */
	CP_V_SKIP,	/* consumer or backing missing: reason says how to enable it */
	CP_V_REFUSED,	/* the kernel refused the R/O registration: errno says how */
	CP_V_ERROR,	/* the harness or device failed: not a verdict on the kernel */
	CP_V_HAZARD,	/* stale by design: no kernel pin exists (VFIO noiommu) */
	CP_V_COUNT
};

const char *cp_verdict_name(enum cp_verdict v);
int cp_verdict_parse(const char *name);

struct json_object *cp_result_new(const struct cp_test *t);
/* Set verdict, errno (positive, 0 = none) and reason. */
void cp_result_verdict(struct json_object *res, enum cp_verdict v, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * Set verdict fail with its kind: "stale" (the old content, or the zeropage's
 * zeros), "corrupt" (neither old nor new), "reads-mapping" (a positive control
 * read the process's new page instead of the pinned one), or a gate:
 * "pin-leak", "kernel-log", "timeout", "crash", "file-changed".
 */
void cp_result_fail(struct json_object *res, const char *kind, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The fail kinds cowpin reports (docs/rules.md): is kind one of them; all of them, comma separated. */
bool cp_fail_kind_known(const char *kind);
const char *cp_fail_kinds_list(void);
enum cp_verdict cp_result_get_verdict(struct json_object *res);
void cp_result_set_mechanism(struct json_object *res, const char *mech, const char *why);
enum cp_mechanism cp_result_mechanism(struct json_object *res);
const char *cp_result_str(struct json_object *res, const char *key);

#endif
