// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buildid.h"
#include "cli.h"
#include "result.h"

enum { OPT_CONSUMER = 1000, OPT_BACKING, OPT_CASE, OPT_FORMAT, OPT_JSON, OPT_TMPDIR, OPT_TIMEOUT,
       OPT_EXPECT, OPT_EXPECT_FILE, OPT_SIZE, OPT_REPEAT, OPT_HELP, OPT_RUN_ID, OPT_CONSUMER_OPT };

static const struct option core_options[] = {
	{ "consumer", required_argument, NULL, OPT_CONSUMER },
	{ "backing", required_argument, NULL, OPT_BACKING },
	{ "case", required_argument, NULL, OPT_CASE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "tmpdir", required_argument, NULL, OPT_TMPDIR },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "expect-file", required_argument, NULL, OPT_EXPECT_FILE },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "run-id", required_argument, NULL, OPT_RUN_ID },
};

#define NCORE (sizeof(core_options) / sizeof(core_options[0]))
#define MAX_OPTS (NCORE + 64 + 1)

static int bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return 2;
}

static void list_names(char *out, size_t len, const char *(*name)(int), int n)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < n && used < len; i++)
		used += snprintf(out + used, len - used, "%s%s", i ? ", " : "", name(i));
}

static const char *consumer_name(int i)
{
	return cp_consumers[i]->name;
}

static const char *backing_name(int i)
{
	return cp_backing_name(i);
}

static const char *case_name(int i)
{
	return cp_case_name(i);
}

static int count_consumers(void)
{
	int n = 0;

	while (cp_consumers[n])
		n++;
	return n;
}

/* Sizes: 2M, 512K, 1G, or plain bytes. */
static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'G': case 'g': shift = 30; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'K': case 'k': shift = 10; end++; break;
	}
	/* Compare before shifting: "17179869185G" must not wrap around to 1G. */
	if (v > (1ull << 40) >> shift)
		return -EINVAL;
	v <<= shift;
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	if (*end || !v || v > (1ull << 40))
		return -EINVAL;
	*out = v;
	return 0;
}

static char *keep(struct cp_cli *cli, char *s)
{
	if (s && cli->nowned < (int)(sizeof(cli->owned) / sizeof(cli->owned[0])))
		cli->owned[cli->nowned++] = s;
	else if (s) {
		free(s);
		s = NULL;
	}
	return s;
}

static int add_expect(struct cp_cli *cli, char *pattern, char *kind, char *reason, char *err, size_t errlen)
{
	if (cli->run.nexpect == CP_MAX_EXPECT)
		return bad(err, errlen, "too many expected failures (at most %d)", CP_MAX_EXPECT);
	cli->expect[cli->run.nexpect].pattern = pattern;
	cli->expect[cli->run.nexpect].kind = kind;
	cli->expect[cli->run.nexpect].reason = reason && *reason ? reason : "declared expected";
	cli->run.nexpect++;
	return 0;
}

/*
 * "GLOB=KIND[:WHY]": a failure of exactly that kind (stale, corrupt, ...) is
 * expected.  A bare reason ("GLOB=old kernel") names no kind and is refused:
 * it would hide a timeout or an Oops as well as the stale read it meant.
 */
static int parse_expect(struct cp_cli *cli, const char *arg, const char *where, char *err, size_t errlen)
{
	char *s = keep(cli, strdup(arg)), *eq, *kind, *colon;

	if (!s)
		return bad(err, errlen, "out of memory");
	eq = strchr(s, '=');
	if (!eq || eq == s)
		return bad(err, errlen, "%s wants GLOB=KIND:WHY (KIND one of %s), got '%s'", where,
			   cp_fail_kinds_list(), arg);
	*eq = '\0';
	kind = eq + 1;
	colon = strchr(kind, ':');
	if (colon)
		*colon++ = '\0';
	if (!cp_fail_kind_known(kind))
		return bad(err, errlen, "%s '%s': '%s' is not a failure kind (one of %s): write GLOB=KIND:WHY",
			   where, arg, kind, cp_fail_kinds_list());
	return add_expect(cli, s, kind, colon, err, errlen);
}

