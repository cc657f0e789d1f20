/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of a two-dimensional page table (AMD's nested page table,
 * Intel's EPT) that do not depend on its entry format: the small cache of
 * tables a fault allocates before it takes mmu_lock, the user page behind
 * a guest frame, and whether a frame may be mapped with a 2 MiB leaf.
 * The walkers themselves stay with each vendor (svm_npt.c, vmx_ept.c).
 */
#ifndef _NKVM_X86_TDP_H
#define _NKVM_X86_TDP_H

#include <nkvm/nkvm.h>

/* 4 KiB frames under a 2 MiB leaf. */
#define NKVM_X86_TDP_2M_FRAMES	512

/* Tables a vCPU allocated for its next fault: one per level but the root. */
struct nkvm_x86_tdp_cache {
	unsigned int nr;
	void *pages[4];
};

int nkvm_x86_tdp_cache_topup(struct nkvm_x86_tdp_cache *cache,
			     unsigned int want);
void nkvm_x86_tdp_cache_free(struct nkvm_x86_tdp_cache *cache);
/* A table from the cache (mmu_lock held); NULL when it ran dry. */
void *nkvm_x86_tdp_cache_take(struct nkvm_x86_tdp_cache *cache);

int nkvm_x86_tdp_get_page(unsigned long hva, bool writable,
			  struct page **page);
bool nkvm_x86_tdp_can_map_2m(struct nkvm_vm *vm,
			     const struct nkvm_memslot *slot, nkvm_gfn_t gfn,
			     unsigned long hva, struct page *page,
			     bool writable);

#endif /* _NKVM_X86_TDP_H */
