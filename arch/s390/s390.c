// SPDX-License-Identifier: GPL-2.0
/*
 * s390 layer: detection, machine types, limits, the guest address space
 * built from the memory slots, the VM ioctls and capabilities, and the
 * ops table. Guests run under SIE (sie.c); the vCPU side is in vcpu.c.
 *
 * Kernel interfaces used (they exist for the s390 KVM module, which is a
 * module like this one): s390_enable_sie() (page tables with PGSTEs for
 * the VM's process), gmap_create/gmap_remove/gmap_map_segment/
 * gmap_unmap_segment (the guest address space: the host's own page tables
 * hung below a guest region/segment table), and the rest listed in
 * Documentation/s390.md.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/facility.h>
#include <asm/pgalloc.h>
#include <asm/sclp.h>

#include <nkvm/arch_ops.h>
#include <nkvm/device.h>

#include "s390.h"
#include "interrupt.h"
#include "gaccess.h"
#include "adapter.h"

#define S390_USER_MEMSLOTS	32
#define S390_SEGMENT_MASK	(SZ_1M - 1)

static int s390_hardware_probe(void)
{
	if (!sclp.has_sief2) {
		pr_err("no hardware virtualization: SIE is not available (no SIEF2 facility)\n");
		return -ENODEV;
	}
	return 0;
}

/* With SIE: the FLIC device and what the SIE entry needs (sie.c). */
static int s390_hardware_setup(void)
{
	int r;

	r = s390_sie_setup();
	if (r)
		return r;
	r = nkvm_register_device_ops(&s390_flic_ops);
	if (r)
		s390_sie_unsetup();
	return r;
}

static void s390_hardware_unsetup(void)
{
	nkvm_unregister_device_ops(&s390_flic_ops);
	s390_sie_unsetup();
}

struct nkvm_s390_vcpu *s390_vcpu_by_id(struct nkvm_vm *vm, u32 id)
{
	struct nkvm_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu)
		if (vcpu->vcpu_id == id)
			return to_s390_vcpu(vcpu);
	return NULL;
}

static void s390_vm_free(struct nkvm_s390_vm *svm)
{
	if (svm->gmap) {
		s390_gmap_vm_del(svm);
		gmap_remove(svm->gmap);
	}
	free_page((unsigned long)svm->sca);
	free_page((unsigned long)svm->fac_list);
}

static int s390_vm_init(struct nkvm_vm *vm, unsigned long type)
{
	struct nkvm_s390_vm *svm = to_s390_vm(vm);
	gfp_t dma = sclp.has_64bscao ? 0 : GFP_DMA;
	int r;

	/* KVM_VM_S390_UCONTROL (user-controlled VMs) is not supported. */
	if (type)
		return -EINVAL;
	/*
	 * The guest's memory is the process's: its page tables need the
	 * extensions (PGSTEs) SIE keeps the guest's storage keys and
	 * change bits in. A process linked without --s390-pgste (or
	 * without vm.allocate_pgste) gets EINVAL here, as from stock.
	 */
	if (nkvm_runs_guests()) {
		r = s390_enable_sie();
		if (r)
			return r;
	}

	s390_vm_attr_init(svm);
	spin_lock_init(&svm->tod_lock);
	spin_lock_init(&svm->start_stop_lock);
	s390_float_init(svm);
	s390_adapters_init(svm);
	/* Without SIE (api_only) there is no guest to give an address space. */
	if (!nkvm_runs_guests())
		return 0;

	r = -ENOMEM;
	svm->sca = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT | dma);
	svm->fac_list = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT | GFP_DMA);
	if (!svm->sca || !svm->fac_list)
		goto out;
	svm->gmap = gmap_create(current->mm, svm->max_mem_limit - 1);
	if (!svm->gmap)
		goto out;
	svm->gmap->private = svm;
	s390_gmap_vm_add(svm);
	return 0;
out:
	s390_vm_free(svm);
	return r;
}

/* vCPUs are gone; so are device fds (the FLIC's adapters stay to here). */
static void s390_vm_destroy(struct nkvm_vm *vm)
{
	struct nkvm_s390_vm *svm = to_s390_vm(vm);

	s390_adapters_destroy(svm);
	s390_float_clear(svm);
	s390_vm_free(svm);
}

/*
 * Guest memory is mapped by segments: 1 MiB aligned address and size, and
 * below the VM's memory limit (KVM_S390_VM_MEM_LIMIT_SIZE). slots_lock is
 * held.
 */
