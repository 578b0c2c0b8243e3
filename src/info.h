/* SPDX-License-Identifier: GPL-2.0-only */
/* `cowpin info`: what this kernel offers the suite. */
#ifndef COWPIN_INFO_H
#define COWPIN_INFO_H

#include <stdio.h>

#include "runner.h"

int cp_info(const struct cp_run_opts *o, FILE *f);

#endif
