/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The EL2 world switch: from the host kernel (EL2, VHE) into a guest at
 * EL1/EL0 and back, and the EL2 vectors in place while the guest runs.
 *
 * INVARIANT: every path out of nkvm_arm64_enter() gives the host back
 * exactly the state it had on the way in: x18-x30 and SP, SP_EL0 (the
 * kernel's `current`), PSTATE.PAN and VBAR_EL2. The guest can touch no
 * other host register here: the caller (hyp.c) switches the rest with
 * interrupts masked (DAIF) and restores it before it unmasks them, and
 * its header lists what it switches.
 *
 * While the guest runs, VBAR_EL2 points at nkvm_arm64_vectors and SP_EL2
 * (the guest cannot reach it) still points at the frame built here: the
 * vectors find everything through SP. Exceptions from the guest (lower
 * EL, AArch64 or AArch32) save the guest's x0-x30 and SP_EL0 into its
 * struct kvm_regs and return from nkvm_arm64_enter() with an exit code.
 * An EL2 exception while the vectors are installed is either the
 * illegal exception return of a bad guest PSTATE (SPSR_EL2.IL set: an
 * exit like the others) or a bug in this file: then the host's VBAR_EL2
 * and SP_EL0 are put back and the kernel panics.
 *
 * Interrupts: the caller masks DAIF before calling; PSTATE after the
 * ERET is the guest's (SPSR_EL2). Physical IRQs, FIQs and SErrors are
 * routed to EL2 (HCR_EL2.IMO/FMO/AMO) and come back here as exits; they
 * stay pending and the host takes them when the caller unmasks DAIF.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>

/* struct kvm_regs (arch/arm64/include/uapi/asm/kvm.h); hyp.c checks them. */
#define REGS_X(n)	(8 * (n))
#define REGS_SP_EL0	248

/* The frame nkvm_arm64_enter() keeps on the host stack while in the guest. */
#define F_X19		0
#define F_X21		16
#define F_X23		32
#define F_X25		48
#define F_X27		64
#define F_X29		80
#define F_X18		96	/* and SP_EL0 at +8 */
#define F_REGS		112	/* struct kvm_regs *, and PAN at +8 */
#define F_VBAR		128	/* the host's VBAR_EL2 */
#define F_SIZE		144

/* Exit codes: arm64.h's NKVM_ARM64_EXIT_*. */
#define EXIT_SYNC	0
#define EXIT_IRQ	1
#define EXIT_SERROR	2
#define EXIT_IL		3

/* PSTATE.PAN as a register operand (ARMv8.1). */
#define PAN_REG		s3_0_c4_c2_3

	.text

/*
 * u64 nkvm_arm64_enter(struct kvm_regs *regs, u64 vectors)
 * DAIF masked, HCR_EL2/VTTBR_EL2 and the guest's system registers loaded
 * by the caller. Returns an EXIT_* code.
 */
SYM_FUNC_START(nkvm_arm64_enter)
	sub	sp, sp, #F_SIZE
	stp	x19, x20, [sp, #F_X19]
	stp	x21, x22, [sp, #F_X21]
	stp	x23, x24, [sp, #F_X23]
	stp	x25, x26, [sp, #F_X25]
	stp	x27, x28, [sp, #F_X27]
	stp	x29, x30, [sp, #F_X29]
	mrs	x2, sp_el0
	stp	x18, x2, [sp, #F_X18]
	mrs	x2, PAN_REG
	stp	x0, x2, [sp, #F_REGS]
	mrs	x2, vbar_el1			// VBAR_EL2 (E2H redirection)
	str	x2, [sp, #F_VBAR]
	msr	vbar_el1, x1
	isb

	ldr	x1, [x0, #REGS_SP_EL0]
	msr	sp_el0, x1
	ldp	x2, x3, [x0, #REGS_X(2)]
	ldp	x4, x5, [x0, #REGS_X(4)]
	ldp	x6, x7, [x0, #REGS_X(6)]
	ldp	x8, x9, [x0, #REGS_X(8)]
	ldp	x10, x11, [x0, #REGS_X(10)]
	ldp	x12, x13, [x0, #REGS_X(12)]
	ldp	x14, x15, [x0, #REGS_X(14)]
	ldp	x16, x17, [x0, #REGS_X(16)]
	ldp	x18, x19, [x0, #REGS_X(18)]
	ldp	x20, x21, [x0, #REGS_X(20)]
	ldp	x22, x23, [x0, #REGS_X(22)]
	ldp	x24, x25, [x0, #REGS_X(24)]
	ldp	x26, x27, [x0, #REGS_X(26)]
	ldp	x28, x29, [x0, #REGS_X(28)]
	ldr	x30, [x0, #REGS_X(30)]
	ldp	x0, x1, [x0, #REGS_X(0)]
	eret
	dsb	nsh				// no speculation past the ERET
	isb
SYM_FUNC_END(nkvm_arm64_enter)

/*
 * From a vector: the guest's x0/x1 are pushed below the frame, x0 holds
 * the exit code. Save the guest, restore the host, return to the caller
 * of nkvm_arm64_enter().
 */
SYM_CODE_START_LOCAL(nkvm_arm64_exit)
	ldr	x1, [sp, #16 + F_REGS]
	stp	x2, x3, [x1, #REGS_X(2)]
	stp	x4, x5, [x1, #REGS_X(4)]
	stp	x6, x7, [x1, #REGS_X(6)]
	stp	x8, x9, [x1, #REGS_X(8)]
	stp	x10, x11, [x1, #REGS_X(10)]
	stp	x12, x13, [x1, #REGS_X(12)]
	stp	x14, x15, [x1, #REGS_X(14)]
	stp	x16, x17, [x1, #REGS_X(16)]
	stp	x18, x19, [x1, #REGS_X(18)]
	stp	x20, x21, [x1, #REGS_X(20)]
	stp	x22, x23, [x1, #REGS_X(22)]
	stp	x24, x25, [x1, #REGS_X(24)]
	stp	x26, x27, [x1, #REGS_X(26)]
	stp	x28, x29, [x1, #REGS_X(28)]
	str	x30, [x1, #REGS_X(30)]
	ldp	x2, x3, [sp], #16		// the guest's x0, x1
	stp	x2, x3, [x1, #REGS_X(0)]
	mrs	x2, sp_el0
	str	x2, [x1, #REGS_SP_EL0]

	ldp	x18, x2, [sp, #F_X18]
	msr	sp_el0, x2
	ldr	x2, [sp, #F_REGS + 8]
	msr	PAN_REG, x2
	ldr	x2, [sp, #F_VBAR]
	msr	vbar_el1, x2
	isb
	ldp	x19, x20, [sp, #F_X19]
	ldp	x21, x22, [sp, #F_X21]
	ldp	x23, x24, [sp, #F_X23]
	ldp	x25, x26, [sp, #F_X25]
	ldp	x27, x28, [sp, #F_X27]
	ldp	x29, x30, [sp, #F_X29]
	add	sp, sp, #F_SIZE
	ret
SYM_CODE_END(nkvm_arm64_exit)

/*
 * An EL2 exception that is not an illegal guest entry: SP still points at
 * the frame (only this file runs with these vectors, never with anything
 * pushed but the guest's x0/x1, which the vectors below do not push on
 * this path). Give the host its vectors and `current` back, then panic.
 */
SYM_CODE_START_LOCAL(nkvm_arm64_el2_bug)
	ldr	x0, [sp, #F_VBAR]
	msr	vbar_el1, x0
	ldr	x0, [sp, #F_X18 + 8]
	msr	sp_el0, x0
	isb
	mrs	x0, esr_el2
	mrs	x1, elr_el2
	mrs	x2, far_el2
	mrs	x3, spsr_el2
	bl	nkvm_arm64_hyp_panic
	b	.
SYM_CODE_END(nkvm_arm64_el2_bug)

/* EL2h synchronous: an illegal ERET to the guest, or a bug. */
SYM_CODE_START_LOCAL(nkvm_arm64_el2_sync)
	mrs	x0, spsr_el2
	tbz	x0, #20, nkvm_arm64_el2_bug	// SPSR.IL
	// the guest's x0/x1 were clobbered reading SPSR: restore from regs
	ldr	x0, [sp, #F_REGS]
	ldp	x0, x1, [x0, #REGS_X(0)]
	stp	x0, x1, [sp, #-16]!
	mov	x0, #EXIT_IL
	b	nkvm_arm64_exit
SYM_CODE_END(nkvm_arm64_el2_sync)

.macro	vector_bug
	.align	7
	b	nkvm_arm64_el2_bug
.endm

.macro	vector_exit code
	.align	7
	stp	x0, x1, [sp, #-16]!
	mov	x0, #\code
	b	nkvm_arm64_exit
.endm

/* VBAR_EL2 while a guest runs: 16 entries of 128 bytes, 2 KiB aligned. */
	.align	11
SYM_CODE_START(nkvm_arm64_vectors)
	vector_bug				// EL2t sync
	vector_bug				// EL2t IRQ
	vector_bug				// EL2t FIQ
	vector_bug				// EL2t SError

	.align	7				// EL2h sync
	b	nkvm_arm64_el2_sync
	vector_bug				// EL2h IRQ (DAIF masked)
	vector_bug				// EL2h FIQ
	vector_bug				// EL2h SError

	vector_exit EXIT_SYNC			// lower EL, AArch64
	vector_exit EXIT_IRQ
	vector_exit EXIT_IRQ			// FIQ
	vector_exit EXIT_SERROR

	vector_exit EXIT_SYNC			// lower EL, AArch32
	vector_exit EXIT_IRQ
	vector_exit EXIT_IRQ
	vector_exit EXIT_SERROR
	.align	7
SYM_CODE_END(nkvm_arm64_vectors)

/* void nkvm_arm64_fp_save(struct user_fpsimd_state *fp) */
SYM_FUNC_START(nkvm_arm64_fp_save)
	stp	q0, q1, [x0, #0]
	stp	q2, q3, [x0, #32]
	stp	q4, q5, [x0, #64]
	stp	q6, q7, [x0, #96]
	stp	q8, q9, [x0, #128]
	stp	q10, q11, [x0, #160]
	stp	q12, q13, [x0, #192]
	stp	q14, q15, [x0, #224]
	stp	q16, q17, [x0, #256]
	stp	q18, q19, [x0, #288]
	stp	q20, q21, [x0, #320]
	stp	q22, q23, [x0, #352]
	stp	q24, q25, [x0, #384]
	stp	q26, q27, [x0, #416]
	stp	q28, q29, [x0, #448]
	stp	q30, q31, [x0, #480]
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x0, x0, #512
	stp	w1, w2, [x0]
	ret
SYM_FUNC_END(nkvm_arm64_fp_save)

/* void nkvm_arm64_fp_load(const struct user_fpsimd_state *fp) */
SYM_FUNC_START(nkvm_arm64_fp_load)
	ldp	q0, q1, [x0, #0]
	ldp	q2, q3, [x0, #32]
	ldp	q4, q5, [x0, #64]
	ldp	q6, q7, [x0, #96]
	ldp	q8, q9, [x0, #128]
	ldp	q10, q11, [x0, #160]
	ldp	q12, q13, [x0, #192]
	ldp	q14, q15, [x0, #224]
	ldp	q16, q17, [x0, #256]
	ldp	q18, q19, [x0, #288]
	ldp	q20, q21, [x0, #320]
	ldp	q22, q23, [x0, #352]
	ldp	q24, q25, [x0, #384]
	ldp	q26, q27, [x0, #416]
	ldp	q28, q29, [x0, #448]
	ldp	q30, q31, [x0, #480]
	add	x0, x0, #512
	ldp	w1, w2, [x0]
	msr	fpsr, x1
	msr	fpcr, x2
	ret
SYM_FUNC_END(nkvm_arm64_fp_load)
