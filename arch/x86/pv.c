// SPDX-License-Identifier: GPL-2.0
/*
 * Paravirtual features and quirks.
 *
 * Quirks: KVM_CAP_DISABLE_QUIRKS2 reports the KVM_X86_QUIRK_* bits whose
 * behaviour nkvm has in both forms (on by default; see
 * Documentation/api.md); KVM_CAP_DISABLE_QUIRKS(2) on the VM replaces the
 * set turned off.
 *
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID (a vCPU capability): while enabled,
 * each PV MSR and hypercall works only if the KVM_CPUID_FEATURES leaf of
 * the vCPU's CPUID table offers its feature; otherwise the MSR access
 * fails (#GP for the guest) and the hypercall returns -KVM_ENOSYS.
 *
 * Steal time: the guest gives a 64-byte aligned kvm_steal_time record in
 * MSR_KVM_STEAL_TIME. Before an entry, at the first of each KVM_RUN and
 * whenever the vCPU thread waited for a CPU since the last update, the
 * record gets the time the thread waited to run (the scheduler's
 * run_delay), between an odd and the next even version. preempted is
 * cleared then; it is never set (stock sets it when the scheduler
 * preempts a vCPU thread in KVM_RUN, which nkvm does not watch).
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/sched/stat.h>
#include <linux/uaccess.h>
#include <uapi/asm/kvm_para.h>

#include "x86.h"

#define PV_QUIRKS	(KVM_X86_QUIRK_LINT0_REENABLED | \
			 KVM_X86_QUIRK_LAPIC_MMIO_HOLE | \
			 KVM_X86_QUIRK_OUT_7E_INC_RIP | \
			 KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT | \
			 KVM_X86_QUIRK_FIX_HYPERCALL_INSN | \
			 KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS)

/*
 * The hypercalls of hypercall.c and the steal-time record; NOP_IO_DELAY
 * only tells the guest that port 0x80 delays are not needed.
 */
#define PV_FEATURES	(BIT(KVM_FEATURE_NOP_IO_DELAY) | \
			 BIT(KVM_FEATURE_PV_EOI) | \
			 BIT(KVM_FEATURE_PV_UNHALT) | \
			 BIT(KVM_FEATURE_PV_SEND_IPI) | \
			 BIT(KVM_FEATURE_PV_SCHED_YIELD))

u64 nkvm_x86_valid_quirks(void)
{
	return PV_QUIRKS;
}

/* As stock: DISABLE_QUIRKS takes any mask, DISABLE_QUIRKS2 only ours. */
int nkvm_x86_disable_quirks(struct nkvm_x86_vm *xvm, struct kvm_enable_cap *cap)
{
	if (cap->cap == KVM_CAP_DISABLE_QUIRKS2 && (cap->args[0] & ~PV_QUIRKS))
		return -EINVAL;
	WRITE_ONCE(xvm->disabled_quirks, cap->args[0]);
	return 0;
}

/* KVM_ENABLE_CAP on a vCPU: only KVM_CAP_ENFORCE_PV_FEATURE_CPUID. */
long nkvm_x86_vcpu_enable_cap(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	if (cap.flags)
		return -EINVAL;
	switch (cap.cap) {
	case KVM_CAP_ENFORCE_PV_FEATURE_CPUID:
		/* As stock: any non-zero value enables it. */
		xv->pv.enforce = cap.args[0];
		return 0;
	}
	return -EINVAL;
}

bool nkvm_x86_pv_has(struct nkvm_x86_vcpu *xv, unsigned int nr)
{
	if (!xv->pv.enforce)
		return true;
	return nkvm_x86_cpuid_kvm_features(xv) & BIT(nr);
}

static bool pv_steal_time_works(void)
{
	return sched_info_on();
}

u32 nkvm_x86_pv_features(void)
{
	return nkvm_x86_kvm_features() | PV_FEATURES |
	       (pv_steal_time_works() ? BIT(KVM_FEATURE_STEAL_TIME) : 0);
}

