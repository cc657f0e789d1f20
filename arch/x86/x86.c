// SPDX-License-Identifier: GPL-2.0
/*
 * x86 layer: machine types, limits, VM capabilities and vCPU attributes
 * common to SVM and VMX, and the x86 nkvm_arch_ops table.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include <nkvm/arch_ops.h>
#include "x86.h"

#define X86_MAX_VCPUS		1024
#define X86_MAX_VCPU_IDS	(4 * X86_MAX_VCPUS)
#define X86_USER_MEMSLOTS	509

static const struct nkvm_x86_vendor *const x86_vendors[] = {
	&nkvm_svm_vendor,
	&nkvm_vmx_vendor,
};

static const struct nkvm_x86_vendor *x86_vendor;

static int x86_hardware_probe(void)
{
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(x86_vendors); i++) {
		r = x86_vendors[i]->probe();
		if (r == -ENODEV)
			continue;
		if (!r)
			x86_vendor = x86_vendors[i];
		return r;
	}
	pr_err("no hardware virtualization: the CPU has neither AMD SVM nor Intel VMX\n");
	return -ENODEV;
}

static long x86_check_extension(struct nkvm_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_VCPU_ATTRIBUTES:
		return 1;
	}
	return 0;
}

static int x86_vm_init(struct nkvm_vm *vm, unsigned long type)
{
	return type ? -EINVAL : 0;
}

static int x86_enable_max_vcpu_id(struct nkvm_vm *vm, u64 max)
{
	int r = 0;

	if (max > X86_MAX_VCPU_IDS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->max_vcpu_ids_set) {
		/* Set once; repeating the same value is fine. */
		if (vm->max_vcpu_ids != max)
			r = -EINVAL;
	} else if (max) {
		vm->max_vcpu_ids = max;
		vm->max_vcpu_ids_set = true;
	}
	mutex_unlock(&vm->lock);
	return r;
}

static int x86_vm_enable_cap(struct nkvm_vm *vm, struct kvm_enable_cap *cap)
{
	switch (cap->cap) {
	case KVM_CAP_MAX_VCPU_ID:
		return x86_enable_max_vcpu_id(vm, cap->args[0]);
	}
	return -EINVAL;
}

/* Guest physical addresses must fit the host's physical address width. */
static int x86_prepare_memslot(struct nkvm_vm *vm, enum nkvm_mr_change change,
			       const struct nkvm_memslot *old,
			       const struct nkvm_memslot *new)
{
	u64 max_gfn = (1ULL << (boot_cpu_data.x86_phys_bits - PAGE_SHIFT)) - 1;

	if ((change == NKVM_MR_CREATE || change == NKVM_MR_MOVE) &&
	    new->base_gfn + new->npages - 1 > max_gfn)
		return -EINVAL;
	return 0;
}

static int x86_vcpu_create(struct nkvm_vcpu *vcpu)
{
	/* The guest TSC starts at zero when the vCPU is created. */
	to_x86_vcpu(vcpu)->tsc_offset = -(s64)rdtsc_ordered();
	return 0;
}

static int x86_vcpu_tsc_attr(struct nkvm_vcpu *vcpu, unsigned int ioctl,
			     struct kvm_device_attr *attr)
{
	struct nkvm_x86_vcpu *xv = to_x86_vcpu(vcpu);
	u64 __user *uaddr = u64_to_user_ptr(attr->addr);
	u64 offset;

	if (attr->attr != KVM_VCPU_TSC_OFFSET)
		return -ENXIO;

	switch (ioctl) {
	case KVM_SET_DEVICE_ATTR:
		if (get_user(offset, uaddr))
			return -EFAULT;
		xv->tsc_offset = offset;
		return 0;
	case KVM_GET_DEVICE_ATTR:
		return put_user((u64)xv->tsc_offset, uaddr) ? -EFAULT : 0;
	default:
		return 0;
	}
}

static int x86_vcpu_attr(struct nkvm_vcpu *vcpu, unsigned int ioctl,
			 struct kvm_device_attr *attr)
{
	switch (attr->group) {
	case KVM_VCPU_TSC_CTRL:
		return x86_vcpu_tsc_attr(vcpu, ioctl, attr);
	}
	return -ENXIO;
}

const struct nkvm_arch_ops nkvm_arch_ops = {
	.name			= "x86",
	.max_vcpus		= X86_MAX_VCPUS,
	.max_vcpu_ids		= X86_MAX_VCPU_IDS,
	.nr_memslots		= X86_USER_MEMSLOTS,
	.address_spaces		= 1,
	.memslot_flags		= KVM_MEM_LOG_DIRTY_PAGES,
	.vcpu_mmap_pages	= 2,	/* kvm_run + PIO data page */
	.vm_size		= sizeof(struct nkvm_x86_vm),
	.vcpu_size		= sizeof(struct nkvm_x86_vcpu),
	.hardware_probe		= x86_hardware_probe,
	.check_extension	= x86_check_extension,
	.vm_init		= x86_vm_init,
	.vm_enable_cap		= x86_vm_enable_cap,
	.prepare_memslot	= x86_prepare_memslot,
	.vcpu_create		= x86_vcpu_create,
	.vcpu_attr		= x86_vcpu_attr,
};
