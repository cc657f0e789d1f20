// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX backend. For now: detection and ownership checks at load.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/special_insns.h>

#include "x86.h"

static void vmx_read_cr4(void *in_use)
{
	if (__read_cr4() & X86_CR4_VMXE)
		atomic_inc(in_use);
}

static int vmx_probe(void)
{
	atomic_t in_use = ATOMIC_INIT(0);
	u64 fc;

	if (!boot_cpu_has(X86_FEATURE_VMX))
		return -ENODEV;

	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	if ((fc & FEAT_CTL_LOCKED) &&
	    !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("Intel VMX is disabled by the firmware (IA32_FEATURE_CONTROL)\n");
		return -ENODEV;
	}

	on_each_cpu(vmx_read_cr4, &in_use, 1);
	if (atomic_read(&in_use)) {
		pr_err("Intel VMX is already in use by another hypervisor (CR4.VMXE set on %d CPUs)\n",
		       atomic_read(&in_use));
		return -EBUSY;
	}
	return 0;
}

const struct nkvm_x86_vendor nkvm_vmx_vendor = {
	.name	= "vmx",
	.probe	= vmx_probe,
};
