/* SPDX-License-Identifier: GPL-2.0-only */
/* The command line: parsed into options, with errors that name the valid values. */
#ifndef COWPIN_CLI_H
#define COWPIN_CLI_H

#include <stddef.h>

#include "runner.h"

enum cp_command { CP_CMD_HELP, CP_CMD_LIST, CP_CMD_INFO, CP_CMD_RUN, CP_CMD_MEMLOCK };

#define CP_MAX_EXPECT 64

struct cp_cli {
	enum cp_command cmd;
	struct cp_run_opts run;
	struct cp_expect expect[CP_MAX_EXPECT];
	char *owned[CP_MAX_EXPECT * 2 + 8];	/* strings we allocated */
	int nowned;
	/* memlock */
	size_t sizes[16];
	int nsizes;
	int repeat;
};

/*
 * Parse argv.  Returns 0, or 2 with err = a message naming the valid values
 * (the exit code for bad input).  Frees nothing it didn't allocate.
 */
int cp_cli_parse(int argc, char **argv, struct cp_cli *cli, char *err, size_t errlen);
void cp_cli_free(struct cp_cli *cli);
void cp_cli_usage(FILE *f);

#endif
