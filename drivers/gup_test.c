// SPDX-License-Identifier: GPL-2.0-only
/*
 * gup-test, gup-test-fast: the kernel's own reference consumer.
 *
 * /sys/kernel/debug/gup_test (CONFIG_GUP_TEST) takes a FOLL_LONGTERM pin
 * without FOLL_WRITE with PIN_LONGTERM_TEST_START -- through pin_user_pages()
 * (gup-test) or pin_user_pages_fast() (gup-test-fast) -- and
 * PIN_LONGTERM_TEST_READ makes the kernel copy the pinned pages themselves
 * (kmap of the struct pages it holds) into a separate buffer.  That is the
 * "device read" here: exactly what upstream's mm/cow.c selftest checks.
 * PIN_LONGTERM_TEST_STOP unpins.  Kernels without CONFIG_GUP_TEST (every
 * distribution's) get the same interface from cowpin_gup_test.ko
 * (drivers/kmod), loaded by scripts/setup-gup-test; the evidence names
 * which one answered.
 *
 * The pin lives in one global slot of the kernel (not per open file), and
 * closing ANY gup_test file descriptor drops it: tests of these consumers
 * must not run concurrently, and the probe never opens it.  READ always
 * copies every pinned page, so observe() reads the whole pin into a
 * scratch mapping, picks the spans out of that copy and hands all of it
 * to the core to compare (pin->seen): what it copies is what is judged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "consumer.h"

/*
 * The UAPI of mm/gup_test.h (Linux 6.12).  It is not exported to
 * include/uapi, so no linux-libc-dev has it (and the one here is 6.1,
 * whose gup_test has no PIN_LONGTERM_TEST_* at all: they came with the
 * R/O pinning series in 6.2).  Copied by value, not by header.
 */
struct pin_longterm_test {
	uint64_t addr;
	uint64_t size;
	uint32_t flags;
};

#define PIN_LONGTERM_TEST_START		_IOW('g', 7, struct pin_longterm_test)
#define PIN_LONGTERM_TEST_STOP		_IO('g', 8)
#define PIN_LONGTERM_TEST_READ		_IOW('g', 9, uint64_t)
#define PIN_LONGTERM_TEST_FLAG_USE_WRITE	1	/* never set: the pin is R/O */
#define PIN_LONGTERM_TEST_FLAG_USE_FAST		2

#define DEBUGFS_DIR	"/sys/kernel/debug"
#define GUP_TEST_PATH	DEBUGFS_DIR "/gup_test"
#define DEBUGFS_MAGIC	0x64626720
#define GUP_POISON	0xa5	/* neither A, B nor zeros */

#define KMOD		"cowpin_gup_test"
#define KMOD_VERSION	"/sys/module/" KMOD "/version"
#define NO_GUP_TEST	"the kernel has no CONFIG_GUP_TEST and " KMOD ".ko is not loaded: " \
			"build it with scripts/build-gup-test-module (needs the kernel's headers, " \
			"e.g. apt-get install linux-headers-$(uname -r)) and run cowpin under " \
			"scripts/with-devices, which loads it"
#define UNSIGNED	KMOD ".ko is unsigned: sign it with a key the kernel trusts " \
			"(scripts/sign-file of the kernel's headers, enrolled with mokutil)"

/*
 * Why gup_test is missing, from scripts/setup-gup-test's
 * COWPIN_GUP_TEST_LOAD (and the lab's COWPIN_GUP_TEST_NO_KO: no headers
 * or no build for this kernel).  1: the module was there and failed to
 * load, which is the harness's failure, not an absence.
 */
static int gup_missing_why(struct cp_env *env)
{
	const char *load = getenv("COWPIN_GUP_TEST_LOAD");
	const char *no_ko = getenv("COWPIN_GUP_TEST_NO_KO");

	if (load && !strcmp(load, "failed"))
		return 1;
	if (load && !strcmp(load, "sig-enforced"))
		cp_why(env, GUP_TEST_PATH " missing: the kernel enforces module signatures "
		       "(module.sig_enforce=1) and " UNSIGNED);
	else if (load && !strcmp(load, "lockdown"))
		cp_why(env, GUP_TEST_PATH " missing: kernel lockdown refuses unsigned modules and "
		       UNSIGNED ", or boot with lockdown=none");
	else if (no_ko && *no_ko)
		cp_why(env, GUP_TEST_PATH " missing: %s", no_ko);
	else
		cp_why(env, GUP_TEST_PATH " missing: " NO_GUP_TEST);
	return 0;
}

/* Who answers on gup_test: "cowpin_gup_test VERSION" or the kernel's own. */
static void gup_provider(char *buf, size_t len)
{
	FILE *f = fopen(KMOD_VERSION, "re");
	char ver[64];

	if (f && fgets(ver, sizeof(ver), f)) {
		ver[strcspn(ver, "\n")] = 0;
		snprintf(buf, len, KMOD " %s", ver);
	} else {
		snprintf(buf, len, "kernel CONFIG_GUP_TEST");
	}
	if (f)
		fclose(f);
}

