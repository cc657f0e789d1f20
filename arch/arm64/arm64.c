// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 layer: detection, machine types and limits, the VM and vCPU
 * ioctls, and the ops table. The module runs its world switch at EL2, so
 * it needs a kernel that stays at EL2 in VHE mode with the built-in KVM
 * disabled (kvm-arm.mode=none). arm64.h says where the rest lives.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/sysreg.h>
#include <asm/virt.h>

#include <nkvm/arch_ops.h>

#include "arm64.h"

#define ARM64_USER_MEMSLOTS	512
#define ARM64_MIN_IPA_BITS	32
#define ARM64_DEFAULT_IPA_BITS	40

unsigned int arm64_ipa_limit;	/* set once at load */
bool arm64_has_el1_32bit;	/* set once at load */
bool arm64_has_el0_32bit;	/* set once at load */

static int arm64_hardware_probe(void)
{
	u64 pfr0 = read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1);
	unsigned int parange, el1, el0;

	el1 = cpuid_feature_extract_unsigned_field(pfr0,
						   ID_AA64PFR0_EL1_EL1_SHIFT);
	el0 = cpuid_feature_extract_unsigned_field(pfr0,
						   ID_AA64PFR0_EL1_EL0_SHIFT);
	arm64_has_el1_32bit = el1 == 2;
	arm64_has_el0_32bit = el0 == 2;
	if (!is_kernel_in_hyp_mode()) {
		pr_err("no hardware virtualization: the kernel does not run at EL2 in VHE mode (boot with kvm-arm.mode=none on a CPU with VHE)\n");
		return -ENODEV;
	}

	parange = cpuid_feature_extract_unsigned_field(read_sysreg(id_aa64mmfr0_el1),
						       ID_AA64MMFR0_EL1_PARANGE_SHIFT);
	/* With 4K or 16K pages, stage 2 stops at 48 bits. */
	if (PAGE_SIZE != SZ_64K)
		parange = min(parange, (unsigned int)ID_AA64MMFR0_EL1_PARANGE_48);
	arm64_ipa_limit = id_aa64mmfr0_parange_to_phys_shift(parange);
	return 0;
}

static int arm64_hardware_setup(void)
{
	int r;

	/* The world switch and stage 2 assume 4 KiB pages. */
	if (PAGE_SIZE != SZ_4K) {
		pr_err("arm64 guests need a kernel with 4 KiB pages\n");
		return -ENODEV;
	}
	r = arm64_sysregs_init();
	if (!r)
		r = arm64_vmid_init();
	if (!r)
		r = arm64_hyp_init();
	return r;
}

static long arm64_check_extension(struct nkvm_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_ARM_VM_IPA_SIZE:
		return arm64_ipa_limit;
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_ONE_REG:
	case KVM_CAP_ARM_PSCI:
	case KVM_CAP_ARM_PSCI_0_2:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_ARM_NISV_TO_USER:
	case KVM_CAP_ARM_SYSTEM_SUSPEND:
	case KVM_CAP_PTP_KVM:
		return nkvm_runs_guests();
	case KVM_CAP_ARM_EL1_32BIT:
		return nkvm_runs_guests() && arm64_has_el1_32bit;
	}
	return 0;
}

static int arm64_vm_init(struct nkvm_vm *vm, unsigned long type)
{
	struct nkvm_arm64_vm *avm = to_avm(vm);
	unsigned int bits;
	int cpu, r;

	if (type & ~KVM_VM_TYPE_ARM_IPA_SIZE_MASK)
		return -EINVAL;
	bits = KVM_VM_TYPE_ARM_IPA_SIZE(type);
	if (!bits)
		bits = ARM64_DEFAULT_IPA_BITS;
	if (bits < ARM64_MIN_IPA_BITS || bits > arm64_ipa_limit)
		return -EINVAL;
	avm->ipa_bits = bits;
	avm->el1_32bit = -1;
	arm64_smccc_init(avm);
	if (!nkvm_runs_guests())
		return 0;
	arm64_timer_vm_init(avm);
	avm->last_vcpu_ran = alloc_percpu_gfp(int, GFP_KERNEL_ACCOUNT);
	if (!avm->last_vcpu_ran)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		int *last = per_cpu_ptr(avm->last_vcpu_ran, cpu);

		*last = -1;
	}
	r = arm64_s2_init(avm);
	if (r) {
		free_percpu(avm->last_vcpu_ran);
		avm->last_vcpu_ran = NULL;
	}
	return r;
}

