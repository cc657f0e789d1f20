// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_DIRTY_LOG: the pages of a slot written since the last call.
 *
 * While a slot has KVM_MEM_LOG_DIRTY_PAGES, the arch maps its pages
 * read-only until the guest writes one; that write faults, sets the
 * page's bit (nkvm_slot_mark_dirty()) and maps it writable. Kernel writes
 * set bits directly (nkvm_write_guest()). Reading the log takes each word
 * of the bitmap with xchg() and write-protects the pages it names before
 * the ioctl returns, so a write after the snapshot either lands in a page
 * that userspace reads after this call, or faults and shows in the next.
 *
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 splits that in two: KVM_GET_DIRTY_LOG
 * only copies the bitmap, and KVM_CLEAR_DIRTY_LOG clears the bits
 * userspace names (in 64-page steps) and write-protects the pages whose
 * bits it cleared. With KVM_DIRTY_LOG_INITIALLY_SET a slot starts logging
 * with every bit set and its pages left writable (memslot.c): the first
 * clear protects them.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "core.h"

/* The slot (as_id << 16 | id) of address space as_id. Under slots_lock. */
static struct nkvm_memslot *nkvm_dirty_slot(struct nkvm_vm *vm, u32 slot_arg)
{
	return nkvm_slot_by_id(rcu_dereference_protected(vm->memslots[slot_arg >> 16],
				lockdep_is_held(&vm->slots_lock)), (u16)slot_arg);
}

/*
 * Write-protect the frames named by the set bits of one bitmap word (in
 * its little-endian layout: bit n of byte k is frame 8k + n), from gfn on.
 */
static bool nkvm_protect_word(struct nkvm_vm *vm, nkvm_gfn_t gfn,
			      unsigned long word)
{
	unsigned long mask = le64_to_cpu((__force __le64)word);
	bool flush = false;
	unsigned int bit;

	for_each_set_bit(bit, &mask, BITS_PER_LONG)
		flush |= NKVM_ARCH->mmu_write_protect(vm, gfn + bit,
						      gfn + bit + 1);
	return flush;
}

static long nkvm_copy_dirty_log(struct nkvm_vm *vm, struct nkvm_memslot *slot,
				void __user *ubitmap)
{
	unsigned long nlongs = BITS_TO_LONGS(slot->npages), i;
	unsigned long *snap;
	bool flush = false;
	long r = 0;

	snap = kvmalloc_array(nlongs, sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!snap)
		return -ENOMEM;

	spin_lock(&vm->mmu_lock);
	for (i = 0; i < nlongs; i++) {
		unsigned long mask = 0;

		if (READ_ONCE(slot->dirty_bitmap[i]))
			mask = xchg(&slot->dirty_bitmap[i], 0);
		snap[i] = mask;
		if (mask)
			flush |= nkvm_protect_word(vm, slot->base_gfn +
						   i * BITS_PER_LONG, mask);
	}
	nkvm_mmu_unlock_flush(vm, flush);

	if (copy_to_user(ubitmap, snap, nlongs * sizeof(long)))
		r = -EFAULT;
	kvfree(snap);
	return r;
}

/* The bitmap as it is, for KVM_GET_DIRTY_LOG under manual protection. */
static long nkvm_peek_dirty_log(struct nkvm_memslot *slot,
				void __user *ubitmap)
{
	unsigned long nlongs = BITS_TO_LONGS(slot->npages), i;
	unsigned long *snap;
	long r = 0;

	snap = kvmalloc_array(nlongs, sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!snap)
		return -ENOMEM;
	for (i = 0; i < nlongs; i++)
		snap[i] = READ_ONCE(slot->dirty_bitmap[i]);
	if (copy_to_user(ubitmap, snap, nlongs * sizeof(long)))
		r = -EFAULT;
	kvfree(snap);
	return r;
}

