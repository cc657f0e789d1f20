// SPDX-License-Identifier: GPL-2.0
/*
 * AMD nested page tables, 4 KiB pages only. The table has as many levels as
 * the host's own paging (VMRUN walks it in the host's mode): 4, or 5 when
 * the host runs with LA57. A table is filled on demand from nested page faults: the
 * faulting guest frame is looked up in the memslots, the backing user page
 * is pinned and mapped. When a memslot is deleted or moved, svm_npt_zap()
 * clears the old range and hands its pins over; they are released only
 * after every CPU has left guest mode (svm.c kicks them), and each VMRUN
 * flushes the guest TLB, so no vCPU can reach a released page.
 *
 * Not yet: sharing one table between the vCPUs of a VM, and MMU notifiers.
 */
#include <linux/io.h>
#include <linux/mem_encrypt.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
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

/* Error code bit of a nested page fault caused by a write. */
#define NPF_WRITE	BIT_ULL(1)

#define NPT_PIN_WRITABLE	XA_MARK_0

static u64 npt_pa(void *table)
{
	return __sme_set(__pa(table));
}

static u64 *npt_va(u64 entry)
{
	return __va(__sme_clr(entry & NPT_ADDR));
}

static unsigned int npt_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (NPT_ENTRIES - 1);
}

int svm_npt_init(struct svm_npt *npt)
{
	mutex_init(&npt->lock);
	npt->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!npt->root)
		return -ENOMEM;
	npt->levels = pgtable_l5_enabled() ? 5 : 4;
	xa_init(&npt->pins);
	return 0;
}

u64 svm_npt_root_pa(struct svm_npt *npt)
{
	return npt_pa(npt->root);
}

/* The leaf entry for gpa, allocating the tables on the way. */
static u64 *npt_leaf(struct svm_npt *npt, u64 gpa)
{
	u64 *table = npt->root;
	int level;

	for (level = npt->levels; level > 1; level--) {
		u64 *entry = &table[npt_index(gpa, level)];

		if (!(*entry & NPT_P)) {
			u64 *next = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

			if (!next)
				return NULL;
			*entry = npt_pa(next) | NPT_TABLE;
		}
		table = npt_va(*entry);
	}
	return &table[npt_index(gpa, 1)];
}

static int npt_pin(unsigned long hva, bool writable, struct page **page)
{
	unsigned int flags = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	long r;

	mmap_read_lock(current->mm);
	r = pin_user_pages(hva, 1, flags, page, NULL);
	mmap_read_unlock(current->mm);
	if (r == 1)
		return 0;
	return r < 0 ? r : -EFAULT;
}

/*
 * Map the guest page behind a nested page fault. Returns 0 when mapped,
 * -ENOENT when no memslot backs gpa for this access (MMIO), -EEXIST when it
 * is mapped already (the fault has another cause), or another errno.
 * Called from the vCPU thread, whose mm is the VM's.
 */
int svm_npt_fault(struct svm_npt *npt, struct nkvm_vm *vm, u64 gpa,
		  u64 error_code)
{
	nkvm_gfn_t gfn = gpa >> PAGE_SHIFT;
	struct nkvm_memslot *slot;
	struct page *page;
	unsigned long hva;
	bool writable;
	u64 *leaf;
	int idx, r;

	if (WARN_ON_ONCE(current->mm != vm->mm))
		return -EFAULT;

	idx = srcu_read_lock(&vm->srcu);
	mutex_lock(&npt->lock);
	slot = nkvm_gfn_to_memslot(vm, 0, gfn);
	if (!slot) {
		r = -ENOENT;
		goto out;
	}
	/* A write to a read-only slot is MMIO, mapped (for reads) or not. */
	writable = !(slot->flags & KVM_MEM_READONLY);
	if (!writable && (error_code & NPF_WRITE)) {
		r = -ENOENT;
		goto out;
	}
	if (xa_load(&npt->pins, gfn)) {
		r = -EEXIST;
		goto out;
	}
	hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);

	r = npt_pin(hva, writable, &page);
	if (r)
		goto out;
	leaf = npt_leaf(npt, gpa);
	if (!leaf) {
		r = -ENOMEM;
		goto unpin;
	}
	r = xa_err(xa_store(&npt->pins, gfn, page, GFP_KERNEL_ACCOUNT));
	if (r)
		goto unpin;
	if (writable)
		xa_set_mark(&npt->pins, gfn, NPT_PIN_WRITABLE);
	*leaf = __sme_set(page_to_phys(page)) | NPT_P | NPT_US | NPT_A |
		(writable ? NPT_RW | NPT_D : 0);
	goto out;
unpin:
	unpin_user_page(page);
out:
	mutex_unlock(&npt->lock);
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/* The leaf entry for gpa if its tables exist, else NULL. */
static u64 *npt_find_leaf(struct svm_npt *npt, u64 gpa)
{
	u64 *table = npt->root;
	int level;

	for (level = npt->levels; level > 1; level--) {
		u64 entry = table[npt_index(gpa, level)];

		if (!(entry & NPT_P))
			return NULL;
		table = npt_va(entry);
	}
	return &table[npt_index(gpa, 1)];
}

static void npt_unpin(struct xarray *pins, unsigned long index,
		      struct page *page)
{
	if (xa_get_mark(pins, index, NPT_PIN_WRITABLE))
		unpin_user_pages_dirty_lock(&page, 1, true);
	else
		unpin_user_page(page);
}

/*
 * Clear the mappings of [start_gfn, start_gfn + npages) and move their pins
 * to dead (indexes from *ndead on), for svm_npt_unpin_dead() once no CPU
 * can be using them. The emptied tables stay: they are cheap and reused.
 */
void svm_npt_zap(struct svm_npt *npt, u64 start_gfn, u64 npages,
		 struct xarray *dead, unsigned long *ndead)
{
	struct page *page;
	unsigned long gfn;
	u64 *leaf;

	mutex_lock(&npt->lock);
	xa_for_each_range(&npt->pins, gfn, page, start_gfn,
			  start_gfn + npages - 1) {
		leaf = npt_find_leaf(npt, (u64)gfn << PAGE_SHIFT);
		if (leaf)
			WRITE_ONCE(*leaf, 0);
		/* On -ENOMEM the page stays pinned (leaked), never freed early. */
		if (!xa_err(xa_store(dead, *ndead, page, GFP_KERNEL))) {
			if (xa_get_mark(&npt->pins, gfn, NPT_PIN_WRITABLE))
				xa_set_mark(dead, *ndead, NPT_PIN_WRITABLE);
			(*ndead)++;
		}
		xa_erase(&npt->pins, gfn);
	}
	mutex_unlock(&npt->lock);
}

void svm_npt_unpin_dead(struct xarray *dead)
{
	struct page *page;
	unsigned long i;

	xa_for_each(dead, i, page)
		npt_unpin(dead, i, page);
	xa_destroy(dead);
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

void svm_npt_destroy(struct svm_npt *npt)
{
	struct page *page;
	unsigned long gfn;

	if (!npt->root)
		return;
	xa_for_each(&npt->pins, gfn, page)
		npt_unpin(&npt->pins, gfn, page);
	xa_destroy(&npt->pins);
	npt_free_table(npt->root, npt->levels);
	npt->root = NULL;
}
