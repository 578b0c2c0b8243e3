/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `cowpin memlock` output: one JSON document in the style of `cowpin run`
 * ({"kernel", "machine", "cowpin", "memlock": [...], "summary"}), and the
 * human table, printed from that document (so both always agree).
 */
#ifndef COWPIN_MEMLOCK_OUTPUT_H
#define COWPIN_MEMLOCK_OUTPUT_H

#include <stdio.h>
#include <json-c/json.h>

#include "memlock/attempt.h"
#include "memlock/bisect.h"

/* Entry statuses. */
#define CP_ML_OK	"ok"		/* measured (the limit object says what the bisection found) */
#define CP_ML_SKIP	"skip"		/* consumer or backing missing: reason says how to enable it */
#define CP_ML_REFUSED	"refused"	/* the R/O registration failed even without a limit: errno */
#define CP_ML_TOO_LARGE	"too-large"	/* refused before mapping: more than MemAvailable */
#define CP_ML_ERROR	"error"		/* harness, timeout, leak or kernel log: exit status 1 */

double cp_ml_median(double *v, int n);	/* sorts v; 0 when n == 0 */

struct json_object *cp_ml_doc_new(const char *run_id);	/* run_id may be NULL */
struct json_object *cp_ml_entry_new(const char *consumer, const char *backing, size_t size);
void cp_ml_entry_add(struct json_object *doc, struct json_object *entry);	/* takes entry */
void cp_ml_entry_status(struct json_object *e, const char *status, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
const char *cp_ml_entry_str(struct json_object *e, const char *key);

/* The measurement attempt (no limit): deltas, what unregistration left, throughput. */
void cp_ml_entry_measured(struct json_object *e, const struct cp_ml_attempt *a);

/* One bisection attempt as JSON: limit_kb, result admitted|refused|error, errno, stage, left_kb, why. */
struct json_object *cp_ml_attempt_json(const struct cp_ml_attempt *a);

/*
 * The bisection's outcome: limit_kb (smallest admitted RLIMIT_MEMLOCK), its
 * fraction of the size, the consumer's own charge before the registration
 * (base_kb) and the rest (registration_kb), the attempt at the limit and one
 * page below it, confirmed = admitted at the limit and refused one page below.
 * attempts: the array of cp_ml_attempt_json() (taken).
 */
void cp_ml_entry_limit(struct json_object *e, const struct cp_bisect *b, long page_kb,
		       struct json_object *attempts, const char *note);

/* Adds "summary" (count per status) and writes the document. */
int cp_ml_doc_write(struct json_object *doc, FILE *f);
void cp_ml_table(FILE *f, struct json_object *doc);

#endif
