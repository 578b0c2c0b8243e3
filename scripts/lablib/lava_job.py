# SPDX-License-Identifier: GPL-2.0-only
"""One LAVA job per kernel: the lab's guest as a `qemu` device-type job.

The QEMU machine and devices come from vm.Guest.machine_options(), as in
the native lab; the kernel command line from vm.Guest (without `quiet`:
LAVA waits for the "Linux version" banner).  Artifacts are URLs (file://
here, http(s) on a farm); apart from them the job names no path of this
machine.  The test definition (scripts/lava/cowpin.yaml) goes inline: a
farm cannot reach this repository; what it runs is in the ramdisk.
"""
import os

import yaml

from . import vm

HERE = os.path.dirname(os.path.abspath(__file__))
DEFINITION = os.path.join(os.path.dirname(HERE), "lava", "cowpin.yaml")
# Bounds under TCG (a 6.12 guest runs the suite in ~3-6 min on a shared
# host; cow.c and memlock add ~2 min): generous, but finite.
TIMEOUTS = {"deploy": 10, "boot": 10, "test": 75, "job": 100}


def cmdline(guest, kvm):
	return " ".join(w for w in guest._cmdline("kvm" if kvm else "tcg").split() if w != "quiet")


def nvme(guest, urls):
	"""The lab's NVMe (vfio-*-nvme) on its throwaway image, when urls has one."""
	if "nvme" not in urls or not (guest.edu or guest.noiommu):
		return {}
	return {"nvme": {"url": urls["nvme"], "compression": "gz",
			 "image_arg": " ".join(vm.nvme_options("{nvme}"))}}


def job(label, guest, urls, kvm, run_id=None):
	"""The job as a dict.  urls: {"kernel", "ramdisk", "scratch"[, "nvme"]} -> URL;
	kvm: the worker has a usable /dev/kvm (else context no_kvm); run_id: the
	test definition's COWPIN_RUN_ID parameter, stamped into cowpin's JSON."""
	params = {"parameters": {"COWPIN_RUN_ID": run_id}} if run_id else {}
	with open(DEFINITION) as f:
		definition = yaml.safe_load(f)
	context = {"arch": "amd64", "memory": vm.mem_bytes(guest.mem) >> 20,
		   # TCG: the lab's CPU model (the template gives -cpu host with KVM).
		   "extra_options": [" ".join(o) for o in _pairs(
			   guest.machine_options() + ([] if kvm else ["-cpu", "max"]))]}
	if not kvm:
		context["no_kvm"] = True
	return {
		"job_name": "cowpin A/B lab on %s" % label,
		"device_type": "qemu",
		"visibility": "public",
		"priority": "medium",
		"timeouts": {"job": {"minutes": TIMEOUTS["job"]},
			     "action": {"minutes": TIMEOUTS["test"]},
			     "connection": {"minutes": 2}},
		"context": context,
		"metadata": {"cowpin.kernel": label, **({"cowpin.run_id": run_id} if run_id else {})},
		"actions": [
			{"deploy": {
				"timeout": {"minutes": TIMEOUTS["deploy"]},
				"to": "tmpfs",
				"os": "debian",
				"images": {
					"kernel": {"url": urls["kernel"],
						   "image_arg": '-kernel {kernel} -append "%s"' % cmdline(guest, kvm)},
					"ramdisk": {"url": urls["ramdisk"], "image_arg": "-initrd {ramdisk}",
						    "format": "cpio.newc", "compression": "gz",
						    "overlays": {"lava": True}},
					# The lab's ext4 scratch disk: /var/tmp in the guest.
					"scratch": {"url": urls["scratch"], "compression": "gz",
						    "image_arg": "-drive format=raw,if=virtio,file={scratch}"},
					# The lab's NVMe for vfio-*-nvme, after the vIOMMU (context options).
					**nvme(guest, urls),
				}}},
			{"boot": {
				"timeout": {"minutes": TIMEOUTS["boot"]},
				"method": "qemu",
				"media": "tmpfs",
				"prompts": ["/ # "]}},
			{"test": {
				"timeout": {"minutes": TIMEOUTS["test"]},
				"definitions": [{"from": "inline", "name": "cowpin",
						 "path": "inline/cowpin.yaml",
						 "repository": definition, **params}]}},
		],
	}


def _pairs(opts):
	"""["-machine", "q35", "-device", "edu"] -> [["-machine", "q35"], ...]."""
	return [opts[i:i + 2] for i in range(0, len(opts), 2)]


def dump(doc):
	return yaml.safe_dump(doc, sort_keys=False, width=1000)


def device(templates, context, mac="52:54:00:12:34:59"):
	"""The rendered device YAML lava-run wants: the device dictionary
	({% extends 'qemu.jinja2' %}) rendered with the job's context as
	variables, as lava-server does."""
	import jinja2
	env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates),
				 trim_blocks=True, autoescape=False)
	src = "{%% extends 'qemu.jinja2' %%}\n{%% set mac_addr = '%s' %%}\n" % mac
	return env.from_string(src).render(**context)


DISPATCHER = "dispatcher_ip: 127.0.0.1\n"
