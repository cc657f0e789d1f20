// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: what nkvm can give a guest (KVM_GET_SUPPORTED_CPUID), the table
 * userspace chooses per vCPU (KVM_SET/GET_CPUID2) and the lookup a vendor
 * uses when the guest executes CPUID.
 *
 * A feature is offered only when the host has it and nkvm handles what it
 * implies: XSAVE and AVX with the XCR0 components of fpu.c, described in
 * leaf 0xD. As stock, OSXSAVE and the XSAVE size in leaf 0xD follow the
 * guest's CR4 and XCR0 when the guest executes CPUID.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeatures.h>
#include <asm/fpu/types.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "x86.h"

#define NKVM_MAX_CPUID_ENTRIES	256
#define CPUID_KVM_SIGNATURE	0x40000000
#define CPUID_KVM_FEATURES	0x40000001
#define CPUID_MAX_BASIC		0x7
#define CPUID_XSTATE		0xd
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
	{ 1, R_ECX, F(XMM3) | F(PCLMULQDQ) | F(SSSE3) | F(FMA) | F(CX16) |
		    F(XMM4_1) | F(XMM4_2) | F(MOVBE) | F(POPCNT) | F(AES) |
		    F(XSAVE) | F(AVX) | F(F16C) | F(RDRAND) },
	{ CPUID_XSTATE, R_EAX, F(XSAVEOPT) | F(XGETBV1) },	/* subleaf 1 */
	{ 7, R_EBX, F(FSGSBASE) | F(TSC_ADJUST) | F(BMI1) | F(BMI2) | F(ERMS) | F(SMEP) |
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

/* The CPUID leaf (subleaf 0) and register of an X86_FEATURE_* word. */
static bool cpuid_feature_reg(unsigned int feature, u32 *leaf, int *reg)
{
	static const struct {
		u8 word;
		u32 leaf;
		int reg;
	} words[] = {
		{ CPUID_1_EDX, 1, R_EDX },
		{ CPUID_1_ECX, 1, R_ECX },
		{ CPUID_7_0_EBX, 7, R_EBX },
		{ CPUID_7_ECX, 7, R_ECX },
		{ CPUID_7_EDX, 7, R_EDX },
		{ CPUID_8000_0001_EDX, 0x80000001, R_EDX },
		{ CPUID_8000_0001_ECX, 0x80000001, R_ECX },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(words); i++) {
		if (words[i].word == feature / 32) {
			*leaf = words[i].leaf;
			*reg = words[i].reg;
			return true;
		}
	}
	return false;
}

/*
 * A host feature (X86_FEATURE_*) that KVM_GET_SUPPORTED_CPUID offers too:
 * what userspace may turn on, e.g. through CR4, before any CPUID is set.
 */
bool nkvm_x86_supports(unsigned int feature)
{
	u32 leaf;
	int reg;

	if (!boot_cpu_has(feature) || !cpuid_feature_reg(feature, &leaf, &reg))
		return false;
	return cpuid_mask(leaf, reg) & BIT(feature & 31);
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
#define CPUID_SUPPORTED_MAX	32

/*
 * Leaf 0xD for the components xcr0 (subleaf 0: which, and the area's
 * size; 1: the XSAVE variants; then one subleaf per component from 2 on,
 * each giving its size and offset). Returns the entries written.
 */
static unsigned int cpuid_xstate(struct kvm_cpuid_entry2 *e, unsigned int room,
				 u64 xcr0)
{
	unsigned int n = 0, i;

	cpuid_host(&e[n], CPUID_XSTATE, 0);
	e[n].eax = lower_32_bits(xcr0);
	e[n].edx = upper_32_bits(xcr0);
	e[n].ebx = nkvm_x86_xsave_size(xcr0);
	e[n].ecx = e[n].ebx;
	e[n++].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;

	cpuid_host(&e[n], CPUID_XSTATE, 1);
	e[n].eax &= cpuid_mask(CPUID_XSTATE, R_EAX);
	e[n].ebx = 0;		/* no XSAVES/XSAVEC: no compacted size */
	e[n].ecx = 0;		/* no supervisor state (IA32_XSS) */
	e[n].edx = 0;
	e[n++].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;

	for (i = 2; i < 64 && n < room; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		cpuid_host(&e[n], CPUID_XSTATE, i);
		e[n].ecx &= BIT(1);	/* keep only the 64-byte alignment bit */
		e[n].edx = 0;
		e[n++].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	}
	return n;
}

/* Fill e (room for CPUID_SUPPORTED_MAX entries); returns how many. */
static unsigned int cpuid_supported(struct kvm_cpuid_entry2 *e)
{
	u64 xcr0 = nkvm_x86_supported_xcr0();
	unsigned int n = 0;
	u32 leaf, host_max;

	cpuid_host(&e[n], 0, 0);
	host_max = e[n].eax;
	if (host_max < CPUID_XSTATE)
		xcr0 = 0;
	e[n++].eax = min_t(u32, host_max,
			   xcr0 ? CPUID_XSTATE : CPUID_MAX_BASIC);

	cpuid_features(&e[n], 1);
	if (!xcr0)
		e[n].ecx &= ~F(XSAVE);
	if (!(xcr0 & XFEATURE_MASK_YMM))
		e[n].ecx &= ~(F(AVX) | F(FMA) | F(F16C));
	/* As stock: the in-kernel LAPIC has x2APIC mode whatever the host. */
	e[n].ecx |= F(X2APIC);
	n++;
	if (host_max >= 7) {
		cpuid_features(&e[n], 7);
		/* As stock: emulated whatever the host has (msr.c). */
		e[n].edx |= F(ARCH_CAPABILITIES);
		e[n].eax = 0;	/* only subleaf 0 */
		e[n++].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	}
	if (xcr0)
		n += cpuid_xstate(&e[n], CPUID_SUPPORTED_MAX - 8 - n, xcr0);

	/* "KVMKVMKVM\0\0\0": the hypervisor signature; kvmclock's features. */
	e[n++] = (struct kvm_cpuid_entry2){ .function = CPUID_KVM_SIGNATURE,
		.eax = CPUID_KVM_FEATURES, .ebx = 0x4b4d564b,
		.ecx = 0x564b4d56, .edx = 0x4d };
	e[n++] = (struct kvm_cpuid_entry2){ .function = CPUID_KVM_FEATURES,
		.eax = nkvm_x86_pv_features() };

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

static const struct kvm_cpuid_entry2 *cpuid_find(struct nkvm_x86_vcpu *xv,
						 u32 leaf, u32 index)
{
	const struct kvm_cpuid_entry2 *e;
	u32 i;

	for (i = 0; i < xv->cpuid_nent; i++) {
		e = &xv->cpuid[i];
		if (e->function != leaf)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != index)
			continue;
		return e;
	}
	return NULL;
}

/* The vCPU's table announces a feature (of cpuid_feature_reg()'s words). */
bool nkvm_x86_guest_has(struct nkvm_x86_vcpu *xv, unsigned int feature)
{
	const struct kvm_cpuid_entry2 *e;
	u32 leaf, val;
	int reg;

	if (!cpuid_feature_reg(feature, &leaf, &reg))
		return false;
	e = cpuid_find(xv, leaf, 0);
	if (!e)
		return false;
	val = reg == R_EBX ? e->ebx : reg == R_ECX ? e->ecx : e->edx;
	return val & BIT(feature & 31);
}

u32 nkvm_x86_guest_cpuid_eax(struct nkvm_x86_vcpu *xv, u32 leaf)
{
	const struct kvm_cpuid_entry2 *e = cpuid_find(xv, leaf, 0);

	return e ? e->eax : 0;
}

/* "AuthenticAMD" or "HygonGenuine" in leaf 0 (EBX, EDX, ECX). */
bool nkvm_x86_guest_is_amd(struct nkvm_x86_vcpu *xv)
{
	const struct kvm_cpuid_entry2 *e = cpuid_find(xv, 0, 0);

	return e && ((e->ebx == 0x68747541 && e->edx == 0x69746e65 &&
		      e->ecx == 0x444d4163) ||
		     (e->ebx == 0x6f677948 && e->edx == 0x6e65476e &&
		      e->ecx == 0x656e6975));
}

/* The XCR0 components leaf 0xD offers, as far as nkvm supports them. */
static u64 cpuid_xcr0_allowed(struct nkvm_x86_vcpu *xv)
{
	const struct kvm_cpuid_entry2 *e = cpuid_find(xv, CPUID_XSTATE, 0);

	if (!e)
		return 0;
	return (e->eax | ((u64)e->edx << 32)) & nkvm_x86_supported_xcr0();
}

/* As stock, nothing is reserved by CPUID until a table is set. */
u64 nkvm_x86_cpuid_cr4_rsvd(struct nkvm_x86_vcpu *xv)
{
	const struct kvm_cpuid_entry2 *e = cpuid_find(xv, 1, 0);

	if (!xv->cpuid_set)
		return 0;
	if (!e || !(e->ecx & F(XSAVE)))
		return X86_CR4_OSXSAVE;
	return 0;
}

/*
 * The bits of the table that follow the vCPU's state, as stock keeps them:
 * OSXSAVE mirrors CR4.OSXSAVE and leaf 0xD's EBX the XSAVE area size for
 * the current XCR0. Both the guest's CPUID and KVM_GET_CPUID2 see them.
 */
static void cpuid_runtime(struct nkvm_x86_vcpu *xv, struct kvm_cpuid_entry2 *e,
			  u64 cr4)
{
	/* As stock without KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT (pv.c). */
	if (e->function == 1 &&
	    !nkvm_x86_has_quirk(xv, KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT)) {
		e->ecx &= ~F(MWAIT);
		if (xv->msrs.misc_enable & MSR_IA32_MISC_ENABLE_MWAIT)
			e->ecx |= F(MWAIT);
	}
	if (e->function == 1 && nkvm_host_xcr0) {
		e->ecx &= ~F(OSXSAVE);
		if (cr4 & X86_CR4_OSXSAVE)
			e->ecx |= F(OSXSAVE);
	} else if (e->function == CPUID_XSTATE && e->index == 0) {
		e->ebx = nkvm_x86_xsave_size(xv->xcr0);
	}
}

static u64 cpuid_cr4(struct nkvm_x86_vcpu *xv)
{
	struct kvm_sregs sregs;

	return nkvm_x86_get_sregs(xv, &sregs) ? sregs.cr4 : 0;
}

/* e (nent entries) is the table KVM_GET_CPUID2 would give now. */
static bool cpuid_same_as_current(struct nkvm_x86_vcpu *xv,
				  const struct kvm_cpuid_entry2 *e, u32 nent)
{
	u64 cr4 = cpuid_cr4(xv);
	u32 i;

	if (nent != xv->cpuid_nent)
		return false;
	for (i = 0; i < nent; i++) {
		struct kvm_cpuid_entry2 cur = xv->cpuid[i];

		cpuid_runtime(xv, &cur, cr4);
		if (cur.function != e[i].function || cur.index != e[i].index ||
		    cur.flags != e[i].flags || cur.eax != e[i].eax ||
		    cur.ebx != e[i].ebx || cur.ecx != e[i].ecx ||
		    cur.edx != e[i].edx)
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
	/* As stock: once the vCPU ran, only the table it has is accepted. */
	if (xv->has_run) {
		bool same = cpuid_same_as_current(xv, e, c.nent);

		kvfree(e);
		return same ? 0 : -EINVAL;
	}
	kvfree(xv->cpuid);
	xv->cpuid = e;
	xv->cpuid_nent = c.nent;
	xv->cpuid_set = true;
	xv->xcr0_allowed = cpuid_xcr0_allowed(xv);
	e = (struct kvm_cpuid_entry2 *)cpuid_find(xv, 0x80000001, 0);
	xv->has_rdtscp = e && (e->edx & F(RDTSCP)) &&
			 boot_cpu_has(X86_FEATURE_RDTSCP);
	return 0;
}

/* KVM_GET_CPUID2: the table set last; -E2BIG (nent untouched) if it won't fit. */
long nkvm_x86_get_cpuid2(struct nkvm_x86_vcpu *xv, struct kvm_cpuid2 __user *uc)
{
	struct kvm_cpuid_entry2 *e = NULL;
	struct kvm_cpuid2 c;
	long r = 0;
	u64 cr4;
	u32 i;

	if (copy_from_user(&c, uc, sizeof(c)))
		return -EFAULT;
	if (c.nent < xv->cpuid_nent)
		return -E2BIG;
	c.nent = xv->cpuid_nent;
	if (c.nent) {
		e = kvmalloc_array(c.nent, sizeof(*e), GFP_KERNEL_ACCOUNT);
		if (!e)
			return -ENOMEM;
		memcpy(e, xv->cpuid, array_size(c.nent, sizeof(*e)));
		cr4 = cpuid_cr4(xv);
		for (i = 0; i < c.nent; i++)
			cpuid_runtime(xv, &e[i], cr4);
	}
	if (copy_to_user(uc, &c, sizeof(c)) ||
	    copy_to_user(uc->entries, e, array_size(c.nent, sizeof(*e))))
		r = -EFAULT;
	kvfree(e);
	return r;
}

void nkvm_x86_cpuid_free(struct nkvm_x86_vcpu *xv)
{
	kvfree(xv->cpuid);
	xv->cpuid = NULL;
	xv->cpuid_nent = 0;
	xv->xcr0_allowed = 0;
}

/*
 * The guest executed CPUID with leaf EAX and subleaf ECX: answer from the
 * vCPU's table into EAX..EDX. A leaf not in the table reads as zeros.
 * Run-time state, as stock: with host XSAVE, leaf 1's OSXSAVE is the
 * guest's CR4.OSXSAVE; leaf 0xD gives the XSAVE area size for its XCR0.
 */
void nkvm_x86_emulate_cpuid(struct nkvm_x86_vcpu *xv)
{
	u32 leaf = xv->regs.rax, index = xv->regs.rcx;
	const struct kvm_cpuid_entry2 *e = cpuid_find(xv, leaf, index);
	struct kvm_cpuid_entry2 v = { .function = leaf, .index = index };

	if (e) {
		v = *e;
		v.index = index;
		if (leaf == 1 || leaf == CPUID_XSTATE)
			cpuid_runtime(xv, &v, cpuid_cr4(xv));
	}
	xv->regs.rax = v.eax;
	xv->regs.rbx = v.ebx;
	xv->regs.rcx = v.ecx;
	xv->regs.rdx = v.edx;
}

/* CPUID.1:ECX.MWAIT as the guest reads it (see cpuid_runtime()). */
bool nkvm_x86_guest_has_mwait(struct nkvm_x86_vcpu *xv)
{
	const struct kvm_cpuid_entry2 *e = cpuid_find(xv, 1, 0);
	struct kvm_cpuid_entry2 v;

	if (!e)
		return false;
	v = *e;
	cpuid_runtime(xv, &v, 0);
	return v.ecx & F(MWAIT);
}

bool nkvm_x86_guest_has_sse3(struct nkvm_x86_vcpu *xv)
{
	const struct kvm_cpuid_entry2 *e = cpuid_find(xv, 1, 0);

	return e && (e->ecx & F(XMM3));
}

/*
 * As stock: the KVM leaves are where the table has the "KVMKVMKVM"
 * signature, at 0x40000000 or a multiple of 0x100 above it.
 */
u32 nkvm_x86_cpuid_kvm_features(struct nkvm_x86_vcpu *xv)
{
	const struct kvm_cpuid_entry2 *e;
	u32 base;

	for (base = CPUID_KVM_SIGNATURE; base < 0x40010000; base += 0x100) {
		e = cpuid_find(xv, base, 0);
		if (!e || e->ebx != 0x4b4d564b || e->ecx != 0x564b4d56 ||
		    e->edx != 0x4d)
			continue;
		e = cpuid_find(xv, base + 1, 0);
		return e ? e->eax : 0;
	}
	return 0;
}
