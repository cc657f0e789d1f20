// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IRQFD on s390: an eventfd whose signal raises a GSI, that is an
 * adapter route (adapter.c). The eventfd's wakeup runs in atomic context
 * with the eventfd's lock held: it consumes the count and queues the
 * injection, which sets the indicators in guest memory (it may sleep).
 * There is no line to lower: KVM_IRQFD_FLAG_RESAMPLE is refused.
 *
 * Lifetime: an irqfd is on svm->irqfds while attached. Deassigning, the
 * eventfd being closed (EPOLLHUP) or the VM going away takes it off the
 * list and queues its shutdown, which unhooks it from the eventfd, waits
 * for its injection and frees it. Assign and deassign are serialised by
 * adapter_lock; irqfds_lock guards the list and nests inside the
 * eventfd's wait-queue lock (the EPOLLHUP wakeup).
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "s390.h"
#include "adapter.h"

struct s390_irqfd {
	struct nkvm_s390_vm *svm;	/* (c) */
	struct list_head node;		/* [irqfds_lock] */
	bool attached;			/* [irqfds_lock] on svm->irqfds */
	struct eventfd_ctx *ctx;	/* (c) */
	u32 gsi;			/* (c) */
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct inject;
	struct work_struct shutdown;
};

static void s390_irqfd_inject(struct work_struct *work)
{
	struct s390_irqfd *f = container_of(work, struct s390_irqfd, inject);

	s390_route_set(f->svm, f->gsi);
}

static void s390_irqfd_shutdown(struct work_struct *work)
{
	struct s390_irqfd *f = container_of(work, struct s390_irqfd, shutdown);
	u64 cnt;

	eventfd_ctx_remove_wait_queue(f->ctx, &f->wait, &cnt);
	flush_work(&f->inject);
	eventfd_ctx_put(f->ctx);
	kfree(f);
}

/* Under irqfds_lock. */
static void s390_irqfd_detach(struct s390_irqfd *f)
{
	if (!f->attached)
		return;
	f->attached = false;
	list_del(&f->node);
	queue_work(f->svm->irqfd_wq, &f->shutdown);
}

static int s390_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			     int sync, void *key)
{
	struct s390_irqfd *f = container_of(wait, struct s390_irqfd, wait);
	struct nkvm_s390_vm *svm = f->svm;
	__poll_t events = key_to_poll(key);
	unsigned long flags;
	u64 cnt;

	if (events & EPOLLIN) {
		eventfd_ctx_do_read(f->ctx, &cnt);
		queue_work(svm->irqfd_wq, &f->inject);
	}
	if (events & EPOLLHUP) {
		spin_lock_irqsave(&svm->irqfds_lock, flags);
		s390_irqfd_detach(f);
		spin_unlock_irqrestore(&svm->irqfds_lock, flags);
	}
	return 0;
}

static void s390_irqfd_ptable(struct file *file, wait_queue_head_t *wqh,
			      poll_table *pt)
{
	struct s390_irqfd *f = container_of(pt, struct s390_irqfd, pt);

	add_wait_queue(wqh, &f->wait);
}

/* adapter_lock held. */
static int s390_irqfd_wq(struct nkvm_s390_vm *svm)
{
	if (!svm->irqfd_wq)
		svm->irqfd_wq = alloc_workqueue("nkvm-irqfd", 0, 0);
	return svm->irqfd_wq ? 0 : -ENOMEM;
}

/*
 * Assign: EBADF for a bad fd, EINVAL for one that is no eventfd, EBUSY for
 * an eventfd already assigned (one GSI per eventfd, as stock). The GSI
 * need not be routed yet: a signal without a route does nothing.
 */
static int s390_irqfd_assign(struct nkvm_s390_vm *svm,
			     const struct kvm_irqfd *args)
{
	struct s390_irqfd *f, *tmp;
	struct file *file;
	__poll_t events;
	int r;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->svm = svm;
	f->gsi = args->gsi;
	INIT_LIST_HEAD(&f->node);
	INIT_WORK(&f->inject, s390_irqfd_inject);
	INIT_WORK(&f->shutdown, s390_irqfd_shutdown);
	init_waitqueue_func_entry(&f->wait, s390_irqfd_wakeup);
	init_poll_funcptr(&f->pt, s390_irqfd_ptable);

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

	mutex_lock(&svm->adapter_lock);
	r = s390_irqfd_wq(svm);
	if (r)
		goto out_unlock;
	spin_lock_irq(&svm->irqfds_lock);
	list_for_each_entry(tmp, &svm->irqfds, node) {
		if (tmp->ctx == f->ctx) {
			spin_unlock_irq(&svm->irqfds_lock);
			r = -EBUSY;
			goto out_unlock;
		}
	}
	list_add_tail(&f->node, &svm->irqfds);
	f->attached = true;
	spin_unlock_irq(&svm->irqfds_lock);
	/* Hooks f->wait; a count already there injects at once. */
	events = vfs_poll(file, &f->pt);
	if (events & EPOLLIN)
		queue_work(svm->irqfd_wq, &f->inject);
	mutex_unlock(&svm->adapter_lock);
	fput(file);
	return 0;

out_unlock:
	mutex_unlock(&svm->adapter_lock);
	eventfd_ctx_put(f->ctx);
out_fput:
	fput(file);
out_free:
	kfree(f);
	return r;
}

/* Deassign: nothing matching is not an error, as stock. */
static int s390_irqfd_deassign(struct nkvm_s390_vm *svm,
			       const struct kvm_irqfd *args)
{
	struct workqueue_struct *wq;
	struct s390_irqfd *f, *tmp;
	struct eventfd_ctx *ctx;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&svm->adapter_lock);
	wq = svm->irqfd_wq;
	spin_lock_irq(&svm->irqfds_lock);
	list_for_each_entry_safe(f, tmp, &svm->irqfds, node)
		if (f->ctx == ctx && f->gsi == args->gsi)
			s390_irqfd_detach(f);
	spin_unlock_irq(&svm->irqfds_lock);
	mutex_unlock(&svm->adapter_lock);
	/*
	 * No injection from it once this returns. Outside adapter_lock,
	 * which the injections take; the workqueue lives as long as the VM.
	 */
	if (wq)
		flush_workqueue(wq);
	eventfd_ctx_put(ctx);
	return 0;
}

/* KVM_IRQFD: flags other than DEASSIGN are EINVAL (no resampling). */
int s390_irqfd(struct nkvm_s390_vm *svm, const struct kvm_irqfd *args)
{
	if (args->flags & ~KVM_IRQFD_FLAG_DEASSIGN)
		return -EINVAL;
	if (args->flags & KVM_IRQFD_FLAG_DEASSIGN)
		return s390_irqfd_deassign(svm, args);
	return s390_irqfd_assign(svm, args);
}

void s390_irqfds_destroy(struct nkvm_s390_vm *svm)
{
	struct s390_irqfd *f, *tmp;

	if (!svm->irqfd_wq)
		return;
	spin_lock_irq(&svm->irqfds_lock);
	list_for_each_entry_safe(f, tmp, &svm->irqfds, node)
		s390_irqfd_detach(f);
	spin_unlock_irq(&svm->irqfds_lock);
	/* Shutdowns queued by EPOLLHUP too. */
	flush_workqueue(svm->irqfd_wq);
	destroy_workqueue(svm->irqfd_wq);
	svm->irqfd_wq = NULL;
}
