// SPDX-License-Identifier: GPL-2.0-only
/*
 * `cowpin memlock`: for each consumer × backing × size, what the R/O
 * registration costs in VmLck, VmPin, RSS and memory.current, that it all
 * goes back at unregistration, how fast it is, and the smallest
 * RLIMIT_MEMLOCK (CAP_IPC_LOCK dropped) at which it still succeeds.
 * Every registration runs in a forked child on a fresh buffer.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "kmsg.h"
#include "env.h"
#include "memlock/memlock.h"
#include "memlock/attempt.h"
#include "memlock/bisect.h"
#include "memlock/output.h"
#include "memlock/sys.h"

#define MIB (1024ul * 1024)
#define DEFAULT_BACKINGS (CP_BACKING_BIT(CP_B_ZEROPAGE) | CP_BACKING_BIT(CP_B_HUGE_ZEROPAGE) | \
			  CP_BACKING_BIT(CP_B_MEMFD) | CP_BACKING_BIT(CP_B_ANON))
#define MAX_STEPS 40

static const size_t default_sizes[] = { 2 * MIB, 32 * MIB, 256 * MIB };

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
	cp_ml_attempt_kill();
}

struct ml {
	const struct cp_cli *cli;
	const size_t *sizes;
	int nsizes;
	char memcg[512];
	long page_kb;
	long hard_kb;		/* hard RLIMIT_MEMLOCK, -1 = unlimited */
	bool raise_hard;	/* CAP_SYS_RESOURCE: limits above the hard one can be tried */
	struct json_object *doc;
	int bad;
};

/* How much memory a buffer of this backing may take: a pin may add a private copy of every page. */
static int mem_factor(enum cp_backing_id b)
{
	switch (b) {
	case CP_B_MEMFD:
	case CP_B_TMPFILE:
		return 2;	/* the file's pages plus the copies an unsharing pin makes */
	case CP_B_HUGETLB_2M:
	case CP_B_HUGETLB_1G:
		return 0;	/* from the hugetlb pool, which the backing checks itself */
	default:
		return 1;
	}
}

static size_t backing_align(enum cp_backing_id b)
{
	return b == CP_B_HUGETLB_1G ? 1024 * MIB :
	       b == CP_B_HUGE_ZEROPAGE || b == CP_B_HUGETLB_2M ? 2 * MIB : 4096;
}

static const char *counter_name(enum cp_counter c)
{
	return c == CP_COUNTER_LOCKED_VM ? "locked_vm" : c == CP_COUNTER_PINNED_VM ? "pinned_vm" : "none";
}

/* The highest limit the bisection may try, and why it stops there. */
static long max_limit_kb(const struct ml *m, size_t size, char *why, size_t whylen)
{
	long cap = (long)((2 * size + 64 * MIB) / 1024);

	if (m->hard_kb < 0 || m->raise_hard) {
		snprintf(why, whylen, "twice the size plus 64 MiB");
		return cap;
	}
	snprintf(why, whylen, "the hard RLIMIT_MEMLOCK of %ld KiB (raising it needs CAP_SYS_RESOURCE)",
		 m->hard_kb);
	return m->hard_kb < cap ? m->hard_kb : cap;
}

struct pred_ctx {
	struct cp_ml_attempt tmpl;
	double deadline;
	long page_kb;
	struct json_object *attempts;
	char leak[256];		/* a refused registration left something pinned */
};

