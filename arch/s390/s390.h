/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s390 layer: the per-VM and per-vCPU state and what the files of
 * arch/s390 share. Legends as in include/nkvm/nkvm.h, plus:
 *   [t]  protected by nkvm_s390_vm.tod_lock
 *   [f]  protected by nkvm_s390_vm.flt.lock (floating interrupts)
 *   [i]  protected by nkvm_s390_vcpu.irq_lock (local interrupts)
 *   [r]  the vCPU's thread in KVM_RUN, or the vCPU ioctls under [m]:
 *        the state description and the registers in kvm_run
 *   [a]  the adapter/routing mutex (nkvm_s390_vm.adapter_lock)
 */
#ifndef _NKVM_S390_H
#define _NKVM_S390_H

#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/list.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
#include <asm/gmap.h>

#include <nkvm/nkvm.h>

#include "sie.h"

/* Doublewords of a facility list the kernel keeps (stfle_fac_list). */
#define S390_FAC_WORDS		16
/* Doublewords of a facility list in the attribute structures. */
#define S390_FAC_UAPI_WORDS	256

/* vCPUs: the basic SCA's slots; CPU addresses are the vCPU ids. */
#define S390_MAX_VCPUS		SCA_BASIC_SLOTS

/*
 * The guest CPU model (KVM_S390_VM_CPU_MODEL / KVM_S390_VM_CPU_PROCESSOR):
 * what the VM's vCPUs are to look like. Set at VM creation from the host
 * (vm_attr.c: s390_model_init()), replaced only while the VM has no vCPU.
 * The facility list is kept whole, as userspace gave it; only its first
 * S390_FAC_WORDS doublewords can ever be in the facility mask.
 */
struct nkvm_s390_model {
	u64 cpuid;
	u16 ibc;
	u64 fac_list[S390_FAC_UAPI_WORDS];
};

/*
 * Interruption conditions, one bit each in a pending mask. The order is
 * the architecture's priority, lowest first: delivery takes the highest
 * bit set (interrupt.c). I/O conditions are one per interruption
 * subclass (ISC), ISC 0 the most urgent.
 */
enum s390_irq_bit {
	S390_IRQ_SET_PREFIX,
	S390_IRQ_RESTART,
	S390_IRQ_STOP,
	S390_IRQ_IO_ISC7,
	S390_IRQ_IO_ISC0 = S390_IRQ_IO_ISC7 + 7,
	S390_IRQ_VIRTIO,
	S390_IRQ_PFAULT_DONE,
	S390_IRQ_PFAULT_INIT,
	S390_IRQ_SERVICE,
	S390_IRQ_SERVICE_EV,
	S390_IRQ_CPU_TIMER,
	S390_IRQ_CLOCK_COMP,
	S390_IRQ_EXTERNAL_CALL,
	S390_IRQ_EMERGENCY,
	S390_IRQ_MCHK_REP,
	S390_IRQ_PROG,
	S390_IRQ_MCHK_EX,
	S390_IRQ_COUNT
};

#define S390_IRQ_IO_MASK	GENMASK(S390_IRQ_IO_ISC0, S390_IRQ_IO_ISC7)
#define S390_IRQ_EXT_MASK	(GENMASK(S390_IRQ_EMERGENCY, S390_IRQ_VIRTIO))
#define S390_IRQ_MCHK_MASK	(BIT(S390_IRQ_MCHK_REP) | BIT(S390_IRQ_MCHK_EX))
#define S390_ISCS		8

/* A queued floating interrupt (I/O, virtio, pfault done). */
struct s390_float_irq {
	struct list_head node;
	u64 type;			/* KVM_S390_INT_* */
	union {
		struct kvm_s390_io_info io;
		struct kvm_s390_ext_info ext;
		struct kvm_s390_mchk_info mchk;
	};
};

/* The queues, in the order KVM_DEV_FLIC_GET_ALL_IRQS lists them. */
enum s390_float_list {
	S390_FLIST_IO0,			/* .. S390_FLIST_IO0 + 7: per ISC */
	S390_FLIST_PFAULT = S390_ISCS,
	S390_FLIST_VIRTIO,
	S390_FLIST_COUNT
};

/* The VM's floating interrupts: any vCPU may take them. */
struct s390_float_irqs {
	spinlock_t lock;			/* the [f] fields */
	unsigned long pending;			/* [f] S390_IRQ_* bits */
	struct list_head lists[S390_FLIST_COUNT];	/* [f] */
	/* Queued I/O interrupts (all ISCs), virtio and pfault-done ones. */
	unsigned int nr_io, nr_virtio, nr_pfault;	/* [f] */
	u32 service_params;			/* [f] SCCB | event bits */
	struct kvm_s390_mchk_info mchk;		/* [f] cr14, mcic */
	unsigned int next_rr;			/* [f] round-robin target */
};

#define S390_MAX_ADAPTERS	64	/* 8 per ISC, as stock */
struct s390_adapter;
struct s390_routing;

