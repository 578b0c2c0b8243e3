/* SPDX-License-Identifier: GPL-2.0-only */
/* The run's settings and the per-test environment handed to consumers. */
#ifndef COWPIN_ENV_H
#define COWPIN_ENV_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>

#include "backing.h"
#include "consumer.h"

#define CP_MAX_SETTINGS 64

struct cp_setting {
	const char *name;	/* consumer option name, e.g. "rdma-device" */
	const char *value;
};

struct cp_settings {
	struct cp_backing_opts backing;
	double timeout_s;		/* per test */
	struct cp_setting opt[CP_MAX_SETTINGS];
	int nopt;
	FILE *notice;			/* cp_notice() lines: the TAP stream, or NULL = stderr */
};

struct cp_env {
	const struct cp_settings *settings;
	const struct consumer_ops *ops;
	char why[1024];
	bool harness_failed;		/* set by cp_why_error(): the failure is not the kernel's refusal */
	struct json_object *evidence;	/* consumer facts, owned by the env */
	struct json_object *diag;	/* array of diagnostic lines */
};

/* Monotonic seconds, for bounds and durations. */
double cp_now_s(void);

void cp_env_init(struct cp_env *env, const struct cp_settings *s, const struct consumer_ops *ops);
void cp_env_fini(struct cp_env *env);
/* Look a consumer option up: command line first, then its environment variable. */
const char *cp_settings_get(const struct cp_settings *s, const struct consumer_ops *ops, const char *name);

#endif
