// SPDX-License-Identifier: GPL-2.0-only
/*
 * The copy engines' gathered read-back (drivers/vfio/gather.c) with a
 * test-double engine instead of edu: it stages pieces in a poisoned buffer
 * and writes them back in one go, as edu does.  Each mutant drops one
 * piece's read or write; the read-back must then be the EIO naming that
 * piece's source, never data, whichever piece of the gather it is.
 */
#include <errno.h>
#include <string.h>

#include "env.h"
#include "gather.h"
#include "utap.h"

#define BUS0	0x1000000ull	/* bus address of src_mem[0] */
#define DST_BUS	0x200000ull	/* bus address of the bounce */
#define STAGE_POISON 0xe5

enum mutant { GOOD, NO_READ, NO_WRITE, TIMES_OUT };

static unsigned char src_mem[16384], bounce_mem[4096];
static enum mutant how;
static size_t bad_piece, calls, last_n;

static int dbl_gather(struct cp_env *env, void *priv, const struct vfio_dma_piece *pieces,
		      size_t n, uint64_t dst, double timeout)
{
	unsigned char stage[4096];
	size_t i, at = 0;

	(void)priv;
	(void)timeout;
	calls++;
	last_n = n;
	if (how == TIMES_OUT) {
		cp_why(env, "double: transfer 2/%zu not done", n + 1);
		return -ETIMEDOUT;
	}
	memset(stage, STAGE_POISON, sizeof(stage));
	for (i = 0; i < n; at += pieces[i++].len)
		if (!(how == NO_READ && i == bad_piece))
			memcpy(stage + at, src_mem + (pieces[i].src - BUS0), pieces[i].len);
	for (i = 0, at = 0; i < n; at += pieces[i++].len)
		if (!(how == NO_WRITE && i == bad_piece))
			memcpy(bounce_mem + (dst - DST_BUS) + at, stage + at, pieces[i].len);
	return 0;
}

static const struct vfio_dma_driver dbl = {
	.name = "double",
	.max_len = 4095,
	.poison = STAGE_POISON,
	.gather = dbl_gather,
};

/* Three 256-byte pieces as a read-back of three spans makes them. */
static const struct vfio_dma_piece three[] = {
	{ BUS0 + 0x0, 256 }, { BUS0 + 0x1000, 256 }, { BUS0 + 0x2f00, 256 },
};

static int read3(struct cp_env *env, unsigned char out[3][256])
{
	struct vfio_bounce b = { bounce_mem, DST_BUS, sizeof(bounce_mem) };
	unsigned char *o[3] = { out[0], out[1], out[2] };

	memset(out, 0, 3 * 256);
	env->why[0] = 0;
	return vfio_gather_read(env, &dbl, NULL, &b, three, o, 3, 5);
}

int main(void)
{
	static const struct cp_settings settings;
	struct cp_env env;
	unsigned char out[3][256];
	char want[128];
	struct vfio_dma_piece big[] = { { BUS0, 3000 }, { BUS0 + 3000, 1000 }, { BUS0 + 4000, 200 } };
	struct vfio_bounce small = { bounce_mem, DST_BUS, 512 };
	unsigned char *o[3] = { out[0], out[1], out[2] };
	int err, ok_all;

	utap_plan(20);
	cp_env_init(&env, &settings, NULL);
	for (size_t i = 0; i < sizeof(src_mem); i++)
		src_mem[i] = (unsigned char)(i * 7 + i / 251);

	ok(vfio_gather_fit(three, 3, 4095) == 3, "3 x 256 bytes: one gather");
	ok(vfio_gather_fit(big, 3, 4095) == 2, "3000 + 1000 bytes fit 4095, + 200 does not");
	ok(vfio_gather_fit(big + 2, 1, 4095) == 1, "the rest: a gather of its own");
	ok(vfio_gather_fit(big, 3, 100) == 1, "a gather takes at least one piece");

	how = GOOD;
	calls = 0;
	err = read3(&env, out);
	ok_all = 1;
	for (int i = 0; i < 3; i++)
		ok_all &= !memcmp(out[i], src_mem + (three[i].src - BUS0), 256);
	ok(err == 0, "good engine: read-back succeeds (%s)", env.why);
	ok(ok_all, "good engine: every piece lands in its own out");
	ok(calls == 1 && last_n == 3, "good engine: one gather of 3 pieces (%zu calls, %zu pieces)",
	   calls, last_n);

	for (bad_piece = 0; bad_piece < 3; bad_piece += 2) {
		how = NO_READ;
		err = read3(&env, out);
		snprintf(want, sizeof(want), "did not read the source at bus 0x%llx",
			 (unsigned long long)three[bad_piece].src);
		ok(err == -EIO, "engine skips reading piece %zu: EIO (%d)", bad_piece + 1, err);
		ok(strstr(env.why, want) != NULL, "... naming that piece's source (%s)", env.why);

		how = NO_WRITE;
		err = read3(&env, out);
		snprintf(want, sizeof(want), "wrote nothing to the bounce (bus 0x%llx, read from bus 0x%llx)",
			 (unsigned long long)DST_BUS + 256 * bad_piece,
			 (unsigned long long)three[bad_piece].src);
		ok(err == -EIO, "engine skips writing piece %zu: EIO (%d)", bad_piece + 1, err);
		ok(strstr(env.why, want) != NULL, "... naming that piece's bounce bytes and source (%s)",
		   env.why);
	}

	how = TIMES_OUT;
	err = read3(&env, out);
	ok(err == -ETIMEDOUT && strstr(env.why, "transfer 2/4"),
	   "a transfer that times out is the engine's ETIMEDOUT, its words kept (%s)", env.why);

	how = GOOD;
	calls = 0;
	env.why[0] = 0;
	err = vfio_gather_read(&env, &dbl, NULL, &small, three, o, 3, 5);
	ok(err == -EINVAL && calls == 0, "a gather larger than the bounce is refused before the engine runs");

	/* A piece shorter than 16 bytes cannot be told from poison: no check, data as read. */
	how = NO_READ;
	bad_piece = 0;
	{
		struct vfio_bounce b = { bounce_mem, DST_BUS, sizeof(bounce_mem) };
		struct vfio_dma_piece tiny[] = { { BUS0, 8 } };

		err = vfio_gather_read(&env, &dbl, NULL, &b, tiny, o, 1, 5);
		ok(err == 0, "a piece under 16 bytes is not judged by its poison");
	}
	ok(vfio_poison_check(&env, &dbl, (unsigned char[16]){ 0 }, 16, DST_BUS, BUS0) == 0,
	   "16 zero bytes are data, not poison");
	{
		unsigned char p[16];

		memset(p, VFIO_BOUNCE_POISON, 16);
		p[15] ^= 1;
		ok(vfio_poison_check(&env, &dbl, p, 16, DST_BUS, BUS0) == 0,
		   "one byte other than poison: data");
	}
	cp_env_fini(&env);
	return utap_done();
}
