// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmsg.h"
#include "reap.h"
#include "report.h"
#include "result.h"
#include "runner.h"

static volatile sig_atomic_t interrupted;
static volatile pid_t running_child;

static void on_signal(int sig)
{
	interrupted = sig;
	/* The child's pins, maps and streams go with it: the kernel releases them on exit. */
	if (running_child > 0)
		kill(running_child, SIGTERM);
}

int cp_probe_consumer(const struct consumer_ops *ops, const struct cp_settings *s, char *why, size_t whylen)
{
	struct cp_env env;
	int err;

	cp_env_init(&env, s, ops);
	err = ops->probe(&env);
	snprintf(why, whylen, "%s", err ? env.why : "");
	cp_env_fini(&env);
	return err;
}

static bool selected(unsigned int mask, int bit)
{
	return !mask || (mask & (1u << bit));
}

int cp_plan_build(const struct cp_run_opts *o, struct cp_plan *p)
{
	int cap = 0;

	p->n = 0;
	p->e = NULL;
	for (int ci = 0; cp_consumers[ci]; ci++) {
		const struct consumer_ops *ops = cp_consumers[ci];
		char why[512] = "";
		bool probed = false;

		if (!selected(o->consumers, ci))
			continue;
		for (int b = 0; b < CP_B_COUNT; b++) {
			if (!selected(o->backings, b) || (ops->backings && !(ops->backings & CP_BACKING_BIT(b))))
				continue;
			for (int k = 0; k < CP_CASE_COUNT; k++) {
				struct cp_plan_entry *e;

				if (!selected(o->cases, k) || !(ops->cases & CP_CASE_BIT(k)) ||
				    !(cp_backing_cases(b) & CP_CASE_BIT(k)))
					continue;
				if (!probed) {
					if (cp_probe_consumer(ops, &o->settings, why, sizeof(why)) && !why[0])
						snprintf(why, sizeof(why), "%s unavailable", ops->name);
					probed = true;
				}
				if (p->n == cap) {
					cap = cap ? cap * 2 : 64;
					e = realloc(p->e, cap * sizeof(*e));
					if (!e)
						return -ENOMEM;
					p->e = e;
				}
				e = &p->e[p->n++];
				memset(e, 0, sizeof(*e));
				e->t = (struct cp_test){ .ops = ops, .backing = b, .kase = k };
				snprintf(e->name, sizeof(e->name), "%s.%s.%s", ops->name, cp_backing_name(b),
					 cp_case_name(k));
				snprintf(e->skip, sizeof(e->skip), "%s", why);
				e->unavailable = why[0] != '\0';
				if (!why[0] && k == CP_CASE_DETECTS_STALE && ops->no_kernel_pin)
					/* Nothing holds the pages: once detached they may be reused by anyone. */
					snprintf(e->skip, sizeof(e->skip),
						 "not applicable: %s takes no kernel pin, so the detached pages are free "
						 "and may be reused; there is no pinned content for the device to read",
						 ops->name);
			}
		}
	}
	return 0;
}

void cp_plan_free(struct cp_plan *p)
{
	free(p->e);
	p->e = NULL;
	p->n = 0;
}

