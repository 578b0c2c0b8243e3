// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "env.h"
#include "reap.h"

int cp_reap(pid_t pid, int *status, double bound_s)
{
	double deadline = cp_now_s() + bound_s;
	int fd = pidfd_open(pid, 0), err;
	long nap_us = 1000;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		double left = deadline - cp_now_s();

		if (r == pid) {
			err = 0;
			break;
		}
		if (r < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		if (left <= 0) {
			err = -ETIMEDOUT;
			break;
		}
		if (fd >= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			/* EINTR (a signal for the runner) just goes round again. */
			poll(&p, 1, left * 1000 > INT_MAX - 1 ? INT_MAX : (int)(left * 1000) + 1);
		} else {
			usleep(nap_us < left * 1e6 ? nap_us : (long)(left * 1e6) + 1);
			if (nap_us < 50000)
				nap_us *= 2;
		}
	}
	if (fd >= 0)
		close(fd);
	return err;
}
