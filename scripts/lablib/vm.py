# SPDX-License-Identifier: GPL-2.0-only
"""Boot one kernel under QEMU, run one job inside, bounded in time.

The job is a shell script placed on the writable lab share (/lab in the
guest).  The guest's init writes /lab/events (one "name uptime" line per
phase), /lab/stdout, /lab/stderr and finally /lab/rc.  The host streams the
output while it grows and stamps each event with its own clock.  A guest
that never reports "booted" is killed and retried once with single-threaded
TCG (multi-threaded TCG rarely oopses at boot); anything else that ends
without /lab/rc is an error carrying the last console lines.
"""
import os
import re
import subprocess
import sys
import threading
import time

from . import initramfs, util

QEMU = "qemu-system-x86_64"

# Start of every job: a sane environment, and /var/tmp on a real ext4 disk
# (the scratch drive), so cowpin's tmpfile and ro-shared-file backings are
# pagecache of a disk filesystem rather than tmpfs (the overlay's upper).
PROLOGUE = """export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 COWPIN_LAB=1
if modprobe virtio_blk 2>/dev/null && modprobe ext4 2>/dev/null &&
   [ -b /dev/vda ]; then
	mount -t ext4 /dev/vda /var/tmp && chmod 1777 /var/tmp
fi
"""
SCRATCH_MB = 256
# The lab's NVMe controller: a sparse raw image in the share, rewritten every
# boot; 1 GiB + 64 MiB holds a hugetlb-1G buffer.  setup-vfio finds the
# controller by this serial and names all of its blocks as the scratch range.
NVME_IMAGE = "nvme.img"
NVME_MB = 1088
NVME_SERIAL = "cowpin-lab"
# A boot takes ~10-20 CPU seconds under TCG; more means the guest is stuck.
BOOT_CPU = 120
# Set on SIGINT/SIGTERM: every running guest is killed, none is retried.
STOP = threading.Event()


def mem_bytes(mem):
	m = re.match(r"^([0-9]+)([MG]?)$", mem.upper())
	if not m:
		raise util.LabError("--mem %s: use e.g. 2048M or 4G" % mem)
	return int(m.group(1)) << {"": 20, "M": 20, "G": 30}[m.group(2)]


def cpu_seconds(pid):
	"""CPU time a process has used (utime + stime)."""
	try:
		with open("/proc/%d/stat" % pid) as f:
			fields = f.read().rsplit(")", 1)[1].split()
		return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
	except (OSError, IndexError, ValueError):
		return 0.0


def kvm_usable():
	if not os.access("/dev/kvm", os.R_OK | os.W_OK):
		return False
	with open("/proc/cpuinfo") as f:
		return bool(re.search(r"\b(vmx|svm)\b", f.read()))


def make_scratch(path):
	"""The empty ext4 scratch disk (/var/tmp in the guest, see PROLOGUE)."""
	with open(path, "wb") as f:
		f.truncate(SCRATCH_MB << 20)
	subprocess.run(["mkfs.ext4", "-q", "-F", "-b", "4096", "-E", "nodiscard",
			path], check=True)


def nvme_options(image):
	"""The lab's NVMe controller on a throwaway raw image: after the vIOMMU
	on the command line (LAVA: an image_arg, after the context's options)."""
	return ["-drive", "if=none,id=nvm,format=raw,file=" + image,
		"-device", "nvme,serial=%s,drive=nvm" % NVME_SERIAL]


class Result:
	def __init__(self):
		self.rc = None		# the job's exit status, None on a lab error
		self.error = None	# what went wrong, with console lines
		self.events = {}	# event name -> host seconds since QEMU start
		self.uptime = {}	# event name -> the guest's /proc/uptime then
		self.boot_s = None	# QEMU start -> init reported "booted"
		self.wall_s = 0.0
		self.attempts = 0
		self.accel = None	# the -accel of the attempt that ran


