/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Machine-check emulation (mce.c): the guest's machine-check
 * architecture, as userspace configures it with KVM_X86_SETUP_MCE and
 * fills it with KVM_X86_SET_MCE, and as the guest sees it in the MCG_*
 * and MCi_* MSRs.
 */
#ifndef _NKVM_X86_MCE_H
#define _NKVM_X86_MCE_H

#include <linux/types.h>

/* Banks a vCPU can have; a new vCPU reports this many in MCG_CAP. */
#define NKVM_X86_MCE_BANKS	32

/* The four MSRs of a bank, in MSR order from MCi_CTL. */
enum {
	NKVM_MCI_CTL,
	NKVM_MCI_STATUS,
	NKVM_MCI_ADDR,
	NKVM_MCI_MISC,
	NKVM_MCI_NR
};

struct nkvm_x86_mce {
	u64 mcg_cap;			/* [m] bank count and capability bits */
	u64 mcg_status;			/* [m] */
	u64 mcg_ctl;			/* [m] */
	/* [m] An uncorrected error the guest cannot take: shut down. */
	bool shutdown;
	u64 bank[NKVM_X86_MCE_BANKS][NKVM_MCI_NR];	/* [m] */
	u64 ctl2[NKVM_X86_MCE_BANKS];			/* [m] MCi_CTL2 */
};

struct nkvm_x86_vcpu;

void nkvm_x86_mce_reset(struct nkvm_x86_vcpu *xv);
/* For msr.c: -1 when index is no MCE MSR, else as nkvm_x86_get/set_msr. */
int nkvm_x86_mce_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data,
			 bool host);
int nkvm_x86_mce_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 data,
			 bool host);
/* The MCE MSRs in KVM_GET_MSR_INDEX_LIST (the ones stock lists). */
extern const u32 nkvm_x86_mce_msrs[2];

/* KVM_X86_GET_MCE_CAP_SUPPORTED on /dev/kvm. */
long nkvm_x86_get_mce_cap_supported(void __user *argp);
/* KVM_X86_SETUP_MCE and KVM_X86_SET_MCE on a vCPU. */
long nkvm_x86_setup_mce(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_set_mce(struct nkvm_x86_vcpu *xv, void __user *argp);
/* Before an entry: true (once) when KVM_X86_SET_MCE shut the vCPU down. */
bool nkvm_x86_mce_take_shutdown(struct nkvm_x86_vcpu *xv);

#endif /* _NKVM_X86_MCE_H */
