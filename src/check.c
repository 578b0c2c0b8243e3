// SPDX-License-Identifier: GPL-2.0-only
/*
 * The check procedure, as in the kernel's mm/cow.c R/O long-term pin tests,
 * but with a real consumer: set the backing up, pin it read-only, let the
 * process write, and have the device read.  The device's bytes decide.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "fork_child.h"
#include "procfs.h"
#include "result.h"
#include "trace.h"

#define SPAN_LEN 256

struct check {
	const struct cp_test *t;
	struct cp_env env;
	struct cp_buffer buf;
	struct cp_pin pin;
	void *ctx;
	bool opened, pinned;
	struct cp_status base, prepin, pinned_st;
	struct cp_foll_pins foll;	/* FOLL_PIN counters when the test began */
	int foll_err;
	struct cp_trace trace;
	size_t offs[CP_MAX_SPANS];
	int nspans;
	struct json_object *res, *ev;
};

int cp_check_spans(size_t readable, size_t span_len, size_t *offs, int max)
{
	int n = 0;

	if (readable < span_len || max < 1)
		return 0;
	offs[n++] = 0;
	if (readable >= 3 * span_len && max >= 3) {
		/* The middle of a page in the middle, then the very end. */
		size_t mid = (readable / 2) & ~4095ul;

		/*
		 * Below 4 KiB the middle page is page 0 and there is no 2048 to add:
		 * the middle of what is readable, which 3 spans leave room for.
		 * (Subtracting span_len / 2 from a zero mid wrapped around.)
		 */
		if (readable - mid >= 4096)
			mid += 2048 - span_len / 2;
		else
			mid = readable / 2 - span_len / 2;
		if (mid < span_len)
			mid = span_len;
		offs[n++] = mid & ~7ul;
		offs[n++] = readable - span_len;
	}
	return n;
}

static void hex(char *out, size_t outlen, const unsigned char *p, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && used + 4 < outlen; i++)
		used += snprintf(out + used, outlen - used, "%s%02x", i ? " " : "", p[i]);
}

/* What a device read, span by span and in all: what was wanted, the other known pattern, or neither. */
enum seen { SEEN_WANT, SEEN_ALT, SEEN_OTHER };

static const char *alt_words(enum cp_pattern alt)
{
	switch (alt) {
	case CP_PAT_B:
		return "the process's new data (pattern B), not the pinned pages' content";
	case CP_PAT_ZERO:
		return "stale data (zeros: the shared zeropage, the content before the write)";
	default:
		return "stale data (pattern A, the content before the write)";
	}
}

/*
 * When the device read the whole buffer (c->pin.seen): every byte outside
 * the spans must hold the content from before (the process writes only the
 * spans).  A difference there makes a read whose spans were right corrupt,
 * and the reason names the first differing offset; spans that were already
 * wrong keep their verdict (stale, reads-mapping) and the reason adds it.
 * Records compared_bytes (top level: it outlives stripped evidence) either way.
 */
/* How many bytes of the buffer the device's read was judged on, beside the buffer's length. */
static void compared_bytes(struct check *c, size_t n)
{
	json_object_object_add(c->res, "compared_bytes", json_object_new_int64(n));
	json_object_object_add(c->res, "buffer_bytes", json_object_new_int64(c->buf.len));
}

static enum seen whole(struct check *c, enum seen all, size_t why_at, char *why, size_t whylen)
{
	size_t from = 0, to, bad = 0, n, compared = 0;
	bool found = false;

