// SPDX-License-Identifier: GPL-2.0-only
/*
 * The check procedure's verdicts, with test-double devices instead of real
 * consumers: each double misbehaves in one known way and the verdict (and
 * fail kind) it must get is fixed.  This is how every branch of the judge can
 * be seen to fail: a device that reads the process's mapping can never pass
 * detects-stale, a device that holds the old pages can never pass
 * ro-pin-reliable, garbage is "corrupt", and a harness failure in pin_ro is an
 * error, never a refusal.  These doubles never leave tests/unit.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fork_child.h"
#include "result.h"
#include "utap.h"

enum behaviour { HOLDS_OLD, READS_MAPPING, GARBAGE, REFUSES, HARNESS_FAILS, OPEN_FAILS, LEAKS_PIN,
		 WHOLE_OLD, WHOLE_MAPPING, WHOLE_FLIP };

/*
 * WHOLE_*: a storage engine's device reads all of the buffer (pin->seen);
 * WHOLE_FLIP also flips one byte outside the spans, at FLIP_OFF: only the
 * whole-buffer compare can see it, and must name that offset.
 */
#define FLIP_OFF (3 * 4096 + 17)

struct dbl {
	enum behaviour how;
	unsigned char *copy;	/* HOLDS_OLD: the content at pin time, as pinned pages keep it */
	unsigned char *whole;	/* WHOLE_*: the device's view of the whole buffer */
};

static enum behaviour next_how;
/* LEAKS_PIN: an io_uring whose registered buffer (a FOLL_PIN) outlives the test. */
static struct io_uring leaked_ring;
static bool leaked;
static unsigned char leak_page[4096] __attribute__((aligned(4096)));

static int dbl_probe(struct cp_env *env)
{
	return 0;
}

static int dbl_open(struct cp_env *env, void **ctx)
{
	struct dbl *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->how = next_how;
	if (d->how == OPEN_FAILS) {
		/* A failed open cleans up after itself: the core calls no close(). */
		free(d);
		cp_why(env, "double: device present but fails to open");
		return -ENODEV;
	}
	*ctx = d;
	return 0;
}

static int dbl_pin(struct cp_env *env, void *ctx, struct cp_pin *pin)
{
	struct dbl *d = ctx;

	if (d->how == REFUSES) {
		cp_why(env, "double: the registration call said EFAULT");
		return -EFAULT;
	}
	if (d->how == HARNESS_FAILS) {
		cp_why_error(env, "double: scratch mmap failed before the registration call");
		return -ENOMEM;
	}
	if (d->how == LEAKS_PIN && !leaked) {
		struct iovec iov = { .iov_base = leak_page, .iov_len = sizeof(leak_page) };

		if (io_uring_queue_init(4, &leaked_ring, 0) == 0) {
			leaked = true;
			if (io_uring_register_buffers(&leaked_ring, &iov, 1))
				cp_diag(env, "double: io_uring_register_buffers failed");
		}
	}
	d->copy = malloc(pin->len);
	if (!d->copy) {
		cp_why_error(env, "out of memory");
		return -ENOMEM;
	}
	memcpy(d->copy, pin->buf, pin->len);
	return 0;
}

static int dbl_observe(struct cp_env *env, void *ctx, struct cp_pin *pin, struct cp_span *spans, int n)
{
	struct dbl *d = ctx;

	if (d->how >= WHOLE_OLD) {
		free(d->whole);
		d->whole = malloc(pin->readable);
		if (!d->whole)
			return -ENOMEM;
		memcpy(d->whole, d->how == WHOLE_OLD ? d->copy : pin->buf, pin->readable);
		if (d->how == WHOLE_FLIP)
			d->whole[FLIP_OFF] ^= 0xff;
		for (int i = 0; i < n; i++)
			memcpy(spans[i].out, d->whole + spans[i].off, spans[i].len);
		pin->seen = d->whole;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (d->how == HOLDS_OLD || d->how == LEAKS_PIN)
			memcpy(spans[i].out, d->copy + spans[i].off, spans[i].len);
		else if (d->how == READS_MAPPING)
			memcpy(spans[i].out, (unsigned char *)pin->buf + spans[i].off, spans[i].len);
		else
			memset(spans[i].out, 0x5a, spans[i].len);
	}
	return 0;
}

