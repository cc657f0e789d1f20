// SPDX-License-Identifier: GPL-2.0
/*
 * SMCCC calls from the guest (HVC #0, or SMC #0 trapped by HCR_EL2.TSC):
 * the architecture calls (version 1.1, ARCH_FEATURES with the Spectre
 * workaround levels), the TRNG, KVM's vendor calls (its UID, the feature
 * bitmap, the PTP clock), PV time (never set up: not supported) and PSCI
 * (psci.c). The firmware pseudo-registers of KVM_GET/SET_ONE_REG (the
 * PSCI version, the workaround levels, the three feature bitmaps that
 * select which services the guest may call) live here too.
 *
 * Workaround levels come from the CPU's ID registers (CSV2, CSV3 and
 * ECBHB): nkvm calls no firmware mitigation, so a CPU that needs one is
 * reported as having none available.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/arm-smccc.h>
#include <linux/random.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>
#include <asm/cpufeature.h>
#include <uapi/linux/psci.h>

#include "arm64.h"

#define STD_FEATURES	GENMASK(KVM_REG_ARM_STD_BMAP_BIT_COUNT - 1, 0)
#define STD_HYP_FEATURES GENMASK(KVM_REG_ARM_STD_HYP_BMAP_BIT_COUNT - 1, 0)
#define VENDOR_FEATURES	GENMASK(KVM_REG_ARM_VENDOR_HYP_BMAP_BIT_COUNT - 1, 0)

#define TRNG_VERSION_1_0	0x10000UL
#define TRNG_NOT_SUPPORTED	((unsigned long)-1)
#define TRNG_INVALID_PARAMETER	((unsigned long)-2)
#define TRNG_MAX_BITS64		192

#define FW_LEVEL_MASK		GENMASK(3, 0)

/* The TRNG's UUID, as the SMCCC TRNG specification gives it. */
static const uuid_t trng_uuid __aligned(4) =
	UUID_INIT(0x0d21e000, 0x4384, 0x11eb, 0x80, 0x70, 0x52, 0x44, 0x55,
		  0x4e, 0x5a, 0x4c);

void arm64_smccc_init(struct nkvm_arm64_vm *avm)
{
	avm->smccc_std = STD_FEATURES;
	avm->smccc_std_hyp = STD_HYP_FEATURES;
	avm->smccc_vendor = VENDOR_FEATURES;
}

void arm64_smccc_ret(struct nkvm_arm64_vcpu *av, u64 a0, u64 a1, u64 a2,
		     u64 a3)
{
	arm64_set_reg(av, 0, a0);
	arm64_set_reg(av, 1, a1);
	arm64_set_reg(av, 2, a2);
	arm64_set_reg(av, 3, a3);
}

static unsigned int pfr0_field(unsigned int shift)
{
	u64 pfr0 = read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1);

	return cpuid_feature_extract_unsigned_field(pfr0, shift);
}

/* The KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_* level of this host. */
static u64 wa_level(u64 id)
{
	u64 mmfr1 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
	unsigned int csv2 = pfr0_field(ID_AA64PFR0_EL1_CSV2_SHIFT);

	switch (id) {
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1:
		return csv2 ? KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED :
			      KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_AVAIL;
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2:
		return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL;
	default:
		return (csv2 >= 3 || (mmfr1 >> 60) != 0) ?
		       KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_REQUIRED :
		       KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_AVAIL;
	}
}

static long arch_features(struct nkvm_arm64_vcpu *av)
{
	u32 fn = arm64_get_reg(av, 1);

	switch (fn) {
	case ARM_SMCCC_ARCH_WORKAROUND_1:
		return wa_level(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1) ==
		       KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED ?
		       SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED :
		       SMCCC_RET_NOT_SUPPORTED;
	case ARM_SMCCC_ARCH_WORKAROUND_3:
		return wa_level(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3) ==
		       KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_REQUIRED ?
		       SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED :
		       SMCCC_RET_NOT_SUPPORTED;
	case ARM_SMCCC_HV_PV_TIME_FEATURES:
		return READ_ONCE(av_vm(av)->smccc_std_hyp) &
		       BIT(KVM_REG_ARM_STD_HYP_BIT_PV_TIME) ?
		       SMCCC_RET_SUCCESS : SMCCC_RET_NOT_SUPPORTED;
	}
	return SMCCC_RET_NOT_SUPPORTED;
}

static void trng_rnd(struct nkvm_arm64_vcpu *av, unsigned int size)
{
	DECLARE_BITMAP(bits, TRNG_MAX_BITS64);
	u32 n = arm64_get_reg(av, 1);
	unsigned int i;

	if (n > 3 * size) {
		arm64_smccc_ret(av, TRNG_INVALID_PARAMETER, 0, 0, 0);
		return;
	}
	for (i = 0; i < BITS_TO_LONGS(TRNG_MAX_BITS64); i++)
		bits[i] = get_random_long();
	bitmap_clear(bits, n, TRNG_MAX_BITS64 - n);
	if (size == 32)
		arm64_smccc_ret(av, 0, lower_32_bits(bits[1]),
				upper_32_bits(bits[0]), lower_32_bits(bits[0]));
	else
		arm64_smccc_ret(av, 0, bits[2], bits[1], bits[0]);
	memzero_explicit(bits, sizeof(bits));
}

