// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the command line.  The input, split on NUL bytes, is
 * argv[1..].  Each parse gets a fresh copy that is scribbled over and freed
 * afterwards, and the same words are parsed twice: a parser (or glibc's
 * getopt, which ASan cannot see into) holding on to an earlier argv gives two
 * different answers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MAX_ARGS 64

static char dir[] = "/tmp/cowpin-fuzz-cli.XXXXXX";

/* Leave /tmp as found. */
static void remove_dir(void)
{
	char path[sizeof(dir) + 8];

	snprintf(path, sizeof(path), "%s/expect", dir);
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *f;

	/* --expect-file reads relative paths from here: give it one real file. */
	if (!mkdtemp(dir) || chdir(dir))
		abort();
	f = fopen("expect", "w");
	if (!f)
		abort();
	fputs("# comment\n\nio_uring.*=stale:known\n  rdma-*.memfd.*=corrupt: why\n", f);
	fclose(f);
	atexit(remove_dir);
	return 0;
}

/* Parse a fresh copy of the input split on NULs (argv[0] = "cowpin"); 0 or 2. */
static int parse(const uint8_t *data, size_t size, struct cp_cli *cli, char *err, size_t errlen)
{
	char *argv[MAX_ARGS + 2], *buf, *p;
	int argc = 0, rc;

	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "cowpin";
	for (p = buf; p < buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	rc = cp_cli_parse(argc, argv, cli, err, errlen);
	/* Scribble over the words: a parser state that kept them would now read X. */
	memset(buf, 'X', size);
	free(buf);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], err2[256];
	struct cp_cli cli, again;
	int rc, rc2;

	/*
	 * No paths: --expect-file on a FIFO or /dev/zero would block or never
	 * end, which is the user's choice on a real command line.
	 */
	if (size > 4096 || memchr(data, '/', size))
		return 0;
	rc = parse(data, size, &cli, err, sizeof(err));
	/* A second parse of the same words must agree: no state left behind. */
	rc2 = parse(data, size, &again, err2, sizeof(err2));
	if (rc != rc2 || (rc && strcmp(err, err2)) || cli.cmd != again.cmd ||
	    cli.run.consumers != again.run.consumers || cli.run.backings != again.run.backings ||
	    cli.run.cases != again.run.cases || cli.run.nexpect != again.run.nexpect || cli.nsizes != again.nsizes)
		abort();
	cp_cli_free(&again);
	if (rc != 0 && rc != 2)
		abort();
	if (rc == 2 && (!err[0] || strlen(err) >= sizeof(err)))
		abort();
	/* What a successful parse promises the rest of the program. */
	if (rc == 0) {
		if (cli.run.nexpect < 0 || cli.run.nexpect > CP_MAX_EXPECT || cli.nsizes < 0 || cli.nsizes > 16 ||
		    cli.repeat < 1 || cli.repeat > 1000 || !(cli.run.settings.timeout_s > 0) ||
		    cli.run.settings.timeout_s > 86400 || cli.run.settings.nopt > CP_MAX_SETTINGS)
			abort();
		for (int i = 0; i < cli.nsizes; i++)
			if (!cli.sizes[i] || cli.sizes[i] > (1ull << 40))
				abort();
		for (int i = 0; i < cli.run.nexpect; i++)
			if (!cli.expect[i].pattern || !cli.expect[i].reason)
				abort();
	}
	cp_cli_free(&cli);
	return 0;
}