static void dbl_unpin(struct cp_env *env, void *ctx, struct cp_pin *pin)
{
	struct dbl *d = ctx;

	free(d->copy);
	d->copy = NULL;
	free(d->whole);
	d->whole = NULL;
}

static void dbl_close(struct cp_env *env, void *ctx)
{
	free(ctx);
}

static const struct consumer_ops pinned = {
	.name = "double", .summary = "test double", .cases = CP_CASES_ALL,
	.probe = dbl_probe, .open = dbl_open, .pin_ro = dbl_pin, .observe = dbl_observe,
	.unpin = dbl_unpin, .close = dbl_close,
};

static const struct consumer_ops unpinned = {
	.name = "double-nopin", .summary = "test double without a kernel pin", .cases = CP_CASES_ALL,
	.no_kernel_pin = true,
	.probe = dbl_probe, .open = dbl_open, .pin_ro = dbl_pin, .observe = dbl_observe,
	.unpin = dbl_unpin, .close = dbl_close,
};

static const struct {
	const struct consumer_ops *ops;
	enum behaviour how;
	enum cp_backing_id backing;
	enum cp_case kase;
	const char *verdict, *fail_kind;
} table[] = {
	{ &pinned, HOLDS_OLD, CP_B_ANON, CP_CASE_SNAPSHOT, "pass", NULL },
	{ &pinned, HOLDS_OLD, CP_B_ANON, CP_CASE_RELIABLE, "fail", "stale" },
	{ &pinned, HOLDS_OLD, CP_B_ANON, CP_CASE_DETECTS_STALE, "pass", NULL },
	{ &pinned, HOLDS_OLD, CP_B_SHARED_MEMFD, CP_CASE_DETECTS_STALE, "pass", NULL },
	{ &pinned, READS_MAPPING, CP_B_ANON, CP_CASE_RELIABLE, "pass", NULL },
	{ &pinned, READS_MAPPING, CP_B_ANON, CP_CASE_DETECTS_STALE, "fail", "reads-mapping" },
	{ &pinned, READS_MAPPING, CP_B_SHARED_MEMFD, CP_CASE_DETECTS_STALE, "fail", "reads-mapping" },
	{ &pinned, GARBAGE, CP_B_ANON, CP_CASE_SNAPSHOT, "fail", "corrupt" },
	{ &pinned, GARBAGE, CP_B_ANON, CP_CASE_RELIABLE, "fail", "corrupt" },
	{ &pinned, GARBAGE, CP_B_ANON, CP_CASE_DETECTS_STALE, "fail", "corrupt" },
	/* Without a pin stale data is the hazard only where COW moves the process (not anon, shared-memfd). */
	{ &unpinned, HOLDS_OLD, CP_B_ANON, CP_CASE_RELIABLE, "fail", "stale" },
	{ &unpinned, HOLDS_OLD, CP_B_SHARED_MEMFD, CP_CASE_RELIABLE, "fail", "stale" },
	{ &unpinned, HOLDS_OLD, CP_B_MEMFD, CP_CASE_RELIABLE, "hazard", NULL },
	{ &unpinned, HOLDS_OLD, CP_B_ANON, CP_CASE_FORK, "hazard", NULL },
	{ &unpinned, GARBAGE, CP_B_ANON, CP_CASE_RELIABLE, "fail", "corrupt" },
	{ &pinned, REFUSES, CP_B_ANON, CP_CASE_RELIABLE, "refused", NULL },
	{ &pinned, HARNESS_FAILS, CP_B_ANON, CP_CASE_RELIABLE, "error", NULL },
	{ &pinned, OPEN_FAILS, CP_B_ANON, CP_CASE_RELIABLE, "error", NULL },
	{ &pinned, LEAKS_PIN, CP_B_ANON, CP_CASE_SNAPSHOT, "fail", "pin-leak" },
	{ &pinned, HOLDS_OLD, CP_B_ANON, CP_CASE_FORK, "fail", "stale" },
	{ &pinned, READS_MAPPING, CP_B_MEMFD, CP_CASE_FORK, "pass", NULL },
	{ &unpinned, HOLDS_OLD, CP_B_MEMFD, CP_CASE_FORK, "hazard", NULL },
	{ &pinned, WHOLE_OLD, CP_B_ANON, CP_CASE_SNAPSHOT, "pass", NULL },
	{ &pinned, WHOLE_OLD, CP_B_ANON, CP_CASE_RELIABLE, "fail", "stale" },
	{ &pinned, WHOLE_MAPPING, CP_B_ANON, CP_CASE_RELIABLE, "pass", NULL },
	{ &pinned, WHOLE_MAPPING, CP_B_ANON, CP_CASE_DETECTS_STALE, "fail", "reads-mapping" },
	{ &pinned, WHOLE_FLIP, CP_B_ANON, CP_CASE_SNAPSHOT, "fail", "corrupt" },
	{ &pinned, WHOLE_FLIP, CP_B_ANON, CP_CASE_RELIABLE, "fail", "corrupt" },
	{ &unpinned, WHOLE_FLIP, CP_B_ANON, CP_CASE_RELIABLE, "fail", "corrupt" },
};

