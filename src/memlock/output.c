// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "memlock/output.h"
#include "report.h"

#define GIB (1024.0 * 1024 * 1024)

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double cp_ml_median(double *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct json_object *cp_ml_doc_new(const char *run_id)
{
	return cp_report_doc("memlock", run_id);
}

struct json_object *cp_ml_entry_new(const char *consumer, const char *backing, size_t size)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "consumer", json_object_new_string(consumer));
	json_object_object_add(e, "backing", json_object_new_string(backing));
	json_object_object_add(e, "size", json_object_new_int64(size));
	json_object_object_add(e, "size_kb", json_object_new_int64(size / 1024));
	return e;
}

void cp_ml_entry_add(struct json_object *doc, struct json_object *entry)
{
	json_object_array_add(json_object_object_get(doc, "memlock"), entry);
}

static void add_errno(struct json_object *o, int err)
{
	err = err < 0 ? -err : err;
	json_object_object_add(o, "errno", json_object_new_int(err));
	if (err)
		json_object_object_add(o, "errno_name", json_object_new_string(strerrorname_np(err) ?: "?"));
	else
		json_object_object_del(o, "errno_name");
}

void cp_ml_entry_status(struct json_object *e, const char *status, int err, const char *fmt, ...)
{
	char reason[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	json_object_object_add(e, "status", json_object_new_string(status));
	json_object_object_add(e, "reason", json_object_new_string(reason));
	add_errno(e, err);
}

const char *cp_ml_entry_str(struct json_object *e, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(e, key, &v) ? json_object_get_string(v) : NULL;
}

static struct json_object *kb_or_null(long now, long base)
{
	return now < 0 || base < 0 ? NULL : json_object_new_int64(now - base);
}

/* {vm_lck, vm_pin, rss, memcg} of now - base, KiB; null where unknown. */
static struct json_object *deltas(const struct cp_ml_counters *now, const struct cp_ml_counters *base)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "vm_lck", kb_or_null(now->st.vm_lck_kb, base->st.vm_lck_kb));
	json_object_object_add(d, "vm_pin", kb_or_null(now->st.vm_pin_kb, base->st.vm_pin_kb));
	json_object_object_add(d, "rss", kb_or_null(now->st.vm_rss_kb, base->st.vm_rss_kb));
	json_object_object_add(d, "rss_anon", kb_or_null(now->rss_anon_kb, base->rss_anon_kb));
	json_object_object_add(d, "memcg", kb_or_null(now->memcg_kb, base->memcg_kb));
	return d;
}

static struct json_object *counters(const struct cp_ml_counters *c)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "vm_lck", kb_or_null(c->st.vm_lck_kb, 0));
	json_object_object_add(d, "vm_pin", kb_or_null(c->st.vm_pin_kb, 0));
	json_object_object_add(d, "rss", kb_or_null(c->st.vm_rss_kb, 0));
	json_object_object_add(d, "rss_anon", kb_or_null(c->rss_anon_kb, 0));
	json_object_object_add(d, "memcg", kb_or_null(c->memcg_kb, 0));
	return d;
}

void cp_ml_entry_measured(struct json_object *e, const struct cp_ml_attempt *a)
{
	struct json_object *t = json_object_new_object();
	double s[CP_ML_MAX_REPEAT], med;
	int n = a->nsamples;

	json_object_object_add(e, "base_kb", counters(&a->base));
	json_object_object_add(e, "registered_kb", deltas(&a->pinned, &a->base));
	json_object_object_add(e, "unregistered_kb", deltas(&a->unpinned, &a->base));
	json_object_object_add(e, "left_pinned_kb", json_object_new_int64(a->left_lck_kb + a->left_pin_kb));
	json_object_object_add(e, "returned_to_baseline",
			       json_object_new_boolean(!a->left_lck_kb && !a->left_pin_kb));
	memcpy(s, a->pin_s, n * sizeof(*s));
	med = cp_ml_median(s, n);
	json_object_object_add(t, "n", json_object_new_int(n));
	json_object_object_add(t, "median_s", json_object_new_double(med));
	json_object_object_add(t, "min_s", json_object_new_double(n ? s[0] : 0));
	json_object_object_add(t, "max_s", json_object_new_double(n ? s[n - 1] : 0));
	json_object_object_add(t, "median_gibps", med > 0 ? json_object_new_double(a->size / GIB / med) : NULL);
	/* Each registration's seconds, in run order: spreads and ratios between runs need them. */
	json_object_object_add(t, "samples_s", json_object_new_array());
	for (int i = 0; i < n; i++)
		json_object_array_add(json_object_object_get(t, "samples_s"), json_object_new_double(a->pin_s[i]));
	json_object_object_add(e, "throughput", t);
}

