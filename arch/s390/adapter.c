// SPDX-License-Identifier: GPL-2.0
/*
 * I/O adapters and the GSI routes to them. An adapter (registered through
 * the FLIC) is an interruption source of one ISC; a route
 * (KVM_SET_GSI_ROUTING, type KVM_IRQ_ROUTING_S390_ADAPTER) names an
 * adapter and two indicator bits in guest memory. Raising the route's GSI
 * (an irqfd) sets both bits and, when the summary bit was clear and the
 * adapter is not masked, makes an adapter interruption pending: a
 * floating I/O interruption of the adapter's ISC with the adapter bit in
 * its interruption word. With adapter-interruption suppression (facility
 * 72) in the VM's model, an ISC in single mode stops after one.
 *
 * Locking: adapter_lock serialises registration, modification, the AIS
 * modes and routing updates; the routing table is read under RCU.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/gmap.h>

#include "s390.h"
#include "adapter.h"
#include "interrupt.h"
#include "gaccess.h"
#include "intercept.h"

#define S390_FAC_AIS	72
#define AIS_BIT(isc)	(0x80 >> (isc))
/* The modes of KVM_DEV_FLIC_AISM (struct kvm_s390_ais_req.mode). */
#define AIS_MODE_ALL	0
#define AIS_MODE_SINGLE	1

void s390_adapters_init(struct nkvm_s390_vm *svm)
{
	mutex_init(&svm->adapter_lock);
	spin_lock_init(&svm->irqfds_lock);
	INIT_LIST_HEAD(&svm->irqfds);
}

/* VM teardown: no fd is left, so no irqfd and no FLIC call either. */
void s390_adapters_destroy(struct nkvm_s390_vm *svm)
{
	unsigned int i;

	s390_irqfds_destroy(svm);
	for (i = 0; i < S390_MAX_ADAPTERS; i++)
		kfree(svm->adapters[i]);
	kfree(rcu_dereference_protected(svm->routing, true));
}

static struct s390_adapter *s390_adapter(struct nkvm_s390_vm *svm, u32 id)
{
	if (id >= S390_MAX_ADAPTERS)
		return NULL;
	return svm->adapters[array_index_nospec(id, S390_MAX_ADAPTERS)];
}

/* KVM_DEV_FLIC_ADAPTER_REGISTER: EINVAL for an id taken or too big. */
int s390_adapter_register(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	struct kvm_s390_io_adapter info;
	struct s390_adapter *a;
	int r = 0;

	if (copy_from_user(&info, uaddr, sizeof(info)))
		return -EFAULT;
	if (info.id >= S390_MAX_ADAPTERS)
		return -EINVAL;
	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	a->id = info.id;
	a->isc = info.isc;
	a->maskable = info.maskable;
	a->swap = info.swap;
	a->suppressible = info.flags & KVM_S390_ADAPTER_SUPPRESSIBLE;

	mutex_lock(&svm->adapter_lock);
	if (s390_adapter(svm, info.id))
		r = -EINVAL;
	else
		svm->adapters[array_index_nospec(info.id,
						 S390_MAX_ADAPTERS)] = a;
	mutex_unlock(&svm->adapter_lock);
	if (r)
		kfree(a);
	return r;
}

/*
 * KVM_DEV_FLIC_ADAPTER_MODIFY: masking (EINVAL for an adapter that is not
 * maskable); MAP and UNMAP are no-ops (routes carry their addresses), as
 * on stock; EINVAL for an unknown adapter or type.
 */
int s390_adapter_modify(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	struct kvm_s390_io_adapter_req req;
	struct s390_adapter *a;
	int r = 0;

	if (copy_from_user(&req, uaddr, sizeof(req)))
		return -EFAULT;
	mutex_lock(&svm->adapter_lock);
	a = s390_adapter(svm, req.id);
	if (!a) {
		r = -EINVAL;
		goto out;
	}
	switch (req.type) {
	case KVM_S390_IO_ADAPTER_MASK:
		if (!a->maskable)
			r = -EINVAL;
		else
			WRITE_ONCE(a->masked, req.mask);
		break;
	case KVM_S390_IO_ADAPTER_MAP:
	case KVM_S390_IO_ADAPTER_UNMAP:
		break;
	default:
		r = -EINVAL;
	}
out:
	mutex_unlock(&svm->adapter_lock);
	return r;
}