static void arm64_vm_destroy(struct nkvm_vm *vm)
{
	arm64_s2_destroy(to_avm(vm));
	free_percpu(to_avm(vm)->last_vcpu_ran);
}

static int arm64_vm_enable_cap(struct nkvm_vm *vm, struct kvm_enable_cap *cap)
{
	struct nkvm_arm64_vm *avm = to_avm(vm);

	if (!nkvm_runs_guests())
		return -EINVAL;
	switch (cap->cap) {
	case KVM_CAP_ARM_NISV_TO_USER:
		mutex_lock(&vm->lock);
		WRITE_ONCE(avm->nisv_to_user, true);
		mutex_unlock(&vm->lock);
		return 0;
	case KVM_CAP_ARM_SYSTEM_SUSPEND:
		mutex_lock(&vm->lock);
		WRITE_ONCE(avm->system_suspend, true);
		mutex_unlock(&vm->lock);
		return 0;
	}
	return -EINVAL;
}

/* KVM_IRQ_LINE without an in-kernel GIC: the CPU's IRQ and FIQ lines. */
static int arm64_irq_line(struct nkvm_vm *vm, void __user *argp)
{
	struct kvm_irq_level irq;
	unsigned int type, idx, num, bit;
	struct nkvm_arm64_vcpu *av;
	struct nkvm_vcpu *vcpu;
	bool changed;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	type = (irq.irq >> KVM_ARM_IRQ_TYPE_SHIFT) & KVM_ARM_IRQ_TYPE_MASK;
	idx = (irq.irq >> KVM_ARM_IRQ_VCPU_SHIFT) & KVM_ARM_IRQ_VCPU_MASK;
	idx += ((irq.irq >> KVM_ARM_IRQ_VCPU2_SHIFT) & KVM_ARM_IRQ_VCPU2_MASK) *
	       (KVM_ARM_IRQ_VCPU_MASK + 1);
	num = (irq.irq >> KVM_ARM_IRQ_NUM_SHIFT) & KVM_ARM_IRQ_NUM_MASK;

	switch (type) {
	case KVM_ARM_IRQ_TYPE_CPU:
		break;
	case KVM_ARM_IRQ_TYPE_PPI:
	case KVM_ARM_IRQ_TYPE_SPI:
		return -ENXIO;
	default:
		return -EINVAL;
	}
	if (idx >= atomic_read(&vm->online_vcpus))
		return -EINVAL;
	vcpu = xa_load(&vm->vcpus, idx);
	if (!vcpu || num > KVM_ARM_IRQ_CPU_FIQ)
		return -EINVAL;
	av = to_av(vcpu);
	bit = num == KVM_ARM_IRQ_CPU_IRQ ? ARM64_IRQ_LINE_IRQ :
					   ARM64_IRQ_LINE_FIQ;
	if (irq.level)
		changed = !test_and_set_bit(bit, &av->irq_lines);
	else
		changed = test_and_clear_bit(bit, &av->irq_lines);
	if (changed)
		nkvm_vcpu_kick(vcpu);
	return 0;
}

static long arm64_vm_ioctl(struct nkvm_vm *vm, unsigned int ioctl,
			   unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_ARM_PREFERRED_TARGET: {
		struct kvm_vcpu_init init = { .target = arm64_target() };

		return copy_to_user(argp, &init, sizeof(init)) ? -EFAULT : 0;
	}
	case KVM_IRQ_LINE:
		return arm64_irq_line(vm, argp);
	case KVM_CREATE_IRQCHIP:
	case KVM_ARM_SET_DEVICE_ADDR:
		/* Only a GICv2 could be made so: the host's is a GICv3. */
		return -ENODEV;
	}
	return -ENOTTY;
}