static int limit_pred(void *p, long pages)
{
	struct pred_ctx *c = p;
	struct cp_ml_attempt a = c->tmpl;
	double left = c->deadline - cp_now_s();
	int err;

	if (interrupted)
		return -EINTR;
	if (left <= 0)
		return -ETIME;
	a.limit_kb = pages * c->page_kb;
	if (a.timeout_s > left)
		a.timeout_s = left;
	err = cp_ml_attempt_run(&a);
	if (err)
		return err;
	json_object_array_add(c->attempts, cp_ml_attempt_json(&a));
	if ((a.left_lck_kb || a.left_pin_kb) && !c->leak[0])
		snprintf(c->leak, sizeof(c->leak),
			 "the attempt at %ld KiB (%s) left VmLck +%ld KiB, VmPin +%ld KiB pinned",
			 a.limit_kb, a.stage == CP_ML_DONE ? "admitted, then unregistered" : "refused",
			 a.left_lck_kb, a.left_pin_kb);
	if (a.stage == CP_ML_DONE)
		return CP_LIMIT_ADMITTED;
	if (a.stage == CP_ML_PIN && a.err && !a.timed_out && !a.signal)
		return CP_LIMIT_REFUSED;
	/* Cut short by the entry's own time bound rather than its per-attempt one: out of time. */
	if (a.timed_out && a.timeout_s < c->tmpl.timeout_s)
		return -ETIME;
	return a.err ? a.err : -EIO;
}

static long hint_kb(const struct consumer_ops *ops, const struct cp_ml_attempt *meas)
{
	switch (ops->counter) {
	case CP_COUNTER_LOCKED_VM:
		return meas->pinned.st.vm_lck_kb;
	case CP_COUNTER_PINNED_VM:
		return meas->pinned.st.vm_pin_kb;
	default:
		/* Charged nowhere we know: whatever shows (often nothing, so 0 is tried first). */
		return meas->pinned.st.vm_lck_kb > meas->pinned.st.vm_pin_kb ?
		       meas->pinned.st.vm_lck_kb : meas->pinned.st.vm_pin_kb;
	}
}

static void find_limit(struct ml *m, struct json_object *e, const struct consumer_ops *ops,
		       const struct cp_ml_attempt *meas)
{
	struct pred_ctx c = { .tmpl = *meas, .page_kb = m->page_kb, .attempts = json_object_new_array() };
	struct cp_bisect b = { .lo = 0, .max_steps = MAX_STEPS };
	char hi_why[160], note[512] = "";
	long hk = hint_kb(ops, meas);

	c.tmpl.drop_cap = true;
	c.tmpl.repeat = 1;
	c.deadline = cp_now_s() + m->cli->run.settings.timeout_s;
	b.hi = max_limit_kb(m, meas->size, hi_why, sizeof(hi_why)) / m->page_kb;
	b.hint = hk >= 0 ? (hk + m->page_kb - 1) / m->page_kb : -1;
	cp_bisect_limit(&b, limit_pred, &c);
	switch (b.status) {
	case CP_BISECT_NONE:
		snprintf(note, sizeof(note), "refused even at %ld KiB, the highest limit tried (%s)",
			 b.hi * m->page_kb, hi_why);
		break;
	case CP_BISECT_STEPS:
	case CP_BISECT_ABORTED:
		snprintf(note, sizeof(note), "%s: the limit is above %ld KiB and %s%ld KiB",
			 b.status == CP_BISECT_STEPS ? "step bound reached" :
			 b.err == -ETIME ? "time bound (--timeout) reached" :
			 b.err == -EINTR ? "interrupted" : "an attempt failed",
			 b.refused_below >= 0 ? b.refused_below * m->page_kb : 0,
			 b.found >= 0 ? "at most " : "unknown: tried up to ",
			 b.found >= 0 ? b.found * m->page_kb : b.hi * m->page_kb);
		break;
	default:
		break;
	}
	cp_ml_entry_limit(e, &b, m->page_kb, c.attempts, note);
	if (c.leak[0]) {
		cp_ml_entry_status(e, CP_ML_ERROR, 0, "leak: %s", c.leak);
	} else if (b.status == CP_BISECT_ABORTED && b.err != -ETIME && b.err != -EINTR) {
		struct json_object *arr = json_object_object_get(json_object_object_get(e, "limit"), "attempts");
		struct json_object *last = json_object_array_length(arr) ?
			json_object_array_get_idx(arr, json_object_array_length(arr) - 1) : NULL;

		cp_ml_entry_status(e, CP_ML_ERROR, b.err, "limit search failed: %s",
				   last && cp_ml_entry_str(last, "why") ? cp_ml_entry_str(last, "why") :
				   strerror(-b.err));
	}
}

