// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IRQFD: an eventfd whose signal raises a GSI of the in-kernel
 * irqchip. The eventfd's wakeup runs in atomic context, with the eventfd's
 * lock held: it only consumes the count and queues the injection on the
 * VM's irqfd workqueue. A plain irqfd pulses the GSI (edge); a resampling
 * one (KVM_IRQFD_FLAG_RESAMPLE) holds its line up until the guest
 * acknowledges the interrupt, then lowers it and signals its resamplefd,
 * so that userspace can check the device and signal the irqfd again.
 *
 * Lifetime: an irqfd is on irqs->irqfds while attached. Deassigning, the
 * eventfd being closed (EPOLLHUP) or the VM going away takes it off the
 * list and queues its shutdown, which unhooks it from the eventfd, waits
 * for its injection and frees it. Assigning and deassigning are
 * serialised by irqs->lock.
 *
 * Locking: irqfd_lock guards the list and is taken inside the eventfd's
 * wait-queue lock (the EPOLLHUP wakeup). Resampling signals eventfds, which
 * takes their wait-queue locks, so it must not hold irqfd_lock: it walks
 * the list under RCU instead, and a detached resampling irqfd drops its
 * resamplefd only after a grace period.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <nkvm/compat.h>

#include "irqfd.h"

struct x86_irqfd {
	struct nkvm_x86_vm *xvm;	/* (c) */
	struct list_head node;		/* [irqfd_lock] written, RCU read */
	bool attached;			/* [irqfd_lock] on irqs->irqfds */
	struct eventfd_ctx *ctx;	/* (c) */
	struct eventfd_ctx *resample;	/* (c) NULL for a plain irqfd */
	u32 gsi;			/* (c) */
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct inject;
	struct work_struct shutdown;
};

static void x86_irqfd_inject(struct work_struct *work)
{
	struct x86_irqfd *f = container_of(work, struct x86_irqfd, inject);

	if (f->resample) {
		nkvm_x86_set_irq_src(f->xvm, f->gsi, 1, X86_IRQ_SRC_RESAMPLE);
	} else {
		nkvm_x86_set_irq_src(f->xvm, f->gsi, 1, X86_IRQ_SRC_USER);
		nkvm_x86_set_irq_src(f->xvm, f->gsi, 0, X86_IRQ_SRC_USER);
	}
}

/* Another resampling irqfd still holds gsi's line; under irqfd_lock. */
static bool x86_resample_in_use(struct nkvm_x86_irqs *irqs, u32 gsi)
{
	struct x86_irqfd *f;

	list_for_each_entry(f, &irqs->irqfds, node)
		if (f->resample && f->gsi == gsi)
			return true;
	return false;
}

static void x86_irqfd_shutdown(struct work_struct *work)
{
	struct x86_irqfd *f = container_of(work, struct x86_irqfd, shutdown);
	struct nkvm_x86_irqs *irqs = f->xvm->irqs;
	unsigned long flags;
	bool lower;
	u64 cnt;

	eventfd_ctx_remove_wait_queue(f->ctx, &f->wait, &cnt);
	flush_work(&f->inject);
	if (f->resample) {
		spin_lock_irqsave(&irqs->irqfd_lock, flags);
		lower = !x86_resample_in_use(irqs, f->gsi);
		spin_unlock_irqrestore(&irqs->irqfd_lock, flags);
		if (lower)
			nkvm_x86_set_irq_src(f->xvm, f->gsi, 0,
					     X86_IRQ_SRC_RESAMPLE);
		/* nkvm_x86_irqfd_resample() may still be signalling it. */
		synchronize_rcu();
		eventfd_ctx_put(f->resample);
	}
	eventfd_ctx_put(f->ctx);
	kfree(f);
}

/* Under irqfd_lock. */
static void x86_irqfd_detach(struct nkvm_x86_irqs *irqs, struct x86_irqfd *f)
{
	if (!f->attached)
		return;
	f->attached = false;
	list_del_rcu(&f->node);
	queue_work(irqs->irqfd_wq, &f->shutdown);
}

static int x86_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			    int sync, void *key)
{
	struct x86_irqfd *f = container_of(wait, struct x86_irqfd, wait);
	struct nkvm_x86_irqs *irqs = f->xvm->irqs;
	__poll_t events = key_to_poll(key);
	unsigned long flags;
	u64 cnt;

	if (events & EPOLLIN) {
		eventfd_ctx_do_read(f->ctx, &cnt);
		queue_work(irqs->irqfd_wq, &f->inject);
	}
	if (events & EPOLLHUP) {
		spin_lock_irqsave(&irqs->irqfd_lock, flags);
		x86_irqfd_detach(irqs, f);
		spin_unlock_irqrestore(&irqs->irqfd_lock, flags);
	}
	return 0;
}

static void x86_irqfd_ptable(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct x86_irqfd *f = container_of(pt, struct x86_irqfd, pt);

	add_wait_queue(wqh, &f->wait);
}