/* Lines as --expect takes them ("GLOB=KIND:WHY"); blank lines and # comments ignored. */
static int parse_expect_file(struct cp_cli *cli, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024], where[512];
	int rc = 0, n = 0;

	if (!f)
		return bad(err, errlen, "--expect-file %s: %s", path, strerror(errno));
	while (!rc && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");

		n++;
		p[strcspn(p, "\r\n")] = '\0';
		if (!*p || *p == '#')
			continue;
		snprintf(where, sizeof(where), "--expect-file %s line %d", path, n);
		rc = parse_expect(cli, p, where, err, errlen);
	}
	fclose(f);
	return rc;
}

static int parse_command(const char *word, struct cp_cli *cli, char *err, size_t errlen)
{
	static const char *const names[] = { "help", "list", "info", "run", "memlock" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(word, names[i])) {
			cli->cmd = i;
			return 0;
		}
	return bad(err, errlen, "unknown command '%s': valid commands are list, info, run, memlock, help", word);
}

/* Consumer options (--rdma-device, ...) come from the consumer table. */
static int build_options(struct option *opts, const struct cp_option **copt)
{
	int n = NCORE, k = 0;

	memcpy(opts, core_options, sizeof(core_options));
	for (int ci = 0; cp_consumers[ci]; ci++)
		for (const struct cp_option *o = cp_consumers[ci]->options; o && o->name; o++) {
			bool dup = false;

			for (int j = 0; j < k; j++)
				dup |= !strcmp(copt[j]->name, o->name);
			if (dup || n + 1 >= (int)MAX_OPTS)
				continue;
			copt[k] = o;
			opts[n++] = (struct option){ o->name, required_argument, NULL, OPT_CONSUMER_OPT + k };
			k++;
		}
	memset(&opts[n], 0, sizeof(opts[n]));
	return n;
}

/*
 * A consumer option's environment variable is user input too: malformed
 * (COWPIN_NVME_SCRATCH_LBA=abc) it is exit 2 as on the command line, unless
 * the command line gave the option (which then wins).
 */
static int check_environment(const struct cp_settings *s, char *err, size_t errlen)
{
	for (int ci = 0; cp_consumers[ci]; ci++)
		for (const struct cp_option *o = cp_consumers[ci]->options; o && o->name; o++) {
			const char *v = o->env ? getenv(o->env) : NULL;
			bool given = false;
			char why[512];

			for (int i = 0; i < s->nopt; i++)
				given |= !strcmp(s->opt[i].name, o->name);
			if (!given && v && *v && o->check && o->check(v, why, sizeof(why)))
				return bad(err, errlen, "%s='%s' (--%s): %s", o->env, v, o->name, why);
		}
	return 0;
}