	if (!c->pin.seen) {
		for (int i = 0; i < c->nspans; i++)
			compared += SPAN_LEN;
		compared_bytes(c, compared);
		return all;
	}
	compared_bytes(c, c->pin.readable);
	for (int i = 0; i <= c->nspans && !found; i++) {
		to = i < c->nspans ? c->offs[i] : c->pin.readable;
		if (to > from) {
			n = cp_pattern_mismatch(c->buf.before, c->pin.seen + from, from, to - from);
			found = n < to - from;
			bad = from + n;
		}
		if (i < c->nspans && c->offs[i] + SPAN_LEN > from)
			from = c->offs[i] + SPAN_LEN;
	}
	if (!found)
		return all;
	{
		unsigned char exp[16];
		char e[64], s[64];

		n = c->pin.readable - bad < 16 ? c->pin.readable - bad : 16;
		cp_pattern_fill(c->buf.before, exp, bad, n);
		hex(e, sizeof(e), exp, n);
		hex(s, sizeof(s), c->pin.seen + bad, n);
		json_object_object_add(c->ev, "first_diff", json_object_new_int64(bad));
		if (all == SEEN_ALT) {
			/* The spans already tell what the device read (stale, or the mapping): keep it, add this. */
			size_t used = strlen(why);

			snprintf(why + used, whylen - used, "; it also differs outside the written spans from +0x%zx: [%s]",
				 bad, s);
			return all;
		}
		if (all == SEEN_WANT || bad < why_at)
			snprintf(why, whylen, "device read corrupt data (neither the old nor the new content) at +0x%zx, outside the written spans: expected %s [%s], saw [%s] (all %zu bytes compared)",
				 bad, cp_pattern_name(c->buf.before), e, s, c->pin.readable);
	}
	return SEEN_OTHER;
}

/*
 * Compare what the device saw with pattern want; alt is the other pattern the
 * buffer held (the old content when want is B, B when want is the old one).
 * Returns SEEN_WANT if every span matches, SEEN_ALT if every mismatching span
 * is exactly alt, else SEEN_OTHER (corrupt).  Records per span what was seen
 * and, on mismatch, the first differing offset and the bytes expected and seen.
 */
static enum seen judge(struct check *c, struct cp_span *spans, enum cp_pattern want, enum cp_pattern alt,
		       char *why, size_t whylen)
{
	struct json_object *arr = json_object_new_array();
	enum seen all = SEEN_WANT;
	size_t why_at = (size_t)-1;	/* the offset the reason names */

	why[0] = '\0';
	for (int i = 0; i < c->nspans; i++) {
		struct json_object *o = json_object_new_object();
		size_t bad = cp_pattern_mismatch(want, spans[i].out, spans[i].off, spans[i].len);
		enum seen one = bad == spans[i].len ? SEEN_WANT :
				cp_pattern_mismatch(alt, spans[i].out, spans[i].off, spans[i].len) == spans[i].len ?
				SEEN_ALT : SEEN_OTHER;

		json_object_object_add(o, "off", json_object_new_int64(spans[i].off));
		json_object_object_add(o, "len", json_object_new_int64(spans[i].len));
		json_object_object_add(o, "expected", json_object_new_string(cp_pattern_name(want)));
		json_object_object_add(o, "seen", json_object_new_string(
			one == SEEN_WANT ? cp_pattern_name(want) : one == SEEN_ALT ? cp_pattern_name(alt) : "other"));
		if (one != SEEN_WANT) {
			unsigned char exp[16];
			size_t n = spans[i].len - bad < 16 ? spans[i].len - bad : 16;
			char e[64], s[64];

			cp_pattern_fill(want, exp, spans[i].off + bad, n);
			hex(e, sizeof(e), exp, n);
			hex(s, sizeof(s), spans[i].out + bad, n);
			json_object_object_add(o, "first_diff", json_object_new_int64(spans[i].off + bad));
			json_object_object_add(o, "expected_bytes", json_object_new_string(e));
			json_object_object_add(o, "seen_bytes", json_object_new_string(s));
			/* The reason names the first span that differs, and the worst kind wins. */
			if (all == SEEN_WANT || (one == SEEN_OTHER && all == SEEN_ALT)) {
				why_at = spans[i].off + bad;
				snprintf(why, whylen, "device read %s at +0x%zx: expected %s [%s], saw [%s]",
					 one == SEEN_ALT ? alt_words(alt) : "corrupt data (neither the old nor the new content)",
					 spans[i].off + bad, cp_pattern_name(want), e, s);
			}
			if (one > all)
				all = one;
		}
		json_object_array_add(arr, o);
	}
	json_object_object_add(c->ev, "spans", arr);
	return whole(c, all, why_at, why, whylen);
}

