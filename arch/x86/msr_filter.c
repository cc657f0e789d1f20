// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's RDMSR/WRMSR as userspace may steer them: the MSR filter of
 * KVM_X86_SET_MSR_FILTER, and the exits to userspace that
 * KVM_CAP_X86_USER_SPACE_MSR asks for (KVM_EXIT_X86_RDMSR/WRMSR), which
 * the next KVM_RUN completes. Userspace's own accesses (KVM_GET/SET_MSRS)
 * are never filtered.
 *
 * A filter never changes once published: KVM_X86_SET_MSR_FILTER builds a
 * new one, swaps the pointer under vm->lock and frees the old one after a
 * grace period of vm->srcu, under which vCPUs read it. A vCPU thus sees
 * either the old filter or the new one, whole, and no lock is taken on
 * the guest's path.
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "x86.h"

/* The x2APIC MSRs: never filtered, as stock 6.1. */
#define X86_X2APIC_MSR_FIRST	0x800
#define X86_X2APIC_MSR_LAST	0x8ff

#define X86_MSR_EXIT_REASONS	(KVM_MSR_EXIT_REASON_INVAL | \
				 KVM_MSR_EXIT_REASON_UNKNOWN | \
				 KVM_MSR_EXIT_REASON_FILTER)
#define X86_MSR_RANGE_FLAGS	(KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE)
/* The most MSRs one range may cover: its bitmap's largest size, in bits. */
#define X86_MSR_RANGE_MAX	(KVM_MSR_FILTER_MAX_BITMAP_SIZE * BITS_PER_BYTE)

struct nkvm_x86_msr_range {
	u32 flags;			/* the accesses it decides */
	u32 base;
	u32 nmsrs;
	unsigned long *bitmap;		/* bit n set: base + n allowed */
};

struct nkvm_x86_msr_filter {
	bool default_allow;		/* for MSRs no range decides */
	u32 count;
	struct nkvm_x86_msr_range ranges[KVM_MSR_FILTER_MAX_RANGES];
};

static void x86_free_msr_filter(struct nkvm_x86_msr_filter *f)
{
	u32 i;

	if (!f)
		return;
	for (i = 0; i < f->count; i++)
		kfree(f->ranges[i].bitmap);
	kfree(f);
}

/*
 * One range from userspace. As stock: a range of no MSRs is ignored,
 * whatever its other fields hold; otherwise it must filter reads, writes
 * or both, and its bitmap (copied in whole longs) may not exceed
 * KVM_MSR_FILTER_MAX_BITMAP_SIZE bytes.
 */
static int x86_add_msr_range(struct nkvm_x86_msr_filter *f,
			     const struct kvm_msr_filter_range *ur)
{
	struct nkvm_x86_msr_range *r;
	unsigned long *bitmap;

	if (!ur->nmsrs)
		return 0;
	if (!ur->flags || (ur->flags & ~X86_MSR_RANGE_FLAGS))
		return -EINVAL;
	if (ur->nmsrs > X86_MSR_RANGE_MAX)
		return -EINVAL;
	bitmap = memdup_user(u64_to_user_ptr((u64)(uintptr_t)ur->bitmap),
			     BITS_TO_LONGS(ur->nmsrs) * sizeof(long));
	if (IS_ERR(bitmap))
		return PTR_ERR(bitmap);
	r = &f->ranges[f->count++];
	r->flags = ur->flags;
	r->base = ur->base;
	r->nmsrs = ur->nmsrs;
	r->bitmap = bitmap;
	return 0;
}

long nkvm_x86_set_msr_filter(struct nkvm_x86_vm *xvm, void __user *argp)
{
	struct nkvm_x86_msr_filter *f, *old;
	struct kvm_msr_filter uf;
	bool empty = true;
	unsigned int i;
	int r;

	if (copy_from_user(&uf, argp, sizeof(uf)))
		return -EFAULT;
	if (uf.flags & ~KVM_MSR_FILTER_DEFAULT_DENY)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(uf.ranges); i++)
		empty &= !uf.ranges[i].nmsrs;
	/* No ranges means no filtering: denying everything is refused. */
	if (empty && (uf.flags & KVM_MSR_FILTER_DEFAULT_DENY))
		return -EINVAL;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->default_allow = !(uf.flags & KVM_MSR_FILTER_DEFAULT_DENY);
	for (i = 0; i < ARRAY_SIZE(uf.ranges); i++) {
		r = x86_add_msr_range(f, &uf.ranges[i]);
		if (r) {
			x86_free_msr_filter(f);
			return r;
		}
	}

	mutex_lock(&xvm->vm.lock);
	old = rcu_replace_pointer(xvm->msr_filter, f,
				  lockdep_is_held(&xvm->vm.lock));
	mutex_unlock(&xvm->vm.lock);
	/* No vCPU can still be looking at the old one after this. */
	synchronize_srcu_expedited(&xvm->vm.srcu);
	x86_free_msr_filter(old);
	return 0;
}

