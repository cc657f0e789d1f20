/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nkvm core objects: the VM, the vCPU and the memory slots, shared by the
 * generic core (virt/kvm) and the architecture backends (arch/).
 *
 * Field legends (after the field, in the comment):
 *   (c)  set once at creation, read-only afterwards, no lock needed
 *   [l]  protected by nkvm_vm.lock
 *   [s]  written under nkvm_vm.slots_lock, read under vm->srcu
 *   [k]  protected by nkvm_vm.mmu_lock (a spinlock)
 *   [m]  protected by nkvm_vcpu.mutex
 *   (a)  atomic or refcount; no lock
 */
#ifndef _NKVM_NKVM_H
#define _NKVM_NKVM_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/srcu.h>
#include <linux/xarray.h>
#include <linux/list.h>
#include <linux/signal_types.h>
#include <linux/spinlock.h>
#include <linux/smp.h>
#include <linux/wait.h>
#include <linux/mmu_notifier.h>
#include <linux/wait.h>
#include <linux/kvm.h>

#include <nkvm/stats.h>

#define NKVM_MAX_ADDRESS_SPACES	2
#define NKVM_MEM_MAX_NR_PAGES	((1UL << 31) - 1)

typedef u64 nkvm_gfn_t;

/*
 * One guest memory slot. Slot arrays are copied on write and published with
 * RCU, so a slot seen by a reader never changes; only the dirty bitmap
 * contents (not the pointer) change while a slot is live.
 */
struct nkvm_memslot {
	nkvm_gfn_t base_gfn;
	u64 npages;
	unsigned long userspace_addr;
	u32 flags;			/* KVM_MEM_* */
	u16 id;				/* slot number inside its address space */
	u16 as_id;
	unsigned long *dirty_bitmap;	/* iff KVM_MEM_LOG_DIRTY_PAGES */
};

/* An immutable, gfn-sorted array of slots for one address space. */
struct nkvm_memslots {
	u64 generation;
	unsigned int nr;
	struct nkvm_memslot slots[];
};

struct nkvm_arch_ops;
struct nkvm_io_bus;

enum nkvm_bus_id {
	NKVM_MMIO_BUS,
	NKVM_PIO_BUS,
	NKVM_NR_BUSES,
};

struct nkvm_vm {
	refcount_t users;		/* (a) VM fd + each vCPU/device fd */
	struct mm_struct *mm;		/* (c) creator's address space */
	unsigned long type;		/* (c) KVM_CREATE_VM argument */

	struct mutex lock;		/* vCPU/device creation, VM caps */
	unsigned int max_vcpu_ids;	/* [l] ids must be below this */
	bool max_vcpu_ids_set;		/* [l] KVM_CAP_MAX_VCPU_ID enabled */
	unsigned int created_vcpus;	/* [l] includes ones being set up */
	struct list_head devices;	/* [l] nkvm_device.vm_node */

	/* vCPUs by creation index; entries are added under lock, never removed
	 * before the VM dies; readers use xa_load() (RCU).
	 */
	struct xarray vcpus;
	atomic_t online_vcpus;		/* (a) published entries of vcpus */

	struct mutex slots_lock;	/* serialises memslot updates */
	struct srcu_struct srcu;	/* readers of memslots */
	struct nkvm_memslots __rcu *memslots[NKVM_MAX_ADDRESS_SPACES]; /* [s] */
	u64 slots_generation;		/* [s] bumped on every update */
	/* KVM_DIRTY_LOG_* of KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (dirty_log.c). */
	u64 manual_dirty_log;		/* (a) */

	/* In-kernel I/O devices (include/nkvm/iobus.h). */
	struct nkvm_io_bus __rcu *buses[NKVM_NR_BUSES];	/* [s] */
	struct list_head ioeventfds;	/* [s] nkvm_ioeventfd.node */
	struct list_head coalesced_zones; /* [s] */
	struct page *coalesced_page;	/* (c) the ring, if the arch has one */
	spinlock_t coalesced_lock;	/* appends to the ring */