struct json_object *cp_ml_attempt_json(const struct cp_ml_attempt *a)
{
	struct json_object *o = json_object_new_object();
	const char *result = a->stage == CP_ML_DONE ? "admitted" :
			     a->stage == CP_ML_PIN && a->err && !a->timed_out && !a->signal ? "refused" : "error";

	json_object_object_add(o, "limit_kb", json_object_new_int64(a->limit_kb));
	json_object_object_add(o, "result", json_object_new_string(result));
	add_errno(o, a->err);
	json_object_object_add(o, "stage", json_object_new_string(cp_ml_stage_name(a->stage)));
	json_object_object_add(o, "base_kb", counters(&a->base));
	json_object_object_add(o, "left_pinned_kb", json_object_new_int64(a->left_lck_kb + a->left_pin_kb));
	if (a->why[0])
		json_object_object_add(o, "why", json_object_new_string(a->why));
	return o;
}

/* The attempt at limit_kb in attempts, or NULL. */
static struct json_object *attempt_at(struct json_object *attempts, long kb)
{
	for (size_t i = 0; i < json_object_array_length(attempts); i++) {
		struct json_object *o = json_object_array_get_idx(attempts, i);

		if (json_object_get_int64(json_object_object_get(o, "limit_kb")) == kb)
			return o;
	}
	return NULL;
}

static long base_charge(struct json_object *attempt, const char *counter)
{
	struct json_object *b = json_object_object_get(attempt, "base_kb");

	return b ? json_object_get_int64(json_object_object_get(b, counter)) : 0;
}

void cp_ml_entry_limit(struct json_object *e, const struct cp_bisect *b, long page_kb,
		       struct json_object *attempts, const char *note)
{
	struct json_object *l = json_object_new_object(), *at = NULL, *below = NULL;
	long size_kb = json_object_get_int64(json_object_object_get(e, "size_kb"));
	bool confirmed = false;

	json_object_object_add(l, "status", json_object_new_string(cp_bisect_status_name(b->status)));
	json_object_object_add(l, "searched_kb", json_object_new_array());
	json_object_array_add(json_object_object_get(l, "searched_kb"), json_object_new_int64(b->lo * page_kb));
	json_object_array_add(json_object_object_get(l, "searched_kb"), json_object_new_int64(b->hi * page_kb));
	json_object_object_add(l, "hint_kb", b->hint >= 0 ? json_object_new_int64(b->hint * page_kb) : NULL);
	json_object_object_add(l, "steps", json_object_new_int(b->steps));
	if (b->found >= 0) {
		long kb = b->found * page_kb;
		long base;

		at = attempt_at(attempts, kb);
		/* What the consumer had charged before the registration (its own DMA pages). */
		base = at ? base_charge(at, "vm_lck") + base_charge(at, "vm_pin") : 0;
		json_object_object_add(l, "limit_kb", json_object_new_int64(kb));
		json_object_object_add(l, "fraction", json_object_new_double(size_kb ? (double)kb / size_kb : 0));
		json_object_object_add(l, "base_kb", json_object_new_int64(base));
		json_object_object_add(l, "registration_kb", json_object_new_int64(kb - base > 0 ? kb - base : 0));
		json_object_object_add(l, "registration_fraction",
				       json_object_new_double(size_kb && kb > base ? (double)(kb - base) / size_kb : 0));
	} else {
		json_object_object_add(l, "limit_kb", NULL);
	}
	if (b->refused_below >= 0)
		below = attempt_at(attempts, b->refused_below * page_kb);
	if (at)
		json_object_object_add(l, "at_limit", json_object_get(at));
	if (below)
		json_object_object_add(l, "below_limit", json_object_get(below));
	if (b->status == CP_BISECT_FOUND)
		/* Admitted at the limit, refused one page below it (or there is nothing below). */
		confirmed = at && (b->found == b->lo || (below && b->refused_below == b->found - 1));
	json_object_object_add(l, "confirmed", json_object_new_boolean(confirmed));
	if (note && *note)
		json_object_object_add(l, "note", json_object_new_string(note));
	json_object_object_add(l, "attempts", attempts);
	json_object_object_add(e, "limit", l);
}

int cp_ml_doc_write(struct json_object *doc, FILE *f)
{
	static const char *const st[] = { CP_ML_OK, CP_ML_SKIP, CP_ML_REFUSED, CP_ML_TOO_LARGE, CP_ML_ERROR };
	struct json_object *arr = json_object_object_get(doc, "memlock");
	struct json_object *sum = json_object_new_object();

	for (size_t k = 0; k < sizeof(st) / sizeof(st[0]); k++) {
		int n = 0;

		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			const char *s = cp_ml_entry_str(json_object_array_get_idx(arr, i), "status");

			n += s && !strcmp(s, st[k]);
		}
		json_object_object_add(sum, st[k], json_object_new_int(n));
	}
	json_object_object_add(doc, "summary", sum);
	fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), f);
	fputc('\n', f);
	return fflush(f);
}

