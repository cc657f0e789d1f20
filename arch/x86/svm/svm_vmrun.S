/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SVM world switch.
 *
 * void __svm_vmrun(u64 vmcb_pa, u64 host_vmcb_pa, unsigned long *gprs)
 *
 * Called with interrupts disabled and GIF clear. VMRUN itself switches RAX,
 * RSP, RIP, RFLAGS, the control registers, EFER and the visible segment
 * state; the host's share of that is kept in the per-CPU host save area
 * (MSR_VM_HSAVE_PA). The state VMRUN leaves alone (FS, GS, TR and LDTR with
 * their hidden parts, KERNEL_GS_BASE, STAR/LSTAR/CSTAR/SFMASK and the
 * SYSENTER MSRs) is swapped here with VMSAVE/VMLOAD: the host's goes to
 * host_vmcb_pa, the guest's comes from and goes back to its own VMCB. Until
 * the host's is reloaded GS points at the guest's base, so nothing here may
 * touch per-CPU data. The other guest GPRs are loaded from and stored back
 * to gprs[], indexed by register number.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

/* Byte offsets in gprs[], the register numbers of enum svm_gpr (svm.h). */
#define G_RCX	(1 * 8)
#define G_RDX	(2 * 8)
#define G_RBX	(3 * 8)
#define G_RBP	(5 * 8)
#define G_RSI	(6 * 8)
#define G_RDI	(7 * 8)
#define G_R8	(8 * 8)
#define G_R9	(9 * 8)
#define G_R10	(10 * 8)
#define G_R11	(11 * 8)
#define G_R12	(12 * 8)
#define G_R13	(13 * 8)
#define G_R14	(14 * 8)
#define G_R15	(15 * 8)

/* Our frame, above the host's callee-saved registers. */
#define F_VMCB	0
#define F_HOST	8
#define F_GPRS	16

	.text
SYM_FUNC_START(__svm_vmrun)
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rdx
	push	%rsi
	push	%rdi

	/* The host's VMSAVE/VMLOAD state. */
	mov	%rsi, %rax
	vmsave	%rax

	/* The guest's GPRs, RAX last as it points at them. */
	mov	%rdx, %rax
	mov	G_RCX(%rax), %rcx
	mov	G_RDX(%rax), %rdx
	mov	G_RBX(%rax), %rbx
	mov	G_RBP(%rax), %rbp
	mov	G_RSI(%rax), %rsi
	mov	G_RDI(%rax), %rdi
	mov	G_R8(%rax), %r8
	mov	G_R9(%rax), %r9
	mov	G_R10(%rax), %r10
	mov	G_R11(%rax), %r11
	mov	G_R12(%rax), %r12
	mov	G_R13(%rax), %r13
	mov	G_R14(%rax), %r14
	mov	G_R15(%rax), %r15
	mov	F_VMCB(%rsp), %rax

	vmload	%rax
	/*
	 * With GIF clear no interrupt is taken here, but the guest runs with
	 * the host's IF set, so that a physical interrupt makes it exit
	 * (INTR intercept); it is then delivered once GIF is set again.
	 */
	sti
	vmrun	%rax
	cli

	/* RSP is the host's again; RAX is not ours to trust. */
	mov	F_VMCB(%rsp), %rax
	vmsave	%rax

	mov	F_GPRS(%rsp), %rax
	mov	%rcx, G_RCX(%rax)
	mov	%rdx, G_RDX(%rax)
	mov	%rbx, G_RBX(%rax)
	mov	%rbp, G_RBP(%rax)
	mov	%rsi, G_RSI(%rax)
	mov	%rdi, G_RDI(%rax)
	mov	%r8, G_R8(%rax)
	mov	%r9, G_R9(%rax)
	mov	%r10, G_R10(%rax)
	mov	%r11, G_R11(%rax)
	mov	%r12, G_R12(%rax)
	mov	%r13, G_R13(%rax)
	mov	%r14, G_R14(%rax)
	mov	%r15, G_R15(%rax)

	mov	F_HOST(%rsp), %rax
	vmload	%rax

	/* Guest return addresses must not steer host returns. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	/* Leave no guest value in a caller-saved register. */
	xor	%eax, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$24, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	RET
SYM_FUNC_END(__svm_vmrun)