long nkvm_vm_get_dirty_log(struct nkvm_vm *vm, unsigned long arg)
{
	const struct nkvm_arch_ops *ops = NKVM_ARCH;
	struct kvm_dirty_log log;
	struct nkvm_memslot *slot;
	void __user *ubitmap;
	long r;

	if (copy_from_user(&log, (void __user *)arg, sizeof(log)))
		return -EFAULT;
	if ((log.slot >> 16) >= ops->address_spaces ||
	    (u16)log.slot >= ops->nr_memslots)
		return -EINVAL;

	ubitmap = (void __user *)log.dirty_bitmap;

	mutex_lock(&vm->slots_lock);
	slot = nkvm_dirty_slot(vm, log.slot);
	if (!slot || !slot->dirty_bitmap)
		r = -ENOENT;
	else if (!ops->mmu_write_protect)
		/* Nothing maps guest memory, so nothing can be dirty. */
		r = clear_user(ubitmap,
			       BITS_TO_LONGS(slot->npages) * sizeof(long)) ?
		    -EFAULT : 0;
	else if (READ_ONCE(vm->manual_dirty_log) &
		 KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		r = nkvm_peek_dirty_log(slot, ubitmap);
	else
		r = nkvm_copy_dirty_log(vm, slot, ubitmap);
	mutex_unlock(&vm->slots_lock);
	return r;
}

/*
 * Clear the bits of mask (one word of userspace's bitmap) in the slot's
 * word i and write-protect the pages whose bits were set; under mmu_lock.
 */
static bool nkvm_clear_word(struct nkvm_vm *vm, struct nkvm_memslot *slot,
			    unsigned long i, unsigned long mask)
{
	atomic_long_t *word = (atomic_long_t *)&slot->dirty_bitmap[i];

	mask &= atomic_long_fetch_andnot(mask, word);
	return mask && nkvm_protect_word(vm, slot->base_gfn + i * BITS_PER_LONG,
					 mask);
}

/*
 * KVM_CLEAR_DIRTY_LOG, as stock: first_page a multiple of 64, and the
 * range inside the slot, its length a multiple of 64 unless it ends at
 * the slot's end. Bits past the slot's end are never set, so a mask that
 * names them clears nothing there.
 */
long nkvm_vm_clear_dirty_log(struct nkvm_vm *vm, unsigned long arg)
{
	const struct nkvm_arch_ops *ops = NKVM_ARCH;
	struct kvm_clear_dirty_log log;
	struct nkvm_memslot *slot;
	unsigned long *buf = NULL, n, i;
	bool flush = false;
	long r;

	if (copy_from_user(&log, (void __user *)arg, sizeof(log)))
		return -EFAULT;
	if ((log.slot >> 16) >= ops->address_spaces ||
	    (u16)log.slot >= ops->nr_memslots || (log.first_page & 63))
		return -EINVAL;

	mutex_lock(&vm->slots_lock);
	slot = nkvm_dirty_slot(vm, log.slot);
	r = -ENOENT;
	if (!slot || !slot->dirty_bitmap)
		goto out;
	r = -EINVAL;
	if (log.first_page > slot->npages ||
	    log.num_pages > slot->npages - log.first_page ||
	    (log.num_pages < slot->npages - log.first_page &&
	     (log.num_pages & 63)))
		goto out;
	n = BITS_TO_LONGS(log.num_pages);
	r = 0;
	if (!n)
		goto out;
	r = -ENOMEM;
	buf = kvmalloc_array(n, sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!buf)
		goto out;
	r = -EFAULT;
	if (copy_from_user(buf, (void __user *)log.dirty_bitmap,
			   n * sizeof(long)))
		goto out;
	/* Nothing maps guest memory: nothing is logged, nothing to clear. */
	r = 0;
	if (!ops->mmu_write_protect)
		goto out;
	spin_lock(&vm->mmu_lock);
	for (i = 0; i < n; i++)
		if (buf[i])
			flush |= nkvm_clear_word(vm, slot,
						 log.first_page / BITS_PER_LONG + i,
						 buf[i]);
	nkvm_mmu_unlock_flush(vm, flush);
out:
	mutex_unlock(&vm->slots_lock);
	kvfree(buf);
	return r;
}

/* KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) on the VM, as stock. */
int nkvm_enable_manual_dirty_log(struct nkvm_vm *vm, u64 flags)
{
	u64 allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

	if (!NKVM_ARCH->mmu_write_protect)
		return -EINVAL;
	/* INITIALLY_SET only together with manual protection. */
	if (flags & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		allowed |= KVM_DIRTY_LOG_INITIALLY_SET;
	if (flags & ~allowed)
		return -EINVAL;
	WRITE_ONCE(vm->manual_dirty_log, flags);
	return 0;
}
