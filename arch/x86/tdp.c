// SPDX-License-Identifier: GPL-2.0
/*
 * What AMD's nested page tables and Intel's EPT share whatever their
 * entry format (tdp.h): the table cache, the user page behind a guest
 * frame, the 2 MiB leaf rule. Nothing is pinned: a fault takes a
 * reference only until the entry is written, and the core's MMU notifier
 * unmaps a range before the host changes the pages behind it.
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <asm/pgtable_types.h>

#include "tdp.h"

/*
 * Fill the cache up to want tables (want <= ARRAY_SIZE(pages)), before
 * mmu_lock is taken: the lock is a spinlock. May sleep.
 */
int nkvm_x86_tdp_cache_topup(struct nkvm_x86_tdp_cache *cache,
			     unsigned int want)
{
	if (WARN_ON_ONCE(want > ARRAY_SIZE(cache->pages)))
		return -EINVAL;
	while (cache->nr < want) {
		void *page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!page)
			return -ENOMEM;
		cache->pages[cache->nr++] = page;
	}
	return 0;
}

void nkvm_x86_tdp_cache_free(struct nkvm_x86_tdp_cache *cache)
{
	while (cache->nr)
		free_page((unsigned long)cache->pages[--cache->nr]);
}

void *nkvm_x86_tdp_cache_take(struct nkvm_x86_tdp_cache *cache)
{
	if (WARN_ON_ONCE(!cache->nr))
		return NULL;
	return cache->pages[--cache->nr];
}

/* Fault in the user page at hva; the caller drops the reference. */
int nkvm_x86_tdp_get_page(unsigned long hva, bool writable,
			  struct page **page)
{
	long n;

	n = get_user_pages_unlocked(hva, 1, page, writable ? FOLL_WRITE : 0);
	if (n == 1)
		return 0;
	return n < 0 ? n : -EFAULT;
}

/*
 * Does the host map hva with a PMD or PUD leaf (2 MiB or more), writable
 * where writable is asked? No lock is taken: with interrupts off, as in
 * GUP-fast, no table read here can be freed meanwhile, and a change that
 * races with the walk moves the sequence nkvm_mmu_retry() checks before
 * the guest mapping is made.
 */
static bool tdp_host_huge(struct mm_struct *mm, unsigned long hva,
			  bool writable)
{
	unsigned long flags;
	bool huge = false;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (!pgd_present(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (!p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (!pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		huge = (pud_flags(pud) & _PAGE_PRESENT) &&
		       (!writable || pud_write(pud));
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	/* A PROT_NONE huge PMD passes pmd_present(): test the bit. */
	huge = pmd_leaf(pmd) && (pmd_flags(pmd) & _PAGE_PRESENT) &&
	       (!writable || pmd_write(pmd));
out:
	local_irq_restore(flags);
	return huge;
}

/*
 * May the fault at gfn (user address hva, backed by page) be mapped with
 * one 2 MiB leaf? Only when the whole aligned 2 MiB of frames around it
 * lies in the slot, the slot logs no writes (the log is per 4 KiB frame),
 * the frame, its user address and its host page share their offset in
 * 2 MiB, and the host maps that much in one piece itself.
 */
bool nkvm_x86_tdp_can_map_2m(struct nkvm_vm *vm,
			     const struct nkvm_memslot *slot, nkvm_gfn_t gfn,
			     unsigned long hva, struct page *page,
			     bool writable)
{
	const unsigned long mask = NKVM_X86_TDP_2M_FRAMES - 1;
	nkvm_gfn_t first = gfn & ~(nkvm_gfn_t)mask;

	if (slot->dirty_bitmap || first < slot->base_gfn ||
	    first + NKVM_X86_TDP_2M_FRAMES > slot->base_gfn + slot->npages)
		return false;
	if ((((hva >> PAGE_SHIFT) ^ gfn) & mask) ||
	    ((page_to_pfn(page) ^ gfn) & mask))
		return false;
	return tdp_host_huge(vm->mm, hva, writable);
}
