// SPDX-License-Identifier: GPL-2.0
/*
 * Stage-2 translation: one table per VM mapping the guest's IPA space (as
 * wide as KVM_CREATE_VM asked) onto the user pages of its memslots, with
 * the 4 KiB granule of the host. The start level and the number of
 * concatenated start tables follow from the IPA size (up to 16 tables, to
 * save levels, as the architecture allows). It is filled on demand from
 * stage-2 faults: the faulting frame is looked up in the memslots, its
 * user page faulted in with get_user_pages and mapped (4 KiB pages only),
 * and the page reference dropped again. Nothing is pinned: the core's MMU
 * notifier unmaps a range (arm64_s2_unmap()) before the host changes the
 * pages behind it, and a fault that raced with such a change backs off.
 *
 * The tables are protected by vm->mmu_lock (a spinlock: the notifier may
 * not sleep); a fault takes the tables it may need from its vCPU's cache,
 * filled beforehand. Emptied tables are kept until the VM dies.
 *
 * Dirty logging: a frame of a logged slot is mapped read-only until the
 * guest writes it; that write faults, logs the frame and maps it writable.
 * arm64_s2_write_protect() re-arms frames when the log is read. A
 * read-only slot is mapped read-only; writes to it are MMIO.
 *
 * TLBs: entries are tagged with the VM's VMID (VTTBR_EL2). Invalidation
 * by VMID must run with HCR_EL2.TGE clear and that VMID in VTTBR_EL2, so
 * s2_tlbi() sets both for its few instructions with interrupts off, then
 * restores them. A mapping that becomes valid needs no invalidation; one
 * that is removed, write-protected or made writable does (broadcast).
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <asm/cacheflush.h>
#include <asm/cpufeature.h>
#include <asm/tlbflush.h>

#include "arm64.h"

#define S2_VALID	BIT_ULL(0)
#define S2_TABLE	BIT_ULL(1)	/* levels 0-2: a table; level 3: a page */
#define S2_MEMATTR_WB	(0xfULL << 2)	/* Normal, inner/outer write-back */
#define S2_AP_R		BIT_ULL(6)
#define S2_AP_W		BIT_ULL(7)
#define S2_SH_INNER	(3ULL << 8)
#define S2_AF		BIT_ULL(10)
#define S2_ADDR		GENMASK_ULL(47, 12)
#define S2_ENTRIES	512
#define S2_LEVEL_BITS	9
#define S2_PAGE		(S2_VALID | S2_TABLE | S2_MEMATTR_WB | S2_SH_INNER | \
			 S2_AF | S2_AP_R)

#define VTCR_SL0_SHIFT	6
#define VTCR_PS_SHIFT	16
#define VTCR_VS_16	BIT(19)

static DEFINE_IDA(arm64_vmids);
unsigned int arm64_vmid_bits;	/* set once at load */
static unsigned int arm64_s2_ps;	/* VTCR_EL2.PS, set once at load */

int arm64_vmid_init(void)
{
	u64 mmfr1 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
	u64 mmfr0 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);
	unsigned int ps, vmid;

	vmid = cpuid_feature_extract_unsigned_field(mmfr1,
						    ID_AA64MMFR1_EL1_VMIDBits_SHIFT);
	arm64_vmid_bits = vmid == 2 ? 16 : 8;
	ps = cpuid_feature_extract_unsigned_field(mmfr0,
						  ID_AA64MMFR0_EL1_PARANGE_SHIFT);
	arm64_s2_ps = min_t(unsigned int, ps, ID_AA64MMFR0_EL1_PARANGE_48);
	return 0;
}

/* Address bits a table entry of the given level resolves start at. */
static unsigned int s2_shift(int level)
{
	return PAGE_SHIFT + S2_LEVEL_BITS * (3 - level);
}

static u64 *s2_va(u64 entry)
{
	return __va(entry & S2_ADDR);
}

/*
 * Invalidate the stage-1 and stage-2 TLB entries of the VM on every CPU:
 * one IPA's (ipa != ~0) or all of them.
 */
static void s2_tlbi(struct arm64_stage2 *s2, u64 ipa)
{
	unsigned long flags;
	u64 hcr, vttbr;

	local_irq_save(flags);
	vttbr = read_sysreg(vttbr_el2);
	hcr = read_sysreg(hcr_el2);
	write_sysreg(s2->vttbr, vttbr_el2);
	isb();
	write_sysreg(hcr & ~HCR_TGE, hcr_el2);
	isb();
	dsb(ishst);
	if (ipa == ~0ULL) {
		__tlbi(vmalls12e1is);
	} else {
		__tlbi(ipas2e1is, ipa >> PAGE_SHIFT);
		dsb(ish);
		__tlbi(vmalle1is);
	}
	dsb(ish);
	isb();
	write_sysreg(hcr, hcr_el2);
	isb();
	write_sysreg(vttbr, vttbr_el2);
	isb();
	local_irq_restore(flags);
}