struct gup_ctx {
	int fd;
	uint32_t flags;		/* PIN_LONGTERM_TEST_FLAG_USE_FAST or 0 */
	void *copy;		/* scratch mapping PIN_LONGTERM_TEST_READ fills */
	size_t copy_len;
	bool pinned;
};

/* Linux major.minor >= 6.2 (the kernel's own gup_test has PIN_LONGTERM_TEST_* from 6.2 on). */
static bool kernel_has_pin_longterm_test(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return true;	/* unknown: let the pin say */
	return major > 6 || (major == 6 && minor >= 2);
}

/*
 * Without opening gup_test: closing any of its files drops the one pin
 * slot, so a probe that opened it would end another user's pin (a
 * concurrent cow.c, or cowpin in another shell).  stat/access and the
 * provider decide: cowpin_gup_test.ko has the R/O pin interface; the
 * kernel's own has it from Linux 6.2.
 */
static int gup_probe(struct cp_env *env)
{
	struct statfs sfs;

	if (statfs(DEBUGFS_DIR, &sfs) || sfs.f_type != DEBUGFS_MAGIC) {
		cp_why(env, "debugfs is not mounted on " DEBUGFS_DIR
		       " (mount -t debugfs none " DEBUGFS_DIR ")");
		return -ENODEV;
	}
	if (access(GUP_TEST_PATH, F_OK)) {
		/* A module that failed to load: open() reports it as an error. */
		if (gup_missing_why(env))
			return 0;
		return -ENODEV;
	}
	if (access(GUP_TEST_PATH, R_OK | W_OK)) {
		int err = errno;

		cp_why(env, GUP_TEST_PATH ": %s%s", strerror(err),
		       err == EACCES || err == EPERM ? " (it is root-only, mode 0600)" : "");
		return -err;
	}
	if (access(KMOD_VERSION, F_OK) && !kernel_has_pin_longterm_test()) {
		cp_why(env, GUP_TEST_PATH " is the kernel's own (CONFIG_GUP_TEST), which has no "
		       "PIN_LONGTERM_TEST_START before Linux 6.2; a kernel's own gup_test keeps "
		       KMOD ".ko out: use the lab's build:6.12 kernel");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int gup_open(struct cp_env *env, void **ctxp, uint32_t flags)
{
	struct gup_ctx *ctx = calloc(1, sizeof(*ctx));
	const char *load = getenv("COWPIN_GUP_TEST_LOAD");
	char provider[96];
	int err;

	if (!ctx) {
		cp_why(env, "out of memory");
		return -ENOMEM;
	}
	/* The probe found it: failing to open it now is an error, not absence. */
	ctx->fd = open(GUP_TEST_PATH, O_RDWR | O_CLOEXEC);
	if (ctx->fd < 0) {
		err = errno;
		cp_why(env, "open " GUP_TEST_PATH ": %s%s", strerror(err),
		       err == ENOENT && load && !strcmp(load, "failed") ?
		       " (" KMOD ".ko failed to load: see scripts/setup-gup-test's messages)" : "");
		free(ctx);
		return -err;
	}
	ctx->flags = flags;
	json_object_object_add(cp_evidence(env), "gup_test",
			       json_object_new_string(GUP_TEST_PATH));
	gup_provider(provider, sizeof(provider));
	json_object_object_add(cp_evidence(env), "provider", json_object_new_string(provider));
	json_object_object_add(cp_evidence(env), "pin_call",
			       json_object_new_string(flags & PIN_LONGTERM_TEST_FLAG_USE_FAST ?
						      "pin_user_pages_fast" : "pin_user_pages"));
	json_object_object_add(cp_evidence(env), "gup_flags",
			       json_object_new_string("FOLL_LONGTERM"));
	*ctxp = ctx;
	return 0;
}

static int gup_open_slow(struct cp_env *env, void **ctxp)
{
	return gup_open(env, ctxp, 0);
}

static int gup_open_fast(struct cp_env *env, void **ctxp)
{
	return gup_open(env, ctxp, PIN_LONGTERM_TEST_FLAG_USE_FAST);
}

static int gup_pin_ro(struct cp_env *env, void *ctxv, struct cp_pin *pin)
{
	struct gup_ctx *ctx = ctxv;
	struct pin_longterm_test args = {
		.addr = (uintptr_t)pin->buf,
		.size = pin->len,
		.flags = ctx->flags,
	};
	long page = sysconf(_SC_PAGESIZE);
	int err;

	/* The kernel says EINVAL for these too; say it here, where it is clear why. */
	if ((args.addr | args.size) % page || !args.size) {
		cp_why_error(env, "buffer %p+%zu is not page aligned", pin->buf, pin->len);
		return -EINVAL;
	}
	/* The scratch copy comes first: its page faults must not follow the pin. */
	ctx->copy = mmap(NULL, pin->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ctx->copy == MAP_FAILED) {
		err = errno;
		ctx->copy = NULL;
		cp_why_error(env, "mmap of a %zu-byte scratch buffer for PIN_LONGTERM_TEST_READ: %s",
			     pin->len, strerror(err));
		return -err;
	}
	ctx->copy_len = pin->len;
	/* Huge pages for the copy: 512x fewer faults inside READ for big pins. */
	madvise(ctx->copy, ctx->copy_len, MADV_HUGEPAGE);

	if (ioctl(ctx->fd, PIN_LONGTERM_TEST_START, &args)) {
		err = errno;
		/*
		 * EINVAL is gup_test's own: its one pin slot is taken (another
		 * user's pin is active) or it rejects the arguments.  GUP itself
		 * does not say EINVAL for a user buffer: not the kernel's refusal.
		 */
		if (err == EINVAL)
			cp_why_error(env, "PIN_LONGTERM_TEST_START (%s, no FOLL_WRITE): %s: gup_test's one pin "
				     "slot is taken (another gup-test pin is active: a concurrent cow.c or "
				     "cowpin?) or it rejects the arguments; not a refusal by GUP",
				     ctx->flags ? "fast" : "slow", strerror(err));
		else
			cp_why(env, "PIN_LONGTERM_TEST_START (%s, no FOLL_WRITE): %s",
			       ctx->flags ? "fast" : "slow", strerror(err));
		munmap(ctx->copy, ctx->copy_len);
		ctx->copy = NULL;
		return -err;
	}
	ctx->pinned = true;
	pin->readable = pin->len;
	pin->priv = ctx;
	return 0;
}

static int gup_observe(struct cp_env *env, void *ctxv, struct cp_pin *pin,
		       struct cp_span *spans, int nspans)
{
	struct gup_ctx *ctx = ctxv;
	uint64_t to = (uintptr_t)ctx->copy;
	int err;

	/*
	 * Every observe is a fresh kernel read of all pinned pages, and all
	 * of what it copies is compared (pin->seen).  Poison all of the copy
	 * first, so that a read that copied nothing, or only part, can't
	 * pass off an earlier copy or the scratch's zeros as the pinned
	 * content (zeros are what a zeropage backing holds).
	 */
	memset(ctx->copy, GUP_POISON, ctx->copy_len);
	if (ioctl(ctx->fd, PIN_LONGTERM_TEST_READ, &to)) {
		err = errno;
		cp_why(env, "PIN_LONGTERM_TEST_READ: %s%s", strerror(err),
		       err == EINVAL ? " (the pin is gone: was " GUP_TEST_PATH
		       " closed by another process?)" : "");
		return -err;
	}
	for (int i = 0; i < nspans; i++) {
		if (spans[i].off + spans[i].len > pin->readable) {
			cp_why(env, "span %d (%zu+%zu) beyond the pin (%zu)", i,
			       spans[i].off, spans[i].len, pin->readable);
			return -ERANGE;
		}
		memcpy(spans[i].out, (char *)ctx->copy + spans[i].off, spans[i].len);
	}
	pin->seen = ctx->copy;
	return 0;
}

static void gup_unpin(struct cp_env *env, void *ctxv, struct cp_pin *pin)
{
	struct gup_ctx *ctx = ctxv;

	pin->seen = NULL;
	if (ctx->pinned && ioctl(ctx->fd, PIN_LONGTERM_TEST_STOP))
		cp_diag(env, "PIN_LONGTERM_TEST_STOP: %s", strerror(errno));
	ctx->pinned = false;
	if (ctx->copy)
		munmap(ctx->copy, ctx->copy_len);
	ctx->copy = NULL;
}

static void gup_close(struct cp_env *env, void *ctxv)
{
	struct gup_ctx *ctx = ctxv;

	(void)env;
	/* close() unpins too (gup_test_release), should unpin() not have run. */
	close(ctx->fd);
	free(ctx);
}

const struct consumer_ops cp_gup_test_ops = {
	.name = "gup-test",
	.summary = "kernel gup_test: pin_user_pages(FOLL_LONGTERM), kernel reads the pinned pages",
	.counter = CP_COUNTER_NONE,
	.writable_pin = false,
	.cases = CP_CASES_ALL,
	.backings = 0,
	.probe = gup_probe,
	.open = gup_open_slow,
	.pin_ro = gup_pin_ro,
	.observe = gup_observe,
	.unpin = gup_unpin,
	.close = gup_close,
};

const struct consumer_ops cp_gup_test_fast_ops = {
	.name = "gup-test-fast",
	.summary = "kernel gup_test: pin_user_pages_fast(FOLL_LONGTERM), kernel reads the pinned pages",
	.counter = CP_COUNTER_NONE,
	.writable_pin = false,
	.cases = CP_CASES_ALL,
	.backings = 0,
	.probe = gup_probe,
	.open = gup_open_fast,
	.pin_ro = gup_pin_ro,
	.observe = gup_observe,
	.unpin = gup_unpin,
	.close = gup_close,
};