static int observe(struct check *c, struct cp_span *spans, unsigned char *bufs)
{
	c->pin.seen = NULL;
	for (int i = 0; i < c->nspans; i++) {
		spans[i].off = c->offs[i];
		spans[i].len = SPAN_LEN;
		spans[i].out = bufs + i * SPAN_LEN;
		/* Poison: a consumer that copies nothing must not pass by accident. */
		memset(spans[i].out, 0xa5, SPAN_LEN);
	}
	return c->t->ops->observe(&c->env, c->ctx, &c->pin, spans, c->nspans);
}

/* The process writes B over the spans; counts the faults that takes. */
static void process_write(struct check *c)
{
	struct rusage r0, r1;
	size_t last_page = (size_t)-1;

	c->trace.written_pages = 0;
	/* Build the pattern's template now: its first use faults in memory of its own. */
	cp_pattern_fill(CP_PAT_B, (unsigned char[1]){ 0 }, 0, 1);
	getrusage(RUSAGE_SELF, &r0);
	for (int i = 0; i < c->nspans; i++) {
		size_t page = c->offs[i] / c->buf.page_size;

		cp_pattern_fill(CP_PAT_B, c->buf.addr + c->offs[i], c->offs[i], SPAN_LEN);
		if (page != last_page)
			c->trace.written_pages++;
		last_page = page;
	}
	getrusage(RUSAGE_SELF, &r1);
	c->trace.write_faults = r1.ru_minflt - r0.ru_minflt;
	cp_trace_take(&c->trace, CP_STAGE_WRITTEN, c->buf.addr);
}

static void set_mechanism(struct check *c)
{
	char why[1024];
	enum cp_mechanism m = cp_classify(&c->trace, why, sizeof(why));

	cp_result_set_mechanism(c->res, cp_mechanism_name(m), why);
	json_object_object_add(c->ev, "trace", cp_trace_json(&c->trace));
}

static void delta(struct check *c, const char *key, long now, long base)
{
	if (now >= 0 && base >= 0)
		json_object_object_add(c->res, key, json_object_new_int64(now - base));
}

/* A device read of every span into bufs; false (and verdict error) if the device failed. */
static bool device_read(struct check *c, struct cp_span *spans, unsigned char *bufs)
{
	int err = observe(c, spans, bufs);

	if (err)
		cp_result_verdict(c->res, CP_V_ERROR, -err, "device read failed: %s", c->env.why);
	return !err;
}

/* ro-pin-snapshot and ro-register: right after the pin the device reads the old content. */
static void case_snapshot(struct check *c, struct cp_span *spans, unsigned char *bufs)
{
	char why[1024];

	if (!device_read(c, spans, bufs))
		return;
	/* Nothing was written yet: anything but the old content is corrupt. */
	if (judge(c, spans, c->buf.before, CP_PAT_B, why, sizeof(why)) == SEEN_WANT)
		cp_result_verdict(c->res, CP_V_PASS, 0, "device read %s right after the R/O pin",
				  cp_pattern_name(c->buf.before));
	else
		cp_result_fail(c->res, "corrupt", 0, "%s", why);
	if (c->t->kase == CP_CASE_SNAPSHOT && !c->buf.read_only) {
		/* A probe write after the read, only to learn how the pin left the entries. */
		process_write(c);
		set_mechanism(c);
	}
}

/*
 * The verdict on a device read after the process wrote B: pass, stale (or
 * hazard without a kernel pin), or corrupt; a page trace that disagrees is
 * attached as evidence against the trace.
 */