static void trng_call(struct nkvm_arm64_vcpu *av, u32 fn)
{
	const __le32 *u = (const __le32 *)trng_uuid.b;
	unsigned long val = TRNG_NOT_SUPPORTED;

	switch (fn) {
	case ARM_SMCCC_TRNG_VERSION:
		val = TRNG_VERSION_1_0;
		break;
	case ARM_SMCCC_TRNG_FEATURES:
		switch ((u32)arm64_get_reg(av, 1)) {
		case ARM_SMCCC_TRNG_VERSION:
		case ARM_SMCCC_TRNG_FEATURES:
		case ARM_SMCCC_TRNG_GET_UUID:
		case ARM_SMCCC_TRNG_RND32:
		case ARM_SMCCC_TRNG_RND64:
			val = 0;
		}
		break;
	case ARM_SMCCC_TRNG_GET_UUID:
		arm64_smccc_ret(av, le32_to_cpu(u[0]), le32_to_cpu(u[1]),
				le32_to_cpu(u[2]), le32_to_cpu(u[3]));
		return;
	case ARM_SMCCC_TRNG_RND32:
		trng_rnd(av, 32);
		return;
	case ARM_SMCCC_TRNG_RND64:
		trng_rnd(av, 64);
		return;
	}
	arm64_smccc_ret(av, val, 0, 0, 0);
}

/* KVM's PTP call: wall clock and a counter sampled together. */
static void ptp_call(struct nkvm_arm64_vcpu *av)
{
	struct system_time_snapshot snap;
	u64 cycles;

	ktime_get_snapshot(&snap);
	if (snap.cs_id != CSID_ARM_ARCH_COUNTER) {
		arm64_smccc_ret(av, SMCCC_RET_NOT_SUPPORTED, 0, 0, 0);
		return;
	}
	switch ((u32)arm64_get_reg(av, 1)) {
	case KVM_PTP_VIRT_COUNTER:
		cycles = snap.cycles - READ_ONCE(av_vm(av)->cntvoff);
		break;
	case KVM_PTP_PHYS_COUNTER:
		cycles = snap.cycles;
		break;
	default:
		arm64_smccc_ret(av, SMCCC_RET_NOT_SUPPORTED, 0, 0, 0);
		return;
	}
	arm64_smccc_ret(av, upper_32_bits(snap.real), lower_32_bits(snap.real),
			upper_32_bits(cycles), lower_32_bits(cycles));
}

/* Whether the feature bitmaps let the guest make this call. */
static bool call_allowed(struct nkvm_arm64_vm *avm, u32 fn)
{
	switch (fn) {
	case ARM_SMCCC_TRNG_VERSION:
	case ARM_SMCCC_TRNG_FEATURES:
	case ARM_SMCCC_TRNG_GET_UUID:
	case ARM_SMCCC_TRNG_RND32:
	case ARM_SMCCC_TRNG_RND64:
		return READ_ONCE(avm->smccc_std) &
		       BIT(KVM_REG_ARM_STD_BIT_TRNG_V1_0);
	case ARM_SMCCC_HV_PV_TIME_FEATURES:
	case ARM_SMCCC_HV_PV_TIME_ST:
		return READ_ONCE(avm->smccc_std_hyp) &
		       BIT(KVM_REG_ARM_STD_HYP_BIT_PV_TIME);
	case ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID:
	case ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID:
		return READ_ONCE(avm->smccc_vendor) &
		       BIT(KVM_REG_ARM_VENDOR_HYP_BIT_FUNC_FEAT);
	case ARM_SMCCC_VENDOR_HYP_KVM_PTP_FUNC_ID:
		return READ_ONCE(avm->smccc_vendor) &
		       BIT(KVM_REG_ARM_VENDOR_HYP_BIT_PTP);
	case ARM_SMCCC_VERSION_FUNC_ID:
	case ARM_SMCCC_ARCH_FEATURES_FUNC_ID:
		return true;
	}
	/* PSCI: the standard service's functions 0-0x1f, and KVM's 0.1. */
	if (ARM_SMCCC_OWNER_NUM(fn) == ARM_SMCCC_OWNER_STANDARD &&
	    ARM_SMCCC_FUNC_NUM(fn) <= 0x1f)
		return true;
	return fn >= KVM_PSCI_FN_BASE && fn <= KVM_PSCI_FN(3);
}