int arm64_s2_init(struct nkvm_arm64_vm *avm)
{
	struct arm64_stage2 *s2 = &avm->s2;
	unsigned int bits = avm->ipa_bits, levels, n;
	struct page *root;
	int vmid;

	levels = (bits - 8) / S2_LEVEL_BITS;
	s2->ipa_bits = bits;
	s2->start_level = 4 - levels;
	n = bits - s2_shift(s2->start_level);
	s2->root_pages = n > S2_LEVEL_BITS ? 1U << (n - S2_LEVEL_BITS) : 1;

	vmid = ida_alloc_range(&arm64_vmids, 1, (1U << arm64_vmid_bits) - 1,
			       GFP_KERNEL);
	if (vmid < 0)
		return vmid == -ENOSPC ? -EBUSY : vmid;
	/* Concatenated start tables: contiguous and aligned to their size. */
	root = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO,
			   get_order(s2->root_pages * PAGE_SIZE));
	if (!root) {
		ida_free(&arm64_vmids, vmid);
		return -ENOMEM;
	}
	s2->root = page_address(root);
	s2->vmid = vmid;
	s2->vttbr = page_to_phys(root) | ((u64)vmid << 48);
	s2->vtcr = VTCR_EL2_RES1 | VTCR_EL2_TG0_4K | VTCR_EL2_SH0_INNER |
		   VTCR_EL2_ORGN0_WBWA | VTCR_EL2_IRGN0_WBWA |
		   ((u64)(2 - s2->start_level) << VTCR_SL0_SHIFT) |
		   ((u64)arm64_s2_ps << VTCR_PS_SHIFT) | (64 - bits);
	if (arm64_vmid_bits == 16)
		s2->vtcr |= VTCR_VS_16;
	return 0;
}

/* Fill the cache with the tables one fault may need. May sleep. */
static int s2_cache_topup(struct arm64_s2_cache *cache)
{
	while (cache->nr < ARRAY_SIZE(cache->pages)) {
		void *page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!page)
			return -ENOMEM;
		cache->pages[cache->nr++] = page;
	}
	return 0;
}

void arm64_s2_cache_free(struct arm64_s2_cache *cache)
{
	while (cache->nr)
		free_page((unsigned long)cache->pages[--cache->nr]);
}

/* Index of ipa in a table of the given level (the start level's spans
 * its concatenated tables).
 */
static unsigned int s2_index(struct arm64_stage2 *s2, u64 ipa, int level)
{
	unsigned int entries = S2_ENTRIES;

	if (level == s2->start_level)
		entries *= s2->root_pages;
	return (ipa >> s2_shift(level)) & (entries - 1);
}

/* The level-3 entry of ipa, taking missing tables from cache. mmu_lock. */
static u64 *s2_leaf(struct arm64_stage2 *s2, struct arm64_s2_cache *cache,
		    u64 ipa)
{
	u64 *table = s2->root;
	int level;

	for (level = s2->start_level; level < 3; level++) {
		u64 *entry = &table[s2_index(s2, ipa, level)];

		if (!(*entry & S2_VALID)) {
			if (!cache->nr)
				return NULL;
			/* The new table's zeroes visible before it is. */
			dsb(ishst);
			WRITE_ONCE(*entry, __pa(cache->pages[--cache->nr]) |
				   S2_VALID | S2_TABLE);
		}
		table = s2_va(*entry);
	}
	return &table[s2_index(s2, ipa, 3)];
}

/* Clean the page to the point of coherency (a guest with its MMU off
 * reads memory uncached) and make the instruction side see it.
 */
static void s2_clean_page(struct page *page)
{
	unsigned long start = (unsigned long)page_address(page);
	unsigned long line = 4UL << (read_cpuid_cachetype() & 0xf);
	unsigned long p;

	for (p = start; p < start + PAGE_SIZE; p += line)
		asm volatile("dc civac, %0" : : "r" (p) : "memory");
	dsb(ish);
	caches_clean_inval_pou(start, start + PAGE_SIZE);
}

/* Fault in the user page at hva; the caller drops the reference. */
static int s2_get_page(unsigned long hva, bool writable, struct page **page)
{
	long r;

	r = get_user_pages_unlocked(hva, 1, page, writable ? FOLL_WRITE : 0);
	if (r == 1)
		return 0;
	return r < 0 ? r : -EFAULT;
}

/*
 * Map the guest page behind a stage-2 fault at ipa. Returns 0 when mapped,
 * -ENOENT when no memslot backs ipa for this access (MMIO), -EAGAIN when
 * the host changed the address space meanwhile or the mapping is there
 * already (enter the guest again), or another errno. From the vCPU
 * thread, whose mm is the VM's.
 */