static const char *const how_names[] = {
	"holds-old", "reads-mapping", "garbage", "refuses", "harness-fails", "open-fails", "leaks-pin",
	"whole-old", "whole-mapping", "whole-flip",
};

/*
 * The evidence of a data result: compared_bytes is every byte the device
 * read when it read the whole buffer, the spans' 3 x 256 otherwise; a
 * flipped byte is the first_diff, named in the reason.
 */
static bool evidence_ok(struct json_object *r, enum behaviour how, char *why, size_t len)
{
	struct json_object *ev = json_object_object_get(r, "evidence");
	long long compared = json_object_get_int64(json_object_object_get(r, "compared_bytes"));
	long long want = how >= WHOLE_OLD ? 2 << 20 : 3 * 256;
	char at[32];

	snprintf(why, len, "compared_bytes %lld, want %lld", compared, want);
	if (compared != want)
		return false;
	if (how != WHOLE_FLIP)
		return true;
	snprintf(at, sizeof(at), "+0x%x", FLIP_OFF);
	snprintf(why, len, "first_diff %lld, want %d, reason names %s: %s",
		 (long long)json_object_get_int64(json_object_object_get(ev, "first_diff")), FLIP_OFF, at,
		 cp_result_str(r, "reason"));
	return json_object_get_int64(json_object_object_get(ev, "first_diff")) == FLIP_OFF &&
	       strstr(cp_result_str(r, "reason"), at);
}

