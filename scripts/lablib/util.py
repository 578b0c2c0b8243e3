# SPDX-License-Identifier: GPL-2.0-only
"""Small helpers shared by the lab's host side."""
import sys
import time

T0 = time.monotonic()


class LabError(Exception):
	"""A lab failure with a message meant for the user."""


def elapsed():
	return time.monotonic() - T0


def say(msg):
	"""Progress line on stderr, stamped with the run's elapsed time."""
	sys.stderr.write("lab [%6.1fs] %s\n" % (elapsed(), msg))
	sys.stderr.flush()
