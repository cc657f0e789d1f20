// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_ARM_PREFERRED_TARGET, KVM_ARM_VCPU_INIT and the vCPU's reset state;
 * the power state (KVM_GET/SET_MP_STATE, PSCI's CPU_ON/OFF).
 *
 * A vCPU is usable once KVM_ARM_VCPU_INIT gave it the host's target and a
 * feature set; until then KVM_RUN, KVM_GET/SET_ONE_REG and KVM_GET_REG_LIST
 * answer ENOEXEC. A later KVM_ARM_VCPU_INIT must name the same target and
 * features (EINVAL otherwise) and resets the vCPU. The VM's register width
 * (EL1_32BIT) is fixed by the first vCPU initialised; the others must
 * agree. Unknown feature bits: ENOENT; known ones nkvm does not offer
 * (PMU, SVE, pointer authentication), or EL1_32BIT on a CPU without
 * AArch32 at EL1: EINVAL.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/uaccess.h>
#include <asm/cputype.h>

#include "arm64.h"

#define RESET_PSTATE_EL1	(PSR_MODE_EL1h | PSR_A_BIT | PSR_I_BIT | \
				 PSR_F_BIT | PSR_D_BIT)
#define RESET_PSTATE_SVC	(PSR_AA32_MODE_SVC | PSR_AA32_A_BIT | \
				 PSR_AA32_I_BIT | PSR_AA32_F_BIT)

#define SCTLR_EE		BIT(25)

/* The target the host's CPU is, as stock KVM names them. */
u32 arm64_target(void)
{
	u32 midr = arm64_guest_midr();

	switch (MIDR_IMPLEMENTOR(midr)) {
	case ARM_CPU_IMP_ARM:
		switch (MIDR_PARTNUM(midr)) {
		case ARM_CPU_PART_AEM_V8:
			return KVM_ARM_TARGET_AEM_V8;
		case ARM_CPU_PART_FOUNDATION:
			return KVM_ARM_TARGET_FOUNDATION_V8;
		case ARM_CPU_PART_CORTEX_A53:
			return KVM_ARM_TARGET_CORTEX_A53;
		case ARM_CPU_PART_CORTEX_A57:
			return KVM_ARM_TARGET_CORTEX_A57;
		}
		break;
	case ARM_CPU_IMP_APM:
		if (MIDR_PARTNUM(midr) == APM_CPU_PART_XGENE)
			return KVM_ARM_TARGET_XGENE_POTENZA;
		break;
	}
	return KVM_ARM_TARGET_GENERIC_V8;
}

void arm64_vcpu_power_off(struct nkvm_arm64_vcpu *av)
{
	spin_lock(&av->mp_lock);
	WRITE_ONCE(av->mp_state, KVM_MP_STATE_STOPPED);
	spin_unlock(&av->mp_lock);
	nkvm_vcpu_kick(&av->vcpu);
}

bool arm64_vcpu_stopped(struct nkvm_arm64_vcpu *av)
{
	return READ_ONCE(av->mp_state) == KVM_MP_STATE_STOPPED;
}

static u64 reset_hcr(struct nkvm_arm64_vcpu *av)
{
	u64 hcr = HCR_GUEST_FLAGS | HCR_E2H;

	if (cpus_have_const_cap(ARM64_HAS_RAS_EXTN))
		hcr |= HCR_TEA | HCR_TERR;
	if (arm64_el1_is_32bit(av))
		hcr = (hcr & ~HCR_RW) | HCR_TID2;
	return hcr;
}

/*
 * The architectural reset, then what a PSCI CPU_ON asked for (entry
 * point, context id in x0, the caller's endianness). The vCPU's thread.
 */