int arm64_s2_fault(struct nkvm_arm64_vcpu *av, u64 ipa, bool write,
		   bool exec)
{
	struct nkvm_vm *vm = av->vcpu.vm;
	struct arm64_stage2 *s2 = &to_avm(vm)->s2;
	nkvm_gfn_t gfn = ipa >> PAGE_SHIFT;
	struct nkvm_memslot *slot;
	unsigned long seq, hva;
	bool writable, flush = false;
	struct page *page;
	u64 *leaf, old;
	int idx, r;

	if (current->mm != vm->mm)
		return -EFAULT;
	r = s2_cache_topup(&av->s2_cache);
	if (r)
		return r;

	seq = nkvm_mmu_seq(vm);
	idx = srcu_read_lock(&vm->srcu);
	slot = nkvm_gfn_to_memslot(vm, 0, gfn);
	if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
		r = -ENOENT;
		goto out;
	}
	/* A logged frame becomes writable only when the guest writes it. */
	writable = !(slot->flags & KVM_MEM_READONLY) &&
		   (write || !slot->dirty_bitmap);
	hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
	r = s2_get_page(hva, writable, &page);
	if (r)
		goto out;

	spin_lock(&vm->mmu_lock);
	if (nkvm_mmu_retry(vm, seq)) {
		r = -EAGAIN;
		goto unlock;
	}
	leaf = s2_leaf(s2, &av->s2_cache, ipa);
	if (!leaf) {
		r = -ENOMEM;
		goto unlock;
	}
	old = READ_ONCE(*leaf);
	if ((old & S2_VALID) && (!write || (old & S2_AP_W))) {
		/* Another vCPU mapped it, or a stale TLB entry faulted. */
		flush = true;
		r = -EAGAIN;
		goto unlock;
	}
	if (write)
		nkvm_slot_mark_dirty(slot, gfn);
	if (!(old & S2_VALID))
		s2_clean_page(page);
	else
		flush = true;	/* read-only before: drop that entry */
	WRITE_ONCE(*leaf, (page_to_phys(page) & S2_ADDR) | S2_PAGE |
		   (writable ? S2_AP_W : 0));
	dsb(ishst);
unlock:
	spin_unlock(&vm->mmu_lock);
	put_page(page);
	if (flush)
		s2_tlbi(s2, ipa);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/*
 * Clear the bits clear of the leaves of frames [start, end) below table
 * (a table of the given level whose first entry maps frame base); clear
 * == ~0 removes the mappings. Skips absent tables. mmu_lock held.
 */
static bool s2_clear_range(struct arm64_stage2 *s2, u64 *table, int level,
			   nkvm_gfn_t base, nkvm_gfn_t start, nkvm_gfn_t end,
			   u64 clear)
{
	unsigned int shift = s2_shift(level) - PAGE_SHIFT;
	unsigned int n = S2_ENTRIES, i;
	bool changed = false;

	if (level == s2->start_level)
		n *= s2->root_pages;
	i = start > base ? (start - base) >> shift : 0;
	for (; i < n; i++) {
		nkvm_gfn_t first = base + ((nkvm_gfn_t)i << shift);
		u64 entry = READ_ONCE(table[i]);

		if (first >= end)
			break;
		if (!(entry & S2_VALID))
			continue;
		if (level < 3) {
			changed |= s2_clear_range(s2, s2_va(entry), level + 1,
						  first, start, end, clear);
		} else if (entry & clear) {
			WRITE_ONCE(table[i], entry & ~clear);
			changed = true;
		}
	}
	return changed;
}

bool arm64_s2_unmap(struct nkvm_vm *vm, nkvm_gfn_t start, nkvm_gfn_t end)
{
	struct arm64_stage2 *s2 = &to_avm(vm)->s2;

	return s2_clear_range(s2, s2->root, s2->start_level, 0, start, end,
			      ~0ULL);
}

bool arm64_s2_write_protect(struct nkvm_vm *vm, nkvm_gfn_t start,
			    nkvm_gfn_t end)
{
	struct arm64_stage2 *s2 = &to_avm(vm)->s2;

	return s2_clear_range(s2, s2->root, s2->start_level, 0, start, end,
			      S2_AP_W);
}

void arm64_s2_flush(struct nkvm_vm *vm)
{
	struct arm64_stage2 *s2 = &to_avm(vm)->s2;

	if (s2->root)
		s2_tlbi(s2, ~0ULL);
}

static void s2_free_table(struct arm64_stage2 *s2, u64 *table, int level)
{
	unsigned int n = S2_ENTRIES, i;

	if (level == s2->start_level)
		n *= s2->root_pages;
	if (level < 3) {
		for (i = 0; i < n; i++)
			if (table[i] & S2_VALID)
				s2_free_table(s2, s2_va(table[i]), level + 1);
	}
	if (level == s2->start_level)
		free_pages((unsigned long)table,
			   get_order(s2->root_pages * PAGE_SIZE));
	else
		free_page((unsigned long)table);
}

/* VM teardown: no vCPU and no notifier can use the table any more. */
void arm64_s2_destroy(struct nkvm_arm64_vm *avm)
{
	struct arm64_stage2 *s2 = &avm->s2;

	if (!s2->root)
		return;
	/* No entry of this VMID may outlive it: the next VM reuses it. */
	s2_tlbi(s2, ~0ULL);
	s2_free_table(s2, s2->root, s2->start_level);
	s2->root = NULL;
	ida_free(&arm64_vmids, s2->vmid);
}
