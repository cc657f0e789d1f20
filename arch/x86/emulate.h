/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 instruction emulator, vendor-neutral: the MOV forms a guest
 * uses to reach MMIO (a GPA outside every memslot), the string forms
 * STOS, LODS and MOVS there, and the string port I/O INS and OUTS (pio.c).
 * The vendor hands over the special registers; instructions and string
 * operands are reached through the guest's own page tables.
 */
#ifndef _NKVM_X86_EMULATE_H
#define _NKVM_X86_EMULATE_H

#include <linux/types.h>

struct kvm_sregs;
struct nkvm_vm;
struct nkvm_x86_vcpu;

/* An MMIO read that the next KVM_RUN completes with run->mmio.data. */
struct nkvm_x86_mmio {
	bool pending;
	bool sign;			/* sign-extend, else zero-extend */
	bool high8;			/* destination is AH, CH, DH or BH */
	u8 reg;				/* destination GPR, by its encoding */
	u8 len;				/* bytes read */
	u8 dst_size;			/* destination operand bytes */
	u8 str;				/* a string opcode (LODS, MOVS), or 0 */
	bool rep;			/* str: with a REP prefix */
	u8 adsz;			/* str: address size, bytes */
	u64 rip;			/* the instruction */
	u64 next_rip;			/* the one after it */
};

/*
 * Emulate the instruction at CS:RIP, which faulted on gpa (outside every
 * memslot): fills kvm_run with KVM_EXIT_MMIO (a write is complete and RIP
 * moved on; a read waits for nkvm_x86_complete_mmio()) or with
 * KVM_EXIT_INTERNAL_ERROR when the instruction is not one we know. A
 * string instruction does one iteration per exit; under REP, RCX counts
 * it and RIP stays on the instruction, which the guest runs again (with
 * RCX 0 it does nothing). An in-kernel device on the MMIO bus (an
 * ioeventfd, a coalesced zone) gets the access first; when it takes it,
 * the instruction completes here. Returns 0 (an exit for userspace), 1
 * (enter the guest again) or -errno. Called with vcpu->mutex held, from the vCPU
 * thread (whose mm is the VM's).
 */
int nkvm_x86_emulate_mmio(struct nkvm_x86_vcpu *xv,
			  const struct kvm_sregs *sregs, u64 gpa);

/*
 * Finish a pending MMIO read: the destination register (or, for MOVS,
 * the guest memory at ES:RDI) gets the data and RIP moves on. Returns
 * true when the instruction completed (the vendor then drops any
 * interrupt shadow), false when userspace moved RIP meanwhile and the
 * instruction was abandoned.
 */
bool nkvm_x86_complete_mmio(struct nkvm_x86_vcpu *xv,
			    const struct kvm_sregs *sregs);

/* The vCPU mmap page that carries port I/O data (kvm_run is page 0). */
#define NKVM_X86_PIO_PAGE	1

/* An IN or OUT that exited to userspace, completed at the next KVM_RUN. */
struct nkvm_x86_pio {
	bool pending;
	bool in;
	u8 size;			/* 1, 2 or 4 bytes */
	u64 rip;			/* the instruction */
	u64 next_rip;			/* the one after it */
};

/*
 * IN or OUT (not the string forms) of size bytes at port, which exited;
 * next_rip is the instruction after it. An in-kernel device (an
 * ioeventfd, a coalesced zone) takes it first: the instruction is then
 * complete and 1 is returned (enter again). Otherwise kvm_run says
 * KVM_EXIT_IO and 0 is returned; as stock, RIP moves on (and IN data
 * lands in RAX) only at the next KVM_RUN (nkvm_x86_complete_pio()), but
 * after an OUT to 0x7e under KVM_X86_QUIRK_OUT_7E_INC_RIP. *done: the
 * instruction completed here (the vendor then drops its interrupt
 * shadow).
 */
int nkvm_x86_pio(struct nkvm_x86_vcpu *xv, struct nkvm_x86_pio *pio, bool in,
		 unsigned int size, u16 port, u64 next_rip, bool *done);

/*
 * At the next KVM_RUN: an IN's data into RAX, RIP on. False when nothing
 * was pending or userspace moved RIP meanwhile (the instruction is then
 * abandoned).
 */
bool nkvm_x86_complete_pio(struct nkvm_x86_vcpu *xv, struct nkvm_x86_pio *pio);

/* An INS whose data the next KVM_RUN stores into guest memory. */
struct nkvm_x86_strio {
	bool pending;
	bool rep;
	bool mode64;			/* 64-bit mode: linear addresses */
	u8 size;			/* bytes per element */
	u8 adsz;			/* address size, bytes */
	u16 count;			/* elements in the data page */
	u64 rip;			/* the instruction */
	u64 next_rip;			/* the one after it */
};

