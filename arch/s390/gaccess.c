// SPDX-License-Identifier: GPL-2.0
/*
 * Guest storage as the guest's CPU reaches it: absolute addresses (the
 * memslots), real addresses (prefixing), logical addresses (the guest's
 * DAT tables: region, segment and page tables, 4 KiB pages and, with
 * EDAT-1, 1 MiB segments), low-address, DAT and key-controlled
 * protection, and KVM_S390_MEM_OP on the vCPU (logical) and the VM
 * (absolute).
 *
 * Storage keys are the guest's once it uses them (s390_enable_skey(): the
 * real keys of its pages then hold the guest's keys, their PGSTEs the
 * host's; get_guest_storage_key() reads either). An access with a key is
 * checked against them page by page before the copy, as the machine
 * would, with the override controls of CR0 (fetch protection for 0-2047,
 * storage protection for key 9).
 *
 * The guest's own IPTE is held off while its tables are walked, with the
 * IPTE interlock in the SCA (the simple form; without SIIF).
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/ctl_reg.h>
#include <asm/facility.h>
#include <asm/pgtable.h>
#include <asm/switch_to.h>

#include "s390.h"
#include "gaccess.h"
#include "interrupt.h"

/* ---- absolute addresses: the memslots ---- */

static struct nkvm_memslot *s390_slot(struct nkvm_vm *vm, u64 gpa)
{
	return nkvm_gfn_to_memslot(vm, 0, gpa >> PAGE_SHIFT);
}

/* Under vm->srcu, or for a quick answer that may go stale. */
bool s390_gpa_valid(struct nkvm_vm *vm, u64 gpa)
{
	int idx = srcu_read_lock(&vm->srcu);
	bool ok = s390_slot(vm, gpa);

	srcu_read_unlock(&vm->srcu, idx);
	return ok;
}

unsigned long s390_gpa_to_hva(struct nkvm_vm *vm, u64 gpa)
{
	struct nkvm_memslot *slot;
	unsigned long hva = 0;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	slot = s390_slot(vm, gpa);
	if (slot)
		hva = slot->userspace_addr +
		      ((gpa >> PAGE_SHIFT) - slot->base_gfn) * PAGE_SIZE +
		      offset_in_page(gpa);
	srcu_read_unlock(&vm->srcu, idx);
	return hva;
}

/*
 * One page's worth at absolute gpa: 0, PGM_ADDRESSING outside the
 * memslots, -EFAULT when the user page cannot be had.
 */
