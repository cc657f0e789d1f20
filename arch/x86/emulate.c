// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 instruction emulator, for now only what MMIO and string port I/O
 * need: the guest touched a GPA that no memslot backs, the hardware gave
 * us that GPA, and we must learn from the instruction itself the access
 * size, the direction and the register or immediate involved. Neither SVM
 * without decode assists (QEMU's TCG) nor any hardware gives the
 * instruction bytes, so they are fetched at CS.base + RIP through the
 * guest's own page tables.
 *
 * Known forms: MOV r/m,r and MOV r,r/m (88, 89, 8a, 8b), MOV r/m,imm
 * (c6 /0, c7 /0), MOV with a moffs (a0-a3), MOVZX and MOVSX (0f b6, b7,
 * be, bf), with the legacy prefixes 66, 67, segment overrides, LOCK, REP
 * (ignored, as the CPU does for these) and REX in 64-bit mode; and the
 * string forms MOVS, STOS and LODS (a4-a5, aa-ad), with or without REP,
 * one iteration per exit as stock KVM does. A MOVS from MMIO to MMIO
 * drops the data (stock makes a second exit for the write). Other
 * instructions, read-modify-write forms among them, are not emulated:
 * they exit with KVM_INTERNAL_ERROR_EMULATION and the instruction bytes.
 * Segment limits and page protections are not checked.
 *
 * The guest page walk reads the tables and checks only the present bits:
 * the instruction did run, so its page was reachable a moment ago.
 */
#include <linux/mm.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include <nkvm/iobus.h>
#include <nkvm/trace.h>

#include "irqchip/irqchip.h"

#define PTE_P		BIT_ULL(0)
#define PTE_PS		BIT_ULL(7)
#define PTE_ADDR	GENMASK_ULL(51, 12)
#define PDE32_PS_ADDR	GENMASK_ULL(31, 22)
#define PDE32_PS_HIGH	GENMASK_ULL(20, 13)	/* PSE-36: bits 39:32 */

static int emu_read_pte(struct nkvm_vm *vm, u64 gpa, u64 *pte)
{
	*pte = 0;
	return nkvm_read_guest(vm, gpa, pte, sizeof(*pte));
}

/* 32-bit paging: 4-byte entries, 4 KiB or (CR4.PSE) 4 MiB pages. */
static int emu_walk32(struct nkvm_vm *vm, const struct kvm_sregs *s,
		      u32 la, u64 *gpa)
{
	u32 pde = 0, pte = 0;

	if (nkvm_read_guest(vm, (s->cr3 & 0xfffff000) + (la >> 22) * 4, &pde, 4))
		return -EFAULT;
	if (!(pde & PTE_P))
		return -EFAULT;
	if ((pde & PTE_PS) && (s->cr4 & X86_CR4_PSE)) {
		*gpa = (pde & PDE32_PS_ADDR) |
		       ((u64)(pde & PDE32_PS_HIGH) << 19) | (la & 0x3fffff);
		return 0;
	}
	if (nkvm_read_guest(vm, (pde & 0xfffff000) + ((la >> 12) & 0x3ff) * 4,
			    &pte, 4))
		return -EFAULT;
	if (!(pte & PTE_P))
		return -EFAULT;
	*gpa = (pte & 0xfffff000) | (la & 0xfff);
	return 0;
}

/* Linear to guest physical, in the paging mode of the special registers. */
static int emu_walk(struct nkvm_vm *vm, const struct kvm_sregs *s, u64 la,
		    u64 *gpa)
{
	u64 table, pte;
	int level;

	if (!(s->cr0 & X86_CR0_PG)) {
		*gpa = la;
		return 0;
	}
	if (s->efer & EFER_LMA) {
		level = (s->cr4 & X86_CR4_LA57) ? 5 : 4;
		table = s->cr3 & PTE_ADDR;
	} else if (s->cr4 & X86_CR4_PAE) {
		/* The four PDPTEs: 32-byte aligned, below 4 GiB. */
		if (emu_read_pte(vm, (s->cr3 & 0xffffffe0) + ((la >> 30) & 3) * 8,
				 &pte) || !(pte & PTE_P))
			return -EFAULT;
		level = 2;
		table = pte & PTE_ADDR;
	} else {
		return emu_walk32(vm, s, la, gpa);
	}

	for (; level >= 1; level--) {
		unsigned int shift = PAGE_SHIFT + 9 * (level - 1);
		u64 mask = (1ULL << shift) - 1;

		if (emu_read_pte(vm, table + ((la >> shift) & 511) * 8, &pte) ||
		    !(pte & PTE_P))
			return -EFAULT;
		if (level == 1 || (level <= 3 && (pte & PTE_PS))) {
			*gpa = (pte & PTE_ADDR & ~mask) | (la & mask);
			return 0;
		}
		table = pte & PTE_ADDR;
	}
	return -EFAULT;
}

int nkvm_x86_translate(struct nkvm_x86_vcpu *xv, const struct kvm_sregs *sregs,
		       u64 la, u64 *gpa)
{
	return emu_walk(xv->vcpu.vm, sregs, la, gpa);
}

/* la .. la + len - 1, page by page: read into rbuf or write from wbuf. */
static int emu_linear(struct nkvm_x86_vcpu *xv, const struct kvm_sregs *s,
		      bool mode64, u64 la, u8 *rbuf, const u8 *wbuf,
		      unsigned int len)
{
	struct nkvm_vm *vm = xv->vcpu.vm;
	unsigned int done = 0;

	while (done < len) {
		u64 addr = mode64 ? la + done : (u32)(la + done);
		unsigned int n = min_t(unsigned int, len - done,
				       PAGE_SIZE - offset_in_page(addr));
		u64 gpa;
		int r;

		if (emu_walk(vm, s, addr, &gpa))
			return -EFAULT;
		if (wbuf)
			r = nkvm_write_guest(vm, gpa, wbuf + done, n);
		else
			r = nkvm_read_guest(vm, gpa, rbuf + done, n);
		if (r)
			return r;
		done += n;
	}
	return 0;
}

int nkvm_x86_read_linear(struct nkvm_x86_vcpu *xv,
			 const struct kvm_sregs *sregs, bool mode64, u64 la,
			 void *buf, unsigned int len)
{
	return emu_linear(xv, sregs, mode64, la, buf, NULL, len);
}

int nkvm_x86_write_linear(struct nkvm_x86_vcpu *xv,
			  const struct kvm_sregs *sregs, bool mode64, u64 la,
			  const void *buf, unsigned int len)
{
	return emu_linear(xv, sregs, mode64, la, NULL, buf, len);
}

/* The decoder. */

#define REX_W	0x8
#define REX_R	0x4
#define REX_X	0x2
#define REX_B	0x1

static int emu_next(struct nkvm_x86_insn *in, u8 *b)
{
	if (in->len >= in->avail)
		return -EINVAL;
	*b = in->bytes[in->len++];
	return 0;
}

/* A little-endian immediate of size bytes, sign-extended to 64 bits. */
static int emu_imm(struct nkvm_x86_insn *in, unsigned int size, u64 *v)
{
	u64 val = 0;
	unsigned int i;
	u8 b;

	for (i = 0; i < size; i++) {
		if (emu_next(in, &b))
			return -EINVAL;
		val |= (u64)b << (8 * i);
	}
	if (size < 8 && (val & (1ULL << (8 * size - 1))))
		val |= ~0ULL << (8 * size);
	*v = val;
	return 0;
}

static int emu_skip(struct nkvm_x86_insn *in, unsigned int n)
{
	if (in->len + n > in->avail)
		return -EINVAL;
	in->len += n;
	return 0;
}

/* A displacement of size bytes, sign-extended. */
static int emu_disp(struct nkvm_x86_insn *in, unsigned int size)
{
	return emu_imm(in, size, &in->disp);
}

/* ModRM, and for a memory operand the SIB and displacement after it. */
static int emu_modrm_any(struct nkvm_x86_insn *in)
{
	unsigned int mod, rm;

	if (emu_next(in, &in->modrm))
		return -EINVAL;
	mod = in->modrm >> 6;
	rm = in->modrm & 7;
	in->disp = 0;
	if (mod == 3)
		return 0;

	if (in->adsz == 2) {
		if (mod == 1)
			return emu_disp(in, 1);
		if (mod == 2 || (mod == 0 && rm == 6))
			return emu_disp(in, 2);
		return 0;
	}
	if (rm == 4) {
		if (emu_next(in, &in->sib))
			return -EINVAL;
		if (mod == 0 && (in->sib & 7) == 5)
			return emu_disp(in, 4);
	}
	if (mod == 1)
		return emu_disp(in, 1);
	if (mod == 2 || (mod == 0 && rm == 5))
		return emu_disp(in, 4);
	return 0;
}

/* ModRM that must name memory: a register cannot be MMIO. */
static int emu_modrm(struct nkvm_x86_insn *in)
{
	if (emu_modrm_any(in) || (in->modrm >> 6) == 3)
		return -EINVAL;
	return 0;
}

static unsigned int emu_modrm_reg(const struct nkvm_x86_insn *in)
{
	return ((in->modrm >> 3) & 7) | ((in->rex & REX_R) ? 8 : 0);
}

/* The r/m field as a register number (REX.B extends it). */
static unsigned int emu_modrm_rm(const struct nkvm_x86_insn *in)
{
	return (in->modrm & 7) | ((in->rex & REX_B) ? 8 : 0);
}

static const size_t emu_gpr_off[16] = {
	offsetof(struct kvm_regs, rax), offsetof(struct kvm_regs, rcx),
	offsetof(struct kvm_regs, rdx), offsetof(struct kvm_regs, rbx),
	offsetof(struct kvm_regs, rsp), offsetof(struct kvm_regs, rbp),
	offsetof(struct kvm_regs, rsi), offsetof(struct kvm_regs, rdi),
	offsetof(struct kvm_regs, r8), offsetof(struct kvm_regs, r9),
	offsetof(struct kvm_regs, r10), offsetof(struct kvm_regs, r11),
	offsetof(struct kvm_regs, r12), offsetof(struct kvm_regs, r13),
	offsetof(struct kvm_regs, r14), offsetof(struct kvm_regs, r15),
};

static u64 *emu_gpr(struct nkvm_x86_vcpu *xv, unsigned int reg)
{
	return (u64 *)((u8 *)&xv->regs + emu_gpr_off[reg & 15]);
}

/* Without REX, byte registers 4-7 are AH, CH, DH and BH. */
static bool emu_high8(const struct nkvm_x86_insn *in, unsigned int reg,
		      unsigned int size)
{
	return size == 1 && !in->rex && reg >= 4 && reg < 8;
}

static u64 emu_get_reg(struct nkvm_x86_vcpu *xv, unsigned int reg,
		       bool high8)
{
	if (high8)
		return (*emu_gpr(xv, reg - 4) >> 8) & 0xff;
	return *emu_gpr(xv, reg);
}

static void emu_set_reg(struct nkvm_x86_vcpu *xv, unsigned int reg,
			unsigned int size, bool high8, u64 val)
{
	u64 *gpr;

	if (high8) {
		gpr = emu_gpr(xv, reg - 4);
		*gpr = (*gpr & ~0xff00ULL) | ((val & 0xff) << 8);
		return;
	}
	gpr = emu_gpr(xv, reg);
	switch (size) {
	case 1:
		*gpr = (*gpr & ~0xffULL) | (val & 0xff);
		break;
	case 2:
		*gpr = (*gpr & ~0xffffULL) | (val & 0xffff);
		break;
	case 4:
		*gpr = (u32)val;	/* 32-bit writes zero-extend */
		break;
	default:
		*gpr = val;
		break;
	}
}

/* Fetch up to 15 bytes at la; returns how many could be read. */
static unsigned int emu_fetch(struct nkvm_x86_vcpu *xv,
			      const struct kvm_sregs *s, u64 la, bool mode64,
			      u8 *buf)
{
	unsigned int got = 0;

	while (got < NKVM_X86_MAX_INSN) {
		u64 addr = mode64 ? la + got : (u32)(la + got);
		unsigned int n = min_t(unsigned int, NKVM_X86_MAX_INSN - got,
				       PAGE_SIZE - offset_in_page(addr));

		if (emu_linear(xv, s, mode64, addr, buf + got, NULL, n))
			break;
		got += n;
	}
	return got;
}

static bool emu_mode64(const struct kvm_sregs *s)
{
	return (s->efer & EFER_LMA) && s->cs.l;
}

/* Sizes and masks of the code segment's mode, for the instruction at rip. */
static void emu_insn_init(struct nkvm_x86_insn *in,
			  const struct kvm_sregs *sregs, u64 rip)
{
	memset(in, 0, sizeof(*in));
	in->seg = -1;
	in->rip = rip;
	in->mode64 = emu_mode64(sregs);
	if (in->mode64) {
		in->opsz = 4;
		in->adsz = 8;
		in->next_rip_mask = ~0ULL;
	} else if (sregs->cs.db && (sregs->cr0 & X86_CR0_PE)) {
		in->opsz = 4;
		in->adsz = 4;
		in->next_rip_mask = 0xffffffff;
	} else {
		in->opsz = 2;
		in->adsz = 2;
		in->next_rip_mask = 0xffff;
	}
}

/* The prefixes of the fetched bytes, up to and including the opcode byte. */
static int emu_prefixes(struct nkvm_x86_insn *in)
{
	bool opsz_pfx = false, adsz_pfx = false;
	u8 b;

	/* Legacy prefixes, in any order; REX only right before the opcode. */
	for (;;) {
		if (emu_next(in, &b))
			return -EINVAL;
		switch (b) {
		case 0x66:
			opsz_pfx = true;
			break;
		case 0x67:
			adsz_pfx = true;
			break;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			in->seg = (b >> 3) & 3;		/* ES, CS, SS, DS */
			break;
		case 0x64: case 0x65:
			in->seg = NKVM_SEG_FS + (b & 1);
			break;
		case 0xf0:
			in->lock = true;
			break;
		case 0xf2: case 0xf3:
			in->rep = b;
			break;
		default:
			if (in->mode64 && (b & 0xf0) == 0x40) {
				in->rex = b;
				continue;
			}
			goto opcode;
		}
		in->rex = 0;
	}
opcode:
	in->opcode = b;
	if (opsz_pfx)
		in->opsz = in->opsz == 2 ? 4 : 2;
	if (adsz_pfx)
		in->adsz = in->adsz == 4 ? 2 : 4;	/* 64 -> 32 too */
	/* REX.W wins over 66. */
	if (in->rex & REX_W)
		in->opsz = 8;
	return 0;
}

int nkvm_x86_decode_prefixes(struct nkvm_x86_vcpu *xv,
			     const struct kvm_sregs *sregs,
			     struct nkvm_x86_insn *in)
{
	nkvm_stat_inc(&xv->stat.insn_emulation);
	emu_insn_init(in, sregs, xv->regs.rip);
	in->avail = emu_fetch(xv, sregs, sregs->cs.base + in->rip, in->mode64,
			      in->bytes);
	return emu_prefixes(in);
}

u64 nkvm_x86_insn_next_rip(const struct nkvm_x86_insn *in)
{
	return (in->rip + in->len) & in->next_rip_mask;
}

u64 nkvm_x86_str_mask(unsigned int adsz, u64 reg)
{
	if (adsz == 2)
		return (u16)reg;
	if (adsz == 4)
		return (u32)reg;
	return reg;
}

void nkvm_x86_str_add(unsigned int adsz, u64 *reg, s64 delta)
{
	u64 val = *reg + delta;

	if (adsz == 2)
		*reg = (*reg & ~0xffffULL) | (u16)val;
	else if (adsz == 4)
		*reg = (u32)val;	/* 32-bit writes zero-extend */
	else
		*reg = val;
}

static const struct kvm_segment *emu_seg(const struct kvm_sregs *s, int seg)
{
	switch (seg) {
	case NKVM_SEG_ES:	return &s->es;
	case NKVM_SEG_CS:	return &s->cs;
	case NKVM_SEG_SS:	return &s->ss;
	case NKVM_SEG_FS:	return &s->fs;
	case NKVM_SEG_GS:	return &s->gs;
	default:		return &s->ds;
	}
}

u64 nkvm_x86_str_linear(const struct kvm_sregs *sregs, bool mode64,
			unsigned int adsz, int seg, u64 reg)
{
	u64 la = nkvm_x86_str_mask(adsz, reg);

	/* 64-bit mode has bases only in FS and GS. */
	if (!mode64)
		return (u32)(emu_seg(sregs, seg)->base + la);
	if (seg == NKVM_SEG_FS || seg == NKVM_SEG_GS)
		la += emu_seg(sregs, seg)->base;
	return la;
}

/* What the decoder found: one MMIO access. */
struct emu_op {
	bool write;
	unsigned int len;		/* bytes accessed */
	u64 data;			/* a write's value */
	/* a read's destination */
	unsigned int reg;
	unsigned int dst_size;
	bool sign;
	bool high8;
};

static int emu_decode(struct nkvm_x86_vcpu *xv, struct nkvm_x86_insn *in,
		      struct emu_op *op)
{
	unsigned int reg;
	u8 b = in->opcode;

	memset(op, 0, sizeof(*op));
	switch (b) {
	case 0x88:	/* MOV r/m8, r8 */
	case 0x89:	/* MOV r/m, r */
		if (emu_modrm(in))
			return -EINVAL;
		op->write = true;
		op->len = b == 0x88 ? 1 : in->opsz;
		reg = emu_modrm_reg(in);
		op->data = emu_get_reg(xv, reg, emu_high8(in, reg, op->len));
		return 0;
	case 0x8a:	/* MOV r8, r/m8 */
	case 0x8b:	/* MOV r, r/m */
		if (emu_modrm(in))
			return -EINVAL;
		op->len = b == 0x8a ? 1 : in->opsz;
		op->dst_size = op->len;
		op->reg = emu_modrm_reg(in);
		op->high8 = emu_high8(in, op->reg, op->len);
		return 0;
	case 0xc6:	/* MOV r/m8, imm8 */
	case 0xc7:	/* MOV r/m, imm16/32 (sign-extended to 64) */
		if (emu_modrm(in) || ((in->modrm >> 3) & 7))
			return -EINVAL;
		op->write = true;
		op->len = b == 0xc6 ? 1 : in->opsz;
		return emu_imm(in, min(op->len, 4U), &op->data);
	case 0xa0:	/* MOV AL, moffs8 */
	case 0xa1:	/* MOV rAX, moffs */
	case 0xa2:	/* MOV moffs8, AL */
	case 0xa3:	/* MOV moffs, rAX */
		/* The offset is as wide as the address size. */
		if (emu_skip(in, in->adsz))
			return -EINVAL;
		op->len = (b & 1) ? in->opsz : 1;
		if (b >= 0xa2) {
			op->write = true;
			op->data = xv->regs.rax;
		} else {
			op->dst_size = op->len;
		}
		return 0;
	case 0x0f:
		if (emu_next(in, &b))
			return -EINVAL;
		if (b != 0xb6 && b != 0xb7 && b != 0xbe && b != 0xbf)
			return -EINVAL;
		/* MOVZX / MOVSX r, r/m8 or r/m16 */
		if (emu_modrm(in))
			return -EINVAL;
		op->len = (b & 1) ? 2 : 1;
		op->dst_size = in->opsz;
		op->reg = emu_modrm_reg(in);
		op->sign = b >= 0xbe;
		return 0;
	default:
		return -EINVAL;
	}
}

/* GPR encodings that the effective address needs by name. */
enum { EMU_BX = 3, EMU_SP = 4, EMU_BP = 5, EMU_SI = 6, EMU_DI = 7 };

/*
 * The effective address of the ModRM memory operand, truncated to the
 * address size, and the segment it defaults to (SS when rBP or rSP is the
 * base). Call after the whole instruction is decoded: a RIP-relative
 * operand counts from the next instruction.
 */
static u64 emu_ea(struct nkvm_x86_vcpu *xv, const struct nkvm_x86_insn *in,
		  int *seg)
{
	/* 16-bit forms by r/m: base and index, -1 for none. */
	static const s8 base16[8] = {
		EMU_BX, EMU_BX, EMU_BP, EMU_BP, -1, -1, EMU_BP, EMU_BX,
	};
	static const s8 index16[8] = {
		EMU_SI, EMU_DI, EMU_SI, EMU_DI, EMU_SI, EMU_DI, -1, -1,
	};
	unsigned int mod = in->modrm >> 6, rm = in->modrm & 7;
	unsigned int base, index;
	u64 ea = in->disp;
	int b;

	*seg = NKVM_SEG_DS;
	if (in->adsz == 2) {
		b = (mod == 0 && rm == 6) ? -1 : base16[rm];
		if (b >= 0)
			ea += *emu_gpr(xv, b);
		if (b == EMU_BP)
			*seg = NKVM_SEG_SS;
		if (index16[rm] >= 0)
			ea += *emu_gpr(xv, index16[rm]);
		return (u16)ea;
	}
	if (mod == 0 && rm == 5) {
		/* disp32 alone; in 64-bit mode, from the next RIP. */
		if (in->mode64)
			ea += nkvm_x86_insn_next_rip(in);
		return nkvm_x86_str_mask(in->adsz, ea);
	}
	base = emu_modrm_rm(in);
	if (rm == 4) {
		index = ((in->sib >> 3) & 7) | ((in->rex & REX_X) ? 8 : 0);
		base = (in->sib & 7) | ((in->rex & REX_B) ? 8 : 0);
		if (index != EMU_SP)
			ea += *emu_gpr(xv, index) << (in->sib >> 6);
		if (mod == 0 && (in->sib & 7) == 5)
			return nkvm_x86_str_mask(in->adsz, ea);
	}
	ea += *emu_gpr(xv, base);
	if (base == EMU_SP || base == EMU_BP)
		*seg = NKVM_SEG_SS;
	return nkvm_x86_str_mask(in->adsz, ea);
}

/* Control register writes. */

#define LMSW_BITS	(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS)

/*
 * MOV CRn, r (0f 22 /r: the register is r/m whatever mod says, 32 or 64
 * bits by the mode, and LOCK selects CR8 + n as on AMD), LMSW r/m16
 * (0f 01 /6) and CLTS (0f 06). The prefixes are decoded already.
 */
static int emu_cr_write(struct nkvm_x86_vcpu *xv, const struct kvm_sregs *s,
			struct nkvm_x86_insn *in, struct nkvm_x86_cr_write *w)
{
	u16 msw = 0;
	u64 la;
	int seg;
	u8 b;

	if (in->opcode != 0x0f || emu_next(in, &b))
		return -EINVAL;
	switch (b) {
	case 0x22:
		if (emu_next(in, &in->modrm))
			return -EINVAL;
		w->cr = emu_modrm_reg(in) | (in->lock ? 8 : 0);
		w->val = *emu_gpr(xv, emu_modrm_rm(in));
		if (!in->mode64)
			w->val = (u32)w->val;
		break;
	case 0x01:
		if (emu_modrm_any(in) || ((in->modrm >> 3) & 7) != 6)
			return -EINVAL;
		if ((in->modrm >> 6) == 3) {
			msw = *emu_gpr(xv, emu_modrm_rm(in));
		} else {
			la = emu_ea(xv, in, &seg);
			la = nkvm_x86_str_linear(s, in->mode64, in->adsz,
						 in->seg >= 0 ? in->seg : seg, la);
			if (nkvm_x86_read_linear(xv, s, in->mode64, la, &msw,
						 sizeof(msw)))
				return -EFAULT;
		}
		/* The low four bits of CR0; PE can be set, not cleared. */
		w->cr = 0;
		w->val = (s->cr0 & ~(u64)(LMSW_BITS & ~X86_CR0_PE)) |
			 (msw & LMSW_BITS);
		break;
	case 0x06:
		w->cr = 0;
		w->val = s->cr0 & ~(u64)X86_CR0_TS;
		break;
	default:
		return -EINVAL;
	}
	w->next_rip = nkvm_x86_insn_next_rip(in);
	return 0;
}

int nkvm_x86_decode_cr_write(struct nkvm_x86_vcpu *xv,
			     const struct kvm_sregs *sregs,
			     struct nkvm_x86_insn *in,
			     struct nkvm_x86_cr_write *w)
{
	if (nkvm_x86_decode_prefixes(xv, sregs, in))
		return -EINVAL;
	return emu_cr_write(xv, sregs, in, w);
}

void nkvm_x86_emulation_failure(struct nkvm_x86_vcpu *xv,
				const struct nkvm_x86_insn *in, u64 gpa)
{
	struct kvm_run *run = xv->vcpu.run;

	nkvm_stat_inc(&xv->stat.insn_emulation_fail);
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.flags = 0;
	/* flags + the 16 bytes of insn_size/insn_bytes, then the GPA. */
	run->emulation_failure.ndata = 4;
	if (in->avail) {
		run->emulation_failure.flags =
			KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
		run->emulation_failure.insn_size = in->avail;
		memset(run->emulation_failure.insn_bytes, 0x90,
		       sizeof(run->emulation_failure.insn_bytes));
		memcpy(run->emulation_failure.insn_bytes, in->bytes, in->avail);
	}
	run->internal.data[3] = gpa;
}

/* String MMIO: STOS, LODS and MOVS, one iteration per exit. */

#define OP_MOVS		0xa4
#define OP_STOS		0xaa
#define OP_LODS		0xac

/*
 * Offer an MMIO access to the in-kernel devices (ioeventfds, coalesced
 * zones) before userspace: 1 when one took it, 0 to exit with kvm_run as
 * filled. RIP is still the accessing instruction's (TPR reports).
 */
static int emu_mmio_in_kernel(struct nkvm_x86_vcpu *xv, u64 gpa,
			      unsigned int len, bool write, void *val)
{
	/* The vCPU's own local APIC page comes first. */
	if (nkvm_x86_lapic_mmio(xv, gpa, len, write, val))
		return 1;
	if (write)
		return !nkvm_io_bus_write(&xv->vcpu, NKVM_MMIO_BUS, gpa, len, val);
	return !nkvm_io_bus_read(&xv->vcpu, NKVM_MMIO_BUS, gpa, len, val);
}

/* A read set up in xv->mmio: complete it at once if a device answers. */
static int emu_mmio_read_in_kernel(struct nkvm_x86_vcpu *xv,
				   const struct kvm_sregs *sregs, u64 gpa,
				   unsigned int len)
{
	struct kvm_run *run = xv->vcpu.run;

	if (!emu_mmio_in_kernel(xv, gpa, len, false, run->mmio.data))
		return 0;
	nkvm_x86_complete_mmio(xv, sregs);
	return 1;
}

/* One iteration's moves of rSI, rDI and (REP) rCX. */
static void emu_str_step(struct nkvm_x86_vcpu *xv, u8 op, unsigned int adsz,
			 bool rep, unsigned int size)
{
	struct kvm_regs *regs = &xv->regs;
	s64 delta = (regs->rflags & X86_EFLAGS_DF) ? -(s64)size : size;

	if (op != OP_STOS)
		nkvm_x86_str_add(adsz, &regs->rsi, delta);
	if (op != OP_LODS)
		nkvm_x86_str_add(adsz, &regs->rdi, delta);
	if (rep)
		nkvm_x86_str_add(adsz, &regs->rcx, -1);
}

static int emu_string_mmio(struct nkvm_x86_vcpu *xv,
			   const struct kvm_sregs *sregs,
			   struct nkvm_x86_insn *in, u64 gpa)
{
	unsigned int size = (in->opcode & 1) ? in->opsz : 1;
	int src_seg = in->seg >= 0 ? in->seg : NKVM_SEG_DS;
	u64 next_rip = nkvm_x86_insn_next_rip(in);
	struct kvm_run *run = xv->vcpu.run;
	struct kvm_regs *regs = &xv->regs;
	u8 op = in->opcode & ~1;
	u64 data = 0, la, addr;
	bool write;

	/* Nothing to do; the CPU would not have faulted. */
	if (in->rep && !nkvm_x86_str_mask(in->adsz, regs->rcx)) {
		regs->rip = next_rip;
		return 1;
	}
	/* LODS and MOVS read at seg:rSI, STOS and MOVS write at ES:rDI. */
	if (op == OP_STOS) {
		write = true;
		data = regs->rax;
	} else {
		la = nkvm_x86_str_linear(sregs, in->mode64, in->adsz, src_seg,
					 regs->rsi);
		/* MOVS from memory: the write is the MMIO one. */
		write = op == OP_MOVS &&
			!nkvm_x86_read_linear(xv, sregs, in->mode64, la,
					      &data, size);
	}
	if (write)
		la = nkvm_x86_str_linear(sregs, in->mode64, in->adsz,
					 NKVM_SEG_ES, regs->rdi);
	if (nkvm_x86_translate(xv, sregs, la, &addr)) {
		nkvm_x86_emulation_failure(xv, in, gpa);
		return 0;
	}

	trace_nkvm_mmio(xv->vcpu.vcpu_id, write, addr, size);
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = addr;
	run->mmio.len = size;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write) {
		int r;

		/* As stock: the iteration is done; REP runs again. */
		memcpy(run->mmio.data, &data, size);
		r = emu_mmio_in_kernel(xv, addr, size, true, &data);
		emu_str_step(xv, op, in->adsz, in->rep, size);
		if (!in->rep)
			regs->rip = next_rip;
		return r;
	}
	memset(&xv->mmio, 0, sizeof(xv->mmio));
	xv->mmio.pending = true;
	xv->mmio.len = size;
	xv->mmio.dst_size = size;	/* LODS: rAX, encoding 0 */
	xv->mmio.str = op;
	xv->mmio.rep = in->rep;
	xv->mmio.adsz = in->adsz;
	xv->mmio.rip = in->rip;
	xv->mmio.next_rip = next_rip;
	return emu_mmio_read_in_kernel(xv, sregs, addr, size);
}

