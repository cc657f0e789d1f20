/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arm64 backend: guests run at EL1/EL0 under a host kernel that itself
 * runs at EL2 in VHE mode (HCR_EL2.E2H=1). The module switches worlds
 * from EL2 (switch.S, hyp.c), maps guest memory with a stage-2 table per
 * VM (stage2.c), emulates what traps (exit.c, sysregs.c, psci.c, mmio.c)
 * and answers the vCPU API (reset.c, regs.c).
 *
 * Legends as in include/nkvm/nkvm.h, plus:
 *   [p]  protected by nkvm_arm64_vcpu.mp_lock
 *   [r]  only the vCPU's own thread (inside KVM_RUN or a vCPU ioctl, so
 *        vcpu->mutex is held) reads and writes it
 */
#ifndef _NKVM_ARM64_H
#define _NKVM_ARM64_H

#include <linux/bitmap.h>
#include <linux/spinlock.h>
#include <asm/esr.h>
#include <asm/kvm_arm.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>

#include <nkvm/nkvm.h>

#define ARM64_MAX_VCPUS		512
#define ARM64_VCPU_FEATURES	7	/* KVM_ARM_VCPU_* bits we know */

/* The features KVM_ARM_VCPU_INIT accepts (the others: ENOENT/EINVAL). */
#define ARM64_FEATURES_OK	(BIT(KVM_ARM_VCPU_POWER_OFF) | \
				 BIT(KVM_ARM_VCPU_EL1_32BIT) | \
				 BIT(KVM_ARM_VCPU_PSCI_0_2))

/* The guest's stage-2 table (stage2.c). */
struct arm64_stage2 {
	u64 *root;			/* (c) start-level table(s) */
	unsigned int root_pages;	/* (c) concatenated start tables */
	int start_level;		/* (c) 0..2 (4 KiB granule) */
	unsigned int ipa_bits;		/* (c) */
	u64 vtcr;			/* (c) VTCR_EL2 for this VM */
	u64 vttbr;			/* (c) root | VMID */
	u16 vmid;			/* (c) */
};

/* Tables one fault may need, allocated before mmu_lock is taken. */
#define ARM64_S2_CACHE_PAGES	4
struct arm64_s2_cache {
	unsigned int nr;
	void *pages[ARM64_S2_CACHE_PAGES];
};

struct nkvm_arm64_vm {
	struct nkvm_vm vm;		/* must be first */
	unsigned int ipa_bits;		/* (c) guest physical address width */
	struct arm64_stage2 s2;		/* (c) tables under vm.mmu_lock */
	/* KVM_CAP_ARM_NISV_TO_USER: report ISV=0 aborts to userspace. */
	bool nisv_to_user;		/* [l] */
	/* AArch32 EL1 (EL1_32BIT): set by the first vCPU initialised. */
	int el1_32bit;			/* [l] -1 until a vCPU is initialised */
	/* KVM_CAP_ARM_SYSTEM_SUSPEND: PSCI SYSTEM_SUSPEND exits to user. */
	bool system_suspend;		/* [l], read with READ_ONCE */
	bool has_run;			/* (a) a vCPU entered the guest */
	u32 psci_version;		/* (a) 0: the default for the vCPU */
	/* The SMCCC services the guest may call (firmware registers). */
	unsigned long smccc_std;	/* [l], read with READ_ONCE */
	unsigned long smccc_std_hyp;	/* [l], read with READ_ONCE */
	unsigned long smccc_vendor;	/* [l], read with READ_ONCE */
	u64 cntvoff;			/* (a) CNTVOFF_EL2 of every vCPU */
	/*
	 * Per physical CPU: the vcpu_idx of the vCPU that last entered this
	 * VM there (-1: none); written by the world switch, preemption off.
	 */
	int __percpu *last_vcpu_ran;	/* (c) the pointer */
};

/*
 * EL1 system registers and the other per-vCPU registers kept in memory
 * between entries (sysregs.c owns their table, hyp.c loads them).
 */
