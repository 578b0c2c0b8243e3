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

#include "check.h"
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

		mid += (readable - mid >= 4096 ? 2048 : 0) - span_len / 2;
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

/*
 * Compare what the device saw with pattern want.  Returns true if all
 * spans match; records per span what was seen and, on mismatch, the first
 * differing offset, the bytes expected and seen, and whether they are the
 * old content (stale).
 */
static bool judge(struct check *c, struct cp_span *spans, enum cp_pattern want, char *why, size_t whylen)
{
	struct json_object *arr = json_object_new_array();
	bool all = true;

	why[0] = '\0';
	for (int i = 0; i < c->nspans; i++) {
		struct json_object *o = json_object_new_object();
		size_t bad = cp_pattern_mismatch(want, spans[i].out, spans[i].off, spans[i].len);
		const char *seen = "other";

		json_object_object_add(o, "off", json_object_new_int64(spans[i].off));
		json_object_object_add(o, "len", json_object_new_int64(spans[i].len));
		if (bad == spans[i].len) {
			seen = cp_pattern_name(want);
		} else if (cp_pattern_mismatch(c->buf.before, spans[i].out, spans[i].off, spans[i].len) ==
			   spans[i].len) {
			seen = cp_pattern_name(c->buf.before);
		}
		json_object_object_add(o, "expected", json_object_new_string(cp_pattern_name(want)));
		json_object_object_add(o, "seen", json_object_new_string(seen));
		if (bad < spans[i].len) {
			unsigned char exp[16];
			size_t n = spans[i].len - bad < 16 ? spans[i].len - bad : 16;
			char e[64], s[64];

			cp_pattern_fill(want, exp, spans[i].off + bad, n);
			hex(e, sizeof(e), exp, n);
			hex(s, sizeof(s), spans[i].out + bad, n);
			json_object_object_add(o, "first_diff", json_object_new_int64(spans[i].off + bad));
			json_object_object_add(o, "expected_bytes", json_object_new_string(e));
			json_object_object_add(o, "seen_bytes", json_object_new_string(s));
			if (all)
				snprintf(why, whylen, "device read %s at +0x%zx: expected %s [%s], saw [%s]",
					 strcmp(seen, "other") ? (strcmp(seen, "zeros") ? "stale data (pattern A, the content before the write)"
								       : "stale data (zeros: the shared zeropage)")
							       : "wrong data",
					 spans[i].off + bad, cp_pattern_name(want), e, s);
			all = false;
		}
		json_object_array_add(arr, o);
	}
	json_object_object_add(c->ev, "spans", arr);
	return all;
}

static int observe(struct check *c, struct cp_span *spans, unsigned char *bufs)
{
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

/* Runs the case body once pinned; returns with the verdict set. */
static void run_case(struct check *c)
{
	struct cp_span spans[CP_MAX_SPANS];
	unsigned char *bufs = calloc(CP_MAX_SPANS, SPAN_LEN);
	enum cp_case k = c->t->kase;
	char why[1024];
	int err;

	if (!bufs) {
		cp_result_verdict(c->res, CP_V_ERROR, ENOMEM, "out of memory");
		return;
	}
	if (k == CP_CASE_SNAPSHOT || k == CP_CASE_REGISTER) {
		err = observe(c, spans, bufs);
		if (err) {
			cp_result_verdict(c->res, CP_V_ERROR, -err, "device read failed: %s", c->env.why);
		} else if (judge(c, spans, c->buf.before, why, sizeof(why))) {
			cp_result_verdict(c->res, CP_V_PASS, 0, "device read %s right after the R/O pin",
					  cp_pattern_name(c->buf.before));
		} else {
			cp_result_verdict(c->res, CP_V_FAIL, 0, "%s", why);
		}
		if (k == CP_CASE_SNAPSHOT && !c->buf.read_only) {
			/* A probe write after the read, only to learn how the pin left the entries. */
			process_write(c);
			set_mechanism(c);
		}
		free(bufs);
		return;
	}
	/* ro-pin-reliable and file-intact: the process writes B after the pin. */
	process_write(c);
	err = observe(c, spans, bufs);
	if (err) {
		cp_result_verdict(c->res, CP_V_ERROR, -err, "device read failed: %s", c->env.why);
		set_mechanism(c);
	} else {
		bool saw_new = judge(c, spans, CP_PAT_B, why, sizeof(why));
		const char *contra;

		set_mechanism(c);
		contra = cp_mechanism_contradiction(cp_result_mechanism(c->res), saw_new);
		if (k == CP_CASE_FILE_INTACT)
			/* The file decides this case; the device's view only goes into the reason. */
			cp_result_verdict(c->res, CP_V_PASS, 0, "%s", saw_new ? "device saw B" : why);
		else if (saw_new)
			cp_result_verdict(c->res, CP_V_PASS, 0,
					  "device read the data the process wrote after the R/O pin");
		else if (c->t->ops->no_kernel_pin)
			cp_result_verdict(c->res, CP_V_HAZARD, 0,
					  "%s: no kernel pin exists here (physical addresses handed to the device), so "
					  "nothing breaks COW before the write: every kernel shows this", why);
		else
			cp_result_verdict(c->res, CP_V_FAIL, 0,
					  "%s: the R/O long-term pin is not reliable (the kernel kept the page it pinned "
					  "while the write moved the process to a new one; fixed in Linux 6.2 by "
					  "\"mm/gup: reliable R/O long-term pinning in COW mappings\")", why);
		if (contra && cp_result_mechanism(c->res) != CP_MECH_UNKNOWN)
			cp_result_verdict(c->res, CP_V_ERROR, 0, "the suite contradicts itself: %s (%s)",
					  contra, json_object_get_string(json_object_object_get(c->res, "reason")));
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
		cp_result_verdict(c->res, CP_V_FAIL, 0,
				  "the file changed at +0x%lx (saw [%s]): a private write reached the file", bad, s);
	} else {
		cp_result_verdict(c->res, CP_V_PASS, 0,
				  "file still holds A (read back with pread) after the pin, the private write and the unpin "
				  "(%s)", cp_result_str(c->res, "reason"));
	}
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
			cp_result_verdict(c->res, CP_V_FAIL, 0,
					  "pin leak: VmPin %ld -> %ld kB, VmLck %ld -> %ld kB after unpin (was: %s)",
					  c->base.vm_pin_kb, after.vm_pin_kb, c->base.vm_lck_kb, after.vm_lck_kb,
					  json_object_get_string(json_object_object_get(c->res, "reason")));
	}
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

	err = cp_backing_setup(t->backing, len, ro, &s->backing, &c.buf, why, sizeof(why));
	if (err) {
		cp_result_verdict(c.res, CP_V_SKIP, -err, "backing %s unavailable: %s",
				  cp_backing_name(t->backing), why);
		goto out;
	}
	json_object_object_add(c.ev, "backing", json_object_new_string(c.buf.verified));
	err = t->ops->open(&c.env, &c.ctx);
	if (err) {
		cp_result_verdict(c.res, err == -ENODEV ? CP_V_SKIP : CP_V_ERROR, -err,
				  "%s: %s", t->ops->name, c.env.why);
		goto out;
	}
	c.opened = true;

	c.trace.cow = cp_backing_is_cow(t->backing) && !(ro && t->backing == CP_B_RO_SHARED_FILE);
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
	cp_clear_soft_dirty();
	err = t->ops->pin_ro(&c.env, c.ctx, &c.pin);
	if (err) {
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
