/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state behind the in-kernel irqchip's GSIs (irqchip.c) and the
 * irqfds that raise them (irqfd.c).
 */
#ifndef _NKVM_X86_IRQFD_H
#define _NKVM_X86_IRQFD_H

#include <linux/workqueue.h>

#include "irqchip.h"

/* The sources whose lines are ORed into a chip input. */
#define X86_IRQ_SRC_USER	0	/* KVM_IRQ_LINE, plain irqfds, PIT */
#define X86_IRQ_SRC_RESAMPLE	1	/* resampling irqfds */

struct x86_routing;

struct nkvm_x86_irqs {
	struct mutex lock;		/* serialises routing updates */
	struct x86_routing __rcu *routing;	/* [lock] written, RCU read */
	spinlock_t line_lock;		/* the chip inputs, in this order */
	unsigned long line[2][KVM_IOAPIC_NUM_PINS];	/* [line_lock] */

	spinlock_t irqfd_lock;		/* irqfds and each one's node */
	struct list_head irqfds;	/* [irqfd_lock] */
	struct workqueue_struct *irqfd_wq;	/* (c) injection, shutdown */
};

int nkvm_x86_set_irq_src(struct nkvm_x86_vm *xvm, u32 gsi, int level,
			 unsigned int src);

/* irqfd.c */
int nkvm_x86_irqfd_init(struct nkvm_x86_irqs *irqs);
/* Detach every irqfd and wait for their work; may be called twice. */
void nkvm_x86_irqfd_exit(struct nkvm_x86_irqs *irqs);
long nkvm_x86_irqfd(struct nkvm_x86_vm *xvm, void __user *argp);
/* The guest acknowledged gsi: lower the resampled line, signal. */
void nkvm_x86_irqfd_resample(struct nkvm_x86_vm *xvm, u32 gsi);

#endif /* _NKVM_X86_IRQFD_H */
