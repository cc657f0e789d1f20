// SPDX-License-Identifier: GPL-2.0
/*
 * Machine-check emulation. Userspace (e.g. on a host memory error) gives
 * a vCPU a machine-check architecture with KVM_X86_SETUP_MCE and reports
 * errors into its banks with KVM_X86_SET_MCE; the guest reads and clears
 * them through the MCG_* and MCi_* MSRs. An uncorrected error raises #MC
 * through the ordinary exception slot (struct nkvm_x86_events), or shuts
 * the vCPU down when the guest cannot take one (CR4.MCE clear, or a
 * machine check already in progress), as on hardware. Corrected errors
 * are only logged. The rules follow stock KVM 6.1; CMCI (an interrupt for
 * corrected errors) and LMCE are Intel's and not offered, as stock on AMD.
 */
#include <linux/kvm.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>
#include <asm/mce.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "x86.h"

/* The capability bits KVM_X86_SETUP_MCE accepts besides the counts. */
#define X86_MCE_CAP_SUPPORTED	(MCG_CTL_P | MCG_SER_P)

#define X86_MC_BANKS_END	(MSR_IA32_MC0_CTL + NKVM_MCI_NR * NKVM_X86_MCE_BANKS)
#define X86_MC_CTL2_END		(MSR_IA32_MC0_CTL2 + NKVM_X86_MCE_BANKS)

/* MCi_CTL: 0 or all ones, where bit 10 and bit 0 may be clear. */
#define X86_MCI_CTL_MAY_CLEAR	(BIT_ULL(10) | BIT_ULL(0))

/* As stock: the global status and control, not the capabilities. */
const u32 nkvm_x86_mce_msrs[2] = { MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL };

void nkvm_x86_mce_reset(struct nkvm_x86_vcpu *xv)
{
	memset(&xv->mce, 0, sizeof(xv->mce));
	xv->mce.mcg_cap = NKVM_X86_MCE_BANKS;
}

static unsigned int x86_mce_nr_banks(const struct nkvm_x86_vcpu *xv)
{
	return xv->mce.mcg_cap & MCG_BANKCNT_MASK;
}

/* The bank u64 of a bank MSR, or NULL past the vCPU's banks. */
static u64 *x86_mce_bank_msr(struct nkvm_x86_vcpu *xv, u32 index)
{
	unsigned int nr = x86_mce_nr_banks(xv) * NKVM_MCI_NR;
	unsigned int i = index - MSR_IA32_MC0_CTL;

	if (i >= nr)
		return NULL;
	i = array_index_nospec(i, nr);
	return &xv->mce.bank[i / NKVM_MCI_NR][i % NKVM_MCI_NR];
}

static u64 *x86_mce_ctl2(struct nkvm_x86_vcpu *xv, u32 index)
{
	unsigned int nr = x86_mce_nr_banks(xv);
	unsigned int i = index - MSR_IA32_MC0_CTL2;

	if (i >= nr)
		return NULL;
	return &xv->mce.ctl2[array_index_nospec(i, nr)];
}

int nkvm_x86_mce_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data,
			 bool host)
{
	struct nkvm_x86_mce *mce = &xv->mce;
	u64 *p;

	switch (index) {
	case MSR_IA32_P5_MC_ADDR:
	case MSR_IA32_P5_MC_TYPE:
		*data = 0;
		return 0;
	case MSR_IA32_MCG_CAP:
		*data = mce->mcg_cap;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*data = mce->mcg_status;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(mce->mcg_cap & MCG_CTL_P) && !host)
			return 1;
		*data = mce->mcg_ctl;
		return 0;
	}
	if (index >= MSR_IA32_MC0_CTL2 && index < X86_MC_CTL2_END) {
		p = x86_mce_ctl2(xv, index);
		if (!p || (!(mce->mcg_cap & MCG_CMCI_P) && !host))
			return 1;
		*data = *p;
		return 0;
	}
	if (index >= MSR_IA32_MC0_CTL && index < X86_MC_BANKS_END) {
		p = x86_mce_bank_msr(xv, index);
		if (!p)
			return 1;
		*data = *p;
		return 0;
	}
	return -1;
}

static int x86_mce_set_bank_msr(struct nkvm_x86_vcpu *xv, u32 index,
				u64 data, bool host)
{
	u64 *p = x86_mce_bank_msr(xv, index);

	if (!p)
		return 1;
	switch ((index - MSR_IA32_MC0_CTL) % NKVM_MCI_NR) {
	case NKVM_MCI_CTL:
		if (data && (data | X86_MCI_CTL_MAY_CLEAR) != ~0ULL)
			return 1;
		break;
	case NKVM_MCI_STATUS:
		/* The guest may only clear a status, unless AMD's HWCR lets it. */
		if (!host && data && !nkvm_x86_mci_status_writable(xv))
			return 1;
		break;
	}
	*p = data;
	return 0;
}

int nkvm_x86_mce_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 data,
			 bool host)
{
	struct nkvm_x86_mce *mce = &xv->mce;
	u64 *p;

	switch (index) {
	case MSR_IA32_P5_MC_ADDR:
	case MSR_IA32_P5_MC_TYPE:
	case MSR_IA32_MCG_CAP:
		/* Read-only; only KVM_X86_SETUP_MCE sets the capabilities. */
		return 1;
	case MSR_IA32_MCG_STATUS:
		mce->mcg_status = data;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(mce->mcg_cap & MCG_CTL_P) && (data || !host))
			return 1;
		if (data && data != ~0ULL)
			return 1;
		mce->mcg_ctl = data;
		return 0;
	}
	if (index >= MSR_IA32_MC0_CTL2 && index < X86_MC_CTL2_END) {
		p = x86_mce_ctl2(xv, index);
		if (!p || (!(mce->mcg_cap & MCG_CMCI_P) && (data || !host)) ||
		    (data & ~(MCI_CTL2_CMCI_EN | MCI_CTL2_CMCI_THRESHOLD_MASK)))
			return 1;
		*p = data;
		return 0;
	}
	if (index >= MSR_IA32_MC0_CTL && index < X86_MC_BANKS_END)
		return x86_mce_set_bank_msr(xv, index, data, host);
	return -1;
}