/* The measurement, then the limit: fills e's status. */
static void measure(struct ml *m, struct json_object *e, const struct consumer_ops *ops,
		    enum cp_backing_id bk, size_t size)
{
	struct cp_ml_attempt a = {
		.ops = ops, .settings = &m->cli->run.settings, .backing = bk, .size = size,
		.drop_cap = false, .limit_kb = -1, .repeat = m->cli->repeat,
		.timeout_s = m->cli->run.settings.timeout_s,
	};
	long avail = cp_meminfo_kb("MemAvailable");
	long need_kb = (long)(size / 1024) * mem_factor(bk);
	int err;

	if (size % backing_align(bk)) {
		cp_ml_entry_status(e, CP_ML_SKIP, EINVAL, "%s needs a size that is a multiple of %zu KiB",
				   cp_backing_name(bk), backing_align(bk) / 1024);
		return;
	}
	if (avail >= 0 && need_kb > avail) {
		cp_ml_entry_status(e, CP_ML_TOO_LARGE, ENOMEM,
				   "refused before mapping: %s of %zu MiB may take %ld MiB, MemAvailable is %ld MiB",
				   cp_backing_name(bk), size / MIB, need_kb / 1024, avail / 1024);
		return;
	}
	snprintf(a.memcg, sizeof(a.memcg), "%s", m->memcg);
	err = cp_ml_attempt_run(&a);
	if (err) {
		cp_ml_entry_status(e, CP_ML_ERROR, err, "cannot run the attempt: %s", strerror(-err));
		return;
	}
	if (a.stage != CP_ML_DONE) {
		if (interrupted)
			cp_ml_entry_status(e, CP_ML_ERROR, EINTR, "interrupted by signal %d", (int)interrupted);
		else if (a.timed_out || a.signal)
			cp_ml_entry_status(e, CP_ML_ERROR, a.err, "%s", a.why);
		else if (a.stage == CP_ML_PIN && a.nsamples == 0 && !a.harness_failed)
			cp_ml_entry_status(e, CP_ML_REFUSED, a.err, "the R/O registration failed without a limit: %s",
					   a.why);
		else if (a.stage == CP_ML_BACKING)
			/* The probe found the consumer present: only the backing can be absent now. */
			cp_ml_entry_status(e, CP_ML_SKIP, a.err, "%s", a.why);
		else
			cp_ml_entry_status(e, CP_ML_ERROR, a.err, "%s failed: %s", cp_ml_stage_name(a.stage), a.why);
		if (a.left_lck_kb || a.left_pin_kb) {
			cp_ml_entry_measured(e, &a);
			cp_ml_entry_status(e, CP_ML_ERROR, a.err, "leak: the refused registration left VmLck +%ld KiB, VmPin +%ld KiB (%s)",
					   a.left_lck_kb, a.left_pin_kb, a.why);
		}
		return;
	}
	cp_ml_entry_measured(e, &a);
	cp_ml_entry_status(e, CP_ML_OK, 0, "measured");
	if (a.left_lck_kb || a.left_pin_kb) {
		cp_ml_entry_status(e, CP_ML_ERROR, 0, "leak: unregistration left VmLck +%ld KiB, VmPin +%ld KiB",
				   a.left_lck_kb, a.left_pin_kb);
		return;
	}
	find_limit(m, e, ops, &a);
}

