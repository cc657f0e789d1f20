/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one table through which the generic core calls an architecture
 * backend. Each architecture defines exactly one const instance named
 * nkvm_arch_ops (the last thing in its main file). Optional operations may
 * be NULL; the comment says what the core does then.
 */
#ifndef _NKVM_ARCH_OPS_H
#define _NKVM_ARCH_OPS_H

#include <nkvm/nkvm.h>
#include <nkvm/stats.h>

enum nkvm_mr_change {
	NKVM_MR_CREATE,
	NKVM_MR_DELETE,
	NKVM_MR_MOVE,
	NKVM_MR_FLAGS_ONLY,
};

struct nkvm_arch_ops {
	const char *name;

	/* Limits the core enforces and reports through KVM_CHECK_EXTENSION. */
	unsigned int max_vcpus;		/* KVM_CAP_MAX_VCPUS */
	unsigned int max_vcpu_ids;	/* KVM_CAP_MAX_VCPU_ID (default) */
	unsigned int nr_memslots;	/* KVM_CAP_NR_MEMSLOTS, per space */
	unsigned int address_spaces;	/* KVM_CAP_MULTI_ADDRESS_SPACE */
	u32 memslot_flags;		/* KVM_MEM_* flags accepted */
	unsigned int vcpu_mmap_pages;	/* page 0 is struct kvm_run */
	/* Page of the vCPU area showing the coalesced-MMIO ring; 0: none. */
	unsigned int coalesced_mmio_page;
	size_t vm_size;			/* arch VM struct, nkvm_vm first */
	size_t vcpu_size;		/* arch vCPU struct, nkvm_vcpu first */

	/*
	 * Module load. hardware_probe returns 0 when the CPU can run guests,
	 * -ENODEV when it cannot and -EBUSY when another hypervisor owns it;
	 * it prints the reason. hardware_setup/unsetup: optional.
	 */
	int (*hardware_probe)(void);
	int (*hardware_setup)(void);
	void (*hardware_unsetup)(void);

	/* Arch ioctls on /dev/kvm. NULL: -ENOTTY. */
	long (*dev_ioctl)(unsigned int ioctl, unsigned long arg);
	/* Arch capabilities; vm is NULL on /dev/kvm. NULL: none. */
	long (*check_extension)(struct nkvm_vm *vm, long cap);

	/* Validate the machine type and set up. Required. */
	int (*vm_init)(struct nkvm_vm *vm, unsigned long type);
	/* Last reference gone, vCPUs already destroyed. Optional. */
	void (*vm_destroy)(struct nkvm_vm *vm);
	/* KVM_ENABLE_CAP on the VM fd, flags already checked. NULL: -EINVAL. */
	int (*vm_enable_cap)(struct nkvm_vm *vm, struct kvm_enable_cap *cap);
	/* KVM_{SET,GET,HAS}_DEVICE_ATTR on the VM fd. NULL: -ENOTTY. */
	int (*vm_attr)(struct nkvm_vm *vm, unsigned int ioctl,
		       struct kvm_device_attr *attr);
	/* Any other VM ioctl. NULL: -ENOTTY. */
	long (*vm_ioctl)(struct nkvm_vm *vm, unsigned int ioctl,
			 unsigned long arg);
	/*
	 * Arch checks on a memslot change after the generic ones passed
	 * (old is NULL on create, new is NULL on delete). Optional.
	 */
	int (*prepare_memslot)(struct nkvm_vm *vm, enum nkvm_mr_change change,
			       const struct nkvm_memslot *old,
			       const struct nkvm_memslot *new);
	/*
	 * The change is made: the new slots are published, no reader sees
	 * the old ones and the core has unmapped a deleted or moved range
	 * (mmu_unmap). The arch follows it in what it maps from the slots
	 * outside the core's knowledge; it cannot fail the ioctl any more.
	 * slots_lock held. Optional.
	 */
	void (*commit_memslot)(struct nkvm_vm *vm, enum nkvm_mr_change change,
			       const struct nkvm_memslot *old,
			       const struct nkvm_memslot *new);

