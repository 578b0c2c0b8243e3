// SPDX-License-Identifier: GPL-2.0-only
/*
 * io_uring fixed buffers: IORING_REGISTER_BUFFERS takes a long-term pin,
 * and IORING_OP_WRITE_FIXED makes the kernel read the pinned pages (not the
 * process's mapping) into a file.  The pin is writable (FOLL_WRITE on every
 * kernel: registered buffers may be read into), so this consumer is the
 * reference that proves the harness end to end, not a subject of the R/O
 * question: its pin breaks COW at registration and must be reliable.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "consumer.h"

struct uring_ctx {
	struct io_uring ring;
	int sink;		/* memfd the kernel writes the pinned bytes into */
};

static int uring_probe(struct cp_env *env)
{
	struct io_uring ring;
	int err = io_uring_queue_init(2, &ring, 0);

	/* Only these say io_uring is absent here; open() reports any other failure as an error. */
	if (err == -EPERM || err == -ENOSYS) {
		cp_why(env, "io_uring_setup failed: %s%s", strerror(-err),
		       err == -EPERM ? " (io_uring disabled: sysctl kernel.io_uring_disabled=0)" :
		       " (kernel built without CONFIG_IO_URING)");
		return err;
	}
	if (!err)
		io_uring_queue_exit(&ring);
	return 0;
}

static int uring_open(struct cp_env *env, void **ctxp)
{
	struct uring_ctx *c = calloc(1, sizeof(*c));
	int err;

	if (!c) {
		cp_why(env, "out of memory");
		return -ENOMEM;
	}
	c->sink = memfd_create("cowpin-uring-sink", MFD_CLOEXEC);
	if (c->sink < 0) {
		err = -errno;
		cp_why(env, "memfd_create: %s", strerror(errno));
		free(c);
		return err;
	}
	err = io_uring_queue_init(8, &c->ring, 0);
	if (err) {
		cp_why(env, "io_uring_queue_init: %s", strerror(-err));
		close(c->sink);
		free(c);
		return err;
	}
	*ctxp = c;
	return 0;
}

static int uring_pin(struct cp_env *env, void *ctxp, struct cp_pin *pin)
{
	struct uring_ctx *c = ctxp;
	struct iovec iov = { .iov_base = pin->buf, .iov_len = pin->len };
	int err = io_uring_register_buffers(&c->ring, &iov, 1);

	if (err) {
		cp_why(env, "io_uring_register_buffers(%zu bytes): %s", pin->len, strerror(-err));
		return err;
	}
	pin->readable = pin->len;
	return 0;
}

/* One WRITE_FIXED per span from the registered buffer into the sink, then read the sink. */
static int uring_observe(struct cp_env *env, void *ctxp, struct cp_pin *pin,
			 struct cp_span *spans, int nspans)
{
	struct uring_ctx *c = ctxp;
	struct __kernel_timespec ts = { .tv_sec = (long long)cp_wait_bound(env) };

	for (int i = 0; i < nspans; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);
		struct io_uring_cqe *cqe;
		int err, res;

		if (!sqe) {
			cp_why(env, "no free SQE");
			return -EBUSY;
		}
		io_uring_prep_write_fixed(sqe, c->sink, (char *)pin->buf + spans[i].off, spans[i].len, 0, 0);
		err = io_uring_submit(&c->ring);
		if (err != 1) {
			cp_why(env, "io_uring_submit: %s", strerror(err < 0 ? -err : EIO));
			return err < 0 ? err : -EIO;
		}
		err = io_uring_wait_cqe_timeout(&c->ring, &cqe, &ts);
		if (err) {
			cp_why(env, "waiting for WRITE_FIXED: %s", strerror(-err));
			return err;
		}
		res = cqe->res;
		io_uring_cqe_seen(&c->ring, cqe);
		if (res != (int)spans[i].len) {
			cp_why(env, "WRITE_FIXED returned %d (%s)", res, res < 0 ? strerror(-res) : "short");
			return res < 0 ? res : -EIO;
		}
		if (pread(c->sink, spans[i].out, spans[i].len, 0) != (ssize_t)spans[i].len) {
			cp_why(env, "reading the sink: %s", strerror(errno));
			return -EIO;
		}
	}
	return 0;
}

static void uring_unpin(struct cp_env *env, void *ctxp, struct cp_pin *pin)
{
	struct uring_ctx *c = ctxp;

	(void)env;
	(void)pin;
	io_uring_unregister_buffers(&c->ring);
}

static void uring_close(struct cp_env *env, void *ctxp)
{
	struct uring_ctx *c = ctxp;

	(void)env;
	io_uring_queue_exit(&c->ring);
	close(c->sink);
	free(c);
}

const struct consumer_ops cp_io_uring_ops = {
	.name = "io_uring",
	.summary = "io_uring fixed buffers read by WRITE_FIXED (writable pin: the harness's reference)",
	.counter = CP_COUNTER_PINNED_VM,
	.writable_pin = true,
	.cases = CP_CASE_BIT(CP_CASE_SNAPSHOT) | CP_CASE_BIT(CP_CASE_RELIABLE) | CP_CASE_BIT(CP_CASE_FILE_INTACT) |
		 CP_CASE_BIT(CP_CASE_DETECTS_STALE),
	.probe = uring_probe,
	.open = uring_open,
	.pin_ro = uring_pin,
	.observe = uring_observe,
	.unpin = uring_unpin,
	.close = uring_close,
};
