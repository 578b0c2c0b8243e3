/* SPDX-License-Identifier: GPL-2.0-only */
/* `cowpin memlock`: what each R/O pin costs and where RLIMIT_MEMLOCK bites. */
#ifndef COWPIN_MEMLOCK_H
#define COWPIN_MEMLOCK_H

#include "cli.h"

int cp_memlock(const struct cp_cli *cli);

#endif