struct nkvm_s390_vm {
	struct nkvm_vm vm;		/* must be first */

	/* vm_attr.c, KVM_S390_VM_CPU_MODEL. */
	struct nkvm_s390_model model;	/* [l] */

	/*
	 * vm_attr.c, KVM_S390_VM_MEM_CTRL. max_mem_limit is the largest
	 * guest memory the machine allows (guest addresses below it);
	 * mem_limit the size chosen with KVM_S390_VM_MEM_LIMIT_SIZE, rounded
	 * up to what the number of guest page-table levels covers. Memory
	 * slots must end at or below it (s390.c).
	 */
	u64 max_mem_limit;		/* (c) */
	u64 mem_limit;			/* written under lock and slots_lock */
	bool use_cmma;			/* [l] KVM_S390_VM_MEM_ENABLE_CMMA */

	/*
	 * vm_attr.c, KVM_S390_VM_TOD: the guest's TOD clock (epoch index in
	 * bits 71-64, bits 0-63 of the clock below them) minus the host's
	 * TOD clock since boot (the host's clock minus tod_clock_base, which
	 * the kernel moves along when it steers the clock), modulo 2^72.
	 * Each SIE entry turns it into the state description's epoch
	 * (sie.c), so that a guest or userspace setting the clock reaches
	 * every vCPU at its next entry.
	 */
	spinlock_t tod_lock;
	__uint128_t tod_offset;		/* [t] */

	/*
	 * Guests (NULL with api_only): the guest address space, mapped
	 * from the memslots segment by segment (s390.c), and the SCA.
	 */
	struct gmap *gmap;		/* (c) */
	struct list_head gmap_node;	/* sie.c: s390_gmap_vms */
	struct s390_bsca *sca;		/* (c) entries: [l] */
	/* The guest's facility list for STFLE, 31-bit addressable. */
	u64 *fac_list;			/* (c) page; copied from model [l] */

	/* interrupt.c */
	struct s390_float_irqs flt;
	/* A vCPU in enabled wait (sleeps for an interrupt): bit vcpu_idx. */
	unsigned long idle_mask;	/* (a) */

	/* KVM_ENABLE_CAP on the VM. */
	bool irqchip;			/* [l] KVM_CAP_S390_IRQCHIP */
	bool user_sigp;			/* (a) KVM_CAP_S390_USER_SIGP */
	bool user_stsi;			/* (a) KVM_CAP_S390_USER_STSI */
	bool user_instr0;		/* (a) KVM_CAP_S390_USER_INSTR0 */
	bool user_cpu_state;		/* (a) KVM_SET_MP_STATE used */
	bool css_support;		/* (a) KVM_CAP_S390_CSS_SUPPORT */

	/* adapter.c: the FLIC's adapters, the GSI routing and irqfds. */
	struct mutex adapter_lock;
	struct s390_adapter *adapters[S390_MAX_ADAPTERS];	/* [a] */
	struct s390_routing __rcu *routing;	/* [a], read under RCU */
	/* Adapter-interruption suppression: single and no-more masks by ISC. */
	u8 ais_simm, ais_nimm;		/* [a] */
	spinlock_t irqfds_lock;
	struct list_head irqfds;	/* under irqfds_lock, RCU read */
	struct workqueue_struct *irqfd_wq;	/* [a] made with the first */

	/* Serialises the start and stop of vCPUs (SIGP, KVM_RUN). */
	spinlock_t start_stop_lock;
};

/* Local (per-vCPU) interrupts and their payloads. */
struct s390_local_irqs {
	unsigned long pending;			/* [i] S390_IRQ_* bits */
	struct kvm_s390_pgm_info pgm;		/* [i] */
	struct kvm_s390_extcall_info extcall;	/* [i] */
	struct kvm_s390_ext_info pfault_init;	/* [i] */
	struct kvm_s390_prefix_info prefix;	/* [i] */
	struct kvm_s390_stop_info stop;		/* [i] */
	struct kvm_s390_mchk_info mchk;		/* [i] */
	DECLARE_BITMAP(emergency, S390_MAX_VCPUS); /* [i] by source */
};

/* nkvm_s390_vcpu.requests */
enum {
	S390_REQ_PREFIX,	/* fault in and watch the prefix pages */
	S390_REQ_OPEREXC,	/* intercept operation exceptions */
};

struct nkvm_s390_vcpu {
	struct nkvm_vcpu vcpu;		/* must be first */

	struct s390_sie_page *sie_page;	/* (c) */
	struct s390_sie_block *scb;	/* (c) [r]; cpuflags and prog20 (a) */

	spinlock_t irq_lock;		/* the [i] fields */
	struct s390_local_irqs irq;
	/* Ends an enabled wait at the guest's CPU-timer/clock-comparator. */
	struct hrtimer wait_timer;
	unsigned long requests;		/* (a) S390_REQ_* */

