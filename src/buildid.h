/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cowpin's own ELF build id (NT_GNU_BUILD_ID, what `readelf -n` prints):
 * stamped into every JSON document, so a checker can tell which binary
 * wrote a report (the version string is a constant).
 */
#ifndef COWPIN_BUILDID_H
#define COWPIN_BUILDID_H

/* Lower-case hex, or NULL when the binary carries no build id note. */
const char *cp_build_id(void);

/* A run id (--run-id, COWPIN_RUN_ID): 1-200 of [A-Za-z0-9._:+-]. */
int cp_run_id_valid(const char *id);

#endif
