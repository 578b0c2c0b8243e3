// SPDX-License-Identifier: GPL-2.0-only
/*
 * cp_reap: a child that exits is reaped at once with its status, one that
 * outlives the bound is reported as -ETIMEDOUT (and still reapable).
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "env.h"
#include "reap.h"
#include "utap.h"

static pid_t child(unsigned int secs, int code)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (secs)
			sleep(secs);
		_exit(code);
	}
	return pid;
}

int main(void)
{
	int status = -1, err;
	double t0;
	pid_t pid;

	utap_plan(6);
	pid = child(0, 7);
	t0 = cp_now_s();
	err = cp_reap(pid, &status, 10);
	ok(!err && WIFEXITED(status) && WEXITSTATUS(status) == 7, "an exiting child is reaped with its status");
	/* Not a timing assertion on the product: the old 50 ms naps are what this would catch. */
	ok(cp_now_s() - t0 < 5, "without waiting for the bound (%.3f s)", cp_now_s() - t0);

	pid = child(30, 0);
	t0 = cp_now_s();
	err = cp_reap(pid, &status, 0.2);
	ok(err == -ETIMEDOUT, "a child outliving the bound gives -ETIMEDOUT (%d)", err);
	ok(cp_now_s() - t0 >= 0.2, "after the bound, not before (%.3f s)", cp_now_s() - t0);
	kill(pid, SIGKILL);
	err = cp_reap(pid, &status, 10);
	ok(!err && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the killed child is then reaped");
	ok(cp_reap(pid, &status, 1) == -ECHILD, "reaping it twice is -ECHILD, not a wait");
	return utap_done();
}
