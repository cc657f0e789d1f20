// SPDX-License-Identifier: GPL-2.0
/*
 * Model-specific registers: the MSR index lists of /dev/kvm, KVM_GET_MSRS
 * and KVM_SET_MSRS of a vCPU, and the guest's RDMSR/WRMSR (through the
 * vendor's exit handler). One set of rules serves both: host is true for
 * userspace's accesses, false for the guest's.
 *
 * The x86 layer keeps the TSC (as xv->tsc_offset), MISC_ENABLE, TSC_AUX,
 * the MTRRs, PLATFORM_INFO and MISC_FEATURES_ENABLES (CPUID faulting),
 * ARCH/PERF_CAPABILITIES and POWER_CTL, and answers the model-specific
 * MSRs of msr_model.c; the vendor keeps what lives in its control block (EFER,
 * the SYSCALL/SYSENTER MSRs, the FS/GS bases, PAT, the APIC base) behind
 * its get_msr/set_msr, after the x86 layer has validated the value.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <asm/tsc.h>
#include <asm/vmx.h>

#include "irqchip/irqchip.h"
#include "sregs.h"

#include <uapi/asm/kvm_para.h>

/* As stock: a KVM_GET/SET_MSRS call handles fewer than this many. */
#define X86_MAX_IO_MSRS		256

#define X86_MSR_MTRR_CAP	0x0fe
#define X86_MSR_MTRR_DEF_TYPE	0x2ff
#define X86_MTRR_VAR_BASE	0x200	/* MTRRphysBase0; PhysMask0 follows */
#define X86_MTRR_VAR_END	(X86_MTRR_VAR_BASE + 2 * NKVM_X86_NR_VAR_MTRRS)
/* MTRRcap: WC and fixed ranges supported, 8 variable ranges, no SMRR. */
#define X86_MTRR_CAP		(BIT_ULL(10) | BIT_ULL(8) | NKVM_X86_NR_VAR_MTRRS)
/* MTRRdefType: type in bits 0-7, FE bit 10, E bit 11. */
#define X86_MTRR_DEF_TYPE_OK	0xcffULL

/* Bits of MISC_ENABLE a guest can neither change nor set. */
#define X86_MISC_ENABLE_RO	(MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL)

/* The x2APIC's MSRs: without an in-kernel LAPIC, failing (not unknown). */
#define X86_X2APIC_MSR_FIRST	0x800
#define X86_X2APIC_MSR_LAST	0x8ff

static bool x86_x2apic_msr(u32 index)
{
	return index >= X86_X2APIC_MSR_FIRST && index <= X86_X2APIC_MSR_LAST;
}

/* Linear addresses the guest may hold in the MSRs that take them. */
#define X86_VIRT_BITS		48

/*
 * The fixed-range MTRRs: 64K_00000, 16K_80000, 16K_A0000, 4K_C0000 to
 * 4K_F8000 (<asm/msr-index.h> spells their names in CamelCase).
 */
static const u32 x86_fixed_mtrrs[NKVM_X86_NR_FIXED_MTRRS] = {
	0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e,
	0x26f,
};

/* Held by the vendor; listed only when it has get_msr/set_msr. */
static const u32 x86_vendor_msrs[] = {
	MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_KERNEL_GS_BASE, MSR_FS_BASE, MSR_GS_BASE, MSR_IA32_SYSENTER_CS,
	MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_IA32_CR_PAT,
	MSR_IA32_APICBASE,
};

/*
 * Held here; the fixed and variable MTRRs follow them in the list.
 * MTRRcap reads but, as stock, is not listed: it cannot be restored.
 */
static const u32 x86_layer_msrs[] = {
	MSR_IA32_TSC, MSR_IA32_MISC_ENABLE, MSR_IA32_TSC_ADJUST,
	X86_MSR_MTRR_DEF_TYPE,
	MSR_IA32_ARCH_CAPABILITIES, MSR_IA32_PERF_CAPABILITIES,
	MSR_PLATFORM_INFO, MSR_MISC_FEATURES_ENABLES, MSR_IA32_POWER_CTL,
	MSR_K7_HWCR, MSR_IA32_TSC_DEADLINE, MSR_IA32_UCODE_REV,
};

static bool x86_has_tsc_aux(void)
{
	return boot_cpu_has(X86_FEATURE_RDTSCP);
}

