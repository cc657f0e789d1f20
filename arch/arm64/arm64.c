// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 layer. The module runs its world switch at EL2, so it needs a
 * kernel that stays at EL2 in VHE mode with the built-in KVM disabled
 * (kvm-arm.mode=none). For now: detection, machine types and limits.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>
#include <linux/sizes.h>
#include <asm/cpufeature.h>
#include <asm/sysreg.h>
#include <asm/virt.h>

#include <nkvm/arch_ops.h>

#define ARM64_MAX_VCPUS		512
#define ARM64_USER_MEMSLOTS	512
#define ARM64_MIN_IPA_BITS	32
#define ARM64_DEFAULT_IPA_BITS	40

struct nkvm_arm64_vm {
	struct nkvm_vm vm;		/* must be first */
	unsigned int ipa_bits;		/* (c) guest physical address width */
};

static unsigned int arm64_ipa_limit;	/* set once at load */

static int arm64_hardware_probe(void)
{
	unsigned int parange;

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

static long arm64_check_extension(struct nkvm_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_ARM_VM_IPA_SIZE:
		return arm64_ipa_limit;
	}
	return 0;
}

static int arm64_vm_init(struct nkvm_vm *vm, unsigned long type)
{
	struct nkvm_arm64_vm *avm = container_of(vm, struct nkvm_arm64_vm, vm);
	unsigned int bits;

	if (type & ~KVM_VM_TYPE_ARM_IPA_SIZE_MASK)
		return -EINVAL;
	bits = KVM_VM_TYPE_ARM_IPA_SIZE(type);
	if (!bits)
		bits = ARM64_DEFAULT_IPA_BITS;
	if (bits < ARM64_MIN_IPA_BITS || bits > arm64_ipa_limit)
		return -EINVAL;
	avm->ipa_bits = bits;
	return 0;
}

/* Slots must lie inside the VM's IPA space (stock KVM says -EFAULT). */
static int arm64_prepare_memslot(struct nkvm_vm *vm, enum nkvm_mr_change change,
				 const struct nkvm_memslot *old,
				 const struct nkvm_memslot *new)
{
	struct nkvm_arm64_vm *avm = container_of(vm, struct nkvm_arm64_vm, vm);
	u64 limit_gfn = 1ULL << (avm->ipa_bits - PAGE_SHIFT);

	if (new && new->base_gfn + new->npages > limit_gfn)
		return -EFAULT;
	return 0;
}

const struct nkvm_arch_ops nkvm_arch_ops = {
	.name			= "arm64",
	.max_vcpus		= ARM64_MAX_VCPUS,
	.max_vcpu_ids		= ARM64_MAX_VCPUS,
	.nr_memslots		= ARM64_USER_MEMSLOTS,
	.address_spaces		= 1,
	.memslot_flags		= KVM_MEM_LOG_DIRTY_PAGES,
	.vcpu_mmap_pages	= 2,	/* kvm_run, coalesced ring */
	.coalesced_mmio_page	= 1,
	.vm_size		= sizeof(struct nkvm_arm64_vm),
	.vcpu_size		= sizeof(struct nkvm_vcpu),
	.hardware_probe		= arm64_hardware_probe,
	.check_extension	= arm64_check_extension,
	.vm_init		= arm64_vm_init,
	.prepare_memslot	= arm64_prepare_memslot,
};