enum arm64_sysreg {
	SR_SCTLR_EL1,
	SR_ACTLR_EL1,
	SR_CPACR_EL1,
	SR_TTBR0_EL1,
	SR_TTBR1_EL1,
	SR_TCR_EL1,
	SR_ESR_EL1,
	SR_AFSR0_EL1,
	SR_AFSR1_EL1,
	SR_FAR_EL1,
	SR_PAR_EL1,
	SR_MAIR_EL1,
	SR_AMAIR_EL1,
	SR_VBAR_EL1,
	SR_DISR_EL1,
	SR_CONTEXTIDR_EL1,
	SR_TPIDR_EL1,
	SR_CNTKCTL_EL1,
	SR_CSSELR_EL1,
	SR_TPIDR_EL0,
	SR_TPIDRRO_EL0,
	SR_MPIDR_EL1,
	SR_MDSCR_EL1,
	SR_MDCCINT_EL1,
	SR_OSLSR_EL1,
	SR_DBGVCR32_EL2,
	SR_DACR32_EL2,
	SR_IFSR32_EL2,
	SR_FPEXC32_EL2,
	SR_CNTV_CTL_EL0,
	SR_CNTV_CVAL_EL0,
	SR_CNTP_CTL_EL0,
	SR_CNTP_CVAL_EL0,
	SR_DBGBVR0_EL1,				/* 16 each, in this order */
	SR_DBGBCR0_EL1 = SR_DBGBVR0_EL1 + 16,
	SR_DBGWVR0_EL1 = SR_DBGBCR0_EL1 + 16,
	SR_DBGWCR0_EL1 = SR_DBGWVR0_EL1 + 16,
	SR_NR = SR_DBGWCR0_EL1 + 16,
};

/* The 32-bit SPSRs of an AArch32 EL1 (kvm_regs.spsr[1..4]). */
struct arm64_spsr32 {
	u64 abt, und, irq, fiq;
};

/* What the last exit was (exit.c). */
struct arm64_exit {
	u64 code;			/* NKVM_ARM64_EXIT_* from switch.S */
	u64 esr;			/* ESR_EL2 */
	u64 far;			/* FAR_EL2 */
	u64 hpfar;			/* HPFAR_EL2 */
};

/* An MMIO read userspace completes at the next KVM_RUN (mmio.c). */
struct arm64_mmio {
	bool pending;			/* an MMIO exit awaits completion */
	bool is_write;
	bool sign_extend;
	bool sixty_four;		/* Rt is X (SF=1), else W */
	u8 rt;
	u8 len;
};

struct nkvm_arm64_vcpu {
	struct nkvm_vcpu vcpu;		/* must be first */

	/*
	 * The guest's registers, loaded around each entry. regs is laid out
	 * as KVM_GET_ONE_REG's core registers (struct kvm_regs); switch.S
	 * reaches x0-x30 and SP_EL0 at fixed offsets into it.
	 */
	struct kvm_regs regs;		/* [r] */
	struct arm64_spsr32 spsr32;	/* [r] */
	u64 sys[SR_NR];			/* [r] */
	u64 hcr;			/* [r] HCR_EL2 for the guest */
	/* sys[SR_MPIDR_EL1] as other vCPUs see it (PSCI). */
	u64 mpidr;			/* (a) written by the vCPU's thread */

	/* KVM_ARM_VCPU_INIT. */
	int target;			/* [r] -1 until initialised */
	DECLARE_BITMAP(features, ARM64_VCPU_FEATURES); /* [r] */
	bool has_run;			/* [r] entered the guest once */

	/* PSCI power state, changed by other vCPUs too (psci.c). */
	spinlock_t mp_lock;
	u32 mp_state;			/* [p] KVM_MP_STATE_* */
	bool reset_pending;		/* [p] CPU_ON: reset with reset_pc */
	u64 reset_pc;			/* [p] */
	u64 reset_x0;			/* [p] */
	bool reset_be;			/* [p] */