/*
 * IA32_ARCH_CAPABILITIES as stock 6.1 offers it: of the host's own value
 * only the bits a guest can rely on (none that name MSRs nkvm does not
 * virtualise), plus the "not affected" bits the host's bug flags justify.
 * PSCHANGE_MC_NO: a guest cannot hit the huge-page multihit erratum
 * through nested paging. SKIP_VMENTRY_L1DFLUSH unless the host's L1TF
 * policy for VMX guests is "never flush" (a nested VMX hypervisor then
 * must flush itself).
 */
#define X86_ARCH_CAP_HOST	(ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL |	\
				 ARCH_CAP_RSBA | ARCH_CAP_SSB_NO |	\
				 ARCH_CAP_SKIP_VMENTRY_L1DFLUSH |	\
				 ARCH_CAP_MDS_NO | ARCH_CAP_PSCHANGE_MC_NO | \
				 ARCH_CAP_TSX_CTRL_MSR | ARCH_CAP_TAA_NO | \
				 ARCH_CAP_SBDR_SSDP_NO | ARCH_CAP_FBSDP_NO | \
				 ARCH_CAP_PSDP_NO | ARCH_CAP_FB_CLEAR |	\
				 ARCH_CAP_RRSBA | ARCH_CAP_PBRSB_NO |	\
				 ARCH_CAP_GDS_NO | ARCH_CAP_RFDS_NO |	\
				 ARCH_CAP_RFDS_CLEAR | ARCH_CAP_BHI_NO | \
				 ARCH_CAP_ITS_NO)

static u64 x86_arch_capabilities(void)
{
	u64 data = 0;

	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES)) {
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, data);
		data &= X86_ARCH_CAP_HOST;
	}
	data |= ARCH_CAP_PSCHANGE_MC_NO;
	if (l1tf_vmx_mitigation != VMENTER_L1D_FLUSH_NEVER)
		data |= ARCH_CAP_SKIP_VMENTRY_L1DFLUSH;
	if (!boot_cpu_has_bug(X86_BUG_CPU_MELTDOWN))
		data |= ARCH_CAP_RDCL_NO;
	if (!boot_cpu_has_bug(X86_BUG_SPEC_STORE_BYPASS))
		data |= ARCH_CAP_SSB_NO;
	if (!boot_cpu_has_bug(X86_BUG_MDS))
		data |= ARCH_CAP_MDS_NO;
	if (!boot_cpu_has_bug(X86_BUG_RFDS))
		data |= ARCH_CAP_RFDS_NO;
	if (!boot_cpu_has_bug(X86_BUG_ITS))
		data |= ARCH_CAP_ITS_NO;
	/* TAA_NO only where RTM exists to be (un)affected. */
	if (!boot_cpu_has(X86_FEATURE_RTM))
		data &= ~ARCH_CAP_TAA_NO;
	else if (!boot_cpu_has_bug(X86_BUG_TAA))
		data |= ARCH_CAP_TAA_NO;
	if (!boot_cpu_has_bug(X86_BUG_GDS) || gds_ucode_mitigated())
		data |= ARCH_CAP_GDS_NO;
	return data;
}

void nkvm_x86_msr_reset(struct nkvm_x86_vcpu *xv)
{
	memset(&xv->msrs, 0, sizeof(xv->msrs));
	xv->msrs.misc_enable = X86_MISC_ENABLE_RO;
	xv->msrs.arch_capabilities = x86_arch_capabilities();
	/* As stock: CPUID faulting is offered; no PMU capabilities. */
	xv->msrs.platform_info = MSR_PLATFORM_INFO_CPUID_FAULT;
	nkvm_x86_kvmclock_reset(xv);
	nkvm_x86_pv_reset(xv);
}

/*
 * The feature MSRs (KVM_GET_MSR_FEATURE_INDEX_LIST, KVM_GET_MSRS on
 * /dev/kvm), in stock's order: what a vCPU may be given. DE_CFG offers
 * only LFENCE-serialising, where the host has it; the microcode revision
 * is the host's; ARCH_CAPABILITIES as above; PERF_CAPABILITIES is 0, as
 * stock on AMD (no PMU for guests).
 */
static const u32 x86_feature_msrs[] = {
	MSR_AMD64_DE_CFG,
	MSR_IA32_UCODE_REV,
	MSR_IA32_ARCH_CAPABILITIES,
	MSR_IA32_PERF_CAPABILITIES,
};

