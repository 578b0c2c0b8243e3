/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The consumer interface: everything the core knows about a driver that
 * takes a long-term pin on user memory and lets a device (or the kernel on
 * its behalf) read the pinned pages back.
 *
 * A consumer is one file in drivers/ that defines a `struct consumer_ops`
 * and one line in src/consumers.c.  The core never names a consumer.
 *
 * Every callback that can fail returns 0 or a negative errno and explains
 * itself with cp_why(env, ...): the text ends up in the result's reason.
 */
#ifndef COWPIN_CONSUMER_H
#define COWPIN_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "cases.h"

struct cp_env;

/* Which mm counter a consumer's pin is charged to (and so which RLIMIT_MEMLOCK path). */
enum cp_counter {
	CP_COUNTER_NONE,	/* charged nowhere visible in /proc/self/status */
	CP_COUNTER_PINNED_VM,	/* mm->pinned_vm: VmPin in /proc/self/status (RDMA umem, iommufd, io_uring) */
	CP_COUNTER_LOCKED_VM,	/* mm->locked_vm: VmLck (VFIO type1) */
};

/* One byte range of the pinned buffer the device must read back into out. */
struct cp_span {
	size_t off;
	size_t len;
	unsigned char *out;
};

/* A pin as the core sees it; the consumer keeps its own state in priv. */
struct cp_pin {
	void *buf;		/* start of the test buffer */
	size_t len;		/* its length: the consumer pins [buf, buf+len) */
	size_t readable;	/* set by pin_ro: bytes from buf the device can read (<= len) */
	/*
	 * Set by observe when the device read all of [0, readable) (storage
	 * engines): those bytes, valid until the next observe or unpin.  The
	 * core then compares every byte, not only the spans.
	 */
	const unsigned char *seen;
	void *priv;		/* the consumer's handle */
};

/* A consumer-specific option, e.g. --rdma-device / COWPIN_RDMA_DEVICE. */
struct cp_option {
	const char *name;	/* long option without "--" */
	const char *env;	/* environment variable, or NULL */
	const char *help;
	/*
	 * The value's syntax, checked when the command line (and the
	 * environment) is parsed, before anything is touched: 0, or -EINVAL
	 * with why (the command then exits 2).  NULL: any value.
	 */
	int (*check)(const char *value, char *why, size_t whylen);
};

struct consumer_ops {
	const char *name;		/* stable, appears in test names */
	const char *summary;		/* one line for `cowpin list`/`info` */
	enum cp_counter counter;
	/*
	 * true when the consumer's pin is writable (FOLL_WRITE): it is then a
	 * reference for the harness, not a subject of the R/O question.
	 */
	bool writable_pin;
	/*
	 * true when no kernel pin exists at all (VFIO noiommu: userspace hands
	 * physical addresses to the device).  A stale read of a COW mapping is
	 * then the hazard such users face, reported as "hazard", not a kernel
	 * regression; without COW (anon, shared-memfd) it is still a fail.
	 */
	bool no_kernel_pin;
	unsigned int cases;		/* CP_CASE_BIT(...) of the cases it supports */
	unsigned int backings;		/* bitmask of backings it supports; 0 = all */
	const struct cp_option *options;/* NULL-terminated, may be NULL */

	/* Is the consumer usable here?  0, or -errno with cp_why() = why + how to enable. */
	int (*probe)(struct cp_env *env);
	/*
	 * Open the device(s).  -errno + cp_why() makes the test an error: the
	 * probe already established the consumer is present, so a device that
	 * is there but fails is never a skip.
	 */
	int (*open)(struct cp_env *env, void **ctx);
	/*
	 * Take the long-term pin of pin->buf/len read-only (the consumer's R/O
	 * mode) and set pin->readable.  A refusal by the kernel's registration
	 * call itself returns its -errno with cp_why(): the core reports it as
	 * "refused".  Anything else that fails here (a scratch mmap, calloc,
	 * alignment, a device step before or after the registration call) is
	 * explained with cp_why_error(): the core reports it as "error".
	 */
	int (*pin_ro)(struct cp_env *env, void *ctx, struct cp_pin *pin);
	/*
	 * One fresh device read of every span (offsets relative to pin->buf,
	 * within pin->readable), and of all the readable bytes if the device
	 * can (pin->seen).  Never copy from the process's mapping.
	 */
	int (*observe)(struct cp_env *env, void *ctx, struct cp_pin *pin,
		       struct cp_span *spans, int nspans);
	void (*unpin)(struct cp_env *env, void *ctx, struct cp_pin *pin);
	void (*close)(struct cp_env *env, void *ctx);
};

/* The per-test environment the core hands to a consumer. */
const char *cp_opt(struct cp_env *env, const char *name);	/* option value or NULL */
void cp_why(struct cp_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * cp_why() for a failure of the harness or the device, not of the kernel's
 * registration call: a failing pin_ro() is then reported as "error", never
 * as "refused".
 */
void cp_why_error(struct cp_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Facts about the device for the result's evidence (device name, GID, BDF, ...). */
struct json_object *cp_evidence(struct cp_env *env);
/* Log a progress/diagnostic line (goes to TAP as "# ...", after the test's result). */
void cp_diag(struct cp_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * A diagnostic line printed at once ("# ..." on the TAP stream; stderr with
 * --format json), before the consumer goes on: what it is about to
 * overwrite.  Also kept with the result's diag lines.
 */
void cp_notice(struct cp_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Seconds a single device wait may take (scaled by --timeout, generous for TCG). */
double cp_wait_bound(struct cp_env *env);

/* The table, in src/consumers.c. */
extern const struct consumer_ops *const cp_consumers[];
const struct consumer_ops *cp_consumer_find(const char *name);

#endif