long nkvm_x86_get_mce_cap_supported(void __user *argp)
{
	u64 cap = X86_MCE_CAP_SUPPORTED;

	return copy_to_user(argp, &cap, sizeof(cap)) ? -EFAULT : 0;
}

long nkvm_x86_setup_mce(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct nkvm_x86_mce *mce = &xv->mce;
	unsigned int n, i;
	u64 cap;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	n = cap & MCG_BANKCNT_MASK;
	if (!n || n > NKVM_X86_MCE_BANKS)
		return -EINVAL;
	if (cap & ~(X86_MCE_CAP_SUPPORTED | MCG_BANKCNT_MASK |
		    MCG_EXT_CNT_MASK))
		return -EINVAL;
	/* As stock: the error logs in the banks stay as they are. */
	cap &= nkvm_x86_vendor_mcg_cap_bits();
	mce->mcg_cap = cap;
	if (cap & MCG_CTL_P)
		mce->mcg_ctl = ~0ULL;
	for (i = 0; i < n; i++) {
		mce->bank[i][NKVM_MCI_CTL] = ~0ULL;
		if (cap & MCG_CMCI_P)
			mce->ctl2[i] = 0;
	}
	return 0;
}

/*
 * An uncorrected error with no action required (UCNA): signalled by
 * CMCI rather than #MC, so here only logged.
 */
static bool x86_mce_is_ucna(const struct kvm_x86_mce *m)
{
	return !m->mcg_status &&
	       (m->status & (MCI_STATUS_VAL | MCI_STATUS_UC)) ==
	       (MCI_STATUS_VAL | MCI_STATUS_UC) &&
	       !(m->status & (MCI_STATUS_PCC | MCI_STATUS_S | MCI_STATUS_AR));
}

static void x86_mce_log(u64 *b, const struct kvm_x86_mce *m, u64 status)
{
	b[NKVM_MCI_ADDR] = m->addr;
	b[NKVM_MCI_MISC] = m->misc;
	b[NKVM_MCI_STATUS] = status;
}

static bool x86_mce_guest_can_take(struct nkvm_x86_vcpu *xv)
{
	struct kvm_sregs sregs;

	if (xv->mce.mcg_status & MCG_STATUS_MCIP)
		return false;
	return nkvm_x86_get_sregs(xv, &sregs) && (sregs.cr4 & X86_CR4_MCE);
}

/*
 * #MC in the exception slot. As stock's exception merging: #MC is a
 * benign exception, so it replaces a queued one, except that on top of
 * a #DF it is a triple fault.
 */
static void x86_mce_raise(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_x86_events *ev = &xv->ev;

	if (ev->exc_injected && ev->exc_nr == X86_TRAP_DF) {
		xv->mce.shutdown = true;
		return;
	}
	ev->exc_injected = true;
	ev->exc_nr = X86_TRAP_MC;
	ev->exc_has_error = false;
	ev->exc_error = 0;
}

static void x86_mce_uncorrected(struct nkvm_x86_vcpu *xv, u64 *b,
				const struct kvm_x86_mce *m)
{
	struct nkvm_x86_mce *mce = &xv->mce;
	u64 status = m->status;

	/* Reporting is off globally or for the bank: the error is dropped. */
	if ((mce->mcg_cap & MCG_CTL_P) && mce->mcg_ctl != ~0ULL)
		return;
	if (b[NKVM_MCI_CTL] != ~0ULL)
		return;
	if (!x86_mce_guest_can_take(xv)) {
		mce->shutdown = true;
		return;
	}
	if (b[NKVM_MCI_STATUS] & MCI_STATUS_VAL)
		status |= MCI_STATUS_OVER;
	x86_mce_log(b, m, status);
	mce->mcg_status = m->mcg_status;
	x86_mce_raise(xv);
}

long nkvm_x86_set_mce(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	unsigned int n = x86_mce_nr_banks(xv);
	struct kvm_x86_mce m;
	u64 *b, old;

	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	if (m.bank >= n || !(m.status & MCI_STATUS_VAL))
		return -EINVAL;
	b = xv->mce.bank[array_index_nospec(m.bank, n)];
	old = b[NKVM_MCI_STATUS];

	if (x86_mce_is_ucna(&m)) {
		x86_mce_log(b, &m, m.status);
		xv->mce.mcg_status = m.mcg_status;
		return 0;
	}
	if (m.status & MCI_STATUS_UC) {
		x86_mce_uncorrected(xv, b, &m);
		return 0;
	}
	/* Corrected: logged unless an uncorrected error holds the bank. */
	if ((old & MCI_STATUS_VAL) && (old & MCI_STATUS_UC))
		b[NKVM_MCI_STATUS] |= MCI_STATUS_OVER;
	else
		x86_mce_log(b, &m, m.status |
			    ((old & MCI_STATUS_VAL) ? MCI_STATUS_OVER : 0));
	return 0;
}

bool nkvm_x86_mce_take_shutdown(struct nkvm_x86_vcpu *xv)
{
	if (likely(!xv->mce.shutdown))
		return false;
	xv->mce.shutdown = false;
	return true;
}