	/* KVM_IRQ_LINE of type CPU: HCR_EL2.VI / VF (bits 0, 1). */
	unsigned long irq_lines;	/* (a) */

	struct arm64_exit exit;		/* [r] */
	struct arm64_mmio mmio;		/* [r] */
	bool inject_failed;		/* [r] an exception could not be given */
	struct arm64_s2_cache s2_cache;	/* [r] */
};

#define ARM64_IRQ_LINE_IRQ	0
#define ARM64_IRQ_LINE_FIQ	1

static inline struct nkvm_arm64_vm *to_avm(struct nkvm_vm *vm)
{
	return container_of(vm, struct nkvm_arm64_vm, vm);
}

static inline struct nkvm_arm64_vcpu *to_av(struct nkvm_vcpu *vcpu)
{
	return container_of(vcpu, struct nkvm_arm64_vcpu, vcpu);
}

static inline struct nkvm_arm64_vm *av_vm(struct nkvm_arm64_vcpu *av)
{
	return to_avm(av->vcpu.vm);
}

static inline bool arm64_vcpu_initialized(struct nkvm_arm64_vcpu *av)
{
	return av->target >= 0;
}

static inline bool arm64_el1_is_32bit(struct nkvm_arm64_vcpu *av)
{
	return test_bit(KVM_ARM_VCPU_EL1_32BIT, av->features);
}

/* General register n of the guest; 31 reads as zero (XZR). */
static inline u64 arm64_get_reg(struct nkvm_arm64_vcpu *av, unsigned int n)
{
	return n < 31 ? av->regs.regs.regs[n] : 0;
}

static inline void arm64_set_reg(struct nkvm_arm64_vcpu *av, unsigned int n,
				 u64 val)
{
	if (n < 31)
		av->regs.regs.regs[n] = val;
}

static inline bool arm64_mode_is_32bit(struct nkvm_arm64_vcpu *av)
{
	return av->regs.regs.pstate & PSR_MODE32_BIT;
}

/* switch.S: exit codes of nkvm_arm64_enter(). */
#define NKVM_ARM64_EXIT_SYNC	0	/* a synchronous exception */
#define NKVM_ARM64_EXIT_IRQ	1	/* a physical IRQ or FIQ */
#define NKVM_ARM64_EXIT_SERROR	2	/* a physical SError */
#define NKVM_ARM64_EXIT_IL	3	/* the ERET was an illegal return */

/* arm64.c */
extern unsigned int arm64_ipa_limit;
extern unsigned int arm64_vmid_bits;
extern bool arm64_has_el1_32bit;
extern bool arm64_has_el0_32bit;

/* run.c */
int arm64_vcpu_enter(struct nkvm_vcpu *vcpu);
int arm64_vcpu_complete_exit(struct nkvm_vcpu *vcpu);
bool arm64_irq_pending(struct nkvm_vcpu *vcpu);

/* hyp.c: enter the guest once; interrupts and preemption off. */
void arm64_world_switch(struct nkvm_arm64_vcpu *av);
int arm64_hyp_init(void);

/* switch.S, and the C it calls on an EL2 bug (hyp.c) */
u64 nkvm_arm64_enter(struct kvm_regs *regs, u64 vectors);
asmlinkage void __noreturn nkvm_arm64_hyp_panic(u64 esr, u64 elr, u64 far,
						u64 spsr);
void nkvm_arm64_fp_save(struct user_fpsimd_state *fp);
void nkvm_arm64_fp_load(const struct user_fpsimd_state *fp);
extern char nkvm_arm64_vectors[];

/* stage2.c */
int arm64_s2_init(struct nkvm_arm64_vm *avm);
void arm64_s2_destroy(struct nkvm_arm64_vm *avm);
void arm64_s2_cache_free(struct arm64_s2_cache *cache);
int arm64_s2_fault(struct nkvm_arm64_vcpu *av, u64 ipa, bool write,
		   bool exec);
