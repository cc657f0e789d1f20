// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CAP_SYNC_REGS on x86: kvm_run.s.regs holds the GPRs (struct
 * kvm_regs), the special registers (struct kvm_sregs) and the events
 * (struct kvm_vcpu_events), so that userspace can read and change them
 * without an ioctl per exit. The core (virt/kvm/run.c) checks the masks;
 * here each set is copied out of the shared page once and goes through
 * the same validation as its ioctl.
 */
#include <linux/kvm.h>
#include <linux/string.h>

#include "x86.h"

static int x86_sync_in_regs(struct nkvm_x86_vcpu *xv, const struct kvm_run *run)
{
	struct kvm_regs regs;

	memcpy(&regs, &run->s.regs.regs, sizeof(regs));
	nkvm_x86_set_regs(xv, &regs);
	return 0;
}

static int x86_sync_in_sregs(struct nkvm_x86_vcpu *xv,
			     const struct kvm_run *run)
{
	struct kvm_sregs sregs;

	memcpy(&sregs, &run->s.regs.sregs, sizeof(sregs));
	return nkvm_x86_set_sregs(xv, &sregs);
}

static int x86_sync_in_events(struct nkvm_x86_vcpu *xv,
			      const struct kvm_run *run)
{
	struct kvm_vcpu_events events;

	memcpy(&events, &run->s.regs.events, sizeof(events));
	/* As stock: whatever the reason, a refused set is EINVAL. */
	return nkvm_x86_set_events(xv, &events) ? -EINVAL : 0;
}

/* In the order stock applies them; the first failure stops the rest. */
static const struct {
	u64 bit;
	int (*in)(struct nkvm_x86_vcpu *xv, const struct kvm_run *run);
} x86_sync_sets[] = {
	{ KVM_SYNC_X86_REGS,	x86_sync_in_regs },
	{ KVM_SYNC_X86_SREGS,	x86_sync_in_sregs },
	{ KVM_SYNC_X86_EVENTS,	x86_sync_in_events },
};

int nkvm_x86_sync_regs_in(struct nkvm_vcpu *vcpu, u64 *dirty)
{
	struct nkvm_x86_vcpu *xv = to_x86_vcpu(vcpu);
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(x86_sync_sets); i++) {
		if (!(*dirty & x86_sync_sets[i].bit))
			continue;
		r = x86_sync_sets[i].in(xv, vcpu->run);
		if (r)
			return r;
		*dirty &= ~x86_sync_sets[i].bit;
	}
	return 0;
}

void nkvm_x86_sync_regs_out(struct nkvm_vcpu *vcpu, u64 valid)
{
	struct nkvm_x86_vcpu *xv = to_x86_vcpu(vcpu);
	struct kvm_sync_regs *s = &vcpu->run->s.regs;

	if (valid & KVM_SYNC_X86_REGS)
		memcpy(&s->regs, &xv->regs, sizeof(s->regs));
	if (valid & KVM_SYNC_X86_SREGS) {
		memset(&s->sregs, 0, sizeof(s->sregs));
		nkvm_x86_get_sregs(xv, &s->sregs);
	}
	if (valid & KVM_SYNC_X86_EVENTS)
		nkvm_x86_get_events(xv, &s->events);
}
