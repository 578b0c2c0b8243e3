// SPDX-License-Identifier: GPL-2.0-only
#include <stdbool.h>

#include "memlock/bisect.h"

const char *cp_bisect_status_name(enum cp_bisect_status s)
{
	switch (s) {
	case CP_BISECT_FOUND:
		return "found";
	case CP_BISECT_NONE:
		return "refused-at-max";
	case CP_BISECT_STEPS:
		return "step-bound";
	case CP_BISECT_ABORTED:
		return "aborted";
	}
	return "?";
}

/*
 * Invariant: every value <= l is refused (l = lo-1 is "refused" by
 * definition, untested), every value >= h is admitted (h = -1: not known
 * yet).  Each call narrows one side.
 */
struct state {
	struct cp_bisect *b;
	cp_limit_pred pred;
	void *ctx;
	long l, h;
};

/* 1 admitted, 0 refused, <0 stop (error or step bound). */
static int ask(struct state *s, long v)
{
	int r;

	if (s->b->steps >= s->b->max_steps)
		return -1;
	s->b->steps++;
	r = s->pred(s->ctx, v);
	if (r < 0) {
		s->b->err = r;
		return r;
	}
	if (r == CP_LIMIT_ADMITTED) {
		s->h = v;
		return 1;
	}
	s->l = v;
	return 0;
}

static enum cp_bisect_status finish(struct state *s, enum cp_bisect_status st)
{
	struct cp_bisect *b = s->b;

	b->status = st;
	b->found = s->h;
	b->refused_below = s->l >= b->lo ? s->l : -1;
	return st;
}

static enum cp_bisect_status stopped(struct state *s)
{
	return finish(s, s->b->err ? CP_BISECT_ABORTED : CP_BISECT_STEPS);
}

enum cp_bisect_status cp_bisect_limit(struct cp_bisect *b, cp_limit_pred pred, void *ctx)
{
	struct state s = { b, pred, ctx, b->lo - 1, -1 };
	int r;

	b->steps = 0;
	b->err = 0;
	if (b->lo < 0 || b->hi < b->lo)
		return finish(&s, CP_BISECT_NONE);
	/* A good hint settles it in two calls: hint admitted, hint-1 refused. */
	if (b->hint >= b->lo && b->hint <= b->hi) {
		r = ask(&s, b->hint);
		if (r < 0)
			return stopped(&s);
		if (r == 1 && b->hint > b->lo && ask(&s, b->hint - 1) < 0)
			return stopped(&s);
	}
	/* Hint refused: gallop up from it (the charge is often a few pages above a good guess). */
	if (s.h < 0 && b->hint >= b->lo && s.l == b->hint) {
		long d = b->hint / 256 > 1 ? b->hint / 256 : 1;

		for (long v = s.l + d; s.h < 0 && v < b->hi; d *= 2, v = s.l + d) {
			r = ask(&s, v);
			if (r < 0)
				return stopped(&s);
		}
	}
	if (s.h < 0) {
		if (s.l >= b->hi)
			return finish(&s, CP_BISECT_NONE);
		r = ask(&s, b->hi);
		if (r < 0)
			return stopped(&s);
		if (r == 0)
			return finish(&s, CP_BISECT_NONE);
	}
	while (s.h - s.l > 1)
		if (ask(&s, s.l + (s.h - s.l) / 2) < 0)
			return stopped(&s);
	return finish(&s, CP_BISECT_FOUND);
}
