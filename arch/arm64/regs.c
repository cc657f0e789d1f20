// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET/SET_ONE_REG and KVM_GET_REG_LIST: the core registers (struct
 * kvm_regs, addressed in 32-bit words), the firmware pseudo-registers
 * (smccc.c), the virtual timer's three registers and the system
 * registers (sysregs.c). The list is in that order: core, firmware,
 * timer, system, as stock. An id of another architecture, or of a size
 * the register does not have: EINVAL; an id that names no register:
 * ENOENT.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/slab.h>
#include <linux/uaccess.h>

#include "arm64.h"

#define CORE_WORDS	(sizeof(struct kvm_regs) / sizeof(u32))
#define CORE_OFF(name)	KVM_REG_ARM_CORE_REG(name)

/* The size of the core register starting at 32-bit word off, or 0. */
static unsigned int core_reg_size(u64 off)
{
	unsigned int size;

	switch (off) {
	case CORE_OFF(regs.regs[0]) ... CORE_OFF(regs.regs[30]):
	case CORE_OFF(regs.sp):
	case CORE_OFF(regs.pc):
	case CORE_OFF(regs.pstate):
	case CORE_OFF(sp_el1):
	case CORE_OFF(elr_el1):
	case CORE_OFF(spsr[0]) ... CORE_OFF(spsr[KVM_NR_SPSR - 1]):
		size = 8;
		break;
	case CORE_OFF(fp_regs.vregs[0]) ... CORE_OFF(fp_regs.vregs[31]):
		size = 16;
		break;
	case CORE_OFF(fp_regs.fpsr):
	case CORE_OFF(fp_regs.fpcr):
		size = 4;
		break;
	default:
		return 0;
	}
	/* Only the first word of each register names it. */
	return IS_ALIGNED(off, size / sizeof(u32)) ? size : 0;
}

/* Where core register off lives (the 32-bit SPSRs are kept apart). */
static void *core_reg_addr(struct nkvm_arm64_vcpu *av, u64 off)
{
	switch (off) {
	case CORE_OFF(spsr[KVM_SPSR_ABT]):
		return &av->spsr32.abt;
	case CORE_OFF(spsr[KVM_SPSR_UND]):
		return &av->spsr32.und;
	case CORE_OFF(spsr[KVM_SPSR_IRQ]):
		return &av->spsr32.irq;
	case CORE_OFF(spsr[KVM_SPSR_FIQ]):
		return &av->spsr32.fiq;
	}
	return (u32 *)&av->regs + off;
}

/* A PSTATE userspace may set: a mode this vCPU can be in. */
static bool pstate_ok(struct nkvm_arm64_vcpu *av, u64 pstate)
{
	bool is32 = arm64_el1_is_32bit(av);

	switch (pstate & PSR_AA32_MODE_MASK) {
	case PSR_AA32_MODE_USR:
		return arm64_has_el0_32bit;
	case PSR_AA32_MODE_FIQ:
	case PSR_AA32_MODE_IRQ:
	case PSR_AA32_MODE_SVC:
	case PSR_AA32_MODE_ABT:
	case PSR_AA32_MODE_UND:
	case PSR_AA32_MODE_SYS:
		return is32;
	case PSR_MODE_EL0t:
	case PSR_MODE_EL1t:
	case PSR_MODE_EL1h:
		return !is32;
	}
	return false;
}

static int core_reg(struct nkvm_arm64_vcpu *av, u64 id, void __user *uaddr,
		    bool set)
{
	u64 off = id & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK |
			 KVM_REG_ARM_CORE);
	unsigned int size = KVM_REG_SIZE(id), i, n;
	u8 buf[16];
	void *addr;

	if (off >= CORE_WORDS || off + size / sizeof(u32) >= CORE_WORDS)
		return -ENOENT;
	if (core_reg_size(off) != size)
		return -EINVAL;
	addr = core_reg_addr(av, off);
	if (!set)
		return copy_to_user(uaddr, addr, size) ? -EFAULT : 0;

	if (copy_from_user(buf, uaddr, size))
		return -EFAULT;
	if (off == CORE_OFF(regs.pstate) && !pstate_ok(av, *(u64 *)buf))
		return -EINVAL;
	memcpy(addr, buf, size);

	/* An AArch32 vCPU's registers are 32 bits wide. */
	if (arm64_mode_is_32bit(av)) {
		u64 mode = av->regs.regs.pstate & PSR_AA32_MODE_MASK;

		n = (mode == PSR_AA32_MODE_USR || mode == PSR_AA32_MODE_SYS) ?
		    15 : 31;
		for (i = 0; i < n; i++)
			av->regs.regs.regs[i] &= 0xffffffff;
		av->regs.regs.pc &= 0xffffffff;
	}
	return 0;
}