static int x86_feature_msr(u32 index, u64 *data)
{
	switch (index) {
	case MSR_IA32_UCODE_REV:
		*data = 0;
		return rdmsrl_safe(index, data) ? 1 : 0;
	case MSR_AMD64_DE_CFG:
		*data = boot_cpu_has(X86_FEATURE_LFENCE_RDTSC) ?
			MSR_AMD64_DE_CFG_LFENCE_SERIALIZE : 0;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		*data = x86_arch_capabilities();
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		*data = 0;
		return 0;
	}
	return 1;
}

static int x86_fixed_mtrr(u32 index)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(x86_fixed_mtrrs); i++)
		if (x86_fixed_mtrrs[i] == index)
			return i;
	return -1;
}

/* UC, WC, WT, WP and WB; 2, 3 and 7 (UC-) are not MTRR types. */
static bool x86_mtrr_type_valid(u64 type)
{
	return type < 8 && (BIT(type) & 0x73);
}

static bool x86_mtrr_valid(u32 index, u64 data)
{
	u64 pa_rsvd = ~((1ULL << boot_cpu_data.x86_phys_bits) - 1);
	unsigned int i;

	if (index == X86_MSR_MTRR_DEF_TYPE)
		return !(data & ~X86_MTRR_DEF_TYPE_OK) &&
		       x86_mtrr_type_valid(data & 0xff);
	if (x86_fixed_mtrr(index) >= 0) {
		for (i = 0; i < 64; i += 8)
			if (!x86_mtrr_type_valid((data >> i) & 0xff))
				return false;
		return true;
	}
	/* PhysBase: type, bits 8-11 reserved; PhysMask: bits 0-10 (V is 11). */
	if (!(index & 1))
		return x86_mtrr_type_valid(data & 0xff) &&
		       !(data & (pa_rsvd | 0xf00));
	return !(data & (pa_rsvd | 0x7ff));
}

