/* SPDX-License-Identifier: GPL-2.0 */
/* vCPU resets and STORE STATUS (reset.c). */
#ifndef _NKVM_S390_RESET_H
#define _NKVM_S390_RESET_H

#include "s390.h"

/* KVM_S390_NORMAL_RESET, _INITIAL_RESET or _CLEAR_RESET. */
void s390_vcpu_reset(struct nkvm_s390_vcpu *v, unsigned int ioctl);
/* The status of a vCPU not in KVM_RUN at absolute addr (its save area). */
int s390_store_status(struct nkvm_s390_vcpu *v, u64 addr);
/* The status of the vCPU in KVM_RUN on this thread, at absolute 0x1200. */
int s390_store_status_noaddr(struct nkvm_s390_vcpu *v);
long s390_store_status_ioctl(struct nkvm_s390_vcpu *v, unsigned long addr);

#endif /* _NKVM_S390_RESET_H */
