// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory slots (KVM_SET_USER_MEMORY_REGION).
 *
 * Each address space has an immutable array of slots sorted by guest frame
 * number. An update builds a new array under vm->slots_lock, publishes it
 * with RCU and frees the old one after an SRCU grace period, so readers
 * (the fault path) only need srcu_read_lock(&vm->srcu).
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "core.h"

static struct nkvm_memslots *nkvm_memslots_alloc(unsigned int nr)
{
	struct nkvm_memslots *s;

	return kvzalloc(struct_size(s, slots, nr), GFP_KERNEL_ACCOUNT);
}

int nkvm_memslots_init(struct nkvm_vm *vm)
{
	unsigned int as;

	for (as = 0; as < NKVM_ARCH->address_spaces; as++) {
		struct nkvm_memslots *s = nkvm_memslots_alloc(0);

		if (!s)
			return -ENOMEM;
		RCU_INIT_POINTER(vm->memslots[as], s);
	}
	return 0;
}

/* VM teardown (or failed creation): nobody can look at the slots. */
void nkvm_memslots_free(struct nkvm_vm *vm)
{
	unsigned int as, i;

	for (as = 0; as < NKVM_MAX_ADDRESS_SPACES; as++) {
		struct nkvm_memslots *s = rcu_dereference_protected(vm->memslots[as], 1);

		if (!s)
			continue;
		for (i = 0; i < s->nr; i++)
			kvfree(s->slots[i].dirty_bitmap);
		kvfree(s);
		RCU_INIT_POINTER(vm->memslots[as], NULL);
	}
}

struct nkvm_memslot *nkvm_slot_by_id(struct nkvm_memslots *s, u16 id)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		if (s->slots[i].id == id)
			return &s->slots[i];
	return NULL;
}

/* The slot of s that holds gfn, or NULL: a binary search on base_gfn. */
static struct nkvm_memslot *nkvm_memslots_find(struct nkvm_memslots *s,
					       nkvm_gfn_t gfn)
{
	unsigned int lo = 0, hi = s->nr;

	/* Find the last slot whose base is <= gfn. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (s->slots[mid].base_gfn <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && gfn - s->slots[lo - 1].base_gfn < s->slots[lo - 1].npages)
		return &s->slots[lo - 1];
	return NULL;
}

/* Caller holds vm->srcu (or slots_lock). */
struct nkvm_memslot *nkvm_gfn_to_memslot(struct nkvm_vm *vm, int as_id,
					 nkvm_gfn_t gfn)
{
	return nkvm_memslots_find(srcu_dereference_check(vm->memslots[as_id],
				  &vm->srcu, lockdep_is_held(&vm->slots_lock)),
				  gfn);
}

/* Checks that need no VM state: flags, ids, alignment, ranges. */
static int nkvm_check_region(const struct kvm_userspace_memory_region *mem)
{
	const struct nkvm_arch_ops *ops = NKVM_ARCH;
	u64 size = mem->memory_size, uaddr = mem->userspace_addr;

	if (mem->flags & ~ops->memslot_flags)
		return -EINVAL;
	if ((u16)mem->slot >= ops->nr_memslots ||
	    (mem->slot >> 16) >= ops->address_spaces)
		return -EINVAL;
	if (!PAGE_ALIGNED(size) || !PAGE_ALIGNED(mem->guest_phys_addr))
		return -EINVAL;
	if (!PAGE_ALIGNED(uaddr) || uaddr + size < uaddr ||
	    uaddr + size > TASK_SIZE_MAX ||
	    !access_ok((void __user *)(unsigned long)uaddr, size))
		return -EINVAL;
	if (mem->guest_phys_addr + size < mem->guest_phys_addr)
		return -EINVAL;
	if ((size >> PAGE_SHIFT) > NKVM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	return 0;
}

static bool nkvm_overlaps(struct nkvm_memslots *s, const struct nkvm_memslot *new)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++) {
		const struct nkvm_memslot *o = &s->slots[i];

		if (o->id == new->id)
			continue;
		if (new->base_gfn < o->base_gfn + o->npages &&
		    o->base_gfn < new->base_gfn + new->npages)
			return true;
	}
	return false;
}

static int nkvm_classify(const struct nkvm_memslot *old,
			 const struct nkvm_memslot *new,
			 enum nkvm_mr_change *change)
{
	if (!new->npages) {
		if (!old)
			return -EINVAL;
		*change = NKVM_MR_DELETE;
		return 0;
	}
	if (!old) {
		*change = NKVM_MR_CREATE;
		return 0;
	}
	/* An existing slot may only move or change its dirty-logging flag. */
	if (new->userspace_addr != old->userspace_addr ||
	    new->npages != old->npages ||
	    ((new->flags ^ old->flags) & KVM_MEM_READONLY))
		return -EINVAL;
	if (new->base_gfn != old->base_gfn)
		*change = NKVM_MR_MOVE;
	else if (new->flags != old->flags)
		*change = NKVM_MR_FLAGS_ONLY;
	else
		return -EALREADY;	/* nothing to do */
	return 0;
}