void nkvm_x86_msr_filter_destroy(struct nkvm_x86_vm *xvm)
{
	x86_free_msr_filter(rcu_dereference_protected(xvm->msr_filter, 1));
	RCU_INIT_POINTER(xvm->msr_filter, NULL);
}

/* The filter lets the guest make this access (type: READ or WRITE). */
static bool x86_msr_allowed(struct nkvm_x86_vcpu *xv, u32 index, u32 type)
{
	struct nkvm_x86_vm *xvm = to_x86_vm(xv->vcpu.vm);
	const struct nkvm_x86_msr_filter *f;
	const struct nkvm_x86_msr_range *r;
	bool allowed = true;
	int idx;
	u32 i;

	if (index >= X86_X2APIC_MSR_FIRST && index <= X86_X2APIC_MSR_LAST)
		return true;
	if (!rcu_access_pointer(xvm->msr_filter))
		return true;

	idx = srcu_read_lock(&xvm->vm.srcu);
	f = srcu_dereference(xvm->msr_filter, &xvm->vm.srcu);
	if (f) {
		allowed = f->default_allow;
		/* The first range that covers the access decides. */
		for (i = 0; i < f->count; i++) {
			r = &f->ranges[i];
			if (!(r->flags & type) || index < r->base ||
			    (u64)index >= (u64)r->base + r->nmsrs)
				continue;
			allowed = test_bit(index - r->base, r->bitmap);
			break;
		}
	}
	srcu_read_unlock(&xvm->vm.srcu, idx);
	return allowed;
}

/*
 * The guest's RDMSR (write false; the value lands in *data) or WRMSR of
 * *data. An access the filter denies, or that fails in the kernel, exits
 * to userspace when KVM_CAP_X86_USER_SPACE_MSR enabled its reason, and
 * is a #GP otherwise. As stock, a failure other than an unknown MSR
 * (a value refused, an access not allowed) has the reason INVAL.
 */
enum nkvm_x86_msr_result nkvm_x86_guest_msr(struct nkvm_x86_vcpu *xv,
					    bool write, u32 index, u64 *data)
{
	struct nkvm_x86_vm *xvm = to_x86_vm(xv->vcpu.vm);
	struct kvm_run *run = xv->vcpu.run;
	u32 reason;
	int r;

	if (!x86_msr_allowed(xv, index, write ? KVM_MSR_FILTER_WRITE :
						KVM_MSR_FILTER_READ)) {
		reason = KVM_MSR_EXIT_REASON_FILTER;
	} else {
		r = write ? nkvm_x86_set_msr(xv, index, *data, false) :
			    nkvm_x86_get_msr(xv, index, data, false);
		if (!r)
			return NKVM_X86_MSR_DONE;
		reason = r == NKVM_X86_MSR_UNKNOWN ?
			 KVM_MSR_EXIT_REASON_UNKNOWN : KVM_MSR_EXIT_REASON_INVAL;
	}
	if (!(READ_ONCE(xvm->user_space_msr) & reason))
		return NKVM_X86_MSR_GP;

	run->exit_reason = write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR;
	run->msr.error = 0;
	memset(run->msr.pad, 0, sizeof(run->msr.pad));
	run->msr.reason = reason;
	run->msr.index = index;
	run->msr.data = write ? *data : 0;
	xv->msr_exit.pending = true;
	xv->msr_exit.read = !write;
	xv->msr_exit.rip = xv->regs.rip;
	return NKVM_X86_MSR_USER;
}

/*
 * At the next KVM_RUN: error non-zero means #GP; otherwise a RDMSR takes
 * data into EDX:EAX and the instruction is done. As for port I/O, an
 * instruction whose RIP userspace moved meanwhile is abandoned.
 */
int nkvm_x86_complete_msr_exit(struct nkvm_x86_vcpu *xv)
{
	struct kvm_run *run = xv->vcpu.run;
	u64 data;

	if (!xv->msr_exit.pending)
		return -1;
	xv->msr_exit.pending = false;
	if (xv->regs.rip != xv->msr_exit.rip)
		return -1;
	if (READ_ONCE(run->msr.error))
		return 1;
	if (xv->msr_exit.read) {
		data = READ_ONCE(run->msr.data);
		xv->regs.rax = (u32)data;
		xv->regs.rdx = data >> 32;
	}
	return 0;
}

int nkvm_x86_enable_user_space_msr(struct nkvm_x86_vm *xvm, u64 mask)
{
	if (mask & ~(u64)X86_MSR_EXIT_REASONS)
		return -EINVAL;
	WRITE_ONCE(xvm->user_space_msr, mask);
	return 0;
}