static int s390_access_page(struct nkvm_vm *vm, u64 gpa, void *data,
			    unsigned int len, enum s390_gacc mode)
{
	struct nkvm_memslot *slot;
	void __user *uaddr;
	unsigned long left;
	int idx, r = 0;

	idx = srcu_read_lock(&vm->srcu);
	slot = s390_slot(vm, gpa);
	if (!slot) {
		r = PGM_ADDRESSING;
		goto out;
	}
	uaddr = (void __user *)(slot->userspace_addr +
				((gpa >> PAGE_SHIFT) - slot->base_gfn) *
				PAGE_SIZE + offset_in_page(gpa));
	if (mode == S390_GACC_STORE)
		left = copy_to_user(uaddr, data, len);
	else
		left = copy_from_user(data, uaddr, len);
	if (left)
		r = -EFAULT;
	else if (mode == S390_GACC_STORE)
		nkvm_slot_mark_dirty(slot, gpa >> PAGE_SHIFT);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

static int s390_abs_key(struct nkvm_vm *vm, u64 gpa, enum s390_gacc mode,
			u8 key);

/* Absolute accesses, each page checked against key first (0: none). */
static int s390_access_abs(struct nkvm_vm *vm, u64 gpa, void *data,
			   unsigned long len, enum s390_gacc mode, u8 key)
{
	unsigned int frag;
	int r;

	while (len) {
		frag = min_t(unsigned long, PAGE_SIZE - offset_in_page(gpa),
			     len);
		r = s390_abs_key(vm, gpa, mode, key);
		if (!r)
			r = s390_access_page(vm, gpa, data, frag, mode);
		if (r)
			return r;
		gpa += frag;
		data += frag;
		len -= frag;
	}
	return 0;
}

/* ---- real addresses and the lowcore ---- */

u64 s390_real_to_abs(struct nkvm_s390_vcpu *v, u64 ra)
{
	u64 prefix = s390_prefix(v);

	if (ra < 2 * PAGE_SIZE)
		return ra + prefix;
	if (ra - prefix < 2 * PAGE_SIZE)
		return ra - prefix;
	return ra;
}

u64 s390_logical_to_effective(struct nkvm_s390_vcpu *v, u64 ga)
{
	u64 mask = v->scb->gpsw.mask;

	if (mask & PSW_MASK_EA)
		return ga;
	if (mask & PSW_MASK_BA)
		return ga & 0x7fffffffUL;
	return ga & 0x00ffffffUL;
}

int s390_read_lc(struct nkvm_s390_vcpu *v, unsigned long off, void *buf,
		 unsigned long len)
{
	return nkvm_read_guest(v->vcpu.vm, s390_prefix(v) + off, buf, len);
}

int s390_write_lc(struct nkvm_s390_vcpu *v, unsigned long off,
		  const void *buf, unsigned long len)
{
	return nkvm_write_guest(v->vcpu.vm, s390_prefix(v) + off, buf, len);
}

/* Real-address accesses (no keys): prefixed page by page. */
int s390_access_real(struct nkvm_s390_vcpu *v, u64 ra, void *data,
		     unsigned long len, enum s390_gacc mode)
{
	unsigned int frag;
	u64 gpa;
	int r;

	while (len) {
		gpa = s390_real_to_abs(v, ra);
		frag = min_t(unsigned long, PAGE_SIZE - offset_in_page(gpa),
			     len);
		r = s390_access_page(v->vcpu.vm, gpa, data, frag, mode);
		if (r > 0) {
			memset(&v->last_pgm, 0, sizeof(v->last_pgm));
			v->last_pgm.code = r;
		}
		if (r)
			return r;
		ra += frag;
		data += frag;
		len -= frag;
	}
	return 0;
}

/* ---- the IPTE interlock ---- */

#define IPTE_K		BIT_ULL(63)	/* the interlock is held */

static void s390_ipte_lock(struct nkvm_s390_vm *svm)
{
	u64 old;

	for (;;) {
		old = READ_ONCE(svm->sca->ipte_control);
		if (!(old & IPTE_K) &&
		    cmpxchg(&svm->sca->ipte_control, old, old | IPTE_K) == old)
			return;
		cond_resched();
	}
}

static void s390_ipte_unlock(struct nkvm_s390_vm *svm)
{
	u64 old;

	do {
		old = READ_ONCE(svm->sca->ipte_control);
	} while (cmpxchg(&svm->sca->ipte_control, old, old & ~IPTE_K) != old);
}

/* ---- logical addresses: DAT ---- */

/* The fields of the DAT entries and addresses. */
#define DAT_ORIGIN(e)		((e) & ~0xfffULL)
#define DAT_TT(e)		(((e) >> 2) & 3)	/* table type */
#define DAT_TL(e)		((e) & 3)		/* table length */
#define DAT_TF(e)		(((e) >> 6) & 3)	/* table offset */
#define DAT_I			BIT_ULL(5)		/* region, segment */
#define DAT_P			BIT_ULL(9)		/* protection */
#define DAT_FC			BIT_ULL(10)		/* large frame */
#define DAT_CS			BIT_ULL(4)		/* common segment */
#define ASCE_R			BIT_ULL(5)		/* real space */
#define ASCE_P			BIT_ULL(8)		/* private space */
#define PTE_I			BIT_ULL(10)
#define PTE_Z			BIT_ULL(11)
#define STE_PTO(e)		((e) & ~0x7ffULL)
#define STE_SFAA(e)		((e) & ~0xfffffULL)

enum { DAT_SEGMENT, DAT_REGION3, DAT_REGION2, DAT_REGION1 };

/* Index of the 11-bit table level (3: region first .. 0: segment). */
static unsigned int dat_index(u64 va, int level)
{
	return (va >> (20 + 11 * level)) & 0x7ff;
}

/* The top two bits of that index, checked against table length/offset. */
static unsigned int dat_index01(u64 va, int level)
{
	return dat_index(va, level) >> 9;
}

static int s390_deref(struct nkvm_vm *vm, u64 gpa, u64 *val)
{
	if (!s390_gpa_valid(vm, gpa))
		return PGM_ADDRESSING;
	return nkvm_read_guest(vm, gpa, val, sizeof(*val)) ? -EFAULT : 0;
}

/* The translation-exception identification a program check reports. */
#define TEC_FETCH		0x800
#define TEC_STORE		0x400
#define TEC_B56			0x80	/* low-address protection */
#define TEC_B60			0x8	/* key-controlled protection */
#define TEC_B61			0x4	/* DAT protection */

enum s390_prot { PROT_NONE, PROT_LA, PROT_KEY, PROT_DAT };

/* Record the exception in last_pgm; its code is the return value. */
static int s390_trans_exc(struct nkvm_s390_vcpu *v, int code, u64 ga, u8 ar,
			  enum s390_gacc mode, enum s390_prot prot)
{
	struct kvm_s390_pgm_info *pgm = &v->last_pgm;
	u64 tec = 0;

	memset(pgm, 0, sizeof(*pgm));
	pgm->code = code;
	switch (code) {
	case PGM_PROTECTION:
		if (prot == PROT_LA)
			tec |= TEC_B56;
		else if (prot == PROT_KEY)
			tec |= TEC_B60;
		else if (prot == PROT_DAT)
			tec |= TEC_B61;
		fallthrough;
	case PGM_ASCE_TYPE:
	case PGM_PAGE_TRANSLATION:
	case PGM_REGION_FIRST_TRANS:
	case PGM_REGION_SECOND_TRANS:
	case PGM_REGION_THIRD_TRANS:
	case PGM_SEGMENT_TRANSLATION:
		tec |= ga & PAGE_MASK;
		tec |= mode == S390_GACC_STORE ? TEC_STORE : TEC_FETCH;
		/* The address space: the PSW's AS bits. */
		tec |= (v->scb->gpsw.mask >> 46) & 3;
		pgm->trans_exc_code = tec;
		fallthrough;
	case PGM_ALEN_TRANSLATION:
	case PGM_ALE_SEQUENCE:
	case PGM_ASTE_VALIDITY:
	case PGM_ASTE_SEQUENCE:
	case PGM_EXTENDED_AUTHORITY:
		pgm->exc_access_id = ar;
		break;
	}
	return code;
}

/*
 * The ASCE a logical access goes through: none (real) with DAT off, else
 * the PSW's address space (instructions from home or primary); in the
 * access-register mode ALET 0 is primary and 1 secondary. Other ALETs
 * need the guest's access lists, which are not walked: -EOPNOTSUPP.
 */
static int s390_asce(struct nkvm_s390_vcpu *v, u64 *asce, u8 ar,
		     enum s390_gacc mode)
{
	u64 mask = v->scb->gpsw.mask;
	unsigned int as = (mask & PSW_MASK_ASC) >> 46;
	u32 alet;

	if (!(mask & PSW_MASK_DAT)) {
		*asce = ASCE_R;
		return 0;
	}
	if (mode == S390_GACC_IFETCH && as != 3)
		as = 0;
	switch (as) {
	case 0:
		*asce = v->scb->gcr[1];
		return 0;
	case 2:
		*asce = v->scb->gcr[7];
		return 0;
	case 3:
		*asce = v->scb->gcr[13];
		return 0;
	}
	save_access_regs(v->vcpu.run->s.regs.acrs);
	alet = ar ? v->vcpu.run->s.regs.acrs[ar] : 0;
	if (alet > 1)
		return -EOPNOTSUPP;
	*asce = v->scb->gcr[alet ? 7 : 1];
	return 0;
}

/*
 * Walk the guest's tables for gva from asce: the absolute address, or a
 * translation exception code. *dat_prot says whether the page is DAT
 * protected.
 */
static int s390_dat(struct nkvm_s390_vcpu *v, u64 gva, u64 asce, u64 *gpa,
		    bool *dat_prot)
{
	struct nkvm_s390_vm *svm = s390_vm_of(v);
	struct nkvm_vm *vm = &svm->vm;
	bool edat1 = (v->scb->gcr[0] & BIT_ULL(63 - 40)) &&
		     test_facility(8);
	int level = DAT_TT(asce), l, r;
	u64 ptr, e, ra;
	static const u8 pgm_of_level[] = {
		PGM_SEGMENT_TRANSLATION, PGM_REGION_THIRD_TRANS,
		PGM_REGION_SECOND_TRANS, PGM_REGION_FIRST_TRANS,
	};

	*dat_prot = false;
	if (asce & ASCE_R) {
		ra = gva;
		goto real;
	}
	/* The indexes above the ASCE's level must be 0. */
	for (l = 3; l > level; l--)
		if (dat_index(gva, l))
			return PGM_ASCE_TYPE;
	if (dat_index01(gva, level) > DAT_TL(asce))
		return pgm_of_level[level];
	ptr = DAT_ORIGIN(asce) + dat_index(gva, level) * 8;

	for (l = level; l > 0; l--) {
		r = s390_deref(vm, ptr, &e);
		if (r)
			return r;
		if (e & DAT_I)
			return pgm_of_level[l];
		if (DAT_TT(e) != l)
			return PGM_TRANSLATION_SPEC;
		if (dat_index01(gva, l - 1) < DAT_TF(e) ||
		    dat_index01(gva, l - 1) > DAT_TL(e))
			return pgm_of_level[l - 1];
		if (edat1)
			*dat_prot |= e & DAT_P;
		ptr = DAT_ORIGIN(e) + dat_index(gva, l - 1) * 8;
	}

	/* The segment-table entry. */
	r = s390_deref(vm, ptr, &e);
	if (r)
		return r;
	if (e & DAT_I)
		return PGM_SEGMENT_TRANSLATION;
	if (DAT_TT(e) != DAT_SEGMENT)
		return PGM_TRANSLATION_SPEC;
	if ((e & DAT_CS) && (asce & ASCE_P))
		return PGM_TRANSLATION_SPEC;
	*dat_prot |= e & DAT_P;
	if ((e & DAT_FC) && edat1) {
		*gpa = STE_SFAA(e) | (gva & 0xfffff);
		goto absolute;
	}
	ptr = STE_PTO(e) + ((gva >> 12) & 0xff) * 8;

	/* The page-table entry. */
	r = s390_deref(vm, ptr, &e);
	if (r)
		return r;
	if (e & PTE_I)
		return PGM_PAGE_TRANSLATION;
	if (e & PTE_Z)
		return PGM_TRANSLATION_SPEC;
	*dat_prot |= e & DAT_P;
	ra = DAT_ORIGIN(e) | (gva & 0xfff);
real:
	*gpa = s390_real_to_abs(v, ra);
absolute:
	if (!s390_gpa_valid(vm, *gpa))
		return PGM_ADDRESSING;
	return 0;
}

/* 0-511 and 4096-4607. */
static bool s390_low_address(u64 ga)
{
	return !(ga & ~0x11ffULL);
}

static bool s390_lap_enabled(struct nkvm_s390_vcpu *v, u64 asce)
{
	if (!(v->scb->gcr[0] & CR0_LOW_ADDRESS_PROTECTION))
		return false;
	return !((v->scb->gpsw.mask & PSW_MASK_DAT) && (asce & ASCE_P));
}

/* The guest storage key of an absolute address: 0 or a negative errno. */
static int s390_storage_key(struct nkvm_vm *vm, u64 gpa, u8 *skey)
{
	unsigned long hva = s390_gpa_to_hva(vm, gpa);
	int r;

	if (!hva)
		return PGM_ADDRESSING;
	mmap_read_lock(current->mm);
	r = get_guest_storage_key(current->mm, hva, skey);
	mmap_read_unlock(current->mm);
	return r;
}

/*
 * Key-controlled protection of one absolute page for an access with key
 * at logical ga, len bytes (the check the machine makes, with CR0's
 * override controls): 0 or PGM_PROTECTION.
 */
static int s390_check_key(struct nkvm_s390_vcpu *v, u8 key,
			  enum s390_gacc mode, u64 asce, u64 gpa, u64 ga,
			  unsigned int len)
{
	u64 cr0 = v->scb->gcr[0];
	u8 skey, acc;
	int r;

	if (!key)
		return 0;
	r = s390_storage_key(v->vcpu.vm, gpa, &skey);
	if (r)
		return r;
	acc = skey >> 4;
	if (acc == key)
		return 0;
	if (mode != S390_GACC_STORE) {
		if (!(skey & _PAGE_FP_BIT))
			return 0;
		/* Fetch-protection override: 0-2047, not in a private space. */
		if ((cr0 & CR0_FETCH_PROTECTION_OVERRIDE) &&
		    !((v->scb->gpsw.mask & PSW_MASK_DAT) && (asce & ASCE_P)) &&
		    ga < 2048 && ga + len <= 2048)
			return 0;
	}
	/* Storage-protection override: storage key 9 lets any key in. */
	if ((cr0 & CR0_STORAGE_PROTECTION_OVERRIDE) && acc == 9)
		return 0;
	return PGM_PROTECTION;
}

/*
 * The absolute addresses of the pages a logical range covers (gpas may be
 * NULL), each checked as the access would be: low-address protection for
 * stores, translation, DAT protection, and with a non-zero key the storage
 * keys.
 */
static int s390_range_to_gpas(struct nkvm_s390_vcpu *v, u64 ga, u8 ar,
			      u64 *gpas, unsigned long len, u64 asce,
			      enum s390_gacc mode, u8 key)
{
	bool lap = s390_lap_enabled(v, asce), dat_prot;
	unsigned int frag;
	u64 gpa;
	int r;

	while (len) {
		frag = min_t(unsigned long, PAGE_SIZE - offset_in_page(ga),
			     len);
		ga = s390_logical_to_effective(v, ga);
		if (mode == S390_GACC_STORE && lap && s390_low_address(ga))
			return s390_trans_exc(v, PGM_PROTECTION, ga, ar, mode,
					      PROT_LA);
		r = s390_dat(v, ga, asce, &gpa, &dat_prot);
		if (r < 0)
			return r;
		if (!r && mode == S390_GACC_STORE && dat_prot)
			return s390_trans_exc(v, PGM_PROTECTION, ga, ar, mode,
					      PROT_DAT);
		if (r)
			return s390_trans_exc(v, r, ga, ar, mode, PROT_NONE);
		r = s390_check_key(v, key, mode, asce, gpa, ga, frag);
		if (r)
			return r < 0 ? r : s390_trans_exc(v, r, ga, ar, mode,
							  PROT_KEY);
		if (gpas)
			*gpas++ = gpa;
		ga += frag;
		len -= frag;
	}
	return 0;
}

/*
 * A logical access of len bytes at ga (through access register ar in the
 * AR mode) with the access key in key. Translated first, whole, then
 * copied page by page, each checked against the key, so that a store is
 * not partly done on a translation exception.
 */
int s390_access_guest(struct nkvm_s390_vcpu *v, u64 ga, u8 ar, void *data,
		      unsigned long len, enum s390_gacc mode, u8 key)
{
	struct nkvm_s390_vm *svm = s390_vm_of(v);
	unsigned long nr, i;
	u64 few[2], *gpas = few, asce;
	unsigned int frag;
	bool ipte;
	int r;

	if (!len)
		return 0;
	ga = s390_logical_to_effective(v, ga);
	r = s390_asce(v, &asce, ar, mode);
	if (r)
		return r;
	nr = (offset_in_page(ga) + len - 1) / PAGE_SIZE + 1;
	if (nr > ARRAY_SIZE(few)) {
		gpas = vmalloc(array_size(nr, sizeof(*gpas)));
		if (!gpas)
			return -ENOMEM;
	}
	ipte = (v->scb->gpsw.mask & PSW_MASK_DAT) && !(asce & ASCE_R);
	if (ipte)
		s390_ipte_lock(svm);
	/* Translate all first, then check the keys page by page. */
	r = s390_range_to_gpas(v, ga, ar, gpas, len, asce, mode, 0);
	for (i = 0; !r && i < nr; i++) {
		frag = min_t(unsigned long, PAGE_SIZE - offset_in_page(gpas[i]),
			     len);
		r = s390_check_key(v, key, mode, asce, gpas[i], ga, frag);
		if (!r)
			r = s390_access_page(&svm->vm, gpas[i], data, frag,
					     mode);
		if (r > 0)
			r = s390_trans_exc(v, r, ga, ar, mode,
					   r == PGM_PROTECTION ? PROT_KEY :
								 PROT_NONE);
		data += frag;
		len -= frag;
		ga = s390_logical_to_effective(v, ga + frag);
	}
	if (ipte)
		s390_ipte_unlock(svm);
	if (gpas != few)
		vfree(gpas);
	return r;
}

int s390_read_guest_instr(struct nkvm_s390_vcpu *v, u64 ga, void *data,
			  unsigned long len)
{
	return s390_access_guest(v, ga, 0, data, len, S390_GACC_IFETCH, 0);
}

int s390_translate(struct nkvm_s390_vcpu *v, u64 ga, u8 ar, u64 *gpa,
		   enum s390_gacc mode, u8 key)
{
	u64 asce;
	int r;

	ga = s390_logical_to_effective(v, ga);
	r = s390_asce(v, &asce, ar, mode);
	if (r)
		return r;
	return s390_range_to_gpas(v, ga, ar, gpa, 1, asce, mode, key);
}

int s390_check_low_prot_real(struct nkvm_s390_vcpu *v, u64 ra)
{
	if (!(v->scb->gcr[0] & CR0_LOW_ADDRESS_PROTECTION) ||
	    !s390_low_address(ra))
		return 0;
	return s390_trans_exc(v, PGM_PROTECTION, ra, 0, S390_GACC_STORE,
			      PROT_LA);
}

/* Key-controlled protection of an absolute page (no CR0 overrides). */
static int s390_abs_key(struct nkvm_vm *vm, u64 gpa, enum s390_gacc mode,
			u8 key)
{
	u8 skey;
	int r;

	if (!key)
		return 0;
	r = s390_storage_key(vm, gpa, &skey);
	if (r)
		return r;
	if ((skey >> 4) == key)
		return 0;
	if (mode != S390_GACC_STORE && !(skey & _PAGE_FP_BIT))
		return 0;
	return PGM_PROTECTION;
}

/* The pages of an absolute range: in the memslots, the keys matching. */
static int s390_check_abs(struct nkvm_vm *vm, u64 gpa, u64 len,
			  enum s390_gacc mode, u8 key)
{
	unsigned int frag;
	int r;

	while (len) {
		frag = min_t(u64, PAGE_SIZE - offset_in_page(gpa), len);
		if (!s390_gpa_valid(vm, gpa))
			return PGM_ADDRESSING;
		r = s390_abs_key(vm, gpa, mode, key);
		if (r)
			return r;
		gpa += frag;
		len -= frag;
	}
	return 0;
}

/* A logical range checked, not accessed (CHECK_ONLY). */
static int s390_range_check(struct nkvm_s390_vcpu *v, u64 ga, u8 ar,
			    u64 len, enum s390_gacc mode, u8 key)
{
	struct nkvm_s390_vm *svm = s390_vm_of(v);
	u64 asce;
	int r;

	ga = s390_logical_to_effective(v, ga);
	r = s390_asce(v, &asce, ar, mode);
	if (r)
		return r;
	s390_ipte_lock(svm);
	r = s390_range_to_gpas(v, ga, ar, NULL, len, asce, mode, key);
	s390_ipte_unlock(svm);
	return r;
}

/* ---- KVM_S390_MEM_OP ---- */

/*
 * The checks both forms share, in stock's order: flags (EINVAL), size 0
 * (EINVAL), size above the maximum (E2BIG), a key above 15 (EINVAL).
 */
static int s390_memop_check(struct kvm_s390_mem_op *mop, u64 flags)
{
	if (mop->flags & ~flags || !mop->size)
		return -EINVAL;
	if (mop->size > S390_MEM_OP_MAX)
		return -E2BIG;
	if (mop->flags & KVM_S390_MEMOP_F_SKEY_PROTECTION) {
		if (mop->key > 0xf)
			return -EINVAL;
	} else {
		mop->key = 0;
	}
	return 0;
}

/*
 * Logical reads and writes as the vCPU would make them: 0, a negative
 * errno, or the program-interruption code of the access exception (the
 * exception is injected with KVM_S390_MEMOP_F_INJECT_EXCEPTION). With
 * KVM_S390_MEMOP_F_CHECK_ONLY nothing is copied. The SIDA operations are
 * for protected guests, which nkvm does not run: EINVAL, as stock for an
 * unprotected one.
 */
long s390_vcpu_memop(struct nkvm_s390_vcpu *v, struct kvm_s390_mem_op *mop)
{
	void __user *uaddr = u64_to_user_ptr(mop->buf);
	enum s390_gacc mode;
	void *buf = NULL;
	int r;

	if (mop->op != KVM_S390_MEMOP_LOGICAL_READ &&
	    mop->op != KVM_S390_MEMOP_LOGICAL_WRITE)
		return -EINVAL;
	r = s390_memop_check(mop, KVM_S390_MEMOP_F_INJECT_EXCEPTION |
				  KVM_S390_MEMOP_F_CHECK_ONLY |
				  KVM_S390_MEMOP_F_SKEY_PROTECTION);
	if (r)
		return r;
	if (mop->ar >= NUM_ACRS)
		return -EINVAL;
	mode = mop->op == KVM_S390_MEMOP_LOGICAL_WRITE ? S390_GACC_STORE :
							 S390_GACC_FETCH;

	if (mop->flags & KVM_S390_MEMOP_F_CHECK_ONLY) {
		r = s390_range_check(v, mop->gaddr, mop->ar, mop->size, mode,
				     mop->key);
	} else {
		buf = vmalloc(mop->size);
		if (!buf)
			return -ENOMEM;
		if (mode == S390_GACC_STORE &&
		    copy_from_user(buf, uaddr, mop->size)) {
			r = -EFAULT;
			goto out;
		}
		r = s390_access_guest(v, mop->gaddr, mop->ar, buf, mop->size,
				      mode, mop->key);
		if (!r && mode == S390_GACC_FETCH &&
		    copy_to_user(uaddr, buf, mop->size))
			r = -EFAULT;
	}
	if (r > 0 && (mop->flags & KVM_S390_MEMOP_F_INJECT_EXCEPTION))
		s390_inject_prog(v, &v->last_pgm);
out:
	vfree(buf);
	return r;
}

/* Absolute reads and writes on the VM fd: the same answers. */
long s390_vm_memop(struct nkvm_s390_vm *svm, struct kvm_s390_mem_op *mop)
{
	void __user *uaddr = u64_to_user_ptr(mop->buf);
	struct nkvm_vm *vm = &svm->vm;
	enum s390_gacc mode;
	void *buf;
	int r;

	r = s390_memop_check(mop, KVM_S390_MEMOP_F_CHECK_ONLY |
				  KVM_S390_MEMOP_F_SKEY_PROTECTION);
	if (r)
		return r;
	if (mop->op != KVM_S390_MEMOP_ABSOLUTE_READ &&
	    mop->op != KVM_S390_MEMOP_ABSOLUTE_WRITE)
		return -EINVAL;
	mode = mop->op == KVM_S390_MEMOP_ABSOLUTE_WRITE ? S390_GACC_STORE :
							  S390_GACC_FETCH;
	if (!s390_gpa_valid(vm, mop->gaddr))
		return PGM_ADDRESSING;
	if (mop->flags & KVM_S390_MEMOP_F_CHECK_ONLY)
		return s390_check_abs(vm, mop->gaddr, mop->size, mode,
				      mop->key);

	buf = vmalloc(mop->size);
	if (!buf)
		return -ENOMEM;
	if (mode == S390_GACC_STORE && copy_from_user(buf, uaddr, mop->size)) {
		r = -EFAULT;
		goto out;
	}
	r = s390_access_abs(vm, mop->gaddr, buf, mop->size, mode, mop->key);
	if (!r && mode == S390_GACC_FETCH && copy_to_user(uaddr, buf, mop->size))
		r = -EFAULT;
out:
	vfree(buf);
	return r;
}

/* ---- storage keys ---- */

/*
 * From the first key instruction (or KVM_S390_SET_SKEYS) on, the guest's
 * pages carry its storage keys, and SIE interprets the key instructions.
 */
int s390_skeys_enable(struct nkvm_s390_vcpu *v)
{
	int r = s390_enable_skey();

	if (!r)
		v->scb->ictl &= ~(SIE_ICTL_ISKE | SIE_ICTL_SSKE |
				  SIE_ICTL_RRBE);
	return r;
}

/*
 * KVM_S390_GET_SKEYS: count keys from start_gfn (1 to KVM_S390_SKEYS_MAX,
 * flags 0: EINVAL), KVM_S390_GET_SKEYS_NONE while the guest uses none,
 * EFAULT for a frame outside the memslots or a bad buffer.
 */
int s390_get_skeys(struct nkvm_s390_vm *svm, struct kvm_s390_skeys *args)
{
	struct mm_struct *mm = current->mm;
	unsigned long hva;
	u8 *keys;
	u64 i;
	int r = 0;

	if (args->flags)
		return -EINVAL;
	if (!mm_uses_skeys(mm))
		return KVM_S390_GET_SKEYS_NONE;
	if (args->count < 1 || args->count > KVM_S390_SKEYS_MAX)
		return -EINVAL;
	keys = kvmalloc_array(args->count, 1, GFP_KERNEL_ACCOUNT);
	if (!keys)
		return -ENOMEM;
	for (i = 0; !r && i < args->count; i++) {
		hva = s390_gpa_to_hva(&svm->vm,
				      (args->start_gfn + i) << PAGE_SHIFT);
		if (!hva) {
			r = -EFAULT;
			break;
		}
		mmap_read_lock(mm);
		r = get_guest_storage_key(mm, hva, &keys[i]);
		mmap_read_unlock(mm);
	}
	if (!r && copy_to_user(u64_to_user_ptr(args->skeydata_addr), keys,
			       args->count))
		r = -EFAULT;
	kvfree(keys);
	return r;
}

/* KVM_S390_SET_SKEYS: the same checks, EINVAL for a key with bit 7 set. */
int s390_set_skeys(struct nkvm_s390_vm *svm, struct kvm_s390_skeys *args)
{
	struct mm_struct *mm = current->mm;
	unsigned long hva;
	bool unlocked;
	u8 *keys;
	u64 i = 0;
	int r;

	if (args->flags)
		return -EINVAL;
	if (args->count < 1 || args->count > KVM_S390_SKEYS_MAX)
		return -EINVAL;
	keys = vmemdup_user(u64_to_user_ptr(args->skeydata_addr), args->count);
	if (IS_ERR(keys))
		return PTR_ERR(keys);
	r = s390_enable_skey();
	while (!r && i < args->count) {
		hva = s390_gpa_to_hva(&svm->vm,
				      (args->start_gfn + i) << PAGE_SHIFT);
		if (!hva) {
			r = -EFAULT;
			break;
		}
		if (keys[i] & 1) {
			r = -EINVAL;
			break;
		}
		mmap_read_lock(mm);
		r = set_guest_storage_key(mm, hva, keys[i], 0);
		if (r) {
			/* Not mapped yet: fault it in and try again. */
			unlocked = false;
			r = fixup_user_fault(mm, hva, FAULT_FLAG_WRITE,
					     &unlocked);
		} else {
			i++;
		}
		mmap_read_unlock(mm);
	}
	kvfree(keys);
	return r;
}