static bool s390_has_ais(struct nkvm_s390_vm *svm)
{
	bool has;

	mutex_lock(&svm->vm.lock);
	has = s390_vm_has_facility(svm, S390_FAC_AIS);
	mutex_unlock(&svm->vm.lock);
	return has;
}

/* An adapter interruption for a; adapter_lock held. */
static int s390_adapter_irq(struct nkvm_s390_vm *svm, struct s390_adapter *a,
			    bool ais)
{
	struct s390_float_irq *fi;
	int r;

	if (ais && a->suppressible && (svm->ais_nimm & AIS_BIT(a->isc)))
		return 0;
	fi = kzalloc(sizeof(*fi), GFP_KERNEL_ACCOUNT);
	if (!fi)
		return -ENOMEM;
	fi->type = KVM_S390_INT_IO(1, 0, 0, 0);
	fi->io.io_int_word = s390_isc_int_word(a->isc);
	r = s390_inject_float(svm, fi);
	if (r) {
		kfree(fi);
		return r;
	}
	/* Single mode: the next one is suppressed until the guest asks. */
	if (ais && a->suppressible && (svm->ais_simm & AIS_BIT(a->isc)))
		svm->ais_nimm |= AIS_BIT(a->isc);
	return 0;
}

/* KVM_DEV_FLIC_AIRQ_INJECT: EINVAL for an unknown adapter. */
int s390_adapter_inject(struct nkvm_s390_vm *svm, u32 id)
{
	bool ais = s390_has_ais(svm);
	struct s390_adapter *a;
	int r;

	mutex_lock(&svm->adapter_lock);
	a = s390_adapter(svm, id);
	r = a ? s390_adapter_irq(svm, a, ais) : -EINVAL;
	mutex_unlock(&svm->adapter_lock);
	return r;
}

/* KVM_DEV_FLIC_AISM: EOPNOTSUPP without facility 72 in the model. */
int s390_ais_mode(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	struct kvm_s390_ais_req req;
	int r = 0;

	if (!s390_has_ais(svm))
		return -EOPNOTSUPP;
	if (copy_from_user(&req, uaddr, sizeof(req)))
		return -EFAULT;
	if (req.isc >= S390_ISCS)
		return -EINVAL;
	mutex_lock(&svm->adapter_lock);
	switch (req.mode) {
	case AIS_MODE_ALL:
		svm->ais_simm &= ~AIS_BIT(req.isc);
		svm->ais_nimm &= ~AIS_BIT(req.isc);
		break;
	case AIS_MODE_SINGLE:
		svm->ais_simm |= AIS_BIT(req.isc);
		svm->ais_nimm &= ~AIS_BIT(req.isc);
		break;
	default:
		r = -EINVAL;
	}
	mutex_unlock(&svm->adapter_lock);
	return r;
}

/* KVM_DEV_FLIC_AISM_ALL, both ways (GET: len at least the struct's). */
int s390_ais_all(struct nkvm_s390_vm *svm, void __user *uaddr, bool set,
		 u64 len)
{
	struct kvm_s390_ais_all ais;

	if (!set && len < sizeof(ais))
		return -EINVAL;
	if (!s390_has_ais(svm))
		return -EOPNOTSUPP;
	if (set) {
		if (copy_from_user(&ais, uaddr, sizeof(ais)))
			return -EFAULT;
		mutex_lock(&svm->adapter_lock);
		svm->ais_simm = ais.simm;
		svm->ais_nimm = ais.nimm;
		mutex_unlock(&svm->adapter_lock);
		return 0;
	}
	mutex_lock(&svm->adapter_lock);
	ais.simm = svm->ais_simm;
	ais.nimm = svm->ais_nimm;
	mutex_unlock(&svm->adapter_lock);
	return copy_to_user(uaddr, &ais, sizeof(ais)) ? -EFAULT : 0;
}

