// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory as the kernel sees it: reads and writes of guest physical
 * memory through the memslots (for instruction emulation, string I/O and
 * the like), and the dirty log that every write must feed.
 *
 * All accessors may sleep (they use the user mappings of the VM's mm) and
 * must run in the VM's mm, i.e. from a vCPU or VM ioctl of its owner.
 */
#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "core.h"

/* The user address of gfn in slot. */
static unsigned long nkvm_slot_hva(const struct nkvm_memslot *slot,
				   nkvm_gfn_t gfn)
{
	return slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
}

/* Caller holds vm->srcu; slot backs gfn. */
void nkvm_slot_mark_dirty(struct nkvm_memslot *slot, nkvm_gfn_t gfn)
{
	if (slot->dirty_bitmap)
		set_bit_le(gfn - slot->base_gfn, slot->dirty_bitmap);
}

/*
 * Copy len bytes at gpa (which may cross pages and slots) into or out of
 * buf. Returns 0, or -EFAULT when part of the range has no slot (or, for a
 * write, only a read-only one) or its user page cannot be accessed.
 */
static int nkvm_guest_rw(struct nkvm_vm *vm, u64 gpa, void *buf,
			 unsigned long len, bool write)
{
	int idx, r = 0;

	if (current->mm != vm->mm)
		return -EFAULT;
	idx = srcu_read_lock(&vm->srcu);
	while (len) {
		nkvm_gfn_t gfn = gpa >> PAGE_SHIFT;
		unsigned long n = min_t(unsigned long, len,
					PAGE_SIZE - offset_in_page(gpa));
		struct nkvm_memslot *slot = nkvm_gfn_to_memslot(vm, 0, gfn);
		void __user *hva;

		if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
			r = -EFAULT;
			break;
		}
		hva = (void __user *)(nkvm_slot_hva(slot, gfn) +
				      offset_in_page(gpa));
		if (write) {
			if (copy_to_user(hva, buf, n)) {
				r = -EFAULT;
				break;
			}
			nkvm_slot_mark_dirty(slot, gfn);
		} else if (copy_from_user(buf, hva, n)) {
			r = -EFAULT;
			break;
		}
		gpa += n;
		buf += n;
		len -= n;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

int nkvm_read_guest(struct nkvm_vm *vm, u64 gpa, void *buf, unsigned long len)
{
	return nkvm_guest_rw(vm, gpa, buf, len, false);
}

int nkvm_write_guest(struct nkvm_vm *vm, u64 gpa, const void *buf,
		     unsigned long len)
{
	return nkvm_guest_rw(vm, gpa, (void *)buf, len, true);
}
