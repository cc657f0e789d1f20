// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: what nkvm can give a guest (KVM_GET_SUPPORTED_CPUID), the table
 * userspace chooses per vCPU (KVM_SET/GET_CPUID2) and the lookup a vendor
 * uses when the guest executes CPUID.
 *
 * A feature is offered only when the host has it and nkvm handles what it
 * implies (no XSAVE/AVX yet: the guest's extended state is not switched).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeatures.h>
#include <asm/processor.h>

#include "x86.h"

#define NKVM_MAX_CPUID_ENTRIES	256
#define CPUID_KVM_SIGNATURE	0x40000000
#define CPUID_KVM_FEATURES	0x40000001
#define CPUID_MAX_BASIC		0x7
#define CPUID_MAX_EXT		0x80000008

/* The bit of a cpufeatures.h flag inside its own CPUID register. */
#define F(name)		BIT(X86_FEATURE_##name & 31)

enum { R_EAX, R_EBX, R_ECX, R_EDX };

/* Features offered, per leaf and register; everything else reads as 0. */
static const struct {
	u32 leaf, reg, mask;
} cpuid_masks[] = {
	/* Leaf 1 EAX (family/model/stepping) is the host's, unmasked. */
	{ 1, R_EBX, 0xff00 },	/* CLFLUSH line size; no APIC id/count */
	{ 1, R_EDX, F(FPU) | F(VME) | F(DE) | F(PSE) | F(TSC) | F(MSR) |
		    F(PAE) | F(MCE) | F(CX8) | F(APIC) | F(SEP) | F(MTRR) |
		    F(PGE) | F(MCA) | F(CMOV) | F(PAT) | F(PSE36) |
		    F(CLFLUSH) | F(MMX) | F(FXSR) | F(XMM) | F(XMM2) },
	{ 1, R_ECX, F(XMM3) | F(PCLMULQDQ) | F(SSSE3) | F(CX16) |
		    F(XMM4_1) | F(XMM4_2) | F(MOVBE) | F(POPCNT) | F(AES) |
		    F(RDRAND) },
	{ 7, R_EBX, F(FSGSBASE) | F(BMI1) | F(BMI2) | F(ERMS) | F(SMEP) |
		    F(ADX) | F(CLFLUSHOPT) | F(SHA_NI) | F(RDSEED) },
	{ 0x80000001, R_EDX, F(SYSCALL) | F(NX) | F(MMXEXT) | F(FXSR_OPT) |
			     F(GBPAGES) | F(RDTSCP) | F(LM) },
	{ 0x80000001, R_ECX, F(LAHF_LM) | F(ABM) | F(SSE4A) |
			     F(MISALIGNSSE) | F(3DNOWPREFETCH) },
};

static u32 cpuid_mask(u32 leaf, int reg)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpuid_masks); i++)
		if (cpuid_masks[i].leaf == leaf && cpuid_masks[i].reg == reg)
			return cpuid_masks[i].mask;
	return 0;
}

static void cpuid_host(struct kvm_cpuid_entry2 *e, u32 leaf, u32 index)
{
	memset(e, 0, sizeof(*e));
	e->function = leaf;
	e->index = index;
	cpuid_count(leaf, index, &e->eax, &e->ebx, &e->ecx, &e->edx);
}

/* Host leaf with EBX..EDX masked to what we offer. */
static void cpuid_features(struct kvm_cpuid_entry2 *e, u32 leaf)
{
	cpuid_host(e, leaf, 0);
	e->ebx &= cpuid_mask(leaf, R_EBX);
	e->ecx &= cpuid_mask(leaf, R_ECX);
	e->edx &= cpuid_mask(leaf, R_EDX);
}

/* Upper bound of the entries cpuid_supported() writes. */
#define CPUID_SUPPORTED_MAX	16

/* Fill e (room for CPUID_SUPPORTED_MAX entries); returns how many. */
static unsigned int cpuid_supported(struct kvm_cpuid_entry2 *e)
{
	unsigned int n = 0;
	u32 leaf, host_max;

	cpuid_host(&e[n], 0, 0);
	host_max = e[n].eax;
	e[n++].eax = min_t(u32, host_max, CPUID_MAX_BASIC);

	cpuid_features(&e[n++], 1);
	if (host_max >= 7) {
		cpuid_features(&e[n], 7);
		e[n].eax = 0;	/* only subleaf 0 */
		e[n++].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	}

	/* "KVMKVMKVM\0\0\0": the hypervisor signature, no PV features yet. */
	e[n++] = (struct kvm_cpuid_entry2){ .function = CPUID_KVM_SIGNATURE,
		.eax = CPUID_KVM_FEATURES, .ebx = 0x4b4d564b,
		.ecx = 0x564b4d56, .edx = 0x4d };
	e[n++] = (struct kvm_cpuid_entry2){ .function = CPUID_KVM_FEATURES };

	cpuid_host(&e[n], 0x80000000, 0);
	host_max = min_t(u32, e[n].eax, CPUID_MAX_EXT);
	e[n++].eax = host_max;
	for (leaf = 0x80000001; leaf <= host_max; leaf++) {
		switch (leaf) {
		case 0x80000001:
			cpuid_features(&e[n++], leaf);
			break;
		case 0x80000002 ... 0x80000004:	/* brand string */
			cpuid_host(&e[n++], leaf, 0);
			break;
		case 0x80000008:	/* physical and virtual address widths */
			cpuid_host(&e[n], leaf, 0);
			e[n].eax &= 0xffff;
			e[n].ebx = 0;
			e[n].ecx = 0;
			e[n++].edx = 0;
			break;
		}
	}
	return n;
}