void arm64_reset_vcpu(struct nkvm_arm64_vcpu *av)
{
	bool psci;
	u64 pc = 0, x0 = 0;
	bool be = false;

	spin_lock(&av->mp_lock);
	psci = av->reset_pending;
	if (psci) {
		pc = av->reset_pc;
		x0 = av->reset_x0;
		be = av->reset_be;
		WRITE_ONCE(av->reset_pending, false);
	}
	spin_unlock(&av->mp_lock);

	memset(&av->regs, 0, sizeof(av->regs));
	memset(&av->spsr32, 0, sizeof(av->spsr32));
	av->regs.regs.pstate = arm64_el1_is_32bit(av) ? RESET_PSTATE_SVC :
							RESET_PSTATE_EL1;
	arm64_reset_sysregs(av);
	av->hcr = reset_hcr(av);
	av->mmio.pending = false;
	clear_bit(ARM64_IRQ_LINE_IRQ, &av->irq_lines);
	clear_bit(ARM64_IRQ_LINE_FIQ, &av->irq_lines);

	if (psci) {
		if (arm64_el1_is_32bit(av) && (pc & 1)) {
			pc &= ~1ULL;
			av->regs.regs.pstate |= PSR_AA32_T_BIT;
		}
		if (be) {
			if (arm64_el1_is_32bit(av))
				av->regs.regs.pstate |= PSR_AA32_E_BIT;
			else
				av->sys[SR_SCTLR_EL1] |= SCTLR_EE;
		}
		av->regs.regs.pc = pc;
		av->regs.regs.regs[0] = x0;
	}
}

/* The VM's register width: set by the first vCPU, checked for the rest. */
static int arm64_set_vm_width(struct nkvm_arm64_vcpu *av, bool is32)
{
	struct nkvm_arm64_vm *avm = av_vm(av);
	int r = 0;

	mutex_lock(&avm->vm.lock);
	if (avm->el1_32bit < 0) {
		if (is32 && !arm64_has_el1_32bit)
			r = -EINVAL;
		else
			avm->el1_32bit = is32;
	} else if (avm->el1_32bit != is32) {
		r = -EINVAL;
	}
	mutex_unlock(&avm->vm.lock);
	return r;
}

long arm64_vcpu_init(struct nkvm_arm64_vcpu *av, void __user *argp)
{
	DECLARE_BITMAP(features, ARM64_VCPU_FEATURES) = {};
	struct kvm_vcpu_init init;
	unsigned int i;
	int r;

	if (copy_from_user(&init, argp, sizeof(init)))
		return -EFAULT;
	if (init.target != arm64_target())
		return -EINVAL;
	for (i = 0; i < sizeof(init.features) * 8; i++) {
		bool set = init.features[i / 32] & BIT(i % 32);

		if (!set)
			continue;
		if (i >= ARM64_VCPU_FEATURES)
			return -ENOENT;
		__set_bit(i, features);
	}
	if (arm64_vcpu_initialized(av)) {
		if (!bitmap_equal(features, av->features, ARM64_VCPU_FEATURES))
			return -EINVAL;
	} else {
		if (features[0] & ~ARM64_FEATURES_OK)
			return -EINVAL;
		r = arm64_set_vm_width(av, test_bit(KVM_ARM_VCPU_EL1_32BIT,
						    features));
		if (r)
			return r;
		bitmap_copy(av->features, features, ARM64_VCPU_FEATURES);
		av->target = init.target;
	}

	arm64_reset_vcpu(av);
	spin_lock(&av->mp_lock);
	WRITE_ONCE(av->mp_state,
		   test_bit(KVM_ARM_VCPU_POWER_OFF, features) ?
		   KVM_MP_STATE_STOPPED : KVM_MP_STATE_RUNNABLE);
	spin_unlock(&av->mp_lock);
	return 0;
}

long arm64_get_mp_state(struct nkvm_arm64_vcpu *av, void __user *argp)
{
	struct kvm_mp_state mp = { .mp_state = READ_ONCE(av->mp_state) };

	return copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
}

long arm64_set_mp_state(struct nkvm_arm64_vcpu *av, void __user *argp)
{
	struct kvm_mp_state mp;

	if (copy_from_user(&mp, argp, sizeof(mp)))
		return -EFAULT;
	switch (mp.mp_state) {
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_SUSPENDED:
		spin_lock(&av->mp_lock);
		WRITE_ONCE(av->mp_state, mp.mp_state);
		spin_unlock(&av->mp_lock);
		return 0;
	case KVM_MP_STATE_STOPPED:
		arm64_vcpu_power_off(av);
		return 0;
	}
	return -EINVAL;
}
