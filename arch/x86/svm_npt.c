// SPDX-License-Identifier: GPL-2.0
/*
 * AMD nested page tables: one per VM, 4 KiB pages only, with as many
 * levels as the host's own paging (VMRUN walks it in the host's mode): 4,
 * or 5 with LA57. It is filled on demand from nested page faults: the
 * faulting frame is looked up in the memslots, its user page is faulted
 * in with get_user_pages and mapped, and the page reference is dropped
 * again. Nothing is pinned: the core's MMU notifier unmaps a range
 * (svm_npt_unmap()) before the host changes the pages behind it, and a
 * fault that raced with such a change backs off and is retried.
 *
 * The tables are protected by vm->mmu_lock, a spinlock (the notifier may
 * not sleep), so a fault allocates the tables it may need beforehand into
 * its vCPU's small cache. Emptied tables are kept until the VM dies.
 *
 * Dirty logging: a frame of a slot with a dirty bitmap is mapped read-only
 * until the guest writes it; that write faults, logs the frame and maps it
 * writable. svm_npt_write_protect() re-arms frames when the log is read.
 */
#include <linux/io.h>
#include <linux/mem_encrypt.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <asm/pgtable_types.h>

#include "svm.h"

#define NPT_P		BIT_ULL(0)
#define NPT_RW		BIT_ULL(1)
#define NPT_US		BIT_ULL(2)	/* nested walks are user accesses */
#define NPT_A		BIT_ULL(5)
#define NPT_D		BIT_ULL(6)
#define NPT_ADDR	GENMASK_ULL(51, 12)
#define NPT_TABLE	(NPT_P | NPT_RW | NPT_US | NPT_A)
#define NPT_ENTRIES	512
#define NPT_LEVEL_BITS	9

/* Error code bit of a nested page fault caused by a write. */
#define NPF_WRITE	BIT_ULL(1)

static u64 npt_pa(void *table)
{
	return __sme_set(__pa(table));
}

static u64 *npt_va(u64 entry)
{
	return __va(__sme_clr(entry & NPT_ADDR));
}

/* Index of gfn in a table of the given level (1: the leaf tables). */
static unsigned int npt_index(nkvm_gfn_t gfn, int level)
{
	return (gfn >> (NPT_LEVEL_BITS * (level - 1))) & (NPT_ENTRIES - 1);
}

int svm_npt_init(struct svm_npt *npt, u64 *pages_4k)
{
	npt->pages_4k = pages_4k;
	npt->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!npt->root)
		return -ENOMEM;
	npt->levels = pgtable_l5_enabled() ? 5 : 4;
	return 0;
}

u64 svm_npt_root_pa(struct svm_npt *npt)
{
	return npt_pa(npt->root);
}

/* Fill the cache with the tables one fault may need. May sleep. */
static int npt_cache_topup(struct svm_npt_cache *cache)
{
	while (cache->nr < ARRAY_SIZE(cache->pages)) {
		void *page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!page)
			return -ENOMEM;
		cache->pages[cache->nr++] = page;
	}
	return 0;
}

void svm_npt_cache_free(struct svm_npt_cache *cache)
{
	while (cache->nr)
		free_page((unsigned long)cache->pages[--cache->nr]);
}

/* The leaf entry for gfn, taking missing tables from cache. mmu_lock held. */
static u64 *npt_leaf(struct svm_npt *npt, struct svm_npt_cache *cache,
		     nkvm_gfn_t gfn)
{
	u64 *table = npt->root;
	int level;

	for (level = npt->levels; level > 1; level--) {
		u64 *entry = &table[npt_index(gfn, level)];

		if (!(*entry & NPT_P)) {
			if (WARN_ON_ONCE(!cache->nr))
				return NULL;
			WRITE_ONCE(*entry, npt_pa(cache->pages[--cache->nr]) |
				   NPT_TABLE);
		}
		table = npt_va(*entry);
	}
	return &table[npt_index(gfn, 1)];
}

/* Fault in the user page at hva; the caller drops the reference. */
static int npt_get_page(unsigned long hva, bool writable, struct page **page)
{
	long r;

	r = get_user_pages_unlocked(hva, 1, page, writable ? FOLL_WRITE : 0);
	if (r == 1)
		return 0;
	return r < 0 ? r : -EFAULT;
}

/*
 * Map the guest page behind a nested page fault. Returns 0 when mapped,
 * -ENOENT when no memslot backs gpa for this access (MMIO), -EEXIST when a
 * mapping that allows the access is there already (another vCPU mapped it
 * meanwhile, or the fault has another cause), -EAGAIN when the host
 * changed the address space meanwhile (enter the guest again), or another
 * errno. Called from the vCPU thread, whose mm is the VM's.
 */