static unsigned int core_reg_ids(u64 *ids)
{
	unsigned int n = 0, size;
	u64 off;

	for (off = 0; off < CORE_WORDS; off++) {
		size = core_reg_size(off);
		if (!size)
			continue;
		if (ids)
			ids[n] = KVM_REG_ARM64 | KVM_REG_ARM_CORE | off |
				 (size == 4 ? KVM_REG_SIZE_U32 :
				  size == 8 ? KVM_REG_SIZE_U64 :
					      KVM_REG_SIZE_U128);
		n++;
	}
	return n;
}

static const u64 timer_reg_ids[] = {
	KVM_REG_ARM_TIMER_CTL,
	KVM_REG_ARM_TIMER_CNT,
	KVM_REG_ARM_TIMER_CVAL,
};

static int arm64_get_reg64(struct nkvm_arm64_vcpu *av, u64 id, u64 *val)
{
	switch (id & KVM_REG_ARM_COPROC_MASK) {
	case KVM_REG_ARM_FW:
	case KVM_REG_ARM_FW_FEAT_BMAP:
		return arm64_get_fw_reg(av, id, val);
	}
	if (arm64_is_timer_reg(id))
		return arm64_timer_get_reg(av, id, val);
	return arm64_get_sysreg(av, id, val);
}

static int arm64_set_reg64(struct nkvm_arm64_vcpu *av, u64 id, u64 val)
{
	switch (id & KVM_REG_ARM_COPROC_MASK) {
	case KVM_REG_ARM_FW:
	case KVM_REG_ARM_FW_FEAT_BMAP:
		return arm64_set_fw_reg(av, id, val);
	}
	if (arm64_is_timer_reg(id))
		return arm64_timer_set_reg(av, id, val);
	return arm64_set_sysreg(av, id, val);
}

long arm64_one_reg(struct nkvm_arm64_vcpu *av, unsigned int ioctl,
		   void __user *argp)
{
	struct kvm_one_reg reg;
	void __user *uaddr;
	u64 val;
	int r;

	if (!arm64_vcpu_initialized(av))
		return -ENOEXEC;
	if (copy_from_user(&reg, argp, sizeof(reg)))
		return -EFAULT;
	if ((reg.id & ~KVM_REG_SIZE_MASK) >> 32 != KVM_REG_ARM64 >> 32)
		return -EINVAL;
	uaddr = u64_to_user_ptr(reg.addr);
	/* A CPU_ON reset owed to this vCPU comes before userspace's access. */
	if (READ_ONCE(av->reset_pending))
		arm64_reset_vcpu(av);

	switch (reg.id & KVM_REG_ARM_COPROC_MASK) {
	case KVM_REG_ARM_CORE:
		return core_reg(av, reg.id, uaddr, ioctl == KVM_SET_ONE_REG);
	case KVM_REG_ARM64_SVE:
		return -ENOENT;
	}
	if (KVM_REG_SIZE(reg.id) != sizeof(u64))
		return -ENOENT;
	if (ioctl == KVM_GET_ONE_REG) {
		r = arm64_get_reg64(av, reg.id, &val);
		if (r)
			return r;
		return copy_to_user(uaddr, &val, sizeof(val)) ? -EFAULT : 0;
	}
	if (copy_from_user(&val, uaddr, sizeof(val)))
		return -EFAULT;
	return arm64_set_reg64(av, reg.id, val);
}

/* All ids, or just their number with ids NULL. */
static unsigned int arm64_reg_ids(u64 *ids)
{
	unsigned int n;

	n = core_reg_ids(ids);
	n += arm64_fw_reg_ids(ids ? ids + n : NULL);
	if (ids)
		memcpy(ids + n, timer_reg_ids, sizeof(timer_reg_ids));
	n += ARRAY_SIZE(timer_reg_ids);
	n += arm64_sysreg_ids(ids ? ids + n : NULL);
	return n;
}

/* KVM_GET_REG_LIST: E2BIG (with n set) when the caller's array is short. */
long arm64_reg_list(struct nkvm_arm64_vcpu *av, void __user *argp)
{
	struct kvm_reg_list __user *ulist = argp;
	struct kvm_reg_list list;
	unsigned int n, have;
	u64 *ids;
	long r;

	if (!arm64_vcpu_initialized(av))
		return -ENOEXEC;
	if (copy_from_user(&list, ulist, sizeof(list)))
		return -EFAULT;
	have = list.n;
	n = arm64_reg_ids(NULL);
	list.n = n;
	if (copy_to_user(ulist, &list, sizeof(list)))
		return -EFAULT;
	if (have < n)
		return -E2BIG;
	ids = kcalloc(n, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	arm64_reg_ids(ids);
	r = copy_to_user(ulist->reg, ids, n * sizeof(*ids)) ? -EFAULT : 0;
	kfree(ids);
	return r;
}
