// SPDX-License-Identifier: GPL-2.0
/*
 * AMD nested page tables: one per VM, with as many levels as the host's
 * own paging (VMRUN walks it in the host's mode): 4, or 5 with LA57. It is
 * filled on demand from nested page faults: the faulting frame is looked
 * up in the memslots, its user page is faulted in with get_user_pages and
 * mapped, and the page reference is dropped again. Where the host maps
 * that user page with a 2 MiB (or 1 GiB) page, hugetlbfs or THP, and the
 * whole aligned 2 MiB of guest frames around it lies in the slot at the
 * same offset, one 2 MiB leaf maps them all (not in a slot whose writes
 * are logged: the log is kept per 4 KiB page). Nothing is pinned: the
 * core's MMU notifier unmaps a range (svm_npt_unmap(); a 2 MiB leaf that
 * meets it goes whole) before the host changes the pages behind it, and a
 * fault that raced with such a change backs off and is retried.
 *
 * The tables are protected by vm->mmu_lock, a spinlock (the notifier may
 * not sleep), so a fault allocates the tables it may need beforehand into
 * its vCPU's small cache. Emptied tables are kept until the VM dies.
 *
 * Dirty logging: a frame of a slot with a dirty bitmap is mapped read-only
 * until the guest writes it; that write faults, logs the frame and maps it
 * writable. svm_npt_write_protect() re-arms frames when the log is read;
 * when logging is turned on it also removes the slot's 2 MiB leaves.
 */
#include <linux/io.h>
#include <linux/mem_encrypt.h>
#include <linux/mm.h>

#include "svm.h"

#define NPT_P		BIT_ULL(0)
#define NPT_RW		BIT_ULL(1)
#define NPT_US		BIT_ULL(2)	/* nested walks are user accesses */
#define NPT_A		BIT_ULL(5)
#define NPT_D		BIT_ULL(6)
#define NPT_PS		BIT_ULL(7)	/* a 2 MiB leaf in a level-2 table */
#define NPT_ADDR	GENMASK_ULL(51, 12)
#define NPT_TABLE	(NPT_P | NPT_RW | NPT_US | NPT_A)
#define NPT_ENTRIES	512
#define NPT_LEVEL_BITS	9
#define NPT_2M_FRAMES	NKVM_X86_TDP_2M_FRAMES

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