	/* The host's state while the guest's is loaded (sie.c). */
	u32 host_acrs[NUM_ACRS];	/* [m] */
	__u32 host_fpc;			/* [m] */
	void *host_fpregs;		/* [m] */

	/* KVM_SYNC_PFAULT, KVM_SYNC_DIAG318 */
	u64 pfault_token, pfault_select, pfault_compare;	/* [r] */
	u64 diag318;			/* [r] */

	/* sie.c: the lowcore gmap follows this thread while in KVM_RUN. */
	struct preempt_notifier pn;	/* [m] */
	/*
	 * gaccess.c: the program interruption the last failed guest access
	 * would raise (MEM_OP's KVM_S390_MEMOP_F_INJECT_EXCEPTION).
	 */
	struct kvm_s390_pgm_info last_pgm;	/* [m] */
};

static inline struct nkvm_s390_vm *to_s390_vm(struct nkvm_vm *vm)
{
	return container_of(vm, struct nkvm_s390_vm, vm);
}

static inline struct nkvm_s390_vcpu *to_s390_vcpu(struct nkvm_vcpu *vcpu)
{
	return container_of(vcpu, struct nkvm_s390_vcpu, vcpu);
}

static inline struct nkvm_s390_vm *s390_vm_of(struct nkvm_s390_vcpu *v)
{
	return to_s390_vm(v->vcpu.vm);
}

static inline u64 *s390_gprs(struct nkvm_s390_vcpu *v)
{
	return v->vcpu.run->s.regs.gprs;
}

static inline u32 s390_prefix(struct nkvm_s390_vcpu *v)
{
	return READ_ONCE(v->scb->prefix_ibc) & SIE_PREFIX_MASK;
}

static inline bool s390_cpuflag(struct nkvm_s390_vcpu *v, u32 flag)
{
	return atomic_read(&v->scb->cpuflags) & flag;
}

static inline void s390_set_cpuflags(struct nkvm_s390_vcpu *v, u32 flags)
{
	atomic_or(flags, &v->scb->cpuflags);
}

static inline void s390_clear_cpuflags(struct nkvm_s390_vcpu *v, u32 flags)
{
	atomic_andnot(flags, &v->scb->cpuflags);
}

static inline bool s390_stopped(struct nkvm_s390_vcpu *v)
{
	return s390_cpuflag(v, SIE_CPU_STOPPED);
}

/* The vCPU with CPU address id, or NULL. */
struct nkvm_s390_vcpu *s390_vcpu_by_id(struct nkvm_vm *vm, u32 id);

/* vm_attr.c */
void s390_vm_attr_init(struct nkvm_s390_vm *svm);
int s390_vm_attr(struct nkvm_vm *vm, unsigned int ioctl,
		 struct kvm_device_attr *attr);
bool s390_vm_has_facility(struct nkvm_s390_vm *svm, unsigned int nr);
void s390_epoch(struct nkvm_s390_vm *svm, u64 *epoch, u8 *epdx);
void s390_set_guest_tod(struct nkvm_s390_vm *svm,
			const struct kvm_s390_vm_tod_clock *gtod);

/* vcpu.c */
int s390_vcpu_create(struct nkvm_vcpu *vcpu);
void s390_vcpu_destroy(struct nkvm_vcpu *vcpu);
long s390_vcpu_ioctl(struct nkvm_vcpu *vcpu, unsigned int ioctl,
		     unsigned long arg);
long s390_vcpu_async_ioctl(struct nkvm_vcpu *vcpu, unsigned int ioctl,
			   unsigned long arg);
void s390_set_prefix(struct nkvm_s390_vcpu *v, u32 prefix);
void s390_vcpu_start(struct nkvm_s390_vcpu *v);
void s390_vcpu_stop(struct nkvm_s390_vcpu *v);
void s390_set_cpu_timer(struct nkvm_s390_vcpu *v, u64 cputm);

/* sie.c */
void s390_vcpu_run_begin(struct nkvm_vcpu *vcpu);
void s390_vcpu_run_end(struct nkvm_vcpu *vcpu);
int s390_vcpu_enter(struct nkvm_vcpu *vcpu);
int s390_sync_regs_in(struct nkvm_vcpu *vcpu, u64 *dirty);
void s390_sync_regs_out(struct nkvm_vcpu *vcpu, u64 valid);
int s390_vcpu_complete_exit(struct nkvm_vcpu *vcpu);
void s390_vcpu_kick(struct nkvm_s390_vcpu *v);
void s390_vcpu_kick_sync(struct nkvm_s390_vcpu *v);
void s390_sca_del(struct nkvm_s390_vcpu *v);
void s390_gmap_vm_add(struct nkvm_s390_vm *svm);
void s390_gmap_vm_del(struct nkvm_s390_vm *svm);
void s390_gmap_vcpu_sync(void);
int s390_sie_setup(void);
void s390_sie_unsetup(void);

#endif /* _NKVM_S390_H */