void nkvm_x86_pv_reset(struct nkvm_x86_vcpu *xv)
{
	xv->pv.steal_msr = 0;
	xv->pv.steal_update = false;
	xv->pv.last_steal = 0;
}

/* The feature each kvmclock MSR needs, as stock. */
static unsigned int pv_kvmclock_feature(u32 index)
{
	switch (index) {
	case MSR_KVM_WALL_CLOCK_NEW:
	case MSR_KVM_SYSTEM_TIME_NEW:
		return KVM_FEATURE_CLOCKSOURCE2;
	}
	return KVM_FEATURE_CLOCKSOURCE;
}

bool nkvm_x86_is_pv_msr(u32 index)
{
	return index == MSR_KVM_STEAL_TIME || index == MSR_KVM_PV_EOI_EN ||
	       nkvm_x86_is_kvmclock_msr(index);
}

int nkvm_x86_pv_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data)
{
	if (index == MSR_KVM_STEAL_TIME) {
		if (!nkvm_x86_pv_has(xv, KVM_FEATURE_STEAL_TIME))
			return 1;
		*data = xv->pv.steal_msr;
		return 0;
	}
	if (index == MSR_KVM_PV_EOI_EN) {
		if (!nkvm_x86_pv_has(xv, KVM_FEATURE_PV_EOI))
			return 1;
		*data = xv->vapic.pv_eoi_msr;
		return 0;
	}
	if (!nkvm_x86_pv_has(xv, pv_kvmclock_feature(index)))
		return 1;
	return nkvm_x86_kvmclock_get_msr(xv, index, data);
}

int nkvm_x86_pv_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 data,
			bool host)
{
	if (index == MSR_KVM_STEAL_TIME) {
		if (!nkvm_x86_pv_has(xv, KVM_FEATURE_STEAL_TIME) ||
		    !pv_steal_time_works() || (data & KVM_STEAL_RESERVED_MASK))
			return 1;
		xv->pv.steal_msr = data;
		if (data & KVM_MSR_ENABLED)
			xv->pv.steal_update = true;
		return 0;
	}
	if (index == MSR_KVM_PV_EOI_EN) {
		if (!nkvm_x86_pv_has(xv, KVM_FEATURE_PV_EOI))
			return 1;
		return nkvm_x86_pv_eoi_set_msr(xv, data);
	}
	if (!nkvm_x86_pv_has(xv, pv_kvmclock_feature(index)))
		return 1;
	return nkvm_x86_kvmclock_set_msr(xv, index, data, host);
}

/*
 * Rewrite the steal-time record if asked to or if the thread waited since
 * the last update. A record outside the memslots is left alone, as stock.
 */
void nkvm_x86_steal_time_update(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_vm *vm = xv->vcpu.vm;
	u64 gpa = xv->pv.steal_msr & KVM_STEAL_VALID_BITS;
	u64 delay = current->sched_info.run_delay;
	struct kvm_steal_time st;
	u32 version;

	if (!xv->pv.steal_update && delay == xv->pv.last_steal)
		return;
	xv->pv.steal_update = false;
	if (nkvm_read_guest(vm, gpa, &st, offsetof(struct kvm_steal_time, pad)))
		return;
	/* An odd version is junk the guest left: count from the next even. */
	version = st.version + (st.version & 1) + 2;
	st.version = version - 1;
	st.preempted = 0;
	if (nkvm_write_guest(vm, gpa, &st, offsetof(struct kvm_steal_time, pad)))
		return;
	/* The odd version is visible before the count changes. */
	smp_wmb();
	st.steal += delay - xv->pv.last_steal;
	xv->pv.last_steal = delay;
	if (nkvm_write_guest(vm, gpa + offsetof(struct kvm_steal_time, steal),
			     &st.steal, sizeof(st.steal)))
		return;
	/* The count is visible before the even version. */
	smp_wmb();
	nkvm_write_guest(vm, gpa + offsetof(struct kvm_steal_time, version),
			 &version, sizeof(version));
}