/* Copy s without the slot numbered skip_id, inserting ins in gfn order. */
static struct nkvm_memslots *nkvm_rebuild(struct nkvm_memslots *s,
					  int skip_id,
					  const struct nkvm_memslot *ins)
{
	struct nkvm_memslots *n = nkvm_memslots_alloc(s->nr + 1);
	unsigned int i;
	bool placed = !ins;

	if (!n)
		return NULL;
	for (i = 0; i < s->nr; i++) {
		if (s->slots[i].id == skip_id)
			continue;
		if (!placed && ins->base_gfn < s->slots[i].base_gfn) {
			n->slots[n->nr++] = *ins;
			placed = true;
		}
		n->slots[n->nr++] = s->slots[i];
	}
	if (!placed)
		n->slots[n->nr++] = *ins;
	return n;
}

static unsigned long *nkvm_alloc_dirty_bitmap(u64 npages)
{
	return kvzalloc(BITS_TO_LONGS(npages) * sizeof(long),
			GFP_KERNEL_ACCOUNT);
}

static int nkvm_update_slots(struct nkvm_vm *vm, unsigned int as_id,
			     const struct kvm_userspace_memory_region *mem)
{
	struct nkvm_memslots *cur, *next;
	struct nkvm_memslot *old, new = {
		.base_gfn	= mem->guest_phys_addr >> PAGE_SHIFT,
		.npages		= mem->memory_size >> PAGE_SHIFT,
		.userspace_addr	= mem->userspace_addr,
		.flags		= mem->flags,
		.id		= (u16)mem->slot,
		.as_id		= as_id,
	};
	unsigned long *stale_bitmap = NULL;
	enum nkvm_mr_change change;
	int r;

	cur = rcu_dereference_protected(vm->memslots[as_id],
					lockdep_is_held(&vm->slots_lock));
	old = nkvm_slot_by_id(cur, new.id);

	r = nkvm_classify(old, &new, &change);
	if (r)
		return r == -EALREADY ? 0 : r;

	if ((change == NKVM_MR_CREATE || change == NKVM_MR_MOVE) &&
	    nkvm_overlaps(cur, &new))
		return -EEXIST;

	if (NKVM_ARCH->prepare_memslot) {
		r = NKVM_ARCH->prepare_memslot(vm, change, old,
					       change == NKVM_MR_DELETE ?
					       NULL : &new);
		if (r)
			return r;
	}

	/*
	 * The dirty bitmap follows the slot while logging stays on. A new
	 * one starts empty, or full under KVM_DIRTY_LOG_INITIALLY_SET: its
	 * pages are then taken as written and are not write-protected here.
	 */
	if (new.flags & KVM_MEM_LOG_DIRTY_PAGES) {
		if (old && old->dirty_bitmap) {
			new.dirty_bitmap = old->dirty_bitmap;
		} else if (new.npages) {
			new.dirty_bitmap = nkvm_alloc_dirty_bitmap(new.npages);
			if (new.dirty_bitmap && nkvm_dirty_log_initially_set(vm))
				bitmap_set(new.dirty_bitmap, 0, new.npages);
		}
		if (new.npages && !new.dirty_bitmap)
			return -ENOMEM;
	}
	if (old && old->dirty_bitmap != new.dirty_bitmap)
		stale_bitmap = old->dirty_bitmap;

	next = nkvm_rebuild(cur, old ? old->id : -1,
			    change == NKVM_MR_DELETE ? NULL : &new);
	if (!next) {
		if (new.dirty_bitmap != (old ? old->dirty_bitmap : NULL))
			kvfree(new.dirty_bitmap);
		return -ENOMEM;
	}
	next->generation = ++vm->slots_generation;

	rcu_assign_pointer(vm->memslots[as_id], next);
	synchronize_srcu_expedited(&vm->srcu);
	/*
	 * No fault can map from the old slots any more. old still points
	 * into cur, which is freed only below.
	 */
	if (change == NKVM_MR_DELETE || change == NKVM_MR_MOVE)
		nkvm_mmu_unmap_gfns(vm, old->base_gfn,
				    old->base_gfn + old->npages);
	else if (change == NKVM_MR_FLAGS_ONLY &&
		 (new.flags & ~old->flags & KVM_MEM_LOG_DIRTY_PAGES) &&
		 !nkvm_dirty_log_initially_set(vm))
		nkvm_mmu_write_protect_gfns(vm, new.base_gfn,
					    new.base_gfn + new.npages);
	if (NKVM_ARCH->commit_memslot)
		NKVM_ARCH->commit_memslot(vm, change, old,
					  change == NKVM_MR_DELETE ?
					  NULL : &new);
	kvfree(stale_bitmap);
	kvfree(cur);
	return 0;
}

int nkvm_set_memory_region(struct nkvm_vm *vm,
			   const struct kvm_userspace_memory_region *mem)
{
	int r;

	r = nkvm_check_region(mem);
	if (r)
		return r;

	mutex_lock(&vm->slots_lock);
	r = nkvm_update_slots(vm, mem->slot >> 16, mem);
	mutex_unlock(&vm->slots_lock);
	return r;
}

#ifdef NKVM_KUNIT
#include "tests/memslot_kunit.c"
#endif
