// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fork_child.h"
#include "reap.h"

/* What the child found, as one line for the parent: "same", or the first difference. */
static void child(const struct cp_fork_child *f, const unsigned char *addr, const size_t *offs, int n,
		  size_t span, enum cp_pattern want)
{
	char line[160] = "same";
	char c;

	/* Wait for the parent's write; a parent gone without a word ends us too. */
	if (read(f->go, &c, 1) != 1)
		_exit(2);
	for (int i = 0; i < n; i++) {
		size_t bad = cp_pattern_mismatch(want, addr + offs[i], offs[i], span);

		if (bad < span) {
			snprintf(line, sizeof(line), "at +0x%zx the child's mapping holds %02x, not %s's %02x",
				 offs[i] + bad, addr[offs[i] + bad], cp_pattern_name(want),
				 cp_pattern_byte(want, offs[i] + bad));
			break;
		}
	}
	if (write(f->answer, line, strlen(line)) < 0)
		_exit(3);
	_exit(0);
}

int cp_fork_child_start(struct cp_fork_child *f, const unsigned char *addr, const size_t *offs, int n,
			size_t span, enum cp_pattern want)
{
	int go[2], answer[2];

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(answer, O_CLOEXEC)) {
		int err = -errno;

		close(go[0]);
		close(go[1]);
		return err;
	}
	fflush(NULL);
	f->pid = fork();
	if (f->pid == 0) {
		close(go[1]);
		close(answer[0]);
		f->go = go[0];
		f->answer = answer[1];
		child(f, addr, offs, n, span, want);
	}
	close(go[0]);
	close(answer[1]);
	f->go = go[1];
	f->answer = answer[0];
	if (f->pid < 0) {
		int err = -errno;

		close(f->go);
		close(f->answer);
		return err;
	}
	return 0;
}

int cp_fork_child_finish(struct cp_fork_child *f, double bound_s, char *why, size_t whylen)
{
	struct pollfd pfd = { .fd = f->answer, .events = POLLIN };
	char line[160] = "";
	int status = 0, rc = -ETIMEDOUT;
	ssize_t got = 0;

	if (write(f->go, "w", 1) != 1)
		rc = -errno;
	else if (poll(&pfd, 1, (int)(bound_s * 1000)) == 1)
		got = read(f->answer, line, sizeof(line) - 1);
	if (got > 0) {
		line[got] = '\0';
		rc = !strcmp(line, "same");
		snprintf(why, whylen, "%s", rc ? "the child's mapping still holds the old content" : line);
	}
	close(f->go);
	close(f->answer);
	/* Bounded reap: the child only reads memory, it is done or stuck for good. */
	if (cp_reap(f->pid, &status, 1) == -ETIMEDOUT) {
		kill(f->pid, SIGKILL);
		cp_reap(f->pid, &status, 1);
	}
	if (got <= 0)
		snprintf(why, whylen, "the forked child gave no answer within %.0f s%s", bound_s,
			 WIFSIGNALED(status) ? " (killed by a signal: its mapping was not readable)" : "");
	return rc;
}