static int s390_prepare_memslot(struct nkvm_vm *vm, enum nkvm_mr_change change,
				const struct nkvm_memslot *old,
				const struct nkvm_memslot *new)
{
	u64 size, gpa;

	lockdep_assert_held(&vm->slots_lock);
	if (change != NKVM_MR_CREATE && change != NKVM_MR_MOVE)
		return 0;
	size = new->npages << PAGE_SHIFT;
	gpa = new->base_gfn << PAGE_SHIFT;
	if ((new->userspace_addr & S390_SEGMENT_MASK) ||
	    (size & S390_SEGMENT_MASK) || (gpa & S390_SEGMENT_MASK))
		return -EINVAL;
	if (gpa + size > to_s390_vm(vm)->mem_limit)
		return -EINVAL;
	return 0;
}

/*
 * The guest address space follows the slots: the segments of a deleted or
 * moved slot are unmapped, those of a new or moved one mapped to its user
 * range. The host's fault handler fills in the pages (and the kernel keeps
 * them coherent with the process: the guest shares its page tables).
 * gmap_map_segment() can only fail for want of memory here: the slot then
 * stays without a guest mapping and a guest access to it is an addressing
 * exception, as on stock.
 */
static void s390_commit_memslot(struct nkvm_vm *vm, enum nkvm_mr_change change,
				const struct nkvm_memslot *old,
				const struct nkvm_memslot *new)
{
	struct gmap *gmap = to_s390_vm(vm)->gmap;
	int r;

	if (!gmap)
		return;
	if (change == NKVM_MR_DELETE || change == NKVM_MR_MOVE)
		gmap_unmap_segment(gmap, old->base_gfn << PAGE_SHIFT,
				   old->npages << PAGE_SHIFT);
	if (change != NKVM_MR_CREATE && change != NKVM_MR_MOVE)
		return;
	r = gmap_map_segment(gmap, new->userspace_addr,
			     new->base_gfn << PAGE_SHIFT,
			     new->npages << PAGE_SHIFT);
	if (r)
		pr_warn_ratelimited("memory slot %u not mapped for the guest: %d\n",
				    new->id, r);
}

/* ---- capabilities ---- */

static long s390_check_extension(struct nkvm_vm *vm, long cap)
{
	if (!nkvm_runs_guests())
		return 0;
	switch (cap) {
	case KVM_CAP_S390_PSW:
	case KVM_CAP_S390_GMAP:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_ONE_REG:
	case KVM_CAP_ENABLE_CAP:
	case KVM_CAP_S390_CSS_SUPPORT:
	case KVM_CAP_S390_IRQCHIP:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_S390_INJECT_IRQ:
	case KVM_CAP_S390_USER_SIGP:
	case KVM_CAP_S390_USER_STSI:
	case KVM_CAP_S390_SKEYS:
	case KVM_CAP_S390_IRQ_STATE:
	case KVM_CAP_S390_USER_INSTR0:
	case KVM_CAP_S390_VCPU_RESETS:
	case KVM_CAP_S390_MEM_OP_EXTENSION:
	case KVM_CAP_IRQFD:
		return 1;
	case KVM_CAP_S390_MEM_OP:
		return S390_MEM_OP_MAX;
	case KVM_CAP_IRQ_ROUTING:
		return S390_MAX_GSI;
	case KVM_CAP_S390_COW:
		return MACHINE_HAS_ESOP;
	}
	return 0;
}

static int s390_vm_enable_cap(struct nkvm_vm *vm, struct kvm_enable_cap *cap)
{
	struct nkvm_s390_vm *svm = to_s390_vm(vm);

	if (!nkvm_runs_guests())
		return -EINVAL;
	switch (cap->cap) {
	case KVM_CAP_S390_IRQCHIP:
		return s390_enable_irqchip(svm);
	case KVM_CAP_S390_USER_SIGP:
		WRITE_ONCE(svm->user_sigp, true);
		return 0;
	case KVM_CAP_S390_USER_STSI:
		WRITE_ONCE(svm->user_stsi, true);
		return 0;
	case KVM_CAP_S390_USER_INSTR0:
		s390_enable_user_instr0(svm);
		return 0;
	}
	return -EINVAL;
}

/* ---- VM ioctls ---- */