class Guest:
	def __init__(self, kernel, mem="2G", smp=2, edu=False, accel=None,
		     append="", huge1g=None, noiommu=False):
		self.kernel = kernel
		# noiommu: edu without the vIOMMU (VFIO noiommu mode needs a device
		# outside any IOMMU group, and DMA to physical addresses).
		self.noiommu = noiommu
		self.huge1g = huge1g	# 1 GiB hugepages to reserve; None: by RAM
		self.mem = mem
		self.smp = smp
		self.edu = edu
		self.accel = accel
		self.append = append
		# A self-contained root (lablib/lava_ramdisk.py) instead of the
		# host's root over 9p; None: the 9p root (scripts/lab exec).
		self.ramdisk = None

	def _cmdline(self, accel="tcg"):
		a = ["console=ttyS0", "quiet", "panic=-1", "rdinit=/init",
		     "mitigations=off", "tsc=reliable",
		     "no_timer_check"]	# a loaded host makes the IO-APIC timer check panic
		if not accel.startswith("kvm"):
			# TCG on a loaded host: a TSC calibration the host preempted
			# sticks (the refined one is dropped when >1 % off, and
			# tsc=reliable has no watchdog); 4 of ~110 lab guests ran
			# their clock 2.6-15x fast, shortening every in-guest bound
			# and per-test time.  HPET ticks on QEMU's clock (host time),
			# and cost nothing measurable in the lab.  KVM has kvm-clock.
			a.append("clocksource=hpet")
		if self.ramdisk:
			a.append("cowpin.lab")	# scripts/lava/init.sh: run /lab/job.sh
		words = self.kernel.cmdline
		a.append(words.get("all", ""))
		if self.noiommu:
			a.append(words.get("noiommu", "vfio.enable_unsafe_noiommu_mode=1"))
		elif self.edu:
			a.append(words.get("iommu", "intel_iommu=on"))
		# cowpin's hugetlb-1G backing needs 2 (file page + COW copy); on
		# q35 two aligned 1 GiB ranges are free at boot only from 5 GiB.
		n = self.huge1g
		if n is None:
			m = mem_bytes(self.mem)
			n = 2 if m >= 5 << 30 else 1 if m >= 4 << 30 else 0
		if n:
			a += ["hugepagesz=1G", "hugepages=%d" % n]
		if self.append:
			a.append(self.append)
		return " ".join(w for w in a if w)

	def machine_options(self, nvme_image=None):
		"""Machine, CPUs and devices: the part of the QEMU command line
		the native lab and the LAVA job (lablib/lava_job.py) share.  In
		order: the vIOMMU (it must come before the devices it translates;
		none in a @noiommu boot), edu, and with nvme_image an NVMe
		controller on that throwaway raw image (serial NVME_SERIAL: the
		one scripts/setup-vfio binds)."""
		machine = "q35"
		dev = []
		if self.noiommu:
			# 40 address bits: guest pages above 256 MiB are reachable.
			dev += ["-device", "edu,dma_mask=0xffffffffff"]
		elif self.edu:
			machine += ",kernel-irqchip=split"	# intel-iommu's interrupt remapping
			dev += ["-device", "intel-iommu,intremap=on", "-device", "edu"]
		if nvme_image and (self.edu or self.noiommu):
			dev += nvme_options(nvme_image)
		return ["-machine", machine, "-smp", str(self.smp)] + dev

	def argv(self, share, accel, initrd, scratch=None):
		k = self.kernel
		mods = k.modules
		if accel.startswith("kvm"):
			cpu = "host"
		else:
			cpu = "max"
		fs = []
		shares = [("lab", share, False)]
		if not self.ramdisk:	# the host's root and the kernel's modules
			shares = [("root", "/", True), ("modules", os.path.dirname(mods), True)] + shares
		for tag, path, ro in shares:
			fs += ["-fsdev", "local,id=%s,path=%s,security_model=none%s%s" % (
				tag, path, ",readonly=on" if ro else "",
				",multidevs=remap" if tag == "root" else ""),
			       "-device", "virtio-9p-pci,fsdev=%s,mount_tag=%s" % (tag, tag)]
		dev = []
		if scratch:
			dev += ["-drive", "if=none,id=scratch,format=raw,file=" + scratch,
				"-device", "virtio-blk-pci,drive=scratch"]
		return [QEMU, "-nodefaults", "-no-user-config", "-display", "none",
			"-no-reboot", "-accel", accel, "-cpu", cpu, "-m", self.mem
			] + self.machine_options(os.path.join(share, NVME_IMAGE)) + [
			"-kernel", k.image, "-initrd", initrd,
			"-append", self._cmdline(accel), "-nic", "none",
			"-serial", "file:" + os.path.join(share, "console.log")
			] + dev + fs

	def run(self, job, share, timeout=1800, boot_timeout=120, sink=None,
		on_event=None):
		"""Run job (shell text) in the guest; share is a scratch host dir.

		sink(stream, bytes) gets the job's output as it grows (stream is
		"stdout" or "stderr"); default: copy to our own stdout/stderr.
		on_event(name, line, seconds) is called per /lab/events line.
		"""
		if self.ramdisk:
			initrd = self.ramdisk
		elif self.kernel.modules is None:
			raise util.LabError("kernel %s has no modules dir" % self.kernel.label)
		else:
			initrd = initramfs.build(self.kernel)
		if self.accel:
			accels = [self.accel, "tcg,thread=single"]
		elif kvm_usable():
			accels = ["kvm", "tcg", "tcg,thread=single"]
		else:
			accels = ["tcg", "tcg,thread=single"]
		res = Result()
		for i, accel in enumerate(accels):
			res.attempts = i + 1
			retry = self._attempt(job, share, accel, initrd, timeout,
					      boot_timeout, sink or _copy, on_event, res)
			if not retry or i == len(accels) - 1 or STOP.is_set():
				break
			util.say("%s: guest never reported (%s); retrying with -accel %s"
				 % (self.kernel.label, res.error.splitlines()[0],
				    accels[i + 1]))
			sys.stderr.write(res.error.split("\n", 1)[1] + "\n")
		return res

	def _attempt(self, job, share, accel, initrd, timeout, boot_timeout,
		     sink, on_event, res):
		"""One boot.  Returns True when it is worth retrying."""
		for f in os.listdir(share):
			if f.startswith("console-attempt"):
				continue	# an earlier attempt's evidence
			if f == "console.log" and res.attempts > 1:
				os.rename(os.path.join(share, f), os.path.join(
					share, "console-attempt%d.log" % (res.attempts - 1)))
				continue
			os.unlink(os.path.join(share, f))
		with open(os.path.join(share, "job.sh"), "w") as f:
			f.write(PROLOGUE + job)
		attempts = res.attempts
		res.__init__()
		res.attempts = attempts
		res.accel = accel
		with open(os.path.join(share, NVME_IMAGE), "wb") as f:
			f.truncate(NVME_MB << 20)	# sparse: only what the tests write
		scratch = os.path.join(share, "scratch.img")
		make_scratch(scratch)
		argv = self.argv(share, accel, initrd, scratch)
		with open(os.path.join(share, "qemu.argv"), "w") as f:
			f.write(" ".join(argv) + "\n")
		t0 = time.monotonic()
		qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
					stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
		os.set_blocking(qemu.stdout.fileno(), False)
		tails = {"stdout": 0, "stderr": 0}
		try:
			retry, qemu_out, ev_off = self._watch(
				qemu, share, t0, timeout, boot_timeout, sink, on_event,
				res, tails)
		finally:	# never leave a guest behind (Ctrl-C, SIGTERM)
			if qemu.poll() is None:
				qemu.kill()
				qemu.wait()
		res.wall_s = time.monotonic() - t0
		os.unlink(scratch)
		res.boot_s = res.events.get("booted")
		self._events(share, ev_off, res.wall_s, res, on_event)
		self._stream(share, tails, sink)
		rcf = os.path.join(share, "rc")
		if res.error is None:
			if os.path.exists(rcf) and open(rcf).read().strip():
				res.rc = int(open(rcf).read().strip())
				return False
			ierr = os.path.join(share, "init-error")
			if os.path.exists(ierr):
				res.error = "guest init failed: " + open(ierr).read().strip()
			else:
				res.error = "guest ended without reporting (QEMU exit %s)" % (
					qemu.returncode)
			retry = "booted" not in res.events
		tail = self.console_tail(share)
		if qemu_out.strip():
			tail += "\n--- qemu:\n" + qemu_out.decode(errors="replace").strip()
		res.error += "\n--- last console lines:\n" + tail
		return retry

	def _watch(self, qemu, share, t0, timeout, boot_timeout, sink, on_event,
		   res, tails):
		"""Poll the guest until it ends or a bound is hit."""
		ev_off = 0
		qemu_out = b""
		retry = False
		nag = 60
		while True:
			done = qemu.poll() is not None
			now = time.monotonic() - t0
			chunk = qemu.stdout.read()
			if chunk:
				qemu_out += chunk
			ev_off = self._events(share, ev_off, now, res, on_event)
			self._stream(share, tails, sink)
			if done:
				break
			if "booted" not in res.events and now > nag:
				nag += 60
				util.say("%s: still booting after %.0f s (guest used %.0f CPU s; "
					 "host load %.1f)" % (self.kernel.label, now,
							       cpu_seconds(qemu.pid), os.getloadavg()[0]))
			if STOP.is_set():
				res.error = "interrupted"
			elif "booted" not in res.events and (
					now > boot_timeout or cpu_seconds(qemu.pid) > BOOT_CPU):
				# CPU time, not wall time, tells a stuck guest from a
				# starved one on a host shared with other guests.
				res.error = "no boot after %.0f s (%.0f CPU s)" % (
					now, cpu_seconds(qemu.pid))
				retry = True
			elif now > timeout:
				res.error = "job still running after %d s" % timeout
			if res.error:
				qemu.kill()
				qemu.wait()
				break
			time.sleep(0.1)
		return retry, qemu_out, ev_off

	@staticmethod
	def console_tail(share, n=25):
		try:
			with open(os.path.join(share, "console.log"), "rb") as f:
				lines = f.read().decode(errors="replace").splitlines()
		except OSError:
			return "(no console log)"
		return "\n".join(lines[-n:])

	@staticmethod
	def _events(share, off, now, res, on_event):
		try:
			with open(os.path.join(share, "events"), "rb") as f:
				f.seek(off)
				data = f.read()
		except OSError:
			return off
		end = data.rfind(b"\n") + 1
		for line in data[:end].decode(errors="replace").splitlines():
			name = line.split(" ", 1)[0]
			res.events.setdefault(name, now)
			try:
				res.uptime.setdefault(name, float(line.split()[1]))
			except (IndexError, ValueError):
				pass
			if on_event:
				on_event(name, line, now)
		return off + end

	@staticmethod
	def _stream(share, tails, sink):
		for name, off in tails.items():
			try:
				with open(os.path.join(share, name), "rb") as f:
					f.seek(off)
					data = f.read()
			except OSError:
				continue
			if data:
				tails[name] += len(data)
				sink(name, data)


def _copy(name, data):
	out = sys.stdout if name == "stdout" else sys.stderr
	out.buffer.write(data)
	out.flush()
