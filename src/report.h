/* SPDX-License-Identifier: GPL-2.0-only */
/* Writers: TAP 13 (meson-compatible) as tests finish, one JSON document at the end. */
#ifndef COWPIN_REPORT_H
#define COWPIN_REPORT_H

#include <stdio.h>
#include <json-c/json.h>

void cp_tap_header(FILE *f, int ntests);
/* todo: non-NULL turns a failure into "not ok ... # TODO todo". */
void cp_tap_result(FILE *f, int num, struct json_object *res, const char *todo);
void cp_tap_diag(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The document: {"kernel", "machine", "cowpin", "build_id", "run_id", "results": [...],
 * "summary": {...}}.  run_id: --run-id / COWPIN_RUN_ID, the run the document
 * belongs to (null without one); build_id: this binary's ELF build id.
 */
struct json_object *cp_report_new(const char *run_id);
/* The same header with an empty array under key (e.g. "memlock"). */
struct json_object *cp_report_doc(const char *key, const char *run_id);
void cp_report_add(struct json_object *doc, struct json_object *res);
int cp_report_write(struct json_object *doc, FILE *f);

#endif
