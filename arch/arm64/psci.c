// SPDX-License-Identifier: GPL-2.0
/*
 * PSCI for the guest, called through HVC or SMC (smccc.c dispatches):
 * 0.1 (KVM's own function numbers, for vCPUs without the PSCI_0_2
 * feature), 0.2, 1.0 and 1.1. CPU_ON resets a stopped vCPU to the entry
 * point given (the target's thread does it, see reset.c); CPU_OFF and
 * SYSTEM_OFF/RESET stop vCPUs; the system events leave KVM_RUN with
 * KVM_EXIT_SYSTEM_EVENT for userspace to act on. Other vCPUs' power state
 * is read and written under their mp_lock.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>
#include <linux/psci.h>
#include <uapi/linux/psci.h>

#include "arm64.h"

#define PSCI_0_1	PSCI_VERSION(0, 1)
#define PSCI_0_2	PSCI_VERSION(0, 2)
#define PSCI_1_0	PSCI_VERSION(1, 0)
#define PSCI_1_1	PSCI_VERSION(1, 1)

u32 arm64_psci_version(struct nkvm_arm64_vcpu *av)
{
	u32 v;

	if (!test_bit(KVM_ARM_VCPU_PSCI_0_2, av->features))
		return PSCI_0_1;
	v = READ_ONCE(av_vm(av)->psci_version);
	return v ? v : PSCI_1_1;
}

/* Set the PSCI version all vCPUs of the VM report (KVM_SET_ONE_REG). */
int arm64_set_psci_version(struct nkvm_arm64_vcpu *av, u64 val)
{
	bool v02 = test_bit(KVM_ARM_VCPU_PSCI_0_2, av->features);

	switch (val) {
	case PSCI_0_1:
		if (v02)
			return -EINVAL;
		break;
	case PSCI_0_2:
	case PSCI_1_0:
	case PSCI_1_1:
		if (!v02)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	WRITE_ONCE(av_vm(av)->psci_version, val);
	return 0;
}

static u64 arg(struct nkvm_arm64_vcpu *av, unsigned int n, bool narrow)
{
	u64 v = arm64_get_reg(av, n);

	return narrow ? lower_32_bits(v) : v;
}

static struct nkvm_arm64_vcpu *vcpu_by_mpidr(struct nkvm_vm *vm, u64 mpidr)
{
	struct nkvm_vcpu *vcpu;
	unsigned long i;

	mpidr &= MPIDR_HWID_BITMASK;
	xa_for_each(&vm->vcpus, i, vcpu) {
		if (i >= atomic_read(&vm->online_vcpus))
			break;
		if ((READ_ONCE(to_av(vcpu)->mpidr) & MPIDR_HWID_BITMASK) ==
		    mpidr)
			return to_av(vcpu);
	}
	return NULL;
}

/* Whether the guest's data accesses (hence CPU_ON's) are big-endian. */
static bool caller_is_be(struct nkvm_arm64_vcpu *av)
{
	u64 pstate = av->regs.regs.pstate;

	if (pstate & PSR_MODE32_BIT)
		return pstate & BIT(9);
	if ((pstate & PSR_MODE_MASK) == PSR_MODE_EL0t)
		return av->sys[SR_SCTLR_EL1] & BIT(24);
	return av->sys[SR_SCTLR_EL1] & BIT(25);
}

static long psci_cpu_on(struct nkvm_arm64_vcpu *av, bool narrow)
{
	u64 target = arg(av, 1, narrow);
	struct nkvm_arm64_vcpu *t;
	long r = PSCI_RET_SUCCESS;

	if (target & ~MPIDR_HWID_BITMASK)
		return PSCI_RET_INVALID_PARAMS;
	t = vcpu_by_mpidr(av->vcpu.vm, target);
	if (!t)
		return PSCI_RET_INVALID_PARAMS;

	spin_lock(&t->mp_lock);
	if (t->mp_state != KVM_MP_STATE_STOPPED) {
		r = arm64_psci_version(av) == PSCI_0_1 ?
		    PSCI_RET_INVALID_PARAMS : PSCI_RET_ALREADY_ON;
		goto out;
	}
	t->reset_pc = arg(av, 2, narrow);
	t->reset_x0 = arg(av, 3, narrow);
	t->reset_be = caller_is_be(av);
	WRITE_ONCE(t->reset_pending, true);
	WRITE_ONCE(t->mp_state, KVM_MP_STATE_RUNNABLE);
out:
	spin_unlock(&t->mp_lock);
	if (r == PSCI_RET_SUCCESS)
		nkvm_vcpu_kick(&t->vcpu);
	return r;
}

static long psci_affinity_info(struct nkvm_arm64_vcpu *av, bool narrow)
{
	u64 target = arg(av, 1, narrow), level = arg(av, 2, narrow), mask;
	struct nkvm_vm *vm = av->vcpu.vm;
	struct nkvm_vcpu *vcpu;
	bool matched = false;
	unsigned long i;

	if ((target & ~MPIDR_HWID_BITMASK) || level > 3)
		return PSCI_RET_INVALID_PARAMS;
	mask = MPIDR_HWID_BITMASK & ~(BIT_ULL(level * MPIDR_LEVEL_BITS) - 1);
	target &= mask;
	xa_for_each(&vm->vcpus, i, vcpu) {
		if (i >= atomic_read(&vm->online_vcpus))
			break;
		if ((READ_ONCE(to_av(vcpu)->mpidr) & mask) != target)
			continue;
		matched = true;
		if (!arm64_vcpu_stopped(to_av(vcpu)))
			return PSCI_0_2_AFFINITY_LEVEL_ON;
	}
	return matched ? PSCI_0_2_AFFINITY_LEVEL_OFF : PSCI_RET_INVALID_PARAMS;
}

/* Stop every vCPU and leave KVM_RUN with a system event. */
static int system_event(struct nkvm_arm64_vcpu *av, u32 type, u64 flags)
{
	struct nkvm_vm *vm = av->vcpu.vm;
	struct kvm_run *run = av->vcpu.run;
	struct nkvm_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu) {
		if (i >= atomic_read(&vm->online_vcpus))
			break;
		arm64_vcpu_power_off(to_av(vcpu));
	}
	memset(&run->system_event, 0, sizeof(run->system_event));
	run->system_event.type = type;
	run->system_event.ndata = 1;
	run->system_event.data[0] = flags;
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	return 0;
}