int svm_npt_init(struct svm_npt *npt, struct nkvm_x86_vm_stat *stat)
{
	npt->stat = stat;
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

/* A present entry of a level-2 table that maps 2 MiB itself. */
static bool npt_is_2m_leaf(u64 entry, int level)
{
	return level == 2 && (entry & (NPT_P | NPT_PS)) == (NPT_P | NPT_PS);
}

/*
 * The entry for gfn in a table of the given level (1: a 4 KiB leaf, 2: a
 * 2 MiB one), taking missing tables from cache. A 2 MiB leaf met on the
 * way down is returned instead (*level says which). mmu_lock held.
 */
static u64 *npt_entry(struct svm_npt *npt, struct nkvm_x86_tdp_cache *cache,
		      nkvm_gfn_t gfn, int *level)
{
	u64 *table = npt->root;
	int l;

	for (l = npt->levels; l > *level; l--) {
		u64 *entry = &table[npt_index(gfn, l)];

		if (npt_is_2m_leaf(*entry, l)) {
			*level = l;
			return entry;
		}
		if (!(*entry & NPT_P)) {
			void *new = nkvm_x86_tdp_cache_take(cache);

			if (!new)
				return NULL;
			WRITE_ONCE(*entry, npt_pa(new) | NPT_TABLE);
		}
		table = npt_va(*entry);
	}
	return &table[npt_index(gfn, *level)];
}

/*
 * Map the guest page behind a nested page fault. Returns 0 when mapped,
 * -ENOENT when no memslot backs gpa for this access (MMIO), -EEXIST when a
 * mapping that allows the access is there already (another vCPU mapped it
 * meanwhile, or the fault has another cause), -EAGAIN when the host
 * changed the address space meanwhile (enter the guest again), or another
 * errno. Called from the vCPU thread, whose mm is the VM's.
 */
int svm_npt_fault(struct svm_npt *npt, struct nkvm_x86_tdp_cache *cache,
		  struct nkvm_vm *vm, u64 gpa, u64 error_code)
{
	nkvm_gfn_t gfn = gpa >> PAGE_SHIFT;
	bool write = error_code & NPF_WRITE;
	struct nkvm_memslot *slot;
	unsigned long seq, hva;
	bool writable;
	struct page *page;
	u64 *leaf, old, pa;
	int idx, r, level;

	if (WARN_ON_ONCE(current->mm != vm->mm))
		return -EFAULT;
	r = nkvm_x86_tdp_cache_topup(cache, npt->levels - 1);
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
	r = nkvm_x86_tdp_get_page(hva, writable, &page);
	if (r)
		goto out;

	spin_lock(&vm->mmu_lock);
	if (nkvm_mmu_retry(vm, seq)) {
		r = -EAGAIN;
		goto unlock;
	}
	/*
	 * A 2 MiB leaf only where no 4 KiB table is in its place: tables
	 * are kept until the VM dies, so such a range stays at 4 KiB.
	 */
	level = 1;
	if (nkvm_x86_tdp_can_map_2m(vm, slot, gfn, hva, page, writable))
		level = 2;
	leaf = npt_entry(npt, cache, gfn, &level);
	if (leaf && level == 2 && (*leaf & NPT_P) && !(*leaf & NPT_PS)) {
		level = 1;
		leaf = npt_entry(npt, cache, gfn, &level);
	}
	if (!leaf) {
		r = -ENOMEM;
		goto unlock;
	}
	old = READ_ONCE(*leaf);
	if ((old & NPT_P) && (!write || (old & NPT_RW))) {
		r = -EEXIST;
		goto unlock;
	}
	/*
	 * A read-only 2 MiB leaf where a write may now go (none is made in
	 * a slot that can take writes, but the slot may have changed): drop
	 * it, and the next fault maps afresh. It maps the same pages, so
	 * another CPU's stale translation is harmless until its next VMRUN.
	 */
	if (old & NPT_PS) {
		WRITE_ONCE(*leaf, 0);
		nkvm_stat_dec(&npt->stat->pages_2m);
		r = -EAGAIN;
		goto unlock;
	}
	if (write)
		nkvm_slot_mark_dirty(slot, gfn);
	pa = page_to_phys(page);
	if (level == 2) {
		pa &= ~((u64)NPT_2M_FRAMES * PAGE_SIZE - 1);
		if (!(old & NPT_P))
			nkvm_stat_inc(&npt->stat->pages_2m);
	} else if (!(old & NPT_P)) {
		nkvm_stat_inc(&npt->stat->pages_4k);
	}
	WRITE_ONCE(*leaf, __sme_set(pa) | NPT_P | NPT_US | NPT_A |
		   (level == 2 ? NPT_PS : 0) |
		   (writable ? NPT_RW | NPT_D : 0));
unlock:
	spin_unlock(&vm->mmu_lock);
	put_page(page);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/* Leaves removed by one npt_clear_range(), by size. */
struct npt_removed {
	u64 pages_4k;
	u64 pages_2m;
};

/*
 * Clear the bits clear of the 4 KiB leaves of frames [start, end) below
 * table (a table of the given level whose first entry maps frame base);
 * clear == ~0 removes the mappings. A 2 MiB leaf that meets the range is
 * removed whatever clear says (write-protecting it means the next write
 * faults, which a removed leaf does too). Removals are counted in *removed.
 * Skips absent tables. mmu_lock held.
 */
static bool npt_clear_range(u64 *table, int level, nkvm_gfn_t base,
			    nkvm_gfn_t start, nkvm_gfn_t end, u64 clear,
			    struct npt_removed *removed)
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
		if (npt_is_2m_leaf(entry, level)) {
			WRITE_ONCE(table[i], 0);
			changed = true;
			removed->pages_2m++;
		} else if (level > 1) {
			changed |= npt_clear_range(npt_va(entry), level - 1,
						   first, start, end, clear,
						   removed);
		} else if (entry & clear) {
			WRITE_ONCE(table[i], entry & ~clear);
			changed = true;
			if (clear & NPT_P)
				removed->pages_4k++;
		}
	}
	return changed;
}

static bool npt_clear(struct svm_npt *npt, nkvm_gfn_t start,
		      nkvm_gfn_t end, u64 clear)
{
	struct npt_removed removed = {};
	bool changed;

	changed = npt_clear_range(npt->root, npt->levels, 0, start, end,
				  clear, &removed);
	nkvm_stat_add(&npt->stat->pages_4k, -removed.pages_4k);
	nkvm_stat_add(&npt->stat->pages_2m, -removed.pages_2m);
	return changed;
}

bool svm_npt_unmap(struct svm_npt *npt, nkvm_gfn_t start, nkvm_gfn_t end)
{
	return npt_clear(npt, start, end, ~0ULL);
}

bool svm_npt_write_protect(struct svm_npt *npt, nkvm_gfn_t start,
			   nkvm_gfn_t end)
{
	return npt_clear(npt, start, end, NPT_RW);
}

static void npt_free_table(u64 *table, int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < NPT_ENTRIES; i++)
			if ((table[i] & NPT_P) &&
			    !npt_is_2m_leaf(table[i], level))
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