/* ---- VM capabilities kept here for want of a better home ---- */

/* KVM_CAP_S390_IRQCHIP: KVM_CREATE_IRQCHIP may be used from now on. */
int s390_enable_irqchip(struct nkvm_s390_vm *svm)
{
	mutex_lock(&svm->vm.lock);
	svm->irqchip = true;
	mutex_unlock(&svm->vm.lock);
	return 0;
}

/*
 * KVM_CAP_S390_USER_INSTR0: opcode 0 goes to userspace, so every vCPU
 * intercepts operation exceptions, from its next entry on.
 */
void s390_enable_user_instr0(struct nkvm_s390_vm *svm)
{
	struct nkvm_vcpu *vcpu;
	unsigned long i;

	mutex_lock(&svm->vm.lock);
	WRITE_ONCE(svm->user_instr0, true);
	xa_for_each(&svm->vm.vcpus, i, vcpu) {
		struct nkvm_s390_vcpu *v = to_s390_vcpu(vcpu);

		set_bit(S390_REQ_OPEREXC, &v->requests);
		s390_vcpu_kick(v);
	}
	mutex_unlock(&svm->vm.lock);
}

/* ---- routing ---- */

static void s390_routing_replace(struct nkvm_s390_vm *svm,
				 struct s390_routing *new)
{
	struct s390_routing *old;

	mutex_lock(&svm->adapter_lock);
	old = rcu_replace_pointer(svm->routing, new,
				  lockdep_is_held(&svm->adapter_lock));
	mutex_unlock(&svm->adapter_lock);
	synchronize_rcu();
	kfree(old);
}

/* KVM_CREATE_IRQCHIP: EINVAL unless KVM_CAP_S390_IRQCHIP was enabled. */
int s390_set_empty_routing(struct nkvm_s390_vm *svm)
{
	bool irqchip;

	mutex_lock(&svm->vm.lock);
	irqchip = svm->irqchip;
	mutex_unlock(&svm->vm.lock);
	if (!irqchip)
		return -EINVAL;
	s390_routing_replace(svm, NULL);
	return 0;
}

/* One entry: the adapter's indicator addresses, translated for the host. */
static int s390_route_from_user(struct nkvm_s390_vm *svm,
				const struct kvm_irq_routing_entry *ue,
				struct s390_route *r)
{
	const struct kvm_irq_routing_s390_adapter *a = &ue->u.adapter;
	unsigned long hva;

	if (ue->flags || ue->type != KVM_IRQ_ROUTING_S390_ADAPTER)
		return -EINVAL;
	r->gsi = ue->gsi;
	r->adapter_id = a->adapter_id;
	r->ind_gpa = a->ind_addr;
	r->summary_gpa = a->summary_addr;
	r->ind_offset = a->ind_offset;
	r->summary_offset = a->summary_offset;
	hva = gmap_translate(svm->gmap, a->ind_addr);
	if (IS_ERR_VALUE(hva))
		return -EFAULT;
	r->ind_hva = hva;
	hva = gmap_translate(svm->gmap, a->summary_addr);
	if (IS_ERR_VALUE(hva))
		return -EFAULT;
	r->summary_hva = hva;
	return 0;
}

/*
 * KVM_SET_GSI_ROUTING, checked in stock's order: nr above 4096 or flags
 * (EINVAL), then a GSI of 4096 or more in any entry (EINVAL), then each
 * entry: flags or a type other than the adapter route (EINVAL), a GSI
 * routed twice (EINVAL), indicators outside the guest's memory (EFAULT).
 * The table replaces the old one whole.
 */