static long x86_irqfd_assign(struct nkvm_x86_vm *xvm,
			     const struct kvm_irqfd *args)
{
	struct nkvm_x86_irqs *irqs = xvm->irqs;
	struct x86_irqfd *f, *tmp;
	struct file *file;
	__poll_t events;
	long r;

	if (!nkvm_x86_has_irqchip(xvm))
		return -EINVAL;
	/* As stock: resampling needs the in-kernel IOAPIC's EOIs. */
	if ((args->flags & KVM_IRQFD_FLAG_RESAMPLE) &&
	    !nkvm_x86_irqchip_kernel(xvm))
		return -EINVAL;
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->xvm = xvm;
	f->gsi = args->gsi;
	INIT_LIST_HEAD(&f->node);
	INIT_WORK(&f->inject, x86_irqfd_inject);
	INIT_WORK(&f->shutdown, x86_irqfd_shutdown);
	init_waitqueue_func_entry(&f->wait, x86_irqfd_wakeup);
	init_poll_funcptr(&f->pt, x86_irqfd_ptable);

	file = fget(args->fd);
	if (!file) {
		r = -EBADF;
		goto out_free;
	}
	f->ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(f->ctx)) {
		r = PTR_ERR(f->ctx);
		goto out_fput;
	}
	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE) {
		f->resample = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(f->resample)) {
			r = PTR_ERR(f->resample);
			goto out_ctx;
		}
	}

	mutex_lock(&irqs->lock);
	spin_lock_irq(&irqs->irqfd_lock);
	list_for_each_entry(tmp, &irqs->irqfds, node) {
		if (tmp->ctx == f->ctx) {
			/* As stock: one GSI per eventfd. */
			spin_unlock_irq(&irqs->irqfd_lock);
			mutex_unlock(&irqs->lock);
			r = -EBUSY;
			goto out_resample;
		}
	}
	list_add_tail_rcu(&f->node, &irqs->irqfds);
	f->attached = true;
	spin_unlock_irq(&irqs->irqfd_lock);
	/* Hooks f->wait; a count already there injects at once. */
	events = vfs_poll(file, &f->pt);
	if (events & EPOLLIN)
		queue_work(irqs->irqfd_wq, &f->inject);
	mutex_unlock(&irqs->lock);
	fput(file);
	return 0;

out_resample:
	if (f->resample)
		eventfd_ctx_put(f->resample);
out_ctx:
	eventfd_ctx_put(f->ctx);
out_fput:
	fput(file);
out_free:
	kfree(f);
	return r;
}

static long x86_irqfd_deassign(struct nkvm_x86_vm *xvm,
			       const struct kvm_irqfd *args)
{
	struct nkvm_x86_irqs *irqs = xvm->irqs;
	struct eventfd_ctx *ctx;
	struct x86_irqfd *f, *tmp;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	/* As stock: nothing to deassign is not an error. */
	if (irqs && nkvm_x86_has_irqchip(xvm)) {
		mutex_lock(&irqs->lock);
		spin_lock_irq(&irqs->irqfd_lock);
		list_for_each_entry_safe(f, tmp, &irqs->irqfds, node)
			if (f->ctx == ctx && f->gsi == args->gsi)
				x86_irqfd_detach(irqs, f);
		spin_unlock_irq(&irqs->irqfd_lock);
		mutex_unlock(&irqs->lock);
		/* No injection from it once this returns. */
		flush_workqueue(irqs->irqfd_wq);
	}
	eventfd_ctx_put(ctx);
	return 0;
}

long nkvm_x86_irqfd(struct nkvm_x86_vm *xvm, void __user *argp)
{
	struct kvm_irqfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return x86_irqfd_deassign(xvm, &args);
	return x86_irqfd_assign(xvm, &args);
}

void nkvm_x86_irqfd_resample(struct nkvm_x86_vm *xvm, u32 gsi)
{
	struct nkvm_x86_irqs *irqs = xvm->irqs;
	unsigned long flags;
	struct x86_irqfd *f;
	bool any;

	spin_lock_irqsave(&irqs->irqfd_lock, flags);
	any = x86_resample_in_use(irqs, gsi);
	spin_unlock_irqrestore(&irqs->irqfd_lock, flags);
	if (!any)
		return;
	nkvm_x86_set_irq_src(xvm, gsi, 0, X86_IRQ_SRC_RESAMPLE);
	rcu_read_lock();
	list_for_each_entry_rcu(f, &irqs->irqfds, node)
		if (f->resample && f->gsi == gsi)
			nkvm_eventfd_signal(f->resample);
	rcu_read_unlock();
}

int nkvm_x86_irqfd_init(struct nkvm_x86_irqs *irqs)
{
	spin_lock_init(&irqs->irqfd_lock);
	INIT_LIST_HEAD(&irqs->irqfds);
	irqs->irqfd_wq = alloc_workqueue("nkvm-irqfd", 0, 0);
	return irqs->irqfd_wq ? 0 : -ENOMEM;
}

void nkvm_x86_irqfd_exit(struct nkvm_x86_irqs *irqs)
{
	struct x86_irqfd *f, *tmp;

	if (!irqs->irqfd_wq)
		return;
	spin_lock_irq(&irqs->irqfd_lock);
	list_for_each_entry_safe(f, tmp, &irqs->irqfds, node)
		x86_irqfd_detach(irqs, f);
	spin_unlock_irq(&irqs->irqfd_lock);
	/* Shutdowns queued by EPOLLHUP too. */
	flush_workqueue(irqs->irqfd_wq);
	destroy_workqueue(irqs->irqfd_wq);
	irqs->irqfd_wq = NULL;
}