/* 1: back to the guest; 0: an exit for userspace. */
static int smccc_call(struct nkvm_arm64_vcpu *av)
{
	struct nkvm_arm64_vm *avm = av_vm(av);
	u32 fn = arm64_get_reg(av, 0);

	if (!call_allowed(avm, fn)) {
		arm64_smccc_ret(av, SMCCC_RET_NOT_SUPPORTED, 0, 0, 0);
		return 1;
	}
	switch (fn) {
	case ARM_SMCCC_VERSION_FUNC_ID:
		arm64_smccc_ret(av, ARM_SMCCC_VERSION_1_1, 0, 0, 0);
		return 1;
	case ARM_SMCCC_ARCH_FEATURES_FUNC_ID:
		arm64_smccc_ret(av, arch_features(av), 0, 0, 0);
		return 1;
	case ARM_SMCCC_HV_PV_TIME_FEATURES:
	case ARM_SMCCC_HV_PV_TIME_ST:
		arm64_smccc_ret(av, SMCCC_RET_NOT_SUPPORTED, 0, 0, 0);
		return 1;
	case ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID:
		arm64_smccc_ret(av, ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_0,
				ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_1,
				ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_2,
				ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_3);
		return 1;
	case ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID:
		arm64_smccc_ret(av, READ_ONCE(avm->smccc_vendor), 0, 0, 0);
		return 1;
	case ARM_SMCCC_VENDOR_HYP_KVM_PTP_FUNC_ID:
		ptp_call(av);
		return 1;
	case ARM_SMCCC_TRNG_VERSION:
	case ARM_SMCCC_TRNG_FEATURES:
	case ARM_SMCCC_TRNG_GET_UUID:
	case ARM_SMCCC_TRNG_RND32:
	case ARM_SMCCC_TRNG_RND64:
		trng_call(av, fn);
		return 1;
	}
	return arm64_psci_call(av, fn);
}

/* HVC: the PC is past the instruction already. */
int arm64_handle_hvc(struct nkvm_arm64_vcpu *av)
{
	return smccc_call(av);
}

/* SMC: trapped before it executed; only SMC #0 is a call. */
int arm64_handle_smc(struct nkvm_arm64_vcpu *av)
{
	if (av->exit.esr & ESR_ELx_xVC_IMM_MASK) {
		arm64_inject_undef(av);
		return 1;
	}
	arm64_skip_instr(av);
	return smccc_call(av);
}

static const u64 fw_reg_ids[] = {
	KVM_REG_ARM_PSCI_VERSION,
	KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1,
	KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2,
	KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3,
	KVM_REG_ARM_STD_BMAP,
	KVM_REG_ARM_STD_HYP_BMAP,
	KVM_REG_ARM_VENDOR_HYP_BMAP,
};

unsigned int arm64_fw_reg_ids(u64 *ids)
{
	if (ids)
		memcpy(ids, fw_reg_ids, sizeof(fw_reg_ids));
	return ARRAY_SIZE(fw_reg_ids);
}

static unsigned long *fw_bmap(struct nkvm_arm64_vm *avm, u64 id, u64 *all)
{
	switch (id) {
	case KVM_REG_ARM_STD_BMAP:
		*all = STD_FEATURES;
		return &avm->smccc_std;
	case KVM_REG_ARM_STD_HYP_BMAP:
		*all = STD_HYP_FEATURES;
		return &avm->smccc_std_hyp;
	case KVM_REG_ARM_VENDOR_HYP_BMAP:
		*all = VENDOR_FEATURES;
		return &avm->smccc_vendor;
	}
	return NULL;
}

int arm64_get_fw_reg(struct nkvm_arm64_vcpu *av, u64 id, u64 *val)
{
	unsigned long *bmap;
	u64 all;

	switch (id) {
	case KVM_REG_ARM_PSCI_VERSION:
		*val = arm64_psci_version(av);
		return 0;
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3:
		*val = wa_level(id) & FW_LEVEL_MASK;
		return 0;
	}
	bmap = fw_bmap(av_vm(av), id, &all);
	if (!bmap)
		return -ENOENT;
	*val = READ_ONCE(*bmap);
	return 0;
}

int arm64_set_fw_reg(struct nkvm_arm64_vcpu *av, u64 id, u64 val)
{
	struct nkvm_arm64_vm *avm = av_vm(av);
	unsigned long *bmap;
	u64 all, level;
	int r = 0;

	switch (id) {
	case KVM_REG_ARM_PSCI_VERSION:
		return arm64_set_psci_version(av, val);
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3:
		if (val & ~FW_LEVEL_MASK || val > wa_level(id))
			return -EINVAL;
		return 0;
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2:
		if (val & ~(FW_LEVEL_MASK |
			    KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_ENABLED))
			return -EINVAL;
		level = val & FW_LEVEL_MASK;
		if ((val & KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_ENABLED) &&
		    level != KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_AVAIL)
			return -EINVAL;
		switch (level) {
		case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL:
		case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_UNKNOWN:
			return 0;
		case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_AVAIL:
		case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_REQUIRED:
			/* Only a host that needs no mitigation can take it. */
			return wa_level(id) ==
			       KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_REQUIRED ?
			       0 : -EINVAL;
		}
		return -EINVAL;
	}
	bmap = fw_bmap(avm, id, &all);
	if (!bmap)
		return -ENOENT;
	if (val & ~all)
		return -EINVAL;
	mutex_lock(&avm->vm.lock);
	if (READ_ONCE(avm->has_run) && val != *bmap)
		r = -EBUSY;
	else
		WRITE_ONCE(*bmap, val);
	mutex_unlock(&avm->vm.lock);
	return r;
}