/* Reads everything the child writes until EOF or the deadline; NULL on timeout. */
static char *read_until(int fd, double deadline, bool *timed_out)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);

	*timed_out = false;
	while (buf) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double left = deadline - cp_now_s();
		ssize_t n;

		if (left <= 0) {
			*timed_out = true;
			break;
		}
		if (poll(&pfd, 1, left > 1 ? 1000 : (int)(left * 1000) + 1) < 0 && errno != EINTR)
			break;
		if (interrupted)
			break;
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
		if (cap - len < 4096) {
			char *b = realloc(buf, cap * 2);

			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static struct json_object *run_child(const struct cp_plan_entry *e, const struct cp_settings *s)
{
	struct json_object *res = NULL;
	int pfd[2], status = 0;
	bool timed_out;
	char *out;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return NULL;
	}
	if (pid == 0) {
		struct json_object *r;
		const char *txt;
		size_t left;

		close(pfd[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		r = cp_check_run(&e->t, s);
		txt = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
		for (left = strlen(txt); left;) {
			ssize_t n = write(pfd[1], txt, left);

			if (n <= 0)
				_exit(1);
			txt += n;
			left -= n;
		}
		/* Freed although _exit() follows: valgrind checks the child for leaks too. */
		json_object_put(r);
		_exit(0);
	}
	close(pfd[1]);
	running_child = pid;
	out = read_until(pfd[0], cp_now_s() + s->timeout_s, &timed_out);
	close(pfd[0]);
	if (timed_out || interrupted)
		kill(pid, SIGKILL);
	/*
	 * Bounded reap.  A killed child may still be in the kernel (unpinning a
	 * 1 GiB hugetlb page takes minutes under TCG): the next test must not
	 * start before its pins, hugetlb pages and device queues are released,
	 * but a child stuck for good must not stop the run either.
	 */
	cp_reap(pid, &status, 120);
	running_child = 0;
	if (out && *out && !timed_out)
		res = json_tokener_parse(out);
	if (!res) {
		struct cp_test t = e->t;

		res = cp_result_new(&t);
		if (timed_out)
			cp_result_fail(res, "timeout", ETIMEDOUT, "timeout: no result after %.0f s (--timeout)",
					  s->timeout_s);
		else if (interrupted)
			cp_result_verdict(res, CP_V_ERROR, EINTR, "interrupted by signal %d", (int)interrupted);
		else if (WIFSIGNALED(status))
			cp_result_fail(res, "crash", 0, "test process crashed: signal %d (%s)",
					  WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			cp_result_verdict(res, CP_V_ERROR, 0, "test process gave no result (exit status %d)",
					  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	free(out);
	return res;
}

/*
 * The expectation a result meets: for a fail, the first --expect whose glob
 * matches and whose kind is the result's fail_kind; for a pass, any whose
 * glob matches (an unexpected pass).  *other: an expectation whose glob
 * matched a fail of another kind (then the fail is plain: none is returned).
 */
const struct cp_expect *cp_expectation(const struct cp_expect *e, int n, const char *name, enum cp_verdict v,
				       const char *kind, const struct cp_expect **other)
{
	*other = NULL;
	if (v != CP_V_FAIL && v != CP_V_PASS)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (fnmatch(e[i].pattern, name, 0))
			continue;
		if (v == CP_V_PASS || (kind && !strcmp(kind, e[i].kind)))
			return &e[i];
		if (!*other)
			*other = &e[i];
	}
	return NULL;
}

static struct json_object *run_one(const struct cp_settings *s, const struct cp_plan_entry *e)
{
	struct json_object *res, *hits;
	struct cp_kmsg kmsg;
	double t0 = cp_now_s();

	if (e->skip[0]) {
		struct cp_test t = e->t;

		res = cp_result_new(&t);
		cp_result_verdict(res, CP_V_SKIP, 0, "%s", e->skip);
		return res;
	}
	cp_kmsg_open(&kmsg);
	res = run_child(e, s);
	if (!res) {
		struct cp_test t = e->t;

		res = cp_result_new(&t);
		cp_result_verdict(res, CP_V_ERROR, errno, "cannot start the test process: %s", strerror(errno));
	}
	json_object_object_add(res, "duration_ms", json_object_new_int64((cp_now_s() - t0) * 1000));
	hits = json_object_new_array();
	if (cp_kmsg_scan(&kmsg, hits)) {
		cp_result_fail(res, "kernel-log", 0, "kernel log during the test: %s (was: %s: %s)",
				  json_object_get_string(json_object_array_get_idx(hits, 0)),
				  cp_result_str(res, "verdict"), cp_result_str(res, "reason"));
		json_object_object_add(res, "dmesg", hits);
	} else {
		json_object_put(hits);
	}
	if (kmsg.fd < 0)
		json_object_object_add(res, "dmesg_gate", json_object_new_string(kmsg.why));
	cp_kmsg_close(&kmsg);
	return res;
}

/*
 * "consumers": {NAME: {"available", "pin", "reason"}} of the plan's probes:
 * what this run could use, so a checker can tell "nothing R/O here" from
 * "R/O consumers here, but none read anything" (tests/host/run.py).
 */
static void add_consumers(struct json_object *doc, const struct cp_plan *p)
{
	struct json_object *all = json_object_new_object();

	for (int i = 0; i < p->n; i++) {
		const struct consumer_ops *ops = p->e[i].t.ops;
		struct json_object *c;

		if (json_object_object_get_ex(all, ops->name, NULL))
			continue;
		c = json_object_new_object();
		json_object_object_add(c, "available", json_object_new_boolean(!p->e[i].unavailable));
		json_object_object_add(c, "pin", json_object_new_string(ops->writable_pin ? "writable (reference)"
											: "read-only"));
		if (p->e[i].unavailable)
			json_object_object_add(c, "reason", json_object_new_string(p->e[i].skip));
		json_object_object_add(all, ops->name, c);
	}
	json_object_object_add(doc, "consumers", all);
}

int cp_run(const struct cp_run_opts *o)
{
	struct json_object *doc = cp_report_new(o->run_id);
	struct sigaction sa = { .sa_handler = on_signal };
	FILE *tap = o->json ? NULL : stdout;
	struct cp_settings settings = o->settings;
	struct cp_plan plan;
	int bad = 0;

	/* A consumer's notices ("about to overwrite ...") go where the results go, or to stderr. */
	settings.notice = tap ? tap : stderr;
	if (cp_plan_build(o, &plan))
		return 1;
	add_consumers(doc, &plan);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);	/* terminal gone: stop as for SIGINT */
	if (tap) {
		cp_tap_header(tap, plan.n);
		cp_tap_diag(tap, "cowpin %s on Linux %s", COWPIN_VERSION,
			    cp_result_str(doc, "kernel"));
	}
	for (int i = 0; i < plan.n && !interrupted; i++) {
		struct json_object *res = run_one(&settings, &plan.e[i]);
		enum cp_verdict v = cp_result_get_verdict(res);
		const struct cp_expect *ex, *other;
		const char *todo;

		/*
		 * --expect covers failures of the kernel of one named kind only: a
		 * fail of another kind (a timeout, an Oops), a refusal, an error or a
		 * skip is never "expected".  An expected failure that passes is an
		 * unexpected pass (TAP "ok ... # TODO"), which fails the run.
		 */
		ex = cp_expectation(o->expect, o->nexpect, plan.e[i].name, v, cp_result_str(res, "fail_kind"),
				    &other);
		todo = ex ? ex->reason : NULL;
		if (todo)
			json_object_object_add(res, v == CP_V_FAIL ? "expected_failure" : "unexpected_pass",
					       json_object_new_string(todo));
		if (other) {
			char note[512];

			snprintf(note, sizeof(note), "--expect %s=%s covers this test, but it failed with %s: a plain failure",
				 other->pattern, other->kind, cp_result_str(res, "fail_kind") ?: "no kind");
			json_object_object_add(res, "expectation_unmet", json_object_new_string(note));
		}
		if ((v == CP_V_FAIL && !todo) || (v == CP_V_PASS && todo) || v == CP_V_REFUSED ||
		    v == CP_V_ERROR)
			bad++;
		if (tap)
			cp_tap_result(tap, i + 1, res, todo);
		cp_report_add(doc, res);
		json_object_put(res);
	}
	if (interrupted) {
		if (tap)
			cp_tap_diag(tap, "interrupted by signal %d: stopped after the running test", (int)interrupted);
		json_object_object_add(doc, "interrupted", json_object_new_int(interrupted));
		bad++;
	}
	if (o->json)
		cp_report_write(doc, stdout);
	if (o->json_file) {
		FILE *f = fopen(o->json_file, "w");

		if (!f || cp_report_write(doc, f)) {
			fprintf(stderr, "cowpin: cannot write %s: %s\n", o->json_file, strerror(errno));
			bad++;
		}
		if (f)
			fclose(f);
	}
	json_object_put(doc);
	cp_plan_free(&plan);
	return bad ? 1 : 0;
}