static void reliable_verdict(struct check *c, enum seen seen, const char *why)
{
	const char *contra;

	if (seen == SEEN_WANT)
		cp_result_verdict(c->res, CP_V_PASS, 0, "device read the data the process wrote after the R/O pin");
	else if (seen == SEEN_OTHER)
		cp_result_fail(c->res, "corrupt", 0, "%s", why);
	else if (c->t->ops->no_kernel_pin && !c->trace.cow)
		/*
		 * No COW here (anon, shared-memfd without fork): the process's write
		 * stays in the page the device was given, so stale data is an
		 * address or data-path bug, not the hazard.
		 */
		cp_result_fail(c->res, "stale", 0,
			       "%s: %s takes no pin, but nothing here moves the process to a new page (a "
			       "mapping without COW): the device read the wrong page", why, c->t->ops->name);
	else if (c->t->ops->no_kernel_pin)
		cp_result_verdict(c->res, CP_V_HAZARD, 0,
				  "%s: no kernel pin exists here (physical addresses handed to the device), so "
				  "nothing breaks COW before the write: every kernel shows this", why);
	else
		cp_result_fail(c->res, "stale", 0,
			       "%s: the R/O long-term pin is not reliable (the kernel kept the page it pinned "
			       "while the write moved the process to a new one; fixed in Linux 6.2 by "
			       "\"mm/gup: reliable R/O long-term pinning in COW mappings\")", why);
	contra = seen == SEEN_OTHER ? NULL :
		 cp_mechanism_contradiction(cp_result_mechanism(c->res), seen == SEEN_WANT);
	if (contra && cp_result_mechanism(c->res) != CP_MECH_UNKNOWN) {
		char r[2048];

		json_object_object_add(c->ev, "contradiction", json_object_new_string(contra));
		snprintf(r, sizeof(r), "%s [the page trace disagrees: %s]", cp_result_str(c->res, "reason"), contra);
		json_object_object_add(c->res, "reason", json_object_new_string(r));
	}
}

/*
 * After the process wrote B: the device reads, the page trace classifies the
 * mechanism (also when the read failed).  False when the device failed (the
 * verdict is then error); else seen and why say what it read.
 */
static bool read_after_write(struct check *c, struct cp_span *spans, unsigned char *bufs, enum seen *seen,
			     char *why, size_t whylen)
{
	bool ok = device_read(c, spans, bufs);

	if (ok)
		*seen = judge(c, spans, CP_PAT_B, c->buf.before, why, whylen);
	set_mechanism(c);
	return ok;
}

/* ro-pin-reliable and file-intact: the process writes B after the pin, the device must read B. */
static void case_reliable(struct check *c, struct cp_span *spans, unsigned char *bufs)
{
	enum seen seen;
	char why[1024];

	process_write(c);
	if (!read_after_write(c, spans, bufs, &seen, why, sizeof(why)))
		return;
	if (c->t->kase == CP_CASE_FILE_INTACT)
		/* The file decides this case; the device's view only goes into the reason. */
		cp_result_verdict(c->res, CP_V_PASS, 0, "%s", seen == SEEN_WANT ? "device saw B" : why);
	else
		reliable_verdict(c, seen, why);
}

/*
 * ro-pin-fork, the case that made RDMA users call ibv_fork_init(): after the
 * R/O pin a child is forked that keeps the mapping, the parent writes B.  The
 * device must read B (fork must not have moved the parent off its pinned
 * page), and the child must still see the old content (COW for the child).
 */
static void case_fork(struct check *c, struct cp_span *spans, unsigned char *bufs)
{
	struct cp_fork_child f;
	char why[1024], cwhy[256];
	enum seen seen;
	int child, err;

	err = cp_fork_child_start(&f, c->buf.addr, c->offs, c->nspans, SPAN_LEN, c->buf.before);
	if (err) {
		cp_result_verdict(c->res, CP_V_ERROR, -err, "fork: %s", strerror(-err));
		return;
	}
	process_write(c);
	child = cp_fork_child_finish(&f, cp_wait_bound(&c->env), cwhy, sizeof(cwhy));
	json_object_object_add(c->ev, "child", json_object_new_string(cwhy));
	if (!read_after_write(c, spans, bufs, &seen, why, sizeof(why)))
		return;
	reliable_verdict(c, seen, why);
	if (child == 0)
		cp_result_fail(c->res, "child-saw-write", 0, "the parent's write reached the forked child: %s (device: %s)",
			       cwhy, cp_result_str(c->res, "reason"));
	else if (child < 0 && cp_result_get_verdict(c->res) != CP_V_FAIL)
		cp_result_verdict(c->res, CP_V_ERROR, -child, "%s (device: %s)", cwhy, cp_result_str(c->res, "reason"));
}

/*
 * detects-stale, the positive control: after the pin the process's mapping is
 * detached from the pinned pages (cp_backing_detach), the process writes B
 * into new pages, and the device must still read the old content the pinned
 * pages hold.  A consumer that reads the process's mapping instead of its
 * pinned pages, or re-pins behind the harness's back, reads B and fails.
 */
