// SPDX-License-Identifier: GPL-2.0
/*
 * Intel extended page tables: one per VM, four levels (48-bit guest
 * physical addresses; a fault beyond them is MMIO), write-back. Filled on
 * demand from EPT violations exactly as the SVM nested table is (see
 * svm_npt.c for the whole story): the frame is looked up in the memslots,
 * its user page faulted in with get_user_pages and mapped, the reference
 * dropped again; a 2 MiB leaf where the host maps 2 MiB or more and the
 * slot allows it; nothing pinned: the core's MMU notifier unmaps a range
 * (vmx_ept_unmap()) before the host changes it, and a fault that raced
 * with such a change backs off and is retried.
 *
 * Entries: read, write and execute permissions (an entry is present when
 * it allows reads), leaves with memory type write-back and "ignore PAT"
 * (guest memory is ordinary host memory). Accessed/dirty flags are not
 * used: dirty logging maps a logged frame read-only until the guest
 * writes it, as on SVM.
 *
 * The tables are protected by vm->mmu_lock, a spinlock; a fault allocates
 * the tables it may need beforehand into its vCPU's small cache. Emptied
 * tables are kept until the VM dies. After a mapping is removed or
 * write-protected, vmx_mmu_flush() makes every vCPU invalidate its CPU's
 * cached translations before it enters again.
 */
#include <linux/io.h>
#include <linux/mm.h>

#include "vmx.h"

#define EPT_R		BIT_ULL(0)
#define EPT_W		BIT_ULL(1)
#define EPT_X		BIT_ULL(2)
#define EPT_MT_WB	(6ULL << 3)	/* leaves: memory type write-back */
#define EPT_IPAT	BIT_ULL(6)	/* leaves: ignore the guest's PAT */
#define EPT_LEAF_2M	BIT_ULL(7)	/* a 2 MiB leaf in a level-2 table */
#define EPT_ADDR	GENMASK_ULL(51, 12)
#define EPT_TABLE	(EPT_R | EPT_W | EPT_X)
#define EPT_LEVELS	4
#define EPT_ENTRIES	512
#define EPT_LEVEL_BITS	9
#define EPT_2M_FRAMES	NKVM_X86_TDP_2M_FRAMES
#define EPT_MAX_GPA	BIT_ULL(48)

static u64 *ept_va(u64 entry)
{
	return __va(entry & EPT_ADDR);
}

/* Index of gfn in a table of the given level (1: the leaf tables). */
static unsigned int ept_index(nkvm_gfn_t gfn, int level)
{
	return (gfn >> (EPT_LEVEL_BITS * (level - 1))) & (EPT_ENTRIES - 1);
}

int vmx_ept_init(struct vmx_ept *ept, struct nkvm_x86_vm_stat *stat)
{
	ept->stat = stat;
	ept->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!ept->root)
		return -ENOMEM;
	ept->eptp = __pa(ept->root) | VMX_EPTP_PWL_4 | VMX_EPTP_MT_WB;
	atomic_set(&ept->gen, 0);
	return 0;
}

static bool ept_present(u64 entry)
{
	return entry & EPT_R;
}

/* A present entry of a level-2 table that maps 2 MiB itself. */
static bool ept_is_2m_leaf(u64 entry, int level)
{
	return level == 2 && ept_present(entry) && (entry & EPT_LEAF_2M);
}

/*
 * The entry for gfn in a table of the given level (1: a 4 KiB leaf, 2: a
 * 2 MiB one), taking missing tables from cache. A 2 MiB leaf met on the
 * way down is returned instead (*level says which). mmu_lock held.
 */
static u64 *ept_entry(struct vmx_ept *ept, struct nkvm_x86_tdp_cache *cache,
		      nkvm_gfn_t gfn, int *level)
{
	u64 *table = ept->root;
	int l;

	for (l = EPT_LEVELS; l > *level; l--) {
		u64 *entry = &table[ept_index(gfn, l)];

		if (ept_is_2m_leaf(*entry, l)) {
			*level = l;
			return entry;
		}
		if (!ept_present(*entry)) {
			void *new = nkvm_x86_tdp_cache_take(cache);

			if (!new)
				return NULL;
			WRITE_ONCE(*entry, __pa(new) | EPT_TABLE);
		}
		table = ept_va(*entry);
	}
	return &table[ept_index(gfn, *level)];
}

/*
 * Map the guest page behind an EPT violation (qual: its exit
 * qualification). Returns as svm_npt_fault(): 0 mapped, -ENOENT MMIO,
 * -EEXIST a mapping allowing the access is there, -EAGAIN the host
 * changed meanwhile, or another errno. Called from the vCPU thread.
 */
int vmx_ept_fault(struct vmx_ept *ept, struct nkvm_x86_tdp_cache *cache,
		  struct nkvm_vm *vm, u64 gpa, u64 qual)
{
	nkvm_gfn_t gfn = gpa >> PAGE_SHIFT;
	bool write = qual & EPT_VIOLATION_ACC_WRITE;
	struct nkvm_memslot *slot;
	unsigned long seq, hva;
	bool writable;
	struct page *page;
	u64 *leaf, old, pa;
	int idx, r, level;