/* Slots must lie inside the VM's IPA space (stock KVM says -EFAULT). */
static int arm64_prepare_memslot(struct nkvm_vm *vm, enum nkvm_mr_change change,
				 const struct nkvm_memslot *old,
				 const struct nkvm_memslot *new)
{
	struct nkvm_arm64_vm *avm = to_avm(vm);
	u64 limit_gfn = 1ULL << (avm->ipa_bits - PAGE_SHIFT);

	if (new && new->base_gfn + new->npages > limit_gfn)
		return -EFAULT;
	return 0;
}

static bool arm64_mmu_unmap(struct nkvm_vm *vm, nkvm_gfn_t start,
			    nkvm_gfn_t end)
{
	return to_avm(vm)->s2.root && arm64_s2_unmap(vm, start, end);
}

static bool arm64_mmu_write_protect(struct nkvm_vm *vm, nkvm_gfn_t start,
				    nkvm_gfn_t end)
{
	return to_avm(vm)->s2.root && arm64_s2_write_protect(vm, start, end);
}

static int arm64_vcpu_create(struct nkvm_vcpu *vcpu)
{
	struct nkvm_arm64_vcpu *av = to_av(vcpu);
	struct nkvm_arm64_vm *avm = av_vm(av);

	spin_lock_init(&av->mp_lock);
	av->target = -1;
	arm64_reset_sysregs(av);
	/* As stock: each new vCPU restarts the VM's virtual count at 0. */
	if (nkvm_runs_guests())
		arm64_timer_vm_init(avm);
	return 0;
}

static void arm64_vcpu_destroy(struct nkvm_vcpu *vcpu)
{
	arm64_s2_cache_free(&to_av(vcpu)->s2_cache);
}

static long arm64_vcpu_ioctl(struct nkvm_vcpu *vcpu, unsigned int ioctl,
			     unsigned long arg)
{
	struct nkvm_arm64_vcpu *av = to_av(vcpu);
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_ARM_VCPU_INIT:
		return arm64_vcpu_init(av, argp);
	case KVM_GET_ONE_REG:
	case KVM_SET_ONE_REG:
		return arm64_one_reg(av, ioctl, argp);
	case KVM_GET_REG_LIST:
		return arm64_reg_list(av, argp);
	case KVM_GET_MP_STATE:
		return arm64_get_mp_state(av, argp);
	case KVM_SET_MP_STATE:
		return arm64_set_mp_state(av, argp);
	case KVM_ARM_VCPU_FINALIZE: {
		int what;

		if (!arm64_vcpu_initialized(av))
			return -ENOEXEC;
		if (get_user(what, (int __user *)argp))
			return -EFAULT;
		/* Only SVE needs finalizing, and nkvm offers no SVE. */
		return what == KVM_ARM_VCPU_SVE ? -EPERM : -EINVAL;
	}
	}
	return -ENOTTY;
}

const struct nkvm_arch_ops nkvm_arch_ops = {
	.name			= "arm64",
	.max_vcpus		= ARM64_MAX_VCPUS,
	.max_vcpu_ids		= ARM64_MAX_VCPUS,
	.nr_memslots		= ARM64_USER_MEMSLOTS,
	.address_spaces		= 1,
	.memslot_flags		= KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY,
	.vcpu_mmap_pages	= 2,	/* kvm_run, coalesced ring */
	.coalesced_mmio_page	= 1,
	.vm_size		= sizeof(struct nkvm_arm64_vm),
	.vcpu_size		= sizeof(struct nkvm_arm64_vcpu),
	.hardware_probe		= arm64_hardware_probe,
	.hardware_setup		= arm64_hardware_setup,
	.check_extension	= arm64_check_extension,
	.vm_init		= arm64_vm_init,
	.vm_destroy		= arm64_vm_destroy,
	.vm_enable_cap		= arm64_vm_enable_cap,
	.vm_ioctl		= arm64_vm_ioctl,
	.prepare_memslot	= arm64_prepare_memslot,
	.mmu_unmap		= arm64_mmu_unmap,
	.mmu_write_protect	= arm64_mmu_write_protect,
	.mmu_flush		= arm64_s2_flush,
	.vcpu_create		= arm64_vcpu_create,
	.vcpu_destroy		= arm64_vcpu_destroy,
	.vcpu_complete_exit	= arm64_vcpu_complete_exit,
	.vcpu_enter		= arm64_vcpu_enter,
	.vcpu_ioctl		= arm64_vcpu_ioctl,
};