	/*
	 * The guest page tables (see nkvm_vm.mmu_lock). Optional as a group:
	 * an arch that maps guest memory sets all three, and the core then
	 * registers an MMU notifier for each VM and implements dirty logging.
	 * mmu_unmap drops the mappings of guest frames [start, end);
	 * mmu_write_protect makes them read-only (the next write faults and
	 * is logged). Both run under mmu_lock, must not sleep, and return
	 * true when a mapping changed. mmu_flush then runs outside mmu_lock
	 * (it may spin but not sleep): when it returns no vCPU uses a stale
	 * translation.
	 */
	bool (*mmu_unmap)(struct nkvm_vm *vm, nkvm_gfn_t start, nkvm_gfn_t end);
	bool (*mmu_write_protect)(struct nkvm_vm *vm, nkvm_gfn_t start,
				  nkvm_gfn_t end);
	void (*mmu_flush)(struct nkvm_vm *vm);

	/* vCPU set-up after the core part is initialised. Optional. */
	int (*vcpu_create)(struct nkvm_vcpu *vcpu);
	/* VM teardown. Optional. */
	void (*vcpu_destroy)(struct nkvm_vcpu *vcpu);
	/*
	 * KVM_RUN, vcpu->mutex held. The core owns the loop: it calls
	 * vcpu_complete_exit once (finish the exit userspace handled; 0 or
	 * -errno), then, until immediate_exit or a signal stops it,
	 * vcpu_enter, which enters the guest once and returns 1 to go on,
	 * 0 when kvm_run holds an exit for userspace, or -errno.
	 * runs_guests says whether vcpu_enter can run a guest on this host
	 * (NULL: iff vcpu_enter is set); if not, KVM_RUN gives -ENOEXEC.
	 */
	bool (*runs_guests)(void);
	/*
	 * Around the whole of a KVM_RUN, complete_exit included (e.g. load
	 * the guest's FPU once rather than per entry). Optional.
	 */
	void (*vcpu_run_begin)(struct nkvm_vcpu *vcpu);
	void (*vcpu_run_end)(struct nkvm_vcpu *vcpu);
	int (*vcpu_complete_exit)(struct nkvm_vcpu *vcpu);
	int (*vcpu_enter)(struct nkvm_vcpu *vcpu);
	/*
	 * KVM_CAP_SYNC_REGS: the register sets of kvm_run.s.regs the arch
	 * syncs (0: none; the core then ignores kvm_valid/dirty_regs). The
	 * core checks both masks against it. sync_regs_in applies the sets
	 * in *dirty (a copy the core took of kvm_dirty_regs) before the
	 * guest runs, validated as their ioctls, clearing each bit of *dirty
	 * whose set it applied; 0 or -errno, stopping at the first failure.
	 * sync_regs_out stores the sets in valid whenever KVM_RUN returns.
	 * Both run with vcpu->mutex held; required when sync_regs is not 0.
	 */
	u64 sync_regs;
	int (*sync_regs_in)(struct nkvm_vcpu *vcpu, u64 *dirty);
	void (*sync_regs_out)(struct nkvm_vcpu *vcpu, u64 valid);
	/* KVM_{SET,GET,HAS}_DEVICE_ATTR on a vCPU fd. NULL: -ENOTTY. */
	int (*vcpu_attr)(struct nkvm_vcpu *vcpu, unsigned int ioctl,
			 struct kvm_device_attr *attr);
	/* Any other vCPU ioctl, vcpu->mutex held. NULL: -ENOTTY. */
	long (*vcpu_ioctl)(struct nkvm_vcpu *vcpu, unsigned int ioctl,
			   unsigned long arg);
	/*
	 * vCPU ioctls that must not wait for the vCPU's mutex (s390: an
	 * interrupt injected while the vCPU runs), tried first, without
	 * it: -ENOIOCTLCMD for an ioctl the arch does not handle so. NULL:
	 * none.
	 */
	long (*vcpu_async_ioctl)(struct nkvm_vcpu *vcpu, unsigned int ioctl,
				 unsigned long arg);

	/*
	 * Statistics the arch adds after the generic ones on the
	 * KVM_GET_STATS_FD fds (include/nkvm/stats.h); offsets are from
	 * the start of the arch's VM / vCPU object. NULL: none.
	 */
	const struct nkvm_stat_desc *vm_stats;
	unsigned int nr_vm_stats;
	const struct nkvm_stat_desc *vcpu_stats;
	unsigned int nr_vcpu_stats;
};

extern const struct nkvm_arch_ops nkvm_arch_ops;

#endif /* _NKVM_ARCH_OPS_H */
