// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM backend. For now: detection and ownership checks at load.
 */
#define pr_fmt(fmt) "nkvm: " fmt

/*
 * asm/svm.h includes the host's <uapi/asm/kvm.h> by that explicit path;
 * include ours first so that copy is skipped by the shared include guard.
 */
#include "x86.h"

#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/svm.h>

static void svm_read_efer(void *in_use)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		atomic_inc(in_use);
}

static int svm_probe(void)
{
	atomic_t in_use = ATOMIC_INIT(0);
	u64 vm_cr;

	if (!boot_cpu_has(X86_FEATURE_SVM))
		return -ENODEV;

	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & (1ULL << SVM_VM_CR_SVM_DISABLE)) {
		pr_err("AMD SVM is disabled by the firmware (VM_CR.SVMDIS)\n");
		return -ENODEV;
	}

	on_each_cpu(svm_read_efer, &in_use, 1);
	if (atomic_read(&in_use)) {
		pr_err("AMD SVM is already in use by another hypervisor (EFER.SVME set on %d CPUs)\n",
		       atomic_read(&in_use));
		return -EBUSY;
	}
	return 0;
}

const struct nkvm_x86_vendor nkvm_svm_vendor = {
	.name	= "svm",
	.probe	= svm_probe,
};