static void run_entry(struct ml *m, const struct consumer_ops *ops, enum cp_backing_id bk, size_t size,
		      const char *skip)
{
	struct json_object *e = cp_ml_entry_new(ops->name, cp_backing_name(bk), size);
	struct json_object *hits = json_object_new_array();
	struct cp_kmsg kmsg;
	double t0 = cp_now_s();
	const char *st;

	json_object_object_add(e, "counter", json_object_new_string(counter_name(ops->counter)));
	json_object_object_add(e, "writable_pin", json_object_new_boolean(ops->writable_pin));
	if (ops->no_kernel_pin)
		json_object_object_add(e, "no_kernel_pin", json_object_new_boolean(true));
	if (skip) {
		cp_ml_entry_status(e, CP_ML_SKIP, 0, "%s", skip);
	} else {
		cp_kmsg_open(&kmsg);
		measure(m, e, ops, bk, size);
		if (cp_kmsg_scan(&kmsg, hits)) {
			cp_ml_entry_status(e, CP_ML_ERROR, 0, "kernel log during the measurement: %s (was: %s)",
					   json_object_get_string(json_object_array_get_idx(hits, 0)),
					   cp_ml_entry_str(e, "reason"));
			json_object_object_add(e, "dmesg", json_object_get(hits));
		}
		if (kmsg.fd < 0)
			json_object_object_add(e, "dmesg_gate", json_object_new_string(kmsg.why));
		cp_kmsg_close(&kmsg);
	}
	json_object_put(hits);
	json_object_object_add(e, "duration_ms", json_object_new_int64((cp_now_s() - t0) * 1000));
	st = cp_ml_entry_str(e, "status");
	if (!strcmp(st, CP_ML_ERROR))
		m->bad++;
	fprintf(stderr, "# memlock %s.%s %zu KiB: %s%s%s (%.1f s)\n", ops->name, cp_backing_name(bk),
		size / 1024, st, strcmp(st, CP_ML_OK) ? ": " : "",
		strcmp(st, CP_ML_OK) ? cp_ml_entry_str(e, "reason") : "", cp_now_s() - t0);
	cp_ml_entry_add(m->doc, e);
}

static void describe(struct ml *m)
{
	struct json_object *doc = m->doc, *sz = json_object_new_array();
	char why[256] = "", method[512];
	struct rlimit rl;

	getrlimit(RLIMIT_MEMLOCK, &rl);
	m->hard_kb = rl.rlim_max == RLIM_INFINITY ? -1 : (long)(rl.rlim_max / 1024);
	m->raise_hard = cp_cap_effective(CP_CAP_SYS_RESOURCE);
	snprintf(method, sizeof(method),
		 "%s; RLIMIT_MEMLOCK set in the child after opening the consumer, before mapping the buffer; "
		 "measurement with the caller's capabilities%s",
		 CP_CAPS_METHOD, cp_cap_effective(CP_CAP_IPC_LOCK) ? " (CAP_IPC_LOCK held: no limit)" :
		 " (no CAP_IPC_LOCK: the current limit applies)");
	json_object_object_add(doc, "method", json_object_new_string(method));
	json_object_object_add(doc, "rlimit_memlock_hard_kb", m->hard_kb < 0 ? NULL : json_object_new_int64(m->hard_kb));
	json_object_object_add(doc, "cap_sys_resource", json_object_new_boolean(m->raise_hard));
	if (cp_memcg_file(m->memcg, sizeof(m->memcg), why, sizeof(why))) {
		m->memcg[0] = '\0';
		json_object_object_add(doc, "memcg", NULL);
		json_object_object_add(doc, "memcg_why", json_object_new_string(why));
	} else {
		json_object_object_add(doc, "memcg", json_object_new_string(m->memcg));
	}
	for (int i = 0; i < m->nsizes; i++)
		json_object_array_add(sz, json_object_new_int64(m->sizes[i]));
	json_object_object_add(doc, "sizes", sz);
	json_object_object_add(doc, "repeat", json_object_new_int(m->cli->repeat));
	json_object_object_add(doc, "timeout_s", json_object_new_double(m->cli->run.settings.timeout_s));
	json_object_object_add(doc, "skipped_consumers", json_object_new_array());
}

