// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "env.h"

void cp_env_init(struct cp_env *env, const struct cp_settings *s, const struct consumer_ops *ops)
{
	memset(env, 0, sizeof(*env));
	env->settings = s;
	env->ops = ops;
	env->evidence = json_object_new_object();
	env->diag = json_object_new_array();
}

void cp_env_fini(struct cp_env *env)
{
	json_object_put(env->evidence);
	json_object_put(env->diag);
	env->evidence = env->diag = NULL;
}

const char *cp_settings_get(const struct cp_settings *s, const struct consumer_ops *ops, const char *name)
{
	for (int i = 0; i < s->nopt; i++)
		if (!strcmp(s->opt[i].name, name))
			return s->opt[i].value;
	for (const struct cp_option *o = ops ? ops->options : NULL; o && o->name; o++)
		if (!strcmp(o->name, name) && o->env && getenv(o->env) && *getenv(o->env))
			return getenv(o->env);
	return NULL;
}

const char *cp_opt(struct cp_env *env, const char *name)
{
	return cp_settings_get(env->settings, env->ops, name);
}

void cp_why(struct cp_env *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(env->why, sizeof(env->why), fmt, ap);
	va_end(ap);
}

void cp_why_error(struct cp_env *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(env->why, sizeof(env->why), fmt, ap);
	va_end(ap);
	env->harness_failed = true;
}

struct json_object *cp_evidence(struct cp_env *env)
{
	return env->evidence;
}

void cp_diag(struct cp_env *env, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_object_array_add(env->diag, json_object_new_string(line));
}

void cp_notice(struct cp_env *env, const char *fmt, ...)
{
	FILE *f = env->settings->notice ? env->settings->notice : stderr;
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	line[strcspn(line, "\n")] = '\0';
	fprintf(f, "# %s\n", line);
	fflush(f);
	json_object_array_add(env->diag, json_object_new_string(line));
}

double cp_wait_bound(struct cp_env *env)
{
	/* A device wait gets a fraction of the test's bound, never less than 5 s. */
	double t = env->settings->timeout_s / 4;

	return t < 5 ? 5 : t;
}

double cp_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