int svm_npt_fault(struct svm_npt *npt, struct svm_npt_cache *cache,
		  struct nkvm_vm *vm, u64 gpa, u64 error_code)
{
	nkvm_gfn_t gfn = gpa >> PAGE_SHIFT;
	bool write = error_code & NPF_WRITE;
	struct nkvm_memslot *slot;
	unsigned long seq, hva;
	bool writable;
	struct page *page;
	u64 *leaf, old;
	int idx, r;

	if (WARN_ON_ONCE(current->mm != vm->mm))
		return -EFAULT;
	r = npt_cache_topup(cache);
	if (r)
		return r;

	seq = nkvm_mmu_seq(vm);
	idx = srcu_read_lock(&vm->srcu);
	slot = nkvm_gfn_to_memslot(vm, 0, gfn);
	/* A write to a read-only slot is MMIO, mapped (for reads) or not. */
	if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
		r = -ENOENT;
		goto out;
	}
	/* A logged frame becomes writable only when the guest writes it. */
	writable = !(slot->flags & KVM_MEM_READONLY) &&
		   (write || !slot->dirty_bitmap);
	hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
	r = npt_get_page(hva, writable, &page);
	if (r)
		goto out;

	spin_lock(&vm->mmu_lock);
	if (nkvm_mmu_retry(vm, seq)) {
		r = -EAGAIN;
		goto unlock;
	}
	leaf = npt_leaf(npt, cache, gfn);
	if (!leaf) {
		r = -ENOMEM;
		goto unlock;
	}
	old = READ_ONCE(*leaf);
	if ((old & NPT_P) && (!write || (old & NPT_RW))) {
		r = -EEXIST;
		goto unlock;
	}
	if (write)
		nkvm_slot_mark_dirty(slot, gfn);
	if (!(old & NPT_P))
		nkvm_stat_inc(npt->pages_4k);
	WRITE_ONCE(*leaf, __sme_set(page_to_phys(page)) | NPT_P | NPT_US |
		   NPT_A | (writable ? NPT_RW | NPT_D : 0));
unlock:
	spin_unlock(&vm->mmu_lock);
	put_page(page);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/*
 * Clear the bits clear of the leaf entries of frames [start, end) below
 * table (a table of the given level whose first entry maps frame base);
 * clear == ~0 removes the mappings (counted into *removed). Skips absent
 * tables. mmu_lock held.
 */
static bool npt_clear_range(u64 *table, int level, nkvm_gfn_t base,
			    nkvm_gfn_t start, nkvm_gfn_t end, u64 clear,
			    u64 *removed)
{
	unsigned int shift = NPT_LEVEL_BITS * (level - 1);
	unsigned int i = start > base ? (start - base) >> shift : 0;
	bool changed = false;

	for (; i < NPT_ENTRIES; i++) {
		nkvm_gfn_t first = base + ((nkvm_gfn_t)i << shift);
		u64 entry = READ_ONCE(table[i]);

		if (first >= end)
			break;
		if (!(entry & NPT_P))
			continue;
		if (level > 1) {
			changed |= npt_clear_range(npt_va(entry), level - 1,
						   first, start, end, clear,
						   removed);
		} else if (entry & clear) {
			WRITE_ONCE(table[i], entry & ~clear);
			changed = true;
			if (clear & NPT_P)
				(*removed)++;
		}
	}
	return changed;
}

bool svm_npt_unmap(struct svm_npt *npt, nkvm_gfn_t start, nkvm_gfn_t end)
{
	u64 removed = 0;
	bool changed;

	changed = npt_clear_range(npt->root, npt->levels, 0, start, end,
				  ~0ULL, &removed);
	nkvm_stat_add(npt->pages_4k, -removed);
	return changed;
}

bool svm_npt_write_protect(struct svm_npt *npt, nkvm_gfn_t start,
			   nkvm_gfn_t end)
{
	u64 removed = 0;

	return npt_clear_range(npt->root, npt->levels, 0, start, end, NPT_RW,
			       &removed);
}

static void npt_free_table(u64 *table, int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < NPT_ENTRIES; i++)
			if (table[i] & NPT_P)
				npt_free_table(npt_va(table[i]), level - 1);
	}
	free_page((unsigned long)table);
}

/* VM teardown: no vCPU and no notifier can use the table any more. */
void svm_npt_destroy(struct svm_npt *npt)
{
	if (!npt->root)
		return;
	npt_free_table(npt->root, npt->levels);
	npt->root = NULL;
}