/* KVM_GET_SUPPORTED_CPUID on /dev/kvm. */
long nkvm_x86_get_supported_cpuid(struct kvm_cpuid2 __user *uc)
{
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 c;
	unsigned int n;
	long r = 0;

	if (copy_from_user(&c, uc, sizeof(c)))
		return -EFAULT;

	e = kcalloc(CPUID_SUPPORTED_MAX, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	n = cpuid_supported(e);
	if (c.nent < n) {
		r = -E2BIG;
	} else {
		c.nent = n;
		if (copy_to_user(uc, &c, sizeof(c)) ||
		    copy_to_user(uc->entries, e, n * sizeof(*e)))
			r = -EFAULT;
	}
	kfree(e);
	return r;
}

static bool cpuid_table_valid(const struct kvm_cpuid_entry2 *e, u32 nent)
{
	u32 i, vbits;

	for (i = 0; i < nent; i++) {
		if (e[i].function != 0x80000008)
			continue;
		/* Guests can only have 4- or 5-level paging. */
		vbits = (e[i].eax >> 8) & 0xff;
		if (vbits && vbits != 48 && vbits != 57)
			return false;
	}
	return true;
}

/* KVM_SET_CPUID2: replace the vCPU's table. */
long nkvm_x86_set_cpuid2(struct nkvm_x86_vcpu *xv, struct kvm_cpuid2 __user *uc)
{
	struct kvm_cpuid_entry2 *e = NULL;
	struct kvm_cpuid2 c;

	if (copy_from_user(&c, uc, sizeof(c)))
		return -EFAULT;
	if (c.nent > NKVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (c.nent) {
		e = vmemdup_user(uc->entries, array_size(c.nent, sizeof(*e)));
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	if (!cpuid_table_valid(e, c.nent)) {
		kvfree(e);
		return -EINVAL;
	}
	kvfree(xv->cpuid);
	xv->cpuid = e;
	xv->cpuid_nent = c.nent;
	return 0;
}

/* KVM_GET_CPUID2: the table set last; -E2BIG (nent untouched) if it won't fit. */
long nkvm_x86_get_cpuid2(struct nkvm_x86_vcpu *xv, struct kvm_cpuid2 __user *uc)
{
	struct kvm_cpuid2 c;

	if (copy_from_user(&c, uc, sizeof(c)))
		return -EFAULT;
	if (c.nent < xv->cpuid_nent)
		return -E2BIG;
	c.nent = xv->cpuid_nent;
	if (copy_to_user(uc, &c, sizeof(c)) ||
	    copy_to_user(uc->entries, xv->cpuid,
			 array_size(c.nent, sizeof(*xv->cpuid))))
		return -EFAULT;
	return 0;
}

void nkvm_x86_cpuid_free(struct nkvm_x86_vcpu *xv)
{
	kvfree(xv->cpuid);
	xv->cpuid = NULL;
	xv->cpuid_nent = 0;
}

/*
 * The guest executed CPUID with leaf EAX and subleaf ECX: answer from the
 * vCPU's table into EAX..EDX. A leaf not in the table reads as zeros.
 */
void nkvm_x86_emulate_cpuid(struct nkvm_x86_vcpu *xv)
{
	u32 leaf = xv->regs.rax, index = xv->regs.rcx, i;
	const struct kvm_cpuid_entry2 *e;

	xv->regs.rax = 0;
	xv->regs.rbx = 0;
	xv->regs.rcx = 0;
	xv->regs.rdx = 0;
	for (i = 0; i < xv->cpuid_nent; i++) {
		e = &xv->cpuid[i];
		if (e->function != leaf)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != index)
			continue;
		xv->regs.rax = e->eax;
		xv->regs.rbx = e->ebx;
		xv->regs.rcx = e->ecx;
		xv->regs.rdx = e->edx;
		return;
	}
}
