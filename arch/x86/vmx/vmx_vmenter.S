/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMX world switch.
 *
 * int __vmx_vcpu_run(unsigned long *gprs, bool launched)
 *
 * Called with interrupts off and the vCPU's VMCS current on this CPU, its
 * host-state area filled (vmx.c, vmx_run.c) except HOST_RSP, written here:
 * the exit comes back at vmx_vmexit with the stack pointer as it was at
 * the entry, the host's callee-saved registers and gprs on it. VMLAUNCH
 * for a VMCS not launched since its VMCLEAR, else VMRESUME.
 *
 * The guest's GPRs but RSP (a VMCS field) are loaded from and stored back
 * to gprs[], indexed by register number (enum vmx_gpr, vmx.h). Returns 0
 * after a VM exit (a failed entry that the CPU reports as an exit too:
 * its reason has bit 31 set), 1 when VMLAUNCH/VMRESUME failed (VMfail:
 * the host state was never left; VM_INSTRUCTION_ERROR says why) or
 * faulted (VMX off under us: a reboot).
 *
 * What the exit does not restore is restored by vmx_run.c; this file only
 * owns the GPRs and the stack. No guest value is left in a register on
 * return, and the return stack buffer is refilled (guest return addresses
 * must not steer host returns). CPU buffers are cleared before the entry
 * where the host's mitigations ask for it (VM_CLEAR_CPU_BUFFERS).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>

/* The VMCS field encoding of the host's RSP (asm/vmx.h is C only). */
#define HOST_RSP_FIELD	0x6c14

/* Byte offsets in gprs[], the register numbers of enum vmx_gpr (vmx.h). */
#define G_RAX	(0 * 8)
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

	.text
SYM_FUNC_START(__vmx_vcpu_run)
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	/* gprs, at 0(%rsp) when the exit comes back. */
	push	%rdi

	mov	$HOST_RSP_FIELD, %rax
	vmwrite	%rsp, %rax

	/* CF: launched (VMRESUME). Nothing below changes CF. */
	bt	$0, %esi

	/* The guest's GPRs, RAX last as it points at them. */
	mov	%rdi, %rax
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
	mov	G_RAX(%rax), %rax

	/* VERW: changes ZF only. */
	VM_CLEAR_CPU_BUFFERS

	jnc	.Lvmlaunch

	/* A successful entry comes back at vmx_vmexit (HOST_RIP). */
	UNWIND_HINT_SAVE
.Lvmresume:
	vmresume
	jmp	.Lvmfail

.Lvmlaunch:
	vmlaunch
	jmp	.Lvmfail

	_ASM_EXTABLE(.Lvmresume, .Lvmfail)
	_ASM_EXTABLE(.Lvmlaunch, .Lvmfail)

SYM_INNER_LABEL(vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR

	/* Guest RAX aside, then gprs back from the stack. */
	push	%rax
	mov	8(%rsp), %rax
	popq	G_RAX(%rax)
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
	xor	%ebx, %ebx
	jmp	.Lout

.Lvmfail:
	/* The entry failed: the guest's values are in the registers. */
	mov	$1, %ebx

.Lout:
	/* gprs off the stack. */
	pop	%rax

	/* Guest return addresses must not steer host returns. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	/* Leave no guest value in a register. */
	mov	%ebx, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	RET
SYM_FUNC_END(__vmx_vcpu_run)