/* PAT: eight memory types of 0, 1, 4, 5, 6 or 7. */
static bool x86_pat_valid(u64 data)
{
	u64 t;
	unsigned int i;

	for (i = 0; i < 64; i += 8) {
		t = (data >> i) & 0xff;
		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

static bool x86_canonical(u64 addr)
{
	return sign_extend64(addr, X86_VIRT_BITS - 1) == addr;
}

static u64 *x86_mtrr(struct nkvm_x86_vcpu *xv, u32 index)
{
	int fixed = x86_fixed_mtrr(index);

	if (index == X86_MSR_MTRR_DEF_TYPE)
		return &xv->msrs.mtrr_def_type;
	if (fixed >= 0)
		return &xv->msrs.mtrr_fixed[fixed];
	if (index >= X86_MTRR_VAR_BASE && index < X86_MTRR_VAR_END)
		return &xv->msrs.mtrr_var[index - X86_MTRR_VAR_BASE];
	return NULL;
}

int nkvm_x86_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data,
		     bool host)
{
	u64 *mtrr;
	int r;

	/* The local APIC's (base, x2APIC, TSC deadline), when there is one. */
	r = nkvm_x86_lapic_get_msr(xv, index, data);
	if (r >= 0)
		return r;
	r = nkvm_x86_mce_get_msr(xv, index, data, host);
	if (r >= 0)
		return r;
	if (x86_x2apic_msr(index))
		return 1;

	switch (index) {
	case MSR_IA32_TSC_DEADLINE:
		/* As stock without an in-kernel LAPIC: 0, writes dropped. */
		*data = 0;
		return 0;
	case MSR_IA32_TSC:
		*data = rdtsc_ordered() + xv->tsc_offset;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = xv->msrs.misc_enable;
		return 0;
	case MSR_TSC_AUX:
		if (!x86_has_tsc_aux())
			return 1;
		*data = xv->msrs.tsc_aux;
		return 0;
	case X86_MSR_MTRR_CAP:
		*data = X86_MTRR_CAP;
		return 0;
	case MSR_IA32_TSC_ADJUST:
		*data = xv->msrs.tsc_adjust;
		return 0;
	case MSR_IA32_UCODE_REV:
		*data = xv->msrs.ucode_rev;
		return 0;
	case MSR_AMD64_DE_CFG:
		*data = xv->msrs.de_cfg;
		return 0;
	/* The guest reads these only where its CPUID announces them. */
	case MSR_IA32_ARCH_CAPABILITIES:
		if (!host &&
		    !nkvm_x86_guest_has(xv, X86_FEATURE_ARCH_CAPABILITIES))
			return 1;
		*data = xv->msrs.arch_capabilities;
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		if (!host && !nkvm_x86_guest_has(xv, X86_FEATURE_PDCM))
			return 1;
		*data = xv->msrs.perf_capabilities;
		return 0;
	case MSR_PLATFORM_INFO:
		/* KVM_CAP_MSR_PLATFORM_INFO (default on) lets the guest read. */
		if (!host &&
		    !READ_ONCE(to_x86_vm(xv->vcpu.vm)->platform_info_readable))
			return 1;
		*data = xv->msrs.platform_info;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		*data = xv->msrs.misc_features;
		return 0;
	case MSR_IA32_POWER_CTL:
		*data = xv->msrs.power_ctl;
		return 0;
	}
	mtrr = x86_mtrr(xv, index);
	if (mtrr) {
		*data = *mtrr;
		return 0;
	}
	if (nkvm_x86_is_pv_msr(index))
		return nkvm_x86_pv_get_msr(xv, index, data);
	r = nkvm_x86_model_msr_get(xv, index, data);
	if (r >= 0)
		return r;
	return nkvm_x86_vendor_get_msr(xv, index, data);
}

/*
 * EFER: the rules of KVM_SET_SREGS, and LME may not change while paging
 * is on; LMA is the CPU's to set, so it keeps its value.
 */
static int x86_set_efer(struct nkvm_x86_vcpu *xv, u64 data)
{
	struct kvm_sregs *sregs;
	u64 old;
	bool paging;

	if (!nkvm_x86_efer_valid(data) ||
	    nkvm_x86_vendor_get_msr(xv, MSR_EFER, &old))
		return 1;
	sregs = kzalloc(sizeof(*sregs), GFP_KERNEL);
	if (!sregs)
		return 1;
	if (!nkvm_x86_get_sregs(xv, sregs)) {
		kfree(sregs);
		return 1;
	}
	paging = sregs->cr0 & X86_CR0_PG;
	kfree(sregs);
	if (paging && ((old ^ data) & EFER_LME))
		return 1;
	data = (data & ~EFER_LMA) | (old & EFER_LMA);
	return nkvm_x86_vendor_set_msr(xv, MSR_EFER, data);
}

static int x86_set_misc_enable(struct nkvm_x86_vcpu *xv, u64 data, bool host)
{
	u64 old = xv->msrs.misc_enable;

	if (!host) {
		if ((old ^ data) & X86_MISC_ENABLE_RO)
			return 1;
		/* EMON reads as it was; writes to it are ignored. */
		data = (data & ~MSR_IA32_MISC_ENABLE_EMON) |
		       (old & MSR_IA32_MISC_ENABLE_EMON);
	}
	/* Without the quirk MWAIT here is CPUID's (pv.c), which needs SSE3. */
	if (!nkvm_x86_has_quirk(xv, KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT) &&
	    ((old ^ data) & MSR_IA32_MISC_ENABLE_MWAIT) &&
	    !nkvm_x86_guest_has_sse3(xv))
		return 1;
	xv->msrs.misc_enable = data;
	return 0;
}

int nkvm_x86_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 data,
		     bool host)
{
	u64 *mtrr, feature;
	int r;

	r = nkvm_x86_lapic_set_msr(xv, index, data, host);
	if (r >= 0)
		return r;
	r = nkvm_x86_mce_set_msr(xv, index, data, host);
	if (r >= 0)
		return r;
	if (x86_x2apic_msr(index))
		return 1;

	switch (index) {
	case MSR_IA32_TSC_DEADLINE:
		return 0;
	case MSR_IA32_TSC:
		/* The guest's own TSC writes move TSC_ADJUST along (SDM). */
		if (!host)
			xv->msrs.tsc_adjust += data - (rdtsc_ordered() +
						       xv->tsc_offset);
		xv->tsc_offset = data - rdtsc_ordered();
		nkvm_x86_kvmclock_request(xv);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		/* As stock: userspace restores the value, the TSC stays. */
		if (!host) {
			xv->tsc_offset += data - xv->msrs.tsc_adjust;
			nkvm_x86_kvmclock_request(xv);
		}
		xv->msrs.tsc_adjust = data;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		return x86_set_misc_enable(xv, data, host);
	case MSR_TSC_AUX:
		/* AMD keeps only bits 31:0 and ignores the rest. */
		if (!x86_has_tsc_aux())
			return 1;
		xv->msrs.tsc_aux = (u32)data;
		return 0;
	case X86_MSR_MTRR_CAP:
		return 1;
	case MSR_IA32_UCODE_REV:
		/* As stock: the guest's writes are ignored. */
		if (host)
			xv->msrs.ucode_rev = data;
		return 0;
	case MSR_AMD64_DE_CFG:
		/* Only bits the feature offers; the guest may not change any. */
		if (x86_feature_msr(index, &feature) || (data & ~feature) ||
		    (!host && data != xv->msrs.de_cfg))
			return 1;
		xv->msrs.de_cfg = data;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		/* Only userspace sets it, to any value, as stock. */
		if (!host)
			return 1;
		xv->msrs.arch_capabilities = data;
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		if (!host || x86_feature_msr(index, &feature) ||
		    (data & ~feature))
			return 1;
		xv->msrs.perf_capabilities = data;
		return 0;
	case MSR_PLATFORM_INFO:
		/* CPUID faulting cannot be withdrawn while the guest uses it. */
		if (!host || (!(data & MSR_PLATFORM_INFO_CPUID_FAULT) &&
			      nkvm_x86_cpuid_faulting(xv)))
			return 1;
		xv->msrs.platform_info = data;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		/* Only CPUID faulting, and only when PLATFORM_INFO offers it. */
		if ((data & ~MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) ||
		    ((data & MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) &&
		     !(xv->msrs.platform_info & MSR_PLATFORM_INFO_CPUID_FAULT)))
			return 1;
		xv->msrs.misc_features = data;
		return 0;
	case MSR_IA32_POWER_CTL:
		xv->msrs.power_ctl = data;
		return 0;
	case MSR_EFER:
		return x86_set_efer(xv, data);
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR:
		if (!x86_canonical(data))
			return 1;
		break;
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		/* As stock: made canonical rather than refused. */
		data = sign_extend64(data, X86_VIRT_BITS - 1);
		break;
	case MSR_IA32_CR_PAT:
		if (!x86_pat_valid(data))
			return 1;
		break;
	case MSR_IA32_APICBASE:
		if (!nkvm_x86_apic_base_valid(data))
			return 1;
		break;
	}
	mtrr = x86_mtrr(xv, index);
	if (mtrr) {
		if (!x86_mtrr_valid(index, data))
			return 1;
		*mtrr = data;
		return 0;
	}
	if (nkvm_x86_is_pv_msr(index))
		return nkvm_x86_pv_set_msr(xv, index, data, host);
	r = nkvm_x86_model_msr_set(xv, index, data);
	if (r >= 0)
		return r;
	return nkvm_x86_vendor_set_msr(xv, index, data);
}