/* A MOVS read from MMIO: its data goes to ES:rDI. */
static void emu_complete_movs(struct nkvm_x86_vcpu *xv,
			      const struct kvm_sregs *sregs, u64 val)
{
	struct nkvm_x86_mmio *m = &xv->mmio;
	bool mode64 = emu_mode64(sregs);
	u64 la;

	la = nkvm_x86_str_linear(sregs, mode64, m->adsz, NKVM_SEG_ES,
				 xv->regs.rdi);
	/* Not RAM either (MMIO to MMIO): the data is dropped. */
	if (nkvm_x86_write_linear(xv, sregs, mode64, la, &val, m->len))
		pr_debug("nkvm: MOVS from MMIO to %#llx dropped\n", la);
}

int nkvm_x86_emulate_mmio(struct nkvm_x86_vcpu *xv,
			  const struct kvm_sregs *sregs, u64 gpa)
{
	struct kvm_run *run = xv->vcpu.run;
	struct nkvm_x86_insn in;
	struct emu_op op;
	u64 next_rip;

	if (nkvm_x86_decode_prefixes(xv, sregs, &in)) {
		nkvm_x86_emulation_failure(xv, &in, gpa);
		return 0;
	}
	switch (in.opcode) {
	case 0xa4: case 0xa5: case 0xaa: case 0xab: case 0xac: case 0xad:
		return emu_string_mmio(xv, sregs, &in, gpa);
	}
	if (emu_decode(xv, &in, &op)) {
		nkvm_x86_emulation_failure(xv, &in, gpa);
		return 0;
	}
	next_rip = nkvm_x86_insn_next_rip(&in);

	trace_nkvm_mmio(xv->vcpu.vcpu_id, op.write, gpa, op.len);
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = op.len;
	run->mmio.is_write = op.write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (op.write) {
		int r;

		/*
		 * Complete from the guest's view: RIP moves on now, after
		 * the in-kernel devices saw the access at the instruction.
		 */
		memcpy(run->mmio.data, &op.data, op.len);
		r = emu_mmio_in_kernel(xv, gpa, op.len, true, &op.data);
		xv->regs.rip = next_rip;
		return r;
	}
	memset(&xv->mmio, 0, sizeof(xv->mmio));
	xv->mmio.pending = true;
	xv->mmio.sign = op.sign;
	xv->mmio.high8 = op.high8;
	xv->mmio.reg = op.reg;
	xv->mmio.len = op.len;
	xv->mmio.dst_size = op.dst_size;
	xv->mmio.rip = in.rip;
	xv->mmio.next_rip = next_rip;
	return emu_mmio_read_in_kernel(xv, sregs, gpa, op.len);
}

bool nkvm_x86_complete_mmio(struct nkvm_x86_vcpu *xv,
			    const struct kvm_sregs *sregs)
{
	struct nkvm_x86_mmio *m = &xv->mmio;
	u64 val = 0;

	m->pending = false;
	/* Userspace moved RIP meanwhile: the instruction is abandoned. */
	if (xv->regs.rip != m->rip)
		return false;
	memcpy(&val, xv->vcpu.run->mmio.data, m->len);
	if (m->str) {
		if (m->str == OP_MOVS)
			emu_complete_movs(xv, sregs, val);
		else
			emu_set_reg(xv, 0, m->len, false, val);
		emu_str_step(xv, m->str, m->adsz, m->rep, m->len);
		if (!m->rep)
			xv->regs.rip = m->next_rip;
		return true;
	}
	if (m->sign && m->len < 8 && (val & (1ULL << (8 * m->len - 1))))
		val |= ~0ULL << (8 * m->len);
	emu_set_reg(xv, m->reg, m->dst_size, m->high8, val);
	xv->regs.rip = m->next_rip;
	return true;
}

#ifdef NKVM_KUNIT
#include "tests/decode_kunit.c"
#endif
