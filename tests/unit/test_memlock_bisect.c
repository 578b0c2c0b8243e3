// SPDX-License-Identifier: GPL-2.0-only
/* The memlock bisection over table predicates: exact answers, bounds, hints, aborts. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "memlock/bisect.h"
#include "utap.h"

struct table {
	long need;		/* smallest admitted value; < 0: never admitted */
	long fail_at;		/* the call number that returns an error, 0 = never */
	int calls;
	long asked[64];
};

static int pred(void *p, long v)
{
	struct table *t = p;

	if (t->calls < 64)
		t->asked[t->calls] = v;
	if (++t->calls == t->fail_at)
		return -ETIME;
	return t->need >= 0 && v >= t->need ? CP_LIMIT_ADMITTED : CP_LIMIT_REFUSED;
}

static bool asked(const struct table *t, long v)
{
	for (int i = 0; i < t->calls && i < 64; i++)
		if (t->asked[i] == v)
			return true;
	return false;
}

/* Without hint, for every need in [0, 300], the exact answer, with need-1 tested and refused. */
static int sweep(long hint_off, bool use_hint)
{
	int bad = 0;

	for (long need = 0; need <= 300; need++) {
		struct table t = { .need = need };
		struct cp_bisect b = { .lo = 0, .hi = 300, .max_steps = 40,
				       .hint = use_hint ? need + hint_off : -1 };

		if (b.hint < 0)
			b.hint = -1;
		cp_bisect_limit(&b, pred, &t);
		bad += b.status != CP_BISECT_FOUND || b.found != need ||
		       (need > 0 && (b.refused_below != need - 1 || !asked(&t, need - 1))) ||
		       (need == 0 && b.refused_below != -1) || !asked(&t, need) || b.steps != t.calls;
	}
	return bad;
}

int main(void)
{
	struct table t;
	struct cp_bisect b;

	utap_plan(14);
	ok(sweep(0, false) == 0, "no hint: exact limit for every need in 0..300, need-1 tested refused");
	ok(sweep(0, true) == 0, "exact hint: exact limit for every need");
	ok(sweep(2, true) == 0, "hint 2 pages high: exact limit");
	ok(sweep(-2, true) == 0, "hint 2 pages low: exact limit");
	ok(sweep(-150, true) == 0 && sweep(150, true) == 0, "far hints: exact limit");

	t = (struct table){ .need = 512 };
	b = (struct cp_bisect){ .lo = 0, .hi = 4096, .hint = 512, .max_steps = 40 };
	cp_bisect_limit(&b, pred, &t);
	ok(b.status == CP_BISECT_FOUND && b.found == 512 && b.steps == 2,
	   "exact hint settles it in 2 calls (took %d)", b.steps);

	t = (struct table){ .need = 514 };
	b = (struct cp_bisect){ .lo = 0, .hi = 65536, .hint = 512, .max_steps = 40 };
	cp_bisect_limit(&b, pred, &t);
	ok(b.status == CP_BISECT_FOUND && b.found == 514 && b.steps <= 5,
	   "hint 2 pages low gallops up: %d calls", b.steps);

	t = (struct table){ .need = 30000 };
	b = (struct cp_bisect){ .lo = 0, .hi = 65536, .hint = -1, .max_steps = 40 };
	cp_bisect_limit(&b, pred, &t);
	ok(b.status == CP_BISECT_FOUND && b.found == 30000 && b.steps <= 18,
	   "no hint over 64Ki pages: %d calls (log2 + 1)", b.steps);

	t = (struct table){ .need = -1 };
	b = (struct cp_bisect){ .lo = 0, .hi = 2048, .hint = 100, .max_steps = 40 };
	cp_bisect_limit(&b, pred, &t);
	ok(b.status == CP_BISECT_NONE && b.found == -1 && asked(&t, 2048),
	   "never admitted: refused-at-max after asking hi");

	t = (struct table){ .need = 5000 };
	b = (struct cp_bisect){ .lo = 0, .hi = 2048, .hint = -1, .max_steps = 40 };
	cp_bisect_limit(&b, pred, &t);
	ok(b.status == CP_BISECT_NONE && b.steps == 1, "need above hi: one call, none");

	t = (struct table){ .need = 30000 };
	b = (struct cp_bisect){ .lo = 0, .hi = 65536, .hint = -1, .max_steps = 5 };
	cp_bisect_limit(&b, pred, &t);
	ok(b.status == CP_BISECT_STEPS && b.steps == 5 && t.calls == 5 &&
	   b.refused_below < 30000 && b.found >= 30000,
	   "step bound: stops after 5 calls with a true bracket (%ld, %ld]", b.refused_below, b.found);

	t = (struct table){ .need = 30000, .fail_at = 4 };
	b = (struct cp_bisect){ .lo = 0, .hi = 65536, .hint = -1, .max_steps = 40 };
	cp_bisect_limit(&b, pred, &t);
	ok(b.status == CP_BISECT_ABORTED && b.err == -ETIME && t.calls == 4 &&
	   b.found >= 30000 && b.refused_below < 30000,
	   "predicate error (time bound) aborts with the bracket so far");

	t = (struct table){ .need = 0, .fail_at = 1 };
	b = (struct cp_bisect){ .lo = 0, .hi = 100, .hint = 0, .max_steps = 40 };
	cp_bisect_limit(&b, pred, &t);
	ok(b.status == CP_BISECT_ABORTED && b.found == -1, "error on the first call: aborted, nothing found");

	t = (struct table){ .need = 10 };
	b = (struct cp_bisect){ .lo = 10, .hi = 100, .hint = -1, .max_steps = 40 };
	cp_bisect_limit(&b, pred, &t);
	ok(b.status == CP_BISECT_FOUND && b.found == 10 && b.refused_below == -1 && !asked(&t, 9),
	   "need == lo: found without asking below the range");
	return utap_done();
}