/* The MSR index list: exactly the MSRs the two functions above handle. */

static u32 x86_nr_msrs(void)
{
	return (nkvm_x86_vendor_has_msrs() ? ARRAY_SIZE(x86_vendor_msrs) : 0) +
	       ARRAY_SIZE(x86_layer_msrs) + (x86_has_tsc_aux() ? 1 : 0) +
	       NKVM_X86_NR_FIXED_MTRRS + 2 * NKVM_X86_NR_VAR_MTRRS +
	       ARRAY_SIZE(nkvm_x86_kvmclock_msrs) +
	       2 +	/* MSR_KVM_STEAL_TIME, MSR_KVM_PV_EOI_EN */
	       ARRAY_SIZE(nkvm_x86_mce_msrs);
}

static void x86_fill_msrs(u32 *out)
{
	unsigned int i, n = 0;

	if (nkvm_x86_vendor_has_msrs())
		for (i = 0; i < ARRAY_SIZE(x86_vendor_msrs); i++)
			out[n++] = x86_vendor_msrs[i];
	for (i = 0; i < ARRAY_SIZE(x86_layer_msrs); i++)
		out[n++] = x86_layer_msrs[i];
	if (x86_has_tsc_aux())
		out[n++] = MSR_TSC_AUX;
	for (i = 0; i < NKVM_X86_NR_FIXED_MTRRS; i++)
		out[n++] = x86_fixed_mtrrs[i];
	for (i = 0; i < 2 * NKVM_X86_NR_VAR_MTRRS; i++)
		out[n++] = X86_MTRR_VAR_BASE + i;
	for (i = 0; i < ARRAY_SIZE(nkvm_x86_kvmclock_msrs); i++)
		out[n++] = nkvm_x86_kvmclock_msrs[i];
	out[n++] = MSR_KVM_STEAL_TIME;
	out[n++] = MSR_KVM_PV_EOI_EN;
	for (i = 0; i < ARRAY_SIZE(nkvm_x86_mce_msrs); i++)
		out[n++] = nkvm_x86_mce_msrs[i];
}

