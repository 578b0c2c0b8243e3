# SPDX-License-Identifier: GPL-2.0-only
"""Host side of cowpin's QEMU lab (scripts/lab)."""