static void case_detects_stale(struct check *c, struct cp_span *spans, unsigned char *bufs)
{
	const char *method = NULL;
	char why[1024];
	enum seen seen;
	int err;

	err = cp_backing_detach(&c->buf, &method, why, sizeof(why));
	if (err) {
		cp_result_verdict(c->res, CP_V_ERROR, -err, "detaching the mapping from the pinned pages: %s", why);
		return;
	}
	json_object_object_add(c->ev, "detach", json_object_new_string(method));
	process_write(c);
	/* The pfns before and after show the write landed elsewhere: evidence, not the verdict. */
	json_object_object_add(c->ev, "trace", cp_trace_json(&c->trace));
	if (!device_read(c, spans, bufs))
		return;
	seen = judge(c, spans, c->buf.before, CP_PAT_B, why, sizeof(why));
	if (seen == SEEN_WANT)
		cp_result_verdict(c->res, CP_V_PASS, 0,
				  "device read the pinned pages' old content (%s) after %s and the process's write of B",
				  cp_pattern_name(c->buf.before), method);
	else if (seen == SEEN_ALT)
		cp_result_fail(c->res, "reads-mapping", 0,
			       "%s after %s: the device did not read the pages it pinned (it read the process's "
			       "mapping, or the pages were re-pinned)", why, method);
	else
		cp_result_fail(c->res, "corrupt", 0, "%s after %s", why, method);
}

/* Runs the case body once pinned; returns with the verdict set. */
static void run_case(struct check *c)
{
	struct cp_span spans[CP_MAX_SPANS];
	unsigned char *bufs = calloc(CP_MAX_SPANS, SPAN_LEN);

	if (!bufs) {
		cp_result_verdict(c->res, CP_V_ERROR, ENOMEM, "out of memory");
		return;
	}
	switch (c->t->kase) {
	case CP_CASE_SNAPSHOT:
	case CP_CASE_REGISTER:
		case_snapshot(c, spans, bufs);
		break;
	case CP_CASE_DETECTS_STALE:
		case_detects_stale(c, spans, bufs);
		break;
	case CP_CASE_FORK:
		case_fork(c, spans, bufs);
		break;
	default:
		case_reliable(c, spans, bufs);
	}
	free(bufs);
}

static void file_intact(struct check *c)
{
	unsigned char seen[16];
	long bad;
	char s[64];

	if (cp_result_get_verdict(c->res) != CP_V_PASS)
		return;
	bad = cp_backing_file_mismatch(&c->buf, seen, sizeof(seen));
	if (bad < 0) {
		cp_result_verdict(c->res, CP_V_ERROR, -bad, "reading the file back: %s", strerror(-bad));
	} else if ((size_t)bad < c->buf.len) {
		hex(s, sizeof(s), seen, sizeof(seen));
		cp_result_fail(c->res, "file-changed", 0,
				  "the file changed at +0x%lx (saw [%s]): a private write reached the file", bad, s);
	} else {
		cp_result_verdict(c->res, CP_V_PASS, 0,
				  "file still holds A (read back with pread) after the pin, the private write and the unpin "
				  "(%s)", cp_result_str(c->res, "reason"));
	}
}

/*
 * Gate: as many FOLL_PIN references released as acquired since the test
 * began, so consumers charged to neither VmPin nor VmLck (v4l2, gup_test)
 * are held to it too.  The counters are system-wide: the run's tests are
 * serial, and a release the kernel finishes asynchronously gets a bounded
 * wait before it counts as a leak.  Pins other users take and drop meanwhile
 * (the lab's 9p root) can only hide a leak as small as theirs, never invent one
 * that outlives the wait.
 */