	/*
	 * The arch's guest page tables (nested/stage-2) are protected by
	 * mmu_lock. They map user pages without pinning them: the MMU
	 * notifier (virt/kvm/mmu_notifier.c) unmaps a range before the host
	 * changes it. A fault handler samples mmu_inval_seq before it looks
	 * up the user page and installs the mapping only if, under mmu_lock,
	 * no invalidation is in progress and the sequence has not moved
	 * (nkvm_mmu_retry()).
	 */
	spinlock_t mmu_lock;
	unsigned long mmu_inval_seq;	/* [k] bumped when one ends */
	unsigned int mmu_inval_count;	/* [k] invalidations in progress */
	struct mmu_notifier mmu_notifier; /* (c) registered iff arch maps */
	bool mmu_notifier_registered;	/* (c) */

	/* KVM_GET_STATS_FD (include/nkvm/stats.h): legends there. */
	struct nkvm_vm_stat stat;
};

struct nkvm_vcpu {
	struct nkvm_vm *vm;		/* (c) */
	u32 vcpu_id;			/* (c) id chosen by userspace */
	u32 vcpu_idx;			/* (c) creation index in vm->vcpus */
	struct mutex mutex;		/* serialises the vCPU ioctls */
	struct kvm_run *run;		/* (c) page 0 of the vCPU mmap area */
	unsigned int nr_mmap_pages;	/* (c) */
	struct page **mmap_pages;	/* (c) pages userspace may map */
	bool sigset_active;		/* [m] KVM_SET_SIGNAL_MASK given */
	sigset_t sigset;		/* [m] blocked signals in KVM_RUN */

	/* Blocking and kicking (virt/kvm/kick.c). */
	wait_queue_head_t wq;		/* a halted vCPU sleeps here */
	int mode;			/* (a) NKVM_IN_GUEST or not */
	int cpu;			/* (a) where it last entered the guest */
	atomic_t kicked;		/* (a) an event came since it looked */
	call_single_data_t kick_csd;	/* (a) the IPI that forces a guest exit */
	atomic_t kick_ipi_busy;		/* (a) kick_csd is on its way */

	/*
	 * KVM_GET_STATS_FD: written by the vCPU's thread only (it holds
	 * mutex), read locklessly by stats fds (include/nkvm/stats.h).
	 */
	struct nkvm_vcpu_stat stat;
};

enum { NKVM_OUTSIDE_GUEST, NKVM_IN_GUEST };

/* Core services for the backends. */

/* Sample before looking up a user page for a guest mapping. */
static inline unsigned long nkvm_mmu_seq(struct nkvm_vm *vm)
{
	/* Pairs with the barrier of spin_unlock() in the notifier. */
	return smp_load_acquire(&vm->mmu_inval_seq);
}

/* Under mmu_lock: true if the page looked up after seq may be stale. */
static inline bool nkvm_mmu_retry(struct nkvm_vm *vm, unsigned long seq)
{
	lockdep_assert_held(&vm->mmu_lock);
	return vm->mmu_inval_count || vm->mmu_inval_seq != seq;
}

struct nkvm_memslot *nkvm_gfn_to_memslot(struct nkvm_vm *vm, int as_id,
					 nkvm_gfn_t gfn);
bool nkvm_api_only(void);

/*
 * Guest physical memory through the memslots of address space 0 (see
 * virt/kvm/guest_mem.c): 0 or -EFAULT. May sleep; run in the VM's mm.
 * Writes feed the dirty log; so must any other write to guest memory
 * (nkvm_slot_mark_dirty(), under vm->srcu).
 */
int nkvm_read_guest(struct nkvm_vm *vm, u64 gpa, void *buf, unsigned long len);
int nkvm_write_guest(struct nkvm_vm *vm, u64 gpa, const void *buf,
		     unsigned long len);
void nkvm_slot_mark_dirty(struct nkvm_memslot *slot, nkvm_gfn_t gfn);
bool nkvm_runs_guests(void);

/* virt/kvm/kick.c: see there for the protocol. */
void nkvm_vcpu_kick(struct nkvm_vcpu *vcpu);
void nkvm_vcpu_kick_sync(struct nkvm_vcpu *vcpu);
void nkvm_vcpu_clear_kick(struct nkvm_vcpu *vcpu);
bool nkvm_vcpu_enter_guest(struct nkvm_vcpu *vcpu);
void nkvm_vcpu_exit_guest(struct nkvm_vcpu *vcpu);
void nkvm_vcpu_block(struct nkvm_vcpu *vcpu,
		     bool (*ready)(struct nkvm_vcpu *vcpu));

#endif /* _NKVM_NKVM_H */