static bool wake_ready(struct nkvm_vcpu *vcpu)
{
	return READ_ONCE(to_av(vcpu)->irq_lines) != 0;
}

static long psci_features(struct nkvm_arm64_vcpu *av, u32 minor)
{
	u32 fn = arg(av, 1, false);

	if ((fn & PSCI_0_2_64BIT) && arm64_mode_is_32bit(av))
		return PSCI_RET_NOT_SUPPORTED;
	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_0_2_FN_CPU_SUSPEND:
	case PSCI_0_2_FN64_CPU_SUSPEND:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET:
	case PSCI_1_0_FN_PSCI_FEATURES:
	case ARM_SMCCC_VERSION_FUNC_ID:
		return 0;
	case PSCI_1_0_FN_SYSTEM_SUSPEND:
	case PSCI_1_0_FN64_SYSTEM_SUSPEND:
		return READ_ONCE(av_vm(av)->system_suspend) ?
		       0 : PSCI_RET_NOT_SUPPORTED;
	case PSCI_1_1_FN_SYSTEM_RESET2:
	case PSCI_1_1_FN64_SYSTEM_RESET2:
		return minor >= 1 ? 0 : PSCI_RET_NOT_SUPPORTED;
	}
	return PSCI_RET_NOT_SUPPORTED;
}