int cp_cli_parse(int argc, char **argv, struct cp_cli *cli, char *err, size_t errlen)
{
	struct option opts[MAX_OPTS];
	const struct cp_option *copt[64];
	char names[1024];
	int c, rc = 0, idx;

	memset(cli, 0, sizeof(*cli));
	cli->cmd = CP_CMD_HELP;
	cli->run.settings.timeout_s = 300;
	cli->run.settings.backing.tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	cli->run.expect = cli->expect;
	cli->run.run_id = getenv("COWPIN_RUN_ID") && *getenv("COWPIN_RUN_ID") ? getenv("COWPIN_RUN_ID") : NULL;
	cli->repeat = 5;
	build_options(opts, copt);
	if (argc < 2)
		return 0;
	if (argv[1][0] != '-') {
		rc = parse_command(argv[1], cli, err, errlen);
		if (rc)
			return rc;
		argc--;
		argv++;
	}
	/* 0, not 1: glibc then also forgets a half-read "-xy" cluster of an earlier parse. */
	optind = 0;
	opterr = 0;
	while (!rc && (c = getopt_long(argc, argv, "+h", opts, &idx)) != -1) {
		int v;

		switch (c) {
		case OPT_CONSUMER:
			for (v = 0; cp_consumers[v] && strcmp(cp_consumers[v]->name, optarg); v++)
				;
			if (!cp_consumers[v]) {
				list_names(names, sizeof(names), consumer_name, count_consumers());
				return bad(err, errlen, "unknown consumer '%s': valid consumers are %s", optarg, names);
			}
			cli->run.consumers |= 1u << v;
			break;
		case OPT_BACKING:
			v = cp_backing_parse(optarg);
			if (v < 0) {
				list_names(names, sizeof(names), backing_name, CP_B_COUNT);
				return bad(err, errlen, "unknown backing '%s': valid backings are %s", optarg, names);
			}
			cli->run.backings |= CP_BACKING_BIT(v);
			break;
		case OPT_CASE:
			v = cp_case_parse(optarg);
			if (v < 0) {
				list_names(names, sizeof(names), case_name, CP_CASE_COUNT);
				return bad(err, errlen, "unknown case '%s': valid cases are %s", optarg, names);
			}
			cli->run.cases |= CP_CASE_BIT(v);
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "tap") && strcmp(optarg, "json"))
				return bad(err, errlen, "unknown format '%s': valid formats are tap, json", optarg);
			cli->run.json = !strcmp(optarg, "json");
			break;
		case OPT_JSON:
			cli->run.json_file = optarg;
			break;
		case OPT_TMPDIR:
			cli->run.settings.backing.tmpdir = optarg;
			break;
		case OPT_TIMEOUT: {
			char *end;
			double t = strtod(optarg, &end);

			if (end == optarg || *end || !(t > 0) || t > 86400)
				return bad(err, errlen, "--timeout wants seconds between 0 and 86400, got '%s'", optarg);
			cli->run.settings.timeout_s = t;
			break;
		}
		case OPT_EXPECT:
			rc = parse_expect(cli, optarg, "--expect", err, errlen);
			break;
		case OPT_EXPECT_FILE:
			rc = parse_expect_file(cli, optarg, err, errlen);
			break;
		case OPT_SIZE:
			if (cli->nsizes == (int)(sizeof(cli->sizes) / sizeof(cli->sizes[0])))
				return bad(err, errlen, "too many --size values (at most 16)");
			if (parse_size(optarg, &cli->sizes[cli->nsizes]))
				return bad(err, errlen, "--size wants a size like 2M, 256M or 1G, got '%s'", optarg);
			cli->nsizes++;
			break;
		case OPT_REPEAT: {
			char *end;
			long r = strtol(optarg, &end, 10);

			if (end == optarg || *end || r < 1 || r > 1000)
				return bad(err, errlen, "--repeat wants a count from 1 to 1000, got '%s'", optarg);
			cli->repeat = r;
			break;
		}
		case OPT_RUN_ID:
			cli->run.run_id = optarg;
			break;
		case 'h':
		case OPT_HELP:
			cli->cmd = CP_CMD_HELP;
			return 0;
		case '?':
			/* In a cluster ("-zh") optind still points at the word before it. */
			if (optopt > 0 && optopt < 256)
				return bad(err, errlen, "unknown option '-%c' (see cowpin --help)", optopt);
			return bad(err, errlen, "unknown or incomplete option '%s' (see cowpin --help)",
				   argv[optind - 1]);
		default:
			if (c >= OPT_CONSUMER_OPT && c < OPT_CONSUMER_OPT + 64) {
				struct cp_settings *s = &cli->run.settings;

				const struct cp_option *co = copt[c - OPT_CONSUMER_OPT];
				char why[512];

				if (co->check && co->check(optarg, why, sizeof(why)))
					return bad(err, errlen, "--%s '%s': %s", co->name, optarg, why);
				if (s->nopt == CP_MAX_SETTINGS)
					return bad(err, errlen, "too many consumer options");
				s->opt[s->nopt].name = copt[c - OPT_CONSUMER_OPT]->name;
				s->opt[s->nopt].value = optarg;
				s->nopt++;
				break;
			}
			return bad(err, errlen, "unexpected option");
		}
	}
	if (!rc && optind < argc)
		return bad(err, errlen, "unexpected argument '%s' (see cowpin --help)", argv[optind]);
	if (!rc && cli->run.run_id && !cp_run_id_valid(cli->run.run_id))
		return bad(err, errlen, "--run-id (or COWPIN_RUN_ID) wants 1 to 200 characters of "
			   "A-Z a-z 0-9 . _ : + -, got '%s'", cli->run.run_id);
	return rc ? rc : check_environment(&cli->run.settings, err, errlen);
}

