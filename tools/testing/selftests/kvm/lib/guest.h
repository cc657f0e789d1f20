/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A one-vCPU guest for the x86 guest tests: a VM, memslots, the vCPU and
 * its kvm_run mapping, real-mode entry, and running to the next exit.
 * Every helper bails out (tap_bail) when the set-up itself fails.
 */
#ifndef NKVM_SELFTEST_GUEST_H
#define NKVM_SELFTEST_GUEST_H

#include <stdint.h>
#include <linux/kvm.h>

struct guest {
	int kvm, vm, vcpu;
	struct kvm_run *run;
};

/* A VM with no vCPU yet. */
void guest_create(struct guest *g, int kvm);
void guest_set_slot(struct guest *g, __u32 slot, __u64 gpa, void *mem,
		    __u64 size, __u32 flags);
/* vCPU 0 and its mapping. */
void guest_add_vcpu(struct guest *g);
#if defined(__x86_64__)
/* Real mode with CS base 0 and RIP rip; other segments as at reset. */
void guest_real_mode(struct guest *g, __u64 rip);
void guest_set_es_base(struct guest *g, __u64 base);
/* KVM_RUN to the next exit: the byte an OUT carries, or -1 on another exit. */
int guest_out_byte(struct guest *g);
#endif
void guest_destroy(struct guest *g);

#endif