/* Sizes that cannot be right are refused before anything is mapped: exit status 2. */
static int check_sizes(const struct ml *m)
{
	long avail = cp_meminfo_kb("MemAvailable");

	for (int i = 0; i < m->nsizes; i++) {
		if (m->sizes[i] % 4096) {
			fprintf(stderr, "cowpin memlock: --size %zu is not a multiple of 4 KiB\n", m->sizes[i]);
			return 2;
		}
		if (avail >= 0 && m->sizes[i] / 1024 > (size_t)avail) {
			fprintf(stderr, "cowpin memlock: --size %zu MiB is larger than the free memory "
				"(MemAvailable %ld MiB): refused before mapping anything\n",
				m->sizes[i] / MIB, avail / 1024);
			return 2;
		}
	}
	return 0;
}

static int write_outputs(struct ml *m)
{
	const struct cp_run_opts *o = &m->cli->run;
	int bad = 0;

	if (o->json)
		cp_ml_doc_write(m->doc, stdout);
	if (o->json_file) {
		FILE *f = fopen(o->json_file, "w");

		if (!f || cp_ml_doc_write(m->doc, f)) {
			fprintf(stderr, "cowpin: cannot write %s: %s\n", o->json_file, strerror(errno));
			bad++;
		}
		if (f)
			fclose(f);
	}
	if (!o->json)
		cp_ml_table(stdout, m->doc);
	return bad;
}

int cp_memlock(const struct cp_cli *cli)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	unsigned int backings = cli->run.backings ? cli->run.backings : DEFAULT_BACKINGS;
	struct ml m = { .cli = cli, .sizes = cli->sizes, .nsizes = cli->nsizes };
	int rc;

	if (!m.nsizes) {
		m.sizes = default_sizes;
		m.nsizes = sizeof(default_sizes) / sizeof(default_sizes[0]);
	}
	rc = check_sizes(&m);
	if (rc)
		return rc;
	m.page_kb = sysconf(_SC_PAGESIZE) / 1024;
	m.doc = cp_ml_doc_new(cli->run.run_id);
	describe(&m);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	for (int ci = 0; cp_consumers[ci] && !interrupted; ci++) {
		const struct consumer_ops *ops = cp_consumers[ci];
		char why[512] = "";

		if (cli->run.consumers && !(cli->run.consumers & (1u << ci)))
			continue;
		if (cp_probe_consumer(ops, &cli->run.settings, why, sizeof(why))) {
			struct json_object *s = json_object_new_object();

			json_object_object_add(s, "consumer", json_object_new_string(ops->name));
			json_object_object_add(s, "reason", json_object_new_string(why[0] ? why : "unavailable"));
			json_object_array_add(json_object_object_get(m.doc, "skipped_consumers"), s);
			fprintf(stderr, "# memlock %s: skip: %s\n", ops->name, why);
			continue;
		}
		for (int bk = 0; bk < CP_B_COUNT && !interrupted; bk++) {
			char bwhy[512] = "", skip[600] = "";

			if (!(backings & CP_BACKING_BIT(bk)))
				continue;
			if (ops->backings && !(ops->backings & CP_BACKING_BIT(bk)))
				snprintf(skip, sizeof(skip), "%s does not support the %s backing", ops->name,
					 cp_backing_name(bk));
			else if (cp_backing_probe(bk, &cli->run.settings.backing, bwhy, sizeof(bwhy)))
				snprintf(skip, sizeof(skip), "backing: %s", bwhy);
			for (int si = 0; si < m.nsizes && !interrupted; si++)
				run_entry(&m, ops, bk, m.sizes[si], skip[0] ? skip : NULL);
		}
	}
	if (interrupted) {
		json_object_object_add(m.doc, "interrupted", json_object_new_int(interrupted));
		fprintf(stderr, "cowpin memlock: interrupted by signal %d\n", (int)interrupted);
		m.bad++;
	}
	m.bad += write_outputs(&m);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	json_object_put(m.doc);
	return m.bad ? 1 : 0;
}
