/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The dmesg gate: as blktests does, a kernel WARNING, BUG (also SLUB's "BUG
 * kmalloc-64 (...): ..."), Oops, a hung task ("INFO: task ... blocked for
 * more than") or "Bad page" logged while a test ran fails the test.  Reads /dev/kmsg records
 * from the position taken at the test's start.
 */
#ifndef COWPIN_KMSG_H
#define COWPIN_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct cp_kmsg {
	int fd;			/* -1: gate unavailable, why says so */
	char why[256];
};

int cp_kmsg_open(struct cp_kmsg *k);
/* Append every bad line logged since open (or the last scan) to hits; returns their number. */
int cp_kmsg_scan(struct cp_kmsg *k, struct json_object *hits);
void cp_kmsg_close(struct cp_kmsg *k);

/* Parse one /dev/kmsg record "prio,seq,usec,flags;text\n..." : the text (up to its newline). */
int cp_kmsg_parse(const char *rec, size_t len, int *level, char *text, size_t textlen);
bool cp_kmsg_is_bad(const char *text);

#endif
