# SPDX-License-Identifier: GPL-2.0-only
"""Small helpers shared by the lab's host side."""
import os
import sys
import tempfile
import time

T0 = time.monotonic()
# apt-get, waiting (and saying so) while another apt holds the dpkg lock.
APT_WAIT = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "apt-wait")


class LabError(Exception):
	"""A lab failure with a message meant for the user."""


def elapsed():
	return time.monotonic() - T0


def say(msg):
	"""Progress line on stderr, stamped with the run's elapsed time."""
	sys.stderr.write("lab [%6.1fs] %s\n" % (elapsed(), msg))
	sys.stderr.flush()


def write_atomic(path, data):
	"""Write a cache file so that nobody sees it half-written, even when two
	guests (or two lab runs) build the same file at once: each writes its own
	temporary file and the last rename wins (their contents are equal)."""
	d = os.path.dirname(path)
	os.makedirs(d, exist_ok=True)
	fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".")
	os.fchmod(fd, 0o644)	# mkstemp makes 0600; cache files are plain readable files
	try:
		with os.fdopen(fd, "wb") as f:
			f.write(data)
		os.replace(tmp, path)
	except BaseException:
		os.unlink(tmp)
		raise
