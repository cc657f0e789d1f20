// SPDX-License-Identifier: GPL-2.0
/*
 * The core's side of the guest page tables that an arch builds (nested or
 * stage-2 tables): the MMU notifier that keeps them coherent with the
 * VM's address space, and the helpers memslot updates and the dirty log
 * use to unmap or write-protect a range of guest frames.
 *
 * The tables map user pages without pinning them. Before the host unmaps,
 * migrates, swaps out or otherwise changes a page of the VM's mm, the
 * notifier's invalidate_range_start unmaps every guest frame backed by
 * it and flushes, so no vCPU reaches the old page once it returns; faults
 * racing with it back off (nkvm_mmu_retry()) until invalidate_range_end.
 */
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>

#include "core.h"

static bool nkvm_mmu_maps(void)
{
	return NKVM_ARCH->mmu_unmap && NKVM_ARCH->mmu_write_protect &&
	       NKVM_ARCH->mmu_flush;
}

/* mmu_lock held: a flush is about to be done (stats.h's writer rule). */
static void nkvm_mmu_count_flush(struct nkvm_vm *vm)
{
	lockdep_assert_held(&vm->mmu_lock);
	nkvm_stat_inc(&vm->stat.remote_tlb_flush_requests);
	nkvm_stat_inc(&vm->stat.remote_tlb_flush);
}

/*
 * Drop mmu_lock after a change to the tables and, when a mapping changed,
 * flush (outside the lock).
 */
void nkvm_mmu_unlock_flush(struct nkvm_vm *vm, bool flush)
	__releases(&vm->mmu_lock)
{
	if (flush)
		nkvm_mmu_count_flush(vm);
	spin_unlock(&vm->mmu_lock);
	if (flush)
		NKVM_ARCH->mmu_flush(vm);
}

static struct nkvm_vm *mn_to_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct nkvm_vm, mmu_notifier);
}

/*
 * Unmap the guest frames of every slot whose user range meets
 * [start, end). Caller holds mmu_lock and vm->srcu. Returns true when a
 * mapping changed.
 */
static bool nkvm_unmap_hva_range(struct nkvm_vm *vm, unsigned long start,
				 unsigned long end)
{
	const struct nkvm_arch_ops *ops = NKVM_ARCH;
	bool flush = false;
	unsigned int as, i;

	for (as = 0; as < ops->address_spaces; as++) {
		struct nkvm_memslots *s = srcu_dereference(vm->memslots[as],
							   &vm->srcu);

		for (i = 0; i < s->nr; i++) {
			const struct nkvm_memslot *slot = &s->slots[i];
			unsigned long ustart = slot->userspace_addr;
			unsigned long uend = ustart + (slot->npages << PAGE_SHIFT);
			unsigned long lo = max(start, ustart);
			unsigned long hi = min(end, uend);

			if (lo >= hi)
				continue;
			flush |= ops->mmu_unmap(vm, slot->base_gfn +
						((lo - ustart) >> PAGE_SHIFT),
						slot->base_gfn +
						((hi - ustart + PAGE_SIZE - 1) >>
						 PAGE_SHIFT));
		}
	}
	return flush;
}

static int nkvm_mn_invalidate_start(struct mmu_notifier *mn,
				    const struct mmu_notifier_range *range)
{
	struct nkvm_vm *vm = mn_to_vm(mn);
	bool flush;
	int idx;

	/* mmu_lock is a spinlock: this never blocks, so any context is fine. */
	idx = srcu_read_lock(&vm->srcu);
	spin_lock(&vm->mmu_lock);
	vm->mmu_inval_count++;
	flush = nkvm_unmap_hva_range(vm, range->start, range->end);
	if (flush)
		nkvm_mmu_count_flush(vm);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);
	if (flush)
		NKVM_ARCH->mmu_flush(vm);
	return 0;
}

static void nkvm_mn_invalidate_end(struct mmu_notifier *mn,
				   const struct mmu_notifier_range *range)
{
	struct nkvm_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_inval_seq++;
	if (!WARN_ON_ONCE(!vm->mmu_inval_count))
		vm->mmu_inval_count--;
	spin_unlock(&vm->mmu_lock);
}

/* The mm is going away: nothing may stay mapped. */
static void nkvm_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct nkvm_vm *vm = mn_to_vm(mn);

	nkvm_mmu_unmap_gfns(vm, 0, ~(nkvm_gfn_t)0);
}

static const struct mmu_notifier_ops nkvm_mmu_notifier_ops = {
	.invalidate_range_start	= nkvm_mn_invalidate_start,
	.invalidate_range_end	= nkvm_mn_invalidate_end,
	.release		= nkvm_mn_release,
};

/* At VM creation, in the creator's mm. */
int nkvm_mmu_init(struct nkvm_vm *vm)
{
	int r;

	spin_lock_init(&vm->mmu_lock);
	if (!nkvm_mmu_maps())
		return 0;
	vm->mmu_notifier.ops = &nkvm_mmu_notifier_ops;
	r = mmu_notifier_register(&vm->mmu_notifier, current->mm);
	if (!r)
		vm->mmu_notifier_registered = true;
	return r;
}

/* At VM teardown; vm->mm is still grabbed. Waits for running callbacks. */
void nkvm_mmu_destroy(struct nkvm_vm *vm)
{
	if (vm->mmu_notifier_registered)
		mmu_notifier_unregister(&vm->mmu_notifier, vm->mm);
	vm->mmu_notifier_registered = false;
}

void nkvm_mmu_unmap_gfns(struct nkvm_vm *vm, nkvm_gfn_t start, nkvm_gfn_t end)
{
	bool flush;

	if (!nkvm_mmu_maps())
		return;
	spin_lock(&vm->mmu_lock);
	flush = NKVM_ARCH->mmu_unmap(vm, start, end);
	nkvm_mmu_unlock_flush(vm, flush);
}

void nkvm_mmu_write_protect_gfns(struct nkvm_vm *vm, nkvm_gfn_t start,
				 nkvm_gfn_t end)
{
	bool flush;

	if (!nkvm_mmu_maps())
		return;
	spin_lock(&vm->mmu_lock);
	flush = NKVM_ARCH->mmu_write_protect(vm, start, end);
	nkvm_mmu_unlock_flush(vm, flush);
}