void cp_cli_free(struct cp_cli *cli)
{
	for (int i = 0; i < cli->nowned; i++)
		free(cli->owned[i]);
	cli->nowned = 0;
}

/*
 * The options of consumer ci, once: consumers of one kind (rdma-rxe and
 * rdma-siw, the three VFIO flavours) share one options array, so it is
 * printed at its first consumer under a line naming all that use it.
 */
static void usage_options(FILE *f, int ci)
{
	const struct cp_option *opts = cp_consumers[ci]->options;
	const char *sep = "  ";

	if (!opts || !opts->name)
		return;
	for (int i = 0; i < ci; i++)
		if (cp_consumers[i]->options == opts)
			return;
	for (int i = ci; cp_consumers[i]; i++)
		if (cp_consumers[i]->options == opts) {
			fprintf(f, "%s%s", sep, cp_consumers[i]->name);
			sep = ", ";
		}
	fputs(":\n", f);
	for (const struct cp_option *o = opts; o->name; o++)
		fprintf(f, "    --%-18s %s%s%s%s\n", o->name, o->help, o->env ? " [" : "",
			o->env ? o->env : "", o->env ? "]" : "");
}

void cp_cli_usage(FILE *f)
{
	char names[1024];

	fputs("usage: cowpin COMMAND [OPTIONS]\n"
	      "\n"
	      "Checks that read-only long-term pins (FOLL_LONGTERM without FOLL_WRITE) of pages in\n"
	      "private (COW) mappings are reliable, through real consumers whose device reads the\n"
	      "pinned pages back after the process wrote new data.\n"
	      "\n"
	      "commands:\n"
	      "  list       the plan: every test name, and why unavailable ones would skip\n"
	      "  info       kernel, THP and hugetlb settings, each consumer's availability\n"
	      "  run        run the tests (TAP 13 on stdout; exit 0 unless a test failed)\n"
	      "  memlock    measure what each R/O pin costs in VmLck/VmPin/RSS and RLIMIT_MEMLOCK\n"
	      "  help       this text\n"
	      "\n"
	      "selection (repeatable; default: everything):\n"
	      "  --consumer C   --backing B   --case K\n"
	      "\n"
	      "run options:\n"
	      "  --format tap|json   TAP 13 (default) or one JSON document on stdout\n"
	      "  --json FILE         also write the JSON document to FILE\n"
	      "  --tmpdir DIR        where tmpfile and ro-shared-file live (default $TMPDIR or /var/tmp)\n"
	      "  --timeout S         bound per test in seconds (default 300: generous for QEMU TCG)\n"
	      "  --expect GLOB=KIND:WHY  a fail of kind KIND (stale, corrupt, ...) of tests matching GLOB is\n"
	      "                      expected: TAP 'not ok ... # TODO WHY'.  Any other kind, a refusal or an\n"
	      "                      error stays a plain failure; a pass is 'ok ... # TODO' (unexpected pass)\n"
	      "  --expect-file F     lines 'GLOB=KIND:WHY' as --expect (# comments)\n"
	      "  --run-id ID         stamp ID into the JSON as \"run_id\" (run and memlock; default\n"
	      "                      $COWPIN_RUN_ID): a checker then refuses a report of another run\n"
	      "\n"
	      "memlock options:\n"
	      "  --size S            buffer size (repeatable; default 2M 32M 256M)\n"
	      "  --repeat N          registrations per throughput figure (default 5)\n"
	      "\n", f);
	list_names(names, sizeof(names), consumer_name, count_consumers());
	fprintf(f, "consumers: %s\n", names);
	list_names(names, sizeof(names), backing_name, CP_B_COUNT);
	fprintf(f, "backings:  %s\n", names);
	list_names(names, sizeof(names), case_name, CP_CASE_COUNT);
	fprintf(f, "cases:     %s\n", names);
	fputs("\nconsumer options (or their environment variables):\n", f);
	for (int ci = 0; cp_consumers[ci]; ci++)
		usage_options(f, ci);
	fputs("\nverdicts: pass (device saw the new data), fail (stale: the bytes are named), skip (reason\n"
	      "says how to enable), refused (the kernel refused the R/O registration: errno), error\n"
	      "(harness or device failure), hazard (stale by design: no kernel pin, VFIO noiommu).\n", f);
}