static long s390_vm_interrupt(struct nkvm_vm *vm, void __user *argp)
{
	struct kvm_s390_interrupt s390int;

	if (copy_from_user(&s390int, argp, sizeof(s390int)))
		return -EFAULT;
	return s390_inject_float_int(to_s390_vm(vm), &s390int);
}

static long s390_vm_mem_op(struct nkvm_vm *vm, void __user *argp)
{
	struct kvm_s390_mem_op mop;

	if (copy_from_user(&mop, argp, sizeof(mop)))
		return -EFAULT;
	return s390_vm_memop(to_s390_vm(vm), &mop);
}

static long s390_vm_create_irqchip(struct nkvm_vm *vm, void __user *argp)
{
	/* s390 has no irqchip to make: an empty routing table, as stock. */
	return s390_set_empty_routing(to_s390_vm(vm));
}

static long s390_vm_set_gsi_routing(struct nkvm_vm *vm, void __user *argp)
{
	return s390_set_gsi_routing(to_s390_vm(vm), argp);
}

static long s390_vm_irqfd(struct nkvm_vm *vm, void __user *argp)
{
	struct kvm_irqfd irqfd;

	if (copy_from_user(&irqfd, argp, sizeof(irqfd)))
		return -EFAULT;
	return s390_irqfd(to_s390_vm(vm), &irqfd);
}

static long s390_vm_skeys(struct nkvm_vm *vm, unsigned int ioctl,
			  void __user *argp)
{
	struct kvm_s390_skeys args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (ioctl == KVM_S390_GET_SKEYS)
		return s390_get_skeys(to_s390_vm(vm), &args);
	return s390_set_skeys(to_s390_vm(vm), &args);
}

static long s390_vm_ioctl(struct nkvm_vm *vm, unsigned int ioctl,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	if (!nkvm_runs_guests())
		return -ENOTTY;
	switch (ioctl) {
	case KVM_S390_INTERRUPT:
		return s390_vm_interrupt(vm, argp);
	case KVM_S390_MEM_OP:
		return s390_vm_mem_op(vm, argp);
	case KVM_CREATE_IRQCHIP:
		return s390_vm_create_irqchip(vm, argp);
	case KVM_SET_GSI_ROUTING:
		return s390_vm_set_gsi_routing(vm, argp);
	case KVM_IRQFD:
		return s390_vm_irqfd(vm, argp);
	case KVM_S390_GET_SKEYS:
	case KVM_S390_SET_SKEYS:
		return s390_vm_skeys(vm, ioctl, argp);
	}
	return -ENOTTY;
}

const struct nkvm_arch_ops nkvm_arch_ops = {
	.name			= "s390",
	.max_vcpus		= S390_MAX_VCPUS,
	.max_vcpu_ids		= S390_MAX_VCPUS,
	.nr_memslots		= S390_USER_MEMSLOTS,
	.address_spaces		= 1,
	.memslot_flags		= KVM_MEM_LOG_DIRTY_PAGES,
	.vcpu_mmap_pages	= 1,
	.vm_size		= sizeof(struct nkvm_s390_vm),
	.vcpu_size		= sizeof(struct nkvm_s390_vcpu),
	.hardware_probe		= s390_hardware_probe,
	.hardware_setup		= s390_hardware_setup,
	.hardware_unsetup	= s390_hardware_unsetup,
	.check_extension	= s390_check_extension,
	.vm_init		= s390_vm_init,
	.vm_destroy		= s390_vm_destroy,
	.vm_enable_cap		= s390_vm_enable_cap,
	.vm_attr		= s390_vm_attr,
	.vm_ioctl		= s390_vm_ioctl,
	.prepare_memslot	= s390_prepare_memslot,
	.commit_memslot		= s390_commit_memslot,
	.vcpu_create		= s390_vcpu_create,
	.vcpu_destroy		= s390_vcpu_destroy,
	.vcpu_run_begin		= s390_vcpu_run_begin,
	.vcpu_run_end		= s390_vcpu_run_end,
	.vcpu_complete_exit	= s390_vcpu_complete_exit,
	.vcpu_enter		= s390_vcpu_enter,
	.sync_regs		= KVM_SYNC_S390_VALID_FIELDS,
	.sync_regs_in		= s390_sync_regs_in,
	.sync_regs_out		= s390_sync_regs_out,
	.vcpu_ioctl		= s390_vcpu_ioctl,
	.vcpu_async_ioctl	= s390_vcpu_async_ioctl,
};