/* PSCI 0.2 and later: 1 back to the guest, 0 an exit for userspace. */
static int psci_0_2(struct nkvm_arm64_vcpu *av, u32 fn, u32 version)
{
	u32 minor = version == PSCI_1_1 ? 1 : 0;
	bool is_1x = version >= PSCI_1_0;
	bool narrow = !(fn & PSCI_0_2_64BIT);
	long val;

	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
		val = version;
		break;
	case PSCI_0_2_FN_CPU_SUSPEND:
	case PSCI_0_2_FN64_CPU_SUSPEND:
		/* As WFI: every power state keeps the registers. */
		nkvm_vcpu_block(&av->vcpu, wake_ready);
		val = PSCI_RET_SUCCESS;
		break;
	case PSCI_0_2_FN_CPU_OFF:
		arm64_vcpu_power_off(av);
		val = PSCI_RET_SUCCESS;
		break;
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
		val = psci_cpu_on(av, narrow);
		break;
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
		val = psci_affinity_info(av, narrow);
		break;
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
		val = PSCI_0_2_TOS_MP;
		break;
	case PSCI_0_2_FN_SYSTEM_OFF:
		/* Should the guest run again, the call failed. */
		arm64_set_reg(av, 0, (u64)PSCI_RET_INTERNAL_FAILURE);
		return system_event(av, KVM_SYSTEM_EVENT_SHUTDOWN, 0);
	case PSCI_0_2_FN_SYSTEM_RESET:
		arm64_set_reg(av, 0, (u64)PSCI_RET_INTERNAL_FAILURE);
		return system_event(av, KVM_SYSTEM_EVENT_RESET, 0);
	case PSCI_1_0_FN_PSCI_FEATURES:
		val = is_1x ? psci_features(av, minor) : PSCI_RET_NOT_SUPPORTED;
		break;
	case PSCI_1_0_FN_SYSTEM_SUSPEND:
	case PSCI_1_0_FN64_SYSTEM_SUSPEND:
		/* Userspace reads the entry point and context from x1, x2. */
		if (is_1x && READ_ONCE(av_vm(av)->system_suspend)) {
			if (narrow) {
				arm64_set_reg(av, 1, arg(av, 1, true));
				arm64_set_reg(av, 2, arg(av, 2, true));
			}
			memset(&av->vcpu.run->system_event, 0,
			       sizeof(av->vcpu.run->system_event));
			av->vcpu.run->system_event.type =
				KVM_SYSTEM_EVENT_SUSPEND;
			av->vcpu.run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
			return 0;
		}
		val = PSCI_RET_NOT_SUPPORTED;
		break;
	case PSCI_1_1_FN_SYSTEM_RESET2:
	case PSCI_1_1_FN64_SYSTEM_RESET2:
		if (minor >= 1) {
			u32 type = arg(av, 1, narrow);

			if (type <= PSCI_1_1_RESET_TYPE_SYSTEM_WARM_RESET ||
			    type >= PSCI_1_1_RESET_TYPE_VENDOR_START) {
				arm64_set_reg(av, 0,
					      (u64)PSCI_RET_INTERNAL_FAILURE);
				return system_event(av, KVM_SYSTEM_EVENT_RESET,
					KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2);
			}
			val = PSCI_RET_INVALID_PARAMS;
			break;
		}
		val = PSCI_RET_NOT_SUPPORTED;
		break;
	default:
		val = PSCI_RET_NOT_SUPPORTED;
		break;
	}
	arm64_smccc_ret(av, val, 0, 0, 0);
	return 1;
}

/* KVM's PSCI 0.1: its own function numbers, CPU_OFF and CPU_ON only. */
static int psci_0_1(struct nkvm_arm64_vcpu *av, u32 fn)
{
	long val;

	switch (fn) {
	case KVM_PSCI_FN_CPU_OFF:
		arm64_vcpu_power_off(av);
		val = PSCI_RET_SUCCESS;
		break;
	case KVM_PSCI_FN_CPU_ON:
		val = psci_cpu_on(av, false);
		break;
	default:
		val = PSCI_RET_NOT_SUPPORTED;
		break;
	}
	arm64_smccc_ret(av, val, 0, 0, 0);
	return 1;
}

/* A PSCI call (any function smccc.c did not take). */
int arm64_psci_call(struct nkvm_arm64_vcpu *av, u32 fn)
{
	u32 version = arm64_psci_version(av);

	/* A 32-bit guest may not call the 64-bit functions. */
	if ((fn & PSCI_0_2_64BIT) && arm64_mode_is_32bit(av)) {
		arm64_smccc_ret(av, PSCI_RET_NOT_SUPPORTED, 0, 0, 0);
		return 1;
	}
	if (version == PSCI_0_1)
		return psci_0_1(av, fn);
	return psci_0_2(av, fn, version);
}