int s390_set_gsi_routing(struct nkvm_s390_vm *svm, void __user *argp)
{
	struct kvm_irq_routing head;
	struct kvm_irq_routing_entry *ue = NULL;
	struct s390_routing *new;
	unsigned int i, j;
	int r = 0;

	if (copy_from_user(&head, argp, sizeof(head)))
		return -EFAULT;
	if (head.nr > S390_MAX_GSI || head.flags)
		return -EINVAL;
	if (head.nr) {
		ue = vmemdup_user(argp + sizeof(head),
				  array_size(sizeof(*ue), head.nr));
		if (IS_ERR(ue))
			return PTR_ERR(ue);
	}
	for (i = 0; i < head.nr; i++)
		if (ue[i].gsi >= S390_MAX_GSI)
			r = -EINVAL;
	new = kzalloc(struct_size(new, routes, head.nr), GFP_KERNEL_ACCOUNT);
	if (!new)
		r = -ENOMEM;
	for (i = 0; !r && i < head.nr; i++) {
		for (j = 0; j < i; j++)
			if (new->routes[j].gsi == ue[i].gsi)
				r = -EINVAL;
		if (!r)
			r = s390_route_from_user(svm, &ue[i], &new->routes[i]);
		new->nr = i + 1;
	}
	kvfree(ue);
	if (r) {
		kfree(new);
		return r;
	}
	new->nr = head.nr;
	s390_routing_replace(svm, new);
	return 0;
}

/* The bit an indicator names, counted from the page's start. */
static unsigned long s390_ind_bit(unsigned long hva, u64 nr, bool swap)
{
	unsigned long bit = nr + (hva % PAGE_SIZE) * 8;

	return swap ? bit ^ (BITS_PER_LONG - 1) : bit;
}

/*
 * Set one indicator bit in the VM's memory from any thread: the page is
 * looked up in the VM's mm. The previous value of the bit, or -EFAULT.
 */
static int s390_set_indicator(struct nkvm_s390_vm *svm, unsigned long hva,
			      u64 gpa, u64 nr, bool swap)
{
	struct mm_struct *mm = svm->vm.mm;
	struct nkvm_memslot *slot;
	struct page *page;
	long got;
	int old, idx;

	if (!mmget_not_zero(mm))
		return -EFAULT;
	mmap_read_lock(mm);
	got = get_user_pages_remote(mm, hva & PAGE_MASK, 1, FOLL_WRITE, &page,
				    NULL, NULL);
	mmap_read_unlock(mm);
	mmput(mm);
	if (got != 1)
		return -EFAULT;
	old = test_and_set_bit(s390_ind_bit(hva, nr, swap),
			       page_address(page));
	set_page_dirty_lock(page);
	put_page(page);

	idx = srcu_read_lock(&svm->vm.srcu);
	slot = nkvm_gfn_to_memslot(&svm->vm, 0, gpa >> PAGE_SHIFT);
	if (slot)
		nkvm_slot_mark_dirty(slot, gpa >> PAGE_SHIFT);
	srcu_read_unlock(&svm->vm.srcu, idx);
	return old;
}

int s390_route_set(struct nkvm_s390_vm *svm, u32 gsi)
{
	bool ais = s390_has_ais(svm);
	struct s390_routing *rt;
	struct s390_route route;
	struct s390_adapter *a;
	bool found = false;
	unsigned int i;
	int r, summary;

	rcu_read_lock();
	rt = rcu_dereference(svm->routing);
	for (i = 0; rt && i < rt->nr; i++) {
		if (rt->routes[i].gsi == gsi) {
			route = rt->routes[i];
			found = true;
			break;
		}
	}
	rcu_read_unlock();
	if (!found)
		return -EINVAL;

	mutex_lock(&svm->adapter_lock);
	a = s390_adapter(svm, route.adapter_id);
	if (!a) {
		r = -EINVAL;
		goto out;
	}
	r = s390_set_indicator(svm, route.ind_hva, route.ind_gpa,
			       route.ind_offset, a->swap);
	if (r < 0)
		goto out;
	summary = s390_set_indicator(svm, route.summary_hva, route.summary_gpa,
				     route.summary_offset, a->swap);
	if (summary < 0) {
		r = summary;
		goto out;
	}
	/* A summary bit already set: the guest has yet to look. */
	r = 0;
	if (!summary && !a->masked) {
		r = s390_adapter_irq(svm, a, ais);
		if (!r)
			r = 1;
	}
out:
	mutex_unlock(&svm->adapter_lock);
	return r;
}
