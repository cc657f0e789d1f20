// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel I/O buses (see include/nkvm/iobus.h).
 */
#include <linux/slab.h>

#include <nkvm/iobus.h>
#include "core.h"

static struct nkvm_io_bus *nkvm_bus_locked(struct nkvm_vm *vm,
					   enum nkvm_bus_id bus)
{
	return rcu_dereference_protected(vm->buses[bus],
					 lockdep_is_held(&vm->slots_lock));
}

static struct nkvm_io_bus *nkvm_bus_alloc(unsigned int nr)
{
	struct nkvm_io_bus *b;

	return kzalloc(struct_size(b, range, nr), GFP_KERNEL_ACCOUNT);
}

/* Publish next in place of cur, and free cur once no reader can see it. */
static void nkvm_bus_replace(struct nkvm_vm *vm, enum nkvm_bus_id bus,
			     struct nkvm_io_bus *cur, struct nkvm_io_bus *next)
{
	rcu_assign_pointer(vm->buses[bus], next);
	synchronize_srcu_expedited(&vm->srcu);
	kfree(cur);
}

int nkvm_io_bus_register(struct nkvm_vm *vm, enum nkvm_bus_id bus, u64 addr,
			 u64 len, struct nkvm_io_device *dev)
{
	struct nkvm_io_bus *cur = nkvm_bus_locked(vm, bus), *next;
	unsigned int nr = cur ? cur->nr : 0, i, j = 0;
	bool placed = false;

	if (nr >= NKVM_IO_BUS_MAX)
		return -ENOSPC;
	next = nkvm_bus_alloc(nr + 1);
	if (!next)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		if (!placed && addr < cur->range[i].addr) {
			next->range[j++] = (struct nkvm_io_range){ addr, len, dev };
			placed = true;
		}
		next->range[j++] = cur->range[i];
	}
	if (!placed)
		next->range[j++] = (struct nkvm_io_range){ addr, len, dev };
	next->nr = j;
	nkvm_bus_replace(vm, bus, cur, next);
	return 0;
}

int nkvm_io_bus_unregister(struct nkvm_vm *vm, enum nkvm_bus_id bus,
			   struct nkvm_io_device *dev)
{
	struct nkvm_io_bus *cur = nkvm_bus_locked(vm, bus), *next;
	unsigned int i, j = 0;

	if (!cur)
		return 0;
	next = nkvm_bus_alloc(cur->nr);
	if (!next)
		return -ENOMEM;
	for (i = 0; i < cur->nr; i++)
		if (cur->range[i].dev != dev)
			next->range[j++] = cur->range[i];
	next->nr = j;
	nkvm_bus_replace(vm, bus, cur, next);
	return 0;
}

/* VM teardown: no vCPU runs, every device is gone. */
void nkvm_io_buses_free(struct nkvm_vm *vm)
{
	unsigned int bus;

	for (bus = 0; bus < NKVM_NR_BUSES; bus++) {
		kfree(rcu_dereference_protected(vm->buses[bus], 1));
		RCU_INIT_POINTER(vm->buses[bus], NULL);
	}
}

static bool nkvm_range_covers(const struct nkvm_io_range *r, u64 addr,
			      unsigned int len)
{
	if (!r->len)
		return addr == r->addr;
	return addr >= r->addr && addr - r->addr < r->len &&
	       len <= r->len - (addr - r->addr);
}

/* Offer an access to each device covering it, in order, until one takes it. */
static int nkvm_io_bus_access(struct nkvm_vcpu *vcpu, enum nkvm_bus_id bus,
			      u64 addr, unsigned int len, void *val,
			      bool write)
{
	struct nkvm_vm *vm = vcpu->vm;
	struct nkvm_io_bus *b;
	int idx, r = -EOPNOTSUPP;
	unsigned int i;

	idx = srcu_read_lock(&vm->srcu);
	b = srcu_dereference(vm->buses[bus], &vm->srcu);
	for (i = 0; b && i < b->nr && b->range[i].addr <= addr; i++) {
		struct nkvm_io_device *dev = b->range[i].dev;

		if (!nkvm_range_covers(&b->range[i], addr, len))
			continue;
		if (write)
			r = dev->ops->write ?
			    dev->ops->write(dev, vcpu, addr, len, val) :
			    -EOPNOTSUPP;
		else
			r = dev->ops->read ?
			    dev->ops->read(dev, vcpu, addr, len, val) :
			    -EOPNOTSUPP;
		if (r != -EOPNOTSUPP)
			break;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

int nkvm_io_bus_write(struct nkvm_vcpu *vcpu, enum nkvm_bus_id bus, u64 addr,
		      unsigned int len, const void *val)
{
	return nkvm_io_bus_access(vcpu, bus, addr, len, (void *)val, true);
}

int nkvm_io_bus_read(struct nkvm_vcpu *vcpu, enum nkvm_bus_id bus, u64 addr,
		     unsigned int len, void *val)
{
	return nkvm_io_bus_access(vcpu, bus, addr, len, val, false);
}

#ifdef NKVM_KUNIT
#include "tests/iobus_kunit.c"
#endif