/* "1.5M"-style sizes for the table. */
static void human_size(char *out, size_t len, long long bytes)
{
	if (bytes >= (1ll << 30) && !(bytes % (1ll << 30)))
		snprintf(out, len, "%lldG", bytes >> 30);
	else if (bytes >= (1ll << 20) && !(bytes % (1ll << 20)))
		snprintf(out, len, "%lldM", bytes >> 20);
	else
		snprintf(out, len, "%lldK", bytes >> 10);
}

static struct json_object *get(struct json_object *o, const char *path)
{
	char key[64];

	while (o && *path) {
		size_t n = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return o;
}

/* A number cell: "-" when null or absent. */
static void cell(char *out, size_t len, struct json_object *o, const char *path)
{
	struct json_object *v = get(o, path);

	if (!v)
		snprintf(out, len, "-");
	else if (json_object_is_type(v, json_type_double))
		snprintf(out, len, "%.2f", json_object_get_double(v));
	else
		snprintf(out, len, "%lld", (long long)json_object_get_int64(v));
}

void cp_ml_table(FILE *f, struct json_object *doc)
{
	struct json_object *arr = json_object_object_get(doc, "memlock");
	const char *method = cp_ml_entry_str(doc, "method");

	fprintf(f, "cowpin memlock on Linux %s (%s)\n", cp_ml_entry_str(doc, "kernel"),
		cp_ml_entry_str(doc, "machine"));
	if (method)
		fprintf(f, "limit search: %s\n", method);
	fprintf(f, "KiB deltas of the R/O registration (reg) and after unregistration (unreg); limit = smallest\n"
		   "RLIMIT_MEMLOCK admitting it (CAP_IPC_LOCK dropped), xsize = limit/size, -1pg = one page less\n\n");
	fprintf(f, "%-12s %-14s %5s %8s %8s %8s %8s %8s %9s %9s %6s %-8s %7s  %s\n", "consumer", "backing", "size",
		"reg:Lck", "reg:Pin", "reg:RSS", "reg:Anon", "reg:mcg", "unreg:L/P", "limit", "xsize", "-1pg", "GiB/s",
		"status");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *st = cp_ml_entry_str(e, "status");
		char size[24], lck[24], pin[24], rss[24], anon[24], mcg[24], ul[24], up[24], lim[24], fr[24], gib[24];
		char left[48], below[24] = "-", tail[160];

		human_size(size, sizeof(size), json_object_get_int64(get(e, "size")));
		if (!st || strcmp(st, CP_ML_OK)) {
			fprintf(f, "%-12s %-14s %5s %s: %s\n", cp_ml_entry_str(e, "consumer"),
				cp_ml_entry_str(e, "backing"), size, st ? st : "?", cp_ml_entry_str(e, "reason"));
			continue;
		}
		cell(lck, sizeof(lck), e, "registered_kb.vm_lck");
		cell(pin, sizeof(pin), e, "registered_kb.vm_pin");
		cell(rss, sizeof(rss), e, "registered_kb.rss");
		cell(anon, sizeof(anon), e, "registered_kb.rss_anon");
		cell(mcg, sizeof(mcg), e, "registered_kb.memcg");
		cell(ul, sizeof(ul), e, "unregistered_kb.vm_lck");
		cell(up, sizeof(up), e, "unregistered_kb.vm_pin");
		snprintf(left, sizeof(left), "%s/%s", ul, up);
		cell(lim, sizeof(lim), e, "limit.limit_kb");
		cell(fr, sizeof(fr), e, "limit.fraction");
		cell(gib, sizeof(gib), e, "throughput.median_gibps");
		if (get(e, "limit.below_limit") && get(e, "limit.status") &&
		    !strcmp(json_object_get_string(get(e, "limit.status")), "found"))
			snprintf(below, sizeof(below), "%s", cp_ml_entry_str(get(e, "limit.below_limit"),
					 get(e, "limit.below_limit.errno_name") ? "errno_name" : "result"));
		else if (get(e, "limit.confirmed") && json_object_get_boolean(get(e, "limit.confirmed")))
			snprintf(below, sizeof(below), "(none)");
		snprintf(tail, sizeof(tail), "limit %s%s",
			 get(e, "limit.status") ? json_object_get_string(get(e, "limit.status")) : "not searched",
			 get(e, "limit.confirmed") && !json_object_get_boolean(get(e, "limit.confirmed")) ?
			 " (unconfirmed)" : "");
		fprintf(f, "%-12s %-14s %5s %8s %8s %8s %8s %8s %9s %9s %6s %-8s %7s  %s\n",
			cp_ml_entry_str(e, "consumer"), cp_ml_entry_str(e, "backing"), size, lck, pin, rss, anon, mcg,
			left, lim, fr, below, gib, tail);
		if (get(e, "limit.note"))
			fprintf(f, "%-12s   note: %s\n", "", cp_ml_entry_str(get(e, "limit"), "note"));
	}
}