static void foll_pin_gate(struct check *c)
{
	double deadline = cp_now_s() + (cp_wait_bound(&c->env) < 30 ? cp_wait_bound(&c->env) : 30);
	struct cp_foll_pins now;
	long long held;
	long nap_us = 1000;

	if (c->foll_err) {
		json_object_object_add(c->res, "foll_pin_gate", json_object_new_string(
			"absent: /proc/vmstat has no nr_foll_pin_acquired/released (Linux 5.8+)"));
		return;
	}
	if (!c->foll.exact) {
		/* Unfolded per-CPU deltas drift by more than a leak: no verdict from them. */
		json_object_object_add(c->res, "foll_pin_gate", json_object_new_string(
			"off: /proc/sys/vm/stat_refresh not writable (needs root), so the counters are not exact"));
		return;
	}
	do {
		if (cp_foll_pins_read(&now))
			return;
		held = (now.acquired - c->foll.acquired) - (now.released - c->foll.released);
		/*
		 * More released than acquired is someone else's pin ending during
		 * the test (9p's zero-copy I/O pins user pages too): not ours.
		 */
		if (held <= 0)
			break;
		/* Deferred releases (rxe's, io_uring's) mostly land within a few ms. */
		usleep(nap_us);
		if (nap_us < 50000)
			nap_us *= 2;
	} while (cp_now_s() < deadline);
	json_object_object_add(c->res, "foll_pins_acquired", json_object_new_int64(now.acquired - c->foll.acquired));
	json_object_object_add(c->res, "foll_pins_released", json_object_new_int64(now.released - c->foll.released));
	if (held > 0)
		cp_result_fail(c->res, "pin-leak", 0,
			       "pin leak: %lld FOLL_PIN references acquired during the test, %lld released "
			       "(/proc/vmstat nr_foll_pin_*; was: %s)",
			       now.acquired - c->foll.acquired, now.released - c->foll.released,
			       cp_result_str(c->res, "reason"));
}

static void teardown(struct check *c)
{
	struct cp_status after;

	if (c->pinned)
		c->t->ops->unpin(&c->env, c->ctx, &c->pin);
	c->pinned = false;
	if (c->opened)
		c->t->ops->close(&c->env, c->ctx);
	c->opened = false;
	if (c->t->kase == CP_CASE_FILE_INTACT)
		file_intact(c);
	cp_backing_teardown(&c->buf);
	/* Gate: every pin and lock charged by the test is gone again. */
	if (!cp_status_read(&after)) {
		delta(c, "vm_pin_after_kb", after.vm_pin_kb, c->base.vm_pin_kb);
		delta(c, "vm_lck_after_kb", after.vm_lck_kb, c->base.vm_lck_kb);
		if (after.vm_pin_kb != c->base.vm_pin_kb || after.vm_lck_kb != c->base.vm_lck_kb)
			cp_result_fail(c->res, "pin-leak", 0,
				       "pin leak: VmPin %ld -> %ld kB, VmLck %ld -> %ld kB after unpin (was: %s)",
				       c->base.vm_pin_kb, after.vm_pin_kb, c->base.vm_lck_kb, after.vm_lck_kb,
				       json_object_get_string(json_object_object_get(c->res, "reason")));
	}
	foll_pin_gate(c);
}

struct json_object *cp_check_run(const struct cp_test *t, const struct cp_settings *s)
{
	struct check c = { .t = t };
	size_t len = cp_backing_default_len(t->backing);
	bool ro = t->kase == CP_CASE_REGISTER;
	uint64_t *pm_faulted = NULL;
	size_t npm = 0;
	char why[1024];
	int err;

	c.res = cp_result_new(t);
	c.ev = json_object_new_object();
	cp_env_init(&c.env, s, t->ops);
	cp_status_read(&c.base);
	c.foll_err = cp_foll_pins_read(&c.foll);

