/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 layer shared by the SVM and VMX backends, and the small vendor
 * table through which it calls them. The vendor is chosen at module load:
 * the first whose probe succeeds.
 */
#ifndef _NKVM_X86_H
#define _NKVM_X86_H

#include <nkvm/nkvm.h>

struct nkvm_x86_vendor {
	const char *name;
	/* 0: usable; -ENODEV: absent or disabled; -EBUSY: owned by another. */
	int (*probe)(void);
};

extern const struct nkvm_x86_vendor nkvm_svm_vendor;
extern const struct nkvm_x86_vendor nkvm_vmx_vendor;

struct nkvm_x86_vm {
	struct nkvm_vm vm;		/* must be first */
};

struct nkvm_x86_vcpu {
	struct nkvm_vcpu vcpu;		/* must be first */
	s64 tsc_offset;			/* [vcpu->mutex] guest TSC - host TSC */
};

static inline struct nkvm_x86_vcpu *to_x86_vcpu(struct nkvm_vcpu *vcpu)
{
	return container_of(vcpu, struct nkvm_x86_vcpu, vcpu);
}

#endif /* _NKVM_X86_H */