int main(void)
{
	struct cp_settings s = { .backing.tmpdir = "/var/tmp", .timeout_s = 20 };
	int n = sizeof(table) / sizeof(table[0]);

	int nev = 0;

	for (int i = 0; i < n; i++)
		nev += table[i].how >= WHOLE_OLD && table[i].kase == CP_CASE_RELIABLE;
	utap_plan(n + 4 + nev);
	for (int i = 0; i < n; i++) {
		struct cp_test t = { .ops = table[i].ops, .backing = table[i].backing, .kase = table[i].kase };
		struct json_object *r;
		const char *v, *kind;

		next_how = table[i].how;
		r = cp_check_run(&t, &s);
		v = cp_result_str(r, "verdict");
		kind = cp_result_str(r, "fail_kind");
		if (table[i].how == LEAKS_PIN && (!leaked || geteuid()))
			skip(geteuid() ? "the FOLL_PIN counters are exact only as root (vm/stat_refresh)" :
			     "io_uring unavailable here", "leaks-pin: the FOLL_PIN gate");
		else if (table[i].how == LEAKS_PIN)
			/* VmPin catches it too: the reason must name the FOLL_PIN counters as well. */
			ok(!strcmp(v, "fail") && kind && !strcmp(kind, "pin-leak") &&
			   strstr(cp_result_str(r, "reason"), "FOLL_PIN references"),
			   "leaks-pin: %s %s (%s)", v, kind ? kind : "", cp_result_str(r, "reason"));
		else if (!strcmp(v, "skip"))
			/* Only the backing can be absent here (no root: no pagemap PFNs). */
			skip(cp_result_str(r, "reason"), "%s %s.%s.%s", how_names[table[i].how], t.ops->name,
			     cp_backing_name(t.backing), cp_case_name(t.kase));
		else
			ok(!strcmp(v, table[i].verdict) &&
			   !strcmp(kind ? kind : "-", table[i].fail_kind ? table[i].fail_kind : "-"),
			   "%s %s.%s.%s: %s%s%s (%s)", how_names[table[i].how], t.ops->name,
			   cp_backing_name(t.backing), cp_case_name(t.kase), v, kind ? " " : "", kind ? kind : "",
			   cp_result_str(r, "reason"));
		if (table[i].how >= WHOLE_OLD && table[i].kase == CP_CASE_RELIABLE) {
			char why[512];

			if (!strcmp(v, "skip"))
				skip(cp_result_str(r, "reason"), "%s %s: evidence", how_names[table[i].how], t.ops->name);
			else
				ok(evidence_ok(r, table[i].how, why, sizeof(why)), "%s %s: evidence: %s",
				   how_names[table[i].how], t.ops->name, why);
		}
		json_object_put(r);
	}
	{
		/*
		 * A backing whose set-up fails after a clean probe is an error, not a
		 * skip: the anon buffer's mmap fails (ENOMEM) under an address-space
		 * limit a child sets just above what it maps already.
		 */
		int pfd[2], status = -1;
		char reason[512] = "";
		pid_t pid = -1;

		if (pipe(pfd) == 0)
			pid = fork();
		if (pid == 0) {
			struct cp_test t = { .ops = &pinned, .backing = CP_B_ANON, .kase = CP_CASE_RELIABLE };
			unsigned long pages = 0;
			FILE *f = fopen("/proc/self/statm", "r");
			struct json_object *r = cp_result_new(&t);	/* json-c's allocations before the limit */
			struct rlimit rl;
			const char *v, *why;

			if (!f || fscanf(f, "%lu", &pages) != 1)
				_exit(3);
			fclose(f);
			json_object_put(r);
			rl.rlim_cur = rl.rlim_max = pages * 4096 + (1ul << 20);
			next_how = HOLDS_OLD;
			if (setrlimit(RLIMIT_AS, &rl))
				_exit(4);
			r = cp_check_run(&t, &s);
			v = cp_result_str(r, "verdict");
			why = cp_result_str(r, "reason");
			if (write(pfd[1], why, strlen(why)) < 0)
				_exit(5);
			_exit(!strcmp(v, "error") && strstr(why, "mmap") ? 0 : 1);
		} else if (pid > 0) {
			close(pfd[1]);
			if (read(pfd[0], reason, sizeof(reason) - 1) < 0)
				reason[0] = '\0';
			waitpid(pid, &status, 0);
		}
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "backing set-up failing after a clean probe (mmap ENOMEM) is an error: %s (child status 0x%x)",
		   reason, status);
	}
	{
		/* An absence the probe establishes stays a skip: an empty 1 GiB pool (or a result if there are pages). */
		struct cp_test t = { .ops = &pinned, .backing = CP_B_HUGETLB_1G, .kase = CP_CASE_SNAPSHOT };
		char why[512];
		struct json_object *r;

		next_how = HOLDS_OLD;
		if (!cp_backing_probe(CP_B_HUGETLB_1G, &s.backing, why, sizeof(why))) {
			skip("this host has 1 GiB huge pages", "an absent backing skips");
		} else {
			r = cp_check_run(&t, &s);
			ok(!strcmp(cp_result_str(r, "verdict"), "skip") && strstr(cp_result_str(r, "reason"), why),
			   "an absent backing skips with the probe's reason: %s", cp_result_str(r, "reason"));
			json_object_put(r);
		}
	}
	if (leaked)
		io_uring_queue_exit(&leaked_ring);
	{
		/* The fork child's own check can fail: ask it for B where its mapping holds A. */
		static unsigned char page[4096];
		size_t off = 0;
		struct cp_fork_child f;
		char why[256];

		cp_pattern_fill(CP_PAT_A, page, 0, sizeof(page));
		ok(!cp_fork_child_start(&f, page, &off, 1, 256, CP_PAT_B) &&
		   cp_fork_child_finish(&f, 10, why, sizeof(why)) == 0 && strstr(why, "not B"),
		   "fork child reports a mapping that differs: %s", why);
		ok(!cp_fork_child_start(&f, page, &off, 1, 256, CP_PAT_A) &&
		   cp_fork_child_finish(&f, 10, why, sizeof(why)) == 1, "fork child reports the same content: %s", why);
	}
	return utap_done();
}