bool arm64_s2_unmap(struct nkvm_vm *vm, nkvm_gfn_t start, nkvm_gfn_t end);
bool arm64_s2_write_protect(struct nkvm_vm *vm, nkvm_gfn_t start,
			    nkvm_gfn_t end);
void arm64_s2_flush(struct nkvm_vm *vm);
int arm64_vmid_init(void);

/* exit.c */
int arm64_handle_exit(struct nkvm_arm64_vcpu *av);
void arm64_skip_instr(struct nkvm_arm64_vcpu *av);
void arm64_inject_undef(struct nkvm_arm64_vcpu *av);
void arm64_inject_abort(struct nkvm_arm64_vcpu *av, bool instr, u64 addr);
void arm64_inject_serror(struct nkvm_arm64_vcpu *av);

/* mmio.c */
int arm64_handle_dabt(struct nkvm_arm64_vcpu *av);
int arm64_handle_iabt(struct nkvm_arm64_vcpu *av);
int arm64_mmio_complete(struct nkvm_arm64_vcpu *av);

/* psci.c */
int arm64_psci_call(struct nkvm_arm64_vcpu *av, u32 fn);
u32 arm64_psci_version(struct nkvm_arm64_vcpu *av);
int arm64_set_psci_version(struct nkvm_arm64_vcpu *av, u64 val);

/* smccc.c */
void arm64_smccc_init(struct nkvm_arm64_vm *avm);
void arm64_smccc_ret(struct nkvm_arm64_vcpu *av, u64 a0, u64 a1, u64 a2,
		     u64 a3);
int arm64_handle_hvc(struct nkvm_arm64_vcpu *av);
int arm64_handle_smc(struct nkvm_arm64_vcpu *av);
int arm64_get_fw_reg(struct nkvm_arm64_vcpu *av, u64 id, u64 *val);
int arm64_set_fw_reg(struct nkvm_arm64_vcpu *av, u64 id, u64 val);
unsigned int arm64_fw_reg_ids(u64 *ids);

/* timer.c */
u64 arm64_phys_count(void);
void arm64_timer_vm_init(struct nkvm_arm64_vm *avm);
bool arm64_is_timer_reg(u64 id);
int arm64_timer_get_reg(struct nkvm_arm64_vcpu *av, u64 id, u64 *val);
int arm64_timer_set_reg(struct nkvm_arm64_vcpu *av, u64 id, u64 val);

/* sysregs.c */
int arm64_sysregs_init(void);
int arm64_handle_sysreg(struct nkvm_arm64_vcpu *av);
void arm64_reset_sysregs(struct nkvm_arm64_vcpu *av);
int arm64_get_sysreg(struct nkvm_arm64_vcpu *av, u64 id, u64 *val);
int arm64_set_sysreg(struct nkvm_arm64_vcpu *av, u64 id, u64 val);
unsigned int arm64_sysreg_ids(u64 *ids);
u32 arm64_guest_midr(void);

/* reset.c */
long arm64_vcpu_init(struct nkvm_arm64_vcpu *av, void __user *argp);
long arm64_get_mp_state(struct nkvm_arm64_vcpu *av, void __user *argp);
long arm64_set_mp_state(struct nkvm_arm64_vcpu *av, void __user *argp);
void arm64_reset_vcpu(struct nkvm_arm64_vcpu *av);
u32 arm64_target(void);
void arm64_vcpu_power_off(struct nkvm_arm64_vcpu *av);
bool arm64_vcpu_stopped(struct nkvm_arm64_vcpu *av);

/* regs.c */
long arm64_one_reg(struct nkvm_arm64_vcpu *av, unsigned int ioctl,
		   void __user *argp);
long arm64_reg_list(struct nkvm_arm64_vcpu *av, void __user *argp);

#endif /* _NKVM_ARM64_H */
