// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backing.h"
#include "env.h"
#include "memlock/attempt.h"
#include "memlock/sys.h"
#include "reap.h"

static volatile pid_t running_child;

const char *cp_ml_stage_name(enum cp_ml_stage s)
{
	static const char *const names[] = { "start", "caps", "open", "rlimit", "backing", "pin", "done" };

	return s <= CP_ML_DONE ? names[s] : "?";
}

void cp_ml_attempt_kill(void)
{
	if (running_child > 0)
		kill(running_child, SIGKILL);
}

static void read_counters(const struct cp_ml_attempt *a, struct cp_ml_counters *c)
{
	char text[8192];

	if (cp_read_text("/proc/self/status", text, sizeof(text)) || cp_status_parse(text, &c->st)) {
		c->st = (struct cp_status){ -1, -1, -1 };
		c->rss_anon_kb = -1;
	} else {
		c->rss_anon_kb = cp_meminfo_parse(text, "RssAnon");
	}
	c->memcg_kb = cp_memcg_current_kb(a->memcg);
}

static long above(long now, long base)
{
	return now >= 0 && base >= 0 && now > base ? now - base : 0;
}

/* Pinned counters left above the base: a refused or undone registration must leave none. */
static void note_left(struct cp_ml_attempt *a, const struct cp_ml_counters *base,
		      const struct cp_ml_counters *now)
{
	long lck = above(now->st.vm_lck_kb, base->st.vm_lck_kb);
	long pin = above(now->st.vm_pin_kb, base->st.vm_pin_kb);

	if (lck > a->left_lck_kb)
		a->left_lck_kb = lck;
	if (pin > a->left_pin_kb)
		a->left_pin_kb = pin;
}

static int set_limit(struct cp_ml_attempt *a)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return -errno;
	rl.rlim_cur = (rlim_t)a->limit_kb * 1024;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_max = rl.rlim_cur;	/* needs CAP_SYS_RESOURCE */
	if (setrlimit(RLIMIT_MEMLOCK, &rl)) {
		snprintf(a->why, sizeof(a->why), "setrlimit(RLIMIT_MEMLOCK, %ld KiB): %s%s", a->limit_kb,
			 strerror(errno), errno == EPERM ? " (above the hard limit: needs CAP_SYS_RESOURCE)" : "");
		return -errno;
	}
	return 0;
}

/* One registration on a fresh buffer.  0, or the stage's -errno with why. */
static int one(struct cp_ml_attempt *a, struct cp_env *env, void *ctx, int i)
{
	struct cp_ml_counters base, pinned, unpinned;
	struct cp_buffer b;
	struct cp_pin pin;
	char why[400];
	double t0, t1;
	int err;

	a->stage = CP_ML_BACKING;
	err = cp_backing_setup(a->backing, a->size, false, &a->settings->backing, &b, why, sizeof(why));
	if (err) {
		snprintf(a->why, sizeof(a->why), "backing %s: %s", cp_backing_name(a->backing), why);
		return err;
	}
	a->stage = CP_ML_PIN;
	pin = (struct cp_pin){ .buf = b.addr, .len = b.len, .readable = b.len };
	env->why[0] = '\0';
	read_counters(a, &base);
	t0 = cp_now_s();
	err = a->ops->pin_ro(env, ctx, &pin);
	t1 = cp_now_s();
	read_counters(a, &pinned);
	if (err) {
		snprintf(a->why, sizeof(a->why), "%s", env->why[0] ? env->why : strerror(-err));
		a->harness_failed = env->harness_failed;
		if (i == 0) {
			a->base = base;
			a->pinned = pinned;
			a->unpinned = pinned;
		}
		note_left(a, &base, &pinned);
		cp_backing_teardown(&b);
		return err;
	}
	a->ops->unpin(env, ctx, &pin);
	read_counters(a, &unpinned);
	note_left(a, &base, &unpinned);
	if (i == 0) {
		a->base = base;
		a->pinned = pinned;
		a->unpinned = unpinned;
	}
	a->pin_s[a->nsamples++] = t1 - t0;
	cp_backing_teardown(&b);
	return 0;
}

static void child(struct cp_ml_attempt *a)
{
	struct cp_env env;
	void *ctx = NULL;
	int err = 0;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (a->drop_cap) {
		a->stage = CP_ML_CAPS;
		err = cp_cap_drop_ipc_lock();
		if (err) {
			snprintf(a->why, sizeof(a->why), "dropping CAP_IPC_LOCK: %s", strerror(-err));
			a->err = err;
			return;
		}
	}
	cp_env_init(&env, a->settings, a->ops);
	a->stage = CP_ML_OPEN;
	err = a->ops->open(&env, &ctx);
	if (err) {
		snprintf(a->why, sizeof(a->why), "%s", env.why[0] ? env.why : strerror(-err));
		a->err = err;
		return;
	}
	/* After open: the consumer's own set-up is never what the limit is bisected on. */
	if (a->limit_kb >= 0) {
		a->stage = CP_ML_RLIMIT;
		err = set_limit(a);
	}
	for (int i = 0; !err && i < a->repeat && i < CP_ML_MAX_REPEAT; i++)
		err = one(a, &env, ctx, i);
	a->ops->close(&env, ctx);
	if (!err)
		a->stage = CP_ML_DONE;
	a->err = err;
}

int cp_ml_attempt_run(struct cp_ml_attempt *in)
{
	struct cp_ml_attempt *a = mmap(NULL, sizeof(*a), PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status = 0;
	pid_t pid;

	if (a == MAP_FAILED)
		return -errno;
	*a = *in;
	a->stage = CP_ML_START;
	a->err = 0;
	a->why[0] = '\0';
	a->nsamples = 0;
	a->left_lck_kb = a->left_pin_kb = 0;
	a->timed_out = false;
	a->signal = 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		munmap(a, sizeof(*a));
		return err;
	}
	if (pid == 0) {
		child(a);
		_exit(0);
	}
	running_child = pid;
	if (cp_reap(pid, &status, in->timeout_s) == -ETIMEDOUT) {
		a->timed_out = true;
		kill(pid, SIGKILL);
		/* Bounded reap: a child stuck in the kernel must not stop the run. */
		cp_reap(pid, &status, 10);
	}
	running_child = 0;
	*in = *a;
	if (WIFSIGNALED(status) && !in->timed_out)
		in->signal = WTERMSIG(status);
	if (in->timed_out) {
		snprintf(in->why, sizeof(in->why), "no result after %.0f s (at stage %s)", in->timeout_s,
			 cp_ml_stage_name(in->stage));
		in->err = -ETIMEDOUT;
	} else if (in->signal) {
		snprintf(in->why, sizeof(in->why), "attempt's child died of signal %d (%s) at stage %s",
			 in->signal, strsignal(in->signal), cp_ml_stage_name(in->stage));
		in->err = -EINTR;
	}
	munmap(a, sizeof(*a));
	return 0;
}