/*
 * As stock: the header always gets our count; a list shorter than it is
 * E2BIG (how userspace learns the size), else the indices are copied.
 */
static long x86_copy_msr_list(struct kvm_msr_list __user *ul, const u32 *msrs,
			      u32 count)
{
	struct kvm_msr_list hdr;
	u32 room;

	if (copy_from_user(&hdr, ul, sizeof(hdr)))
		return -EFAULT;
	room = hdr.nmsrs;
	hdr.nmsrs = count;
	if (copy_to_user(ul, &hdr, sizeof(hdr)))
		return -EFAULT;
	if (room < count)
		return -E2BIG;
	if (count && copy_to_user(ul->indices, msrs, count * sizeof(*msrs)))
		return -EFAULT;
	return 0;
}

long nkvm_x86_get_msr_index_list(struct kvm_msr_list __user *ul)
{
	u32 count = x86_nr_msrs();
	u32 *msrs;
	long r;

	msrs = kcalloc(count, sizeof(*msrs), GFP_KERNEL);
	if (!msrs)
		return -ENOMEM;
	x86_fill_msrs(msrs);
	r = x86_copy_msr_list(ul, msrs, count);
	kfree(msrs);
	return r;
}

long nkvm_x86_get_msr_feature_index_list(struct kvm_msr_list __user *ul)
{
	return x86_copy_msr_list(ul, x86_feature_msrs,
				 ARRAY_SIZE(x86_feature_msrs));
}

typedef int (*x86_msr_fn)(struct nkvm_x86_vcpu *xv, struct kvm_msr_entry *e);

/*
 * KVM_GET_MSRS / KVM_SET_MSRS, as stock: the entries are handled in order
 * up to the first that fails; the return value is how many succeeded.
 * GET copies all the entries back, the ones not reached unchanged.
 */
static long x86_msr_io(struct nkvm_x86_vcpu *xv, struct kvm_msrs __user *um,
		       x86_msr_fn fn, bool writeback)
{
	struct kvm_msr_entry *entries;
	struct kvm_msrs hdr;
	size_t size;
	u32 i;
	long r;

	if (copy_from_user(&hdr, um, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= X86_MAX_IO_MSRS)
		return -E2BIG;
	size = hdr.nmsrs * sizeof(*entries);
	entries = memdup_user(um->entries, size);
	if (IS_ERR(entries))
		return PTR_ERR(entries);
	for (i = 0; i < hdr.nmsrs; i++)
		if (fn(xv, &entries[i]))
			break;
	r = i;
	if (writeback && copy_to_user(um->entries, entries, size))
		r = -EFAULT;
	kfree(entries);
	return r;
}

static int x86_get_entry(struct nkvm_x86_vcpu *xv, struct kvm_msr_entry *e)
{
	return nkvm_x86_get_msr(xv, e->index, &e->data, true);
}

static int x86_set_entry(struct nkvm_x86_vcpu *xv, struct kvm_msr_entry *e)
{
	return nkvm_x86_set_msr(xv, e->index, e->data, true);
}

static int x86_get_feature_entry(struct nkvm_x86_vcpu *xv,
				 struct kvm_msr_entry *e)
{
	return x86_feature_msr(e->index, &e->data);
}

long nkvm_x86_get_feature_msrs(struct kvm_msrs __user *um)
{
	return x86_msr_io(NULL, um, x86_get_feature_entry, true);
}

long nkvm_x86_get_msrs(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	return x86_msr_io(xv, argp, x86_get_entry, true);
}

long nkvm_x86_set_msrs(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	return x86_msr_io(xv, argp, x86_set_entry, false);
}