/*
 * INS or OUTS at CS:RIP, which exited on port with elements of size bytes
 * (the vendor's exit information). OUTS: one element is read from guest
 * memory into the PIO data page, RSI/RCX move on and kvm_run says
 * KVM_EXIT_IO. INS: KVM_EXIT_IO for as many elements as stock KVM reads
 * ahead; st remembers them for nkvm_x86_complete_string_pio(). Under REP,
 * RIP stays on the instruction; the guest runs it again. Returns 0 (an
 * exit for userspace), 1 (enter again: a REP with RCX 0 was skipped) or
 * -errno. Called as nkvm_x86_emulate_mmio().
 */
int nkvm_x86_string_pio(struct nkvm_x86_vcpu *xv,
			const struct kvm_sregs *sregs,
			struct nkvm_x86_strio *st, bool in,
			unsigned int size, u16 port);

/*
 * Store the data of a pending INS into guest memory at ES:RDI and move
 * RDI, RCX and (without REP) RIP on. False when userspace moved RIP
 * meanwhile and the instruction was abandoned.
 */
bool nkvm_x86_complete_string_pio(struct nkvm_x86_vcpu *xv,
				  const struct kvm_sregs *sregs,
				  struct nkvm_x86_strio *st);

/* For pio.c: the decoder and the string-operand helpers of emulate.c. */

#define NKVM_X86_MAX_INSN	15

/* Segment registers by their encoding (also SVM's IOIO SEG field). */
enum nkvm_x86_seg {
	NKVM_SEG_ES, NKVM_SEG_CS, NKVM_SEG_SS, NKVM_SEG_DS, NKVM_SEG_FS,
	NKVM_SEG_GS,
};

struct nkvm_x86_insn {
	u8 bytes[NKVM_X86_MAX_INSN];
	unsigned int avail;		/* bytes fetched */
	unsigned int len;		/* bytes decoded so far */
	bool mode64;
	unsigned int opsz;		/* operand size, bytes */
	unsigned int adsz;		/* address size, bytes */
	u8 rex;
	u8 modrm;
	u8 sib;
	bool lock;			/* an f0 prefix */
	u64 disp;			/* ModRM displacement, sign-extended */
	int seg;			/* segment override, or -1 */
	u8 rep;				/* 0xf2, 0xf3 or 0 */
	u8 opcode;			/* the first opcode byte */
	u64 rip, next_rip_mask;
};

/* Fetch the instruction at CS:RIP and decode its prefixes: 0 or -EINVAL. */
int nkvm_x86_decode_prefixes(struct nkvm_x86_vcpu *xv,
			     const struct kvm_sregs *sregs,
			     struct nkvm_x86_insn *in);
/* The RIP after the in->len bytes decoded so far. */
u64 nkvm_x86_insn_next_rip(const struct nkvm_x86_insn *in);
/* The linear address of seg:reg, reg truncated to the address size. */
u64 nkvm_x86_str_linear(const struct kvm_sregs *sregs, bool mode64,
			unsigned int adsz, int seg, u64 reg);
/* reg += delta in the address size (16 bits: the upper ones are kept). */
void nkvm_x86_str_add(unsigned int adsz, u64 *reg, s64 delta);
/* reg truncated to the address size. */
u64 nkvm_x86_str_mask(unsigned int adsz, u64 reg);
/* Guest linear memory, page by page through the guest's tables. */
int nkvm_x86_read_linear(struct nkvm_x86_vcpu *xv,
			 const struct kvm_sregs *sregs, bool mode64, u64 la,
			 void *buf, unsigned int len);
int nkvm_x86_write_linear(struct nkvm_x86_vcpu *xv,
			  const struct kvm_sregs *sregs, bool mode64, u64 la,
			  const void *buf, unsigned int len);
/*
 * Linear address la to guest physical through the guest's paging as the
 * special registers describe it (none: la itself). Only present bits are
 * checked. 0, or -EFAULT when a level is not present or unreadable.
 */
int nkvm_x86_translate(struct nkvm_x86_vcpu *xv, const struct kvm_sregs *sregs,
		       u64 la, u64 *gpa);
/* A guest instruction that writes a control register. */
struct nkvm_x86_cr_write {
	unsigned int cr;		/* n of CRn */
	u64 val;			/* the value the CPU would write */
	u64 next_rip;			/* RIP after the instruction */
};

/*
 * Decode the instruction at CS:RIP that a control register intercept
 * stopped: MOV to CRn, CLTS or LMSW (with a register or memory operand;
 * for CLTS and LMSW, w->val is the whole new CR0). The value is not checked. 0,
 * -EINVAL for another instruction (in holds its bytes for
 * nkvm_x86_emulation_failure()) or -EFAULT when LMSW's operand is
 * unreachable through the guest's page tables.
 */
int nkvm_x86_decode_cr_write(struct nkvm_x86_vcpu *xv,
			     const struct kvm_sregs *sregs,
			     struct nkvm_x86_insn *in,
			     struct nkvm_x86_cr_write *w);
/* KVM_EXIT_INTERNAL_ERROR, KVM_INTERNAL_ERROR_EMULATION, with the bytes. */
void nkvm_x86_emulation_failure(struct nkvm_x86_vcpu *xv,
				const struct nkvm_x86_insn *in, u64 gpa);

#endif /* _NKVM_X86_EMULATE_H */