	if (WARN_ON_ONCE(current->mm != vm->mm))
		return -EFAULT;
	if (gpa >= EPT_MAX_GPA)
		return -ENOENT;
	r = nkvm_x86_tdp_cache_topup(cache, EPT_LEVELS - 1);
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
	/* A 2 MiB leaf only where no 4 KiB table is in its place. */
	level = 1;
	if (vmx_caps.ept_2m &&
	    nkvm_x86_tdp_can_map_2m(vm, slot, gfn, hva, page, writable))
		level = 2;
	leaf = ept_entry(ept, cache, gfn, &level);
	if (leaf && level == 2 && ept_present(*leaf) &&
	    !(*leaf & EPT_LEAF_2M)) {
		level = 1;
		leaf = ept_entry(ept, cache, gfn, &level);
	}
	if (!leaf) {
		r = -ENOMEM;
		goto unlock;
	}
	old = READ_ONCE(*leaf);
	if (ept_present(old) && (!write || (old & EPT_W))) {
		r = -EEXIST;
		goto unlock;
	}
	/* A read-only 2 MiB leaf where a write may now go: see svm_npt.c. */
	if (old & EPT_LEAF_2M) {
		WRITE_ONCE(*leaf, 0);
		nkvm_stat_dec(&ept->stat->pages_2m);
		r = -EAGAIN;
		goto unlock;
	}
	if (write)
		nkvm_slot_mark_dirty(slot, gfn);
	pa = page_to_phys(page);
	if (level == 2) {
		pa &= ~((u64)EPT_2M_FRAMES * PAGE_SIZE - 1);
		if (!ept_present(old))
			nkvm_stat_inc(&ept->stat->pages_2m);
	} else if (!ept_present(old)) {
		nkvm_stat_inc(&ept->stat->pages_4k);
	}
	WRITE_ONCE(*leaf, pa | EPT_R | EPT_X | EPT_MT_WB | EPT_IPAT |
		   (level == 2 ? EPT_LEAF_2M : 0) | (writable ? EPT_W : 0));
unlock:
	spin_unlock(&vm->mmu_lock);
	put_page(page);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/* Leaves removed by one ept_clear_range(), by size. */
struct ept_removed {
	u64 pages_4k;
	u64 pages_2m;
};

/*
 * Clear the bits clear of the 4 KiB leaves of frames [start, end) below
 * table (a table of the given level whose first entry maps frame base);
 * clear == ~0 removes the mappings. A 2 MiB leaf that meets the range is
 * removed whatever clear says. Skips absent tables. mmu_lock held.
 */
static bool ept_clear_range(u64 *table, int level, nkvm_gfn_t base,
			    nkvm_gfn_t start, nkvm_gfn_t end, u64 clear,
			    struct ept_removed *removed)
{
	unsigned int shift = EPT_LEVEL_BITS * (level - 1);
	unsigned int i = start > base ? (start - base) >> shift : 0;
	bool changed = false;

	for (; i < EPT_ENTRIES; i++) {
		nkvm_gfn_t first = base + ((nkvm_gfn_t)i << shift);
		u64 entry = READ_ONCE(table[i]);

		if (first >= end)
			break;
		if (!ept_present(entry))
			continue;
		if (ept_is_2m_leaf(entry, level)) {
			WRITE_ONCE(table[i], 0);
			changed = true;
			removed->pages_2m++;
		} else if (level > 1) {
			changed |= ept_clear_range(ept_va(entry), level - 1,
						   first, start, end, clear,
						   removed);
		} else if (entry & clear) {
			WRITE_ONCE(table[i], entry & ~clear);
			changed = true;
			if (clear & EPT_R)
				removed->pages_4k++;
		}
	}
	return changed;
}

static bool ept_clear(struct vmx_ept *ept, nkvm_gfn_t start, nkvm_gfn_t end,
		      u64 clear)
{
	struct ept_removed removed = {};
	bool changed;

	changed = ept_clear_range(ept->root, EPT_LEVELS, 0, start, end, clear,
				  &removed);
	nkvm_stat_add(&ept->stat->pages_4k, -removed.pages_4k);
	nkvm_stat_add(&ept->stat->pages_2m, -removed.pages_2m);
	return changed;
}

bool vmx_ept_unmap(struct vmx_ept *ept, nkvm_gfn_t start, nkvm_gfn_t end)
{
	return ept_clear(ept, start, end, ~0ULL);
}

bool vmx_ept_write_protect(struct vmx_ept *ept, nkvm_gfn_t start,
			   nkvm_gfn_t end)
{
	return ept_clear(ept, start, end, EPT_W);
}

static void ept_free_table(u64 *table, int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < EPT_ENTRIES; i++)
			if (ept_present(table[i]) &&
			    !ept_is_2m_leaf(table[i], level))
				ept_free_table(ept_va(table[i]), level - 1);
	}
	free_page((unsigned long)table);
}

/* VM teardown: no vCPU and no notifier can use the table any more. */
void vmx_ept_destroy(struct vmx_ept *ept)
{
	if (!ept->root)
		return;
	ept_free_table(ept->root, EPT_LEVELS);
	ept->root = NULL;
}
