// SPDX-License-Identifier: GPL-2.0-only
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "buildid.h"

static char hex[2 * 64 + 1];

/* The first object dl_iterate_phdr() reports is the program itself. */
static int find_note(struct dl_phdr_info *info, size_t size, void *data)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const void *)p;
			const char *name = p + sizeof(*n);
			const unsigned char *desc = (const void *)(name + ((n->n_namesz + 3) & ~3u));

			if ((const char *)desc + n->n_descsz > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && !memcmp(name, "GNU", 4) &&
			    n->n_descsz && n->n_descsz <= 64) {
				for (unsigned int k = 0; k < n->n_descsz; k++)
					snprintf(hex + 2 * k, 3, "%02x", desc[k]);
				return 1;
			}
			p = (const char *)desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 1;	/* only the program: not its libraries' ids */
}

const char *cp_build_id(void)
{
	if (!hex[0])
		dl_iterate_phdr(find_note, NULL);
	return hex[0] ? hex : NULL;
}

int cp_run_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	return n >= 1 && n <= 200 && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
						"0123456789._:+-") == n;
}