	/* Absent is what the probe establishes; a set-up that fails after it is the harness's error. */
	err = cp_backing_probe(t->backing, &s->backing, why, sizeof(why));
	if (err) {
		cp_result_verdict(c.res, CP_V_SKIP, -err, "backing %s unavailable: %s",
				  cp_backing_name(t->backing), why);
		goto out;
	}
	err = cp_backing_setup(t->backing, len, ro, &s->backing, &c.buf, why, sizeof(why));
	if (err) {
		cp_result_verdict(c.res, CP_V_ERROR, -err, "backing %s: set-up failed: %s",
				  cp_backing_name(t->backing), why);
		goto out;
	}
	json_object_object_add(c.ev, "backing", json_object_new_string(c.buf.verified));
	if ((t->kase == CP_CASE_DETECTS_STALE || t->kase == CP_CASE_FORK) &&
	    cp_backing_hugetlb_shortfall(&c.buf, 2 * (long)(c.buf.len / c.buf.page_size), why, sizeof(why))) {
		/*
		 * The pin may unshare into one new huge page; the write after the
		 * detach, or the child's copy of a pinned page at fork, takes another.
		 */
		cp_result_verdict(c.res, CP_V_SKIP, ENOMEM, "backing %s: %s", cp_backing_name(t->backing), why);
		goto out;
	}
	err = t->ops->open(&c.env, &c.ctx);
	if (err) {
		/* The probe found the consumer present: a device that fails to open is an error. */
		cp_result_verdict(c.res, CP_V_ERROR, -err, "%s: opening the device failed: %s", t->ops->name,
				  c.env.why);
		goto out;
	}
	c.opened = true;

	/* fork makes even an exclusive anon page COW-shared with the child. */
	c.trace.cow = (cp_backing_is_cow(t->backing) || t->kase == CP_CASE_FORK) &&
		      !(ro && t->backing == CP_B_RO_SHARED_FILE);
	c.trace.hugetlb = c.buf.page_size > 4096;
	c.trace.write_faults = -1;
	c.pin = (struct cp_pin){ .buf = c.buf.addr, .len = c.buf.len, .readable = c.buf.len };

	/*
	 * Save the pagemap of the whole buffer before the pin: which offsets the
	 * device can read (and so which pages to trace) is known only after it.
	 */
	npm = c.buf.len / 4096;
	pm_faulted = malloc(npm * sizeof(*pm_faulted));
	if (pm_faulted && cp_pagemap_range(c.buf.addr, c.buf.len, pm_faulted)) {
		free(pm_faulted);
		pm_faulted = NULL;
	}
	/* Deltas are the pin's own: the consumer's set-up (bounce buffers, rings) is charged before. */
	cp_status_read(&c.prepin);
	c.trace.soft_dirty_err = -cp_clear_soft_dirty();
	err = t->ops->pin_ro(&c.env, c.ctx, &c.pin);
	if (err && c.env.harness_failed) {
		cp_result_verdict(c.res, CP_V_ERROR, -err, "R/O pin not reached: %s", c.env.why);
		goto out;
	} else if (err) {
		cp_result_verdict(c.res, CP_V_REFUSED, -err, "R/O registration refused: %s (%s)",
				  strerror(-err), c.env.why);
		goto out;
	}
	c.pinned = true;
	if (!cp_status_read(&c.pinned_st)) {
		delta(&c, "vm_pin_delta_kb", c.pinned_st.vm_pin_kb, c.prepin.vm_pin_kb);
		delta(&c, "vm_lck_delta_kb", c.pinned_st.vm_lck_kb, c.prepin.vm_lck_kb);
		delta(&c, "rss_delta_kb", c.pinned_st.vm_rss_kb, c.prepin.vm_rss_kb);
	}
	if (c.pin.readable > c.pin.len)
		c.pin.readable = c.pin.len;
	c.trace.n = cp_check_spans(c.pin.readable, SPAN_LEN, c.trace.off, CP_MAX_SPANS);
	memcpy(c.offs, c.trace.off, sizeof(c.offs));
	cp_trace_take_saved(&c.trace, CP_STAGE_FAULTED, pm_faulted, pm_faulted ? npm : 0);
	cp_trace_take(&c.trace, CP_STAGE_PINNED, c.buf.addr);
	c.nspans = c.trace.n;
	if (!c.nspans) {
		cp_result_verdict(c.res, CP_V_ERROR, EINVAL, "device can read only %zu bytes", c.pin.readable);
		goto out;
	}
	run_case(&c);
out:
	free(pm_faulted);
	teardown(&c);
	json_object_object_add(c.ev, "device", json_object_get(c.env.evidence));
	if (json_object_array_length(c.env.diag))
		json_object_object_add(c.res, "diag", json_object_get(c.env.diag));
	json_object_object_add(c.res, "evidence", c.ev);
	cp_env_fini(&c.env);
	return c.res;
}
