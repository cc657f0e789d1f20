/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest storage as the guest's CPU would reach it (gaccess.c): the
 * lowcore at the prefix, real and absolute addresses, logical addresses
 * through the guest's DAT tables, storage keys, and KVM_S390_MEM_OP.
 *
 * Accessors return 0, a negative errno (host trouble), or a positive
 * program-interruption code: the access would raise that exception, and
 * nkvm_s390_vcpu.last_pgm describes it for injection.
 */
#ifndef _NKVM_S390_GACCESS_H
#define _NKVM_S390_GACCESS_H

#include "s390.h"

#define S390_MEM_OP_MAX		65536	/* KVM_CAP_S390_MEM_OP */

enum s390_gacc {
	S390_GACC_FETCH,
	S390_GACC_STORE,
	S390_GACC_IFETCH,
};

/* Bytes of the lowcore at the vCPU's prefix: 0 or -EFAULT. */
int s390_read_lc(struct nkvm_s390_vcpu *v, unsigned long off, void *buf,
		 unsigned long len);
int s390_write_lc(struct nkvm_s390_vcpu *v, unsigned long off,
		  const void *buf, unsigned long len);

/*
 * Store a value in the lowcore, with the size of its type (u8 to u64):
 * s390 is big-endian, the guest's layout is the host's.
 */
#define s390_put_lc(v, off, val) ({					\
	typeof(val) __v = (val);					\
	s390_write_lc(v, off, &__v, sizeof(__v));			\
})

/* The guest's real address ra as an absolute one (prefixing). */
u64 s390_real_to_abs(struct nkvm_s390_vcpu *v, u64 ra);
/* An address wrapped to the PSW's addressing mode. */
u64 s390_logical_to_effective(struct nkvm_s390_vcpu *v, u64 ga);

int s390_access_guest(struct nkvm_s390_vcpu *v, u64 ga, u8 ar, void *data,
		      unsigned long len, enum s390_gacc mode, u8 key);
static inline int s390_read_guest(struct nkvm_s390_vcpu *v, u64 ga, u8 ar,
				  void *data, unsigned long len)
{
	return s390_access_guest(v, ga, ar, data, len, S390_GACC_FETCH, 0);
}

static inline int s390_write_guest(struct nkvm_s390_vcpu *v, u64 ga, u8 ar,
				   const void *data, unsigned long len)
{
	return s390_access_guest(v, ga, ar, (void *)data, len,
				 S390_GACC_STORE, 0);
}

int s390_read_guest_instr(struct nkvm_s390_vcpu *v, u64 ga, void *data,
			  unsigned long len);
int s390_access_real(struct nkvm_s390_vcpu *v, u64 ra, void *data,
		     unsigned long len, enum s390_gacc mode);
/* The absolute address of a logical one, as TPROT and LRA need it. */
int s390_translate(struct nkvm_s390_vcpu *v, u64 ga, u8 ar, u64 *gpa,
		   enum s390_gacc mode, u8 key);
int s390_check_low_prot_real(struct nkvm_s390_vcpu *v, u64 ra);
bool s390_gpa_valid(struct nkvm_vm *vm, u64 gpa);
/* The user address backing guest absolute gpa, or 0. */
unsigned long s390_gpa_to_hva(struct nkvm_vm *vm, u64 gpa);

long s390_vcpu_memop(struct nkvm_s390_vcpu *v, struct kvm_s390_mem_op *mop);
long s390_vm_memop(struct nkvm_s390_vm *svm, struct kvm_s390_mem_op *mop);

/* Guest storage keys (KVM_S390_GET/SET_SKEYS, the key instructions). */
int s390_get_skeys(struct nkvm_s390_vm *svm, struct kvm_s390_skeys *args);
int s390_set_skeys(struct nkvm_s390_vm *svm, struct kvm_s390_skeys *args);
int s390_skeys_enable(struct nkvm_s390_vcpu *v);

#endif /* _NKVM_S390_GACCESS_H */
