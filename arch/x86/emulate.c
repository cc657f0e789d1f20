// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 instruction emulator, for now only what MMIO needs: the guest
 * touched a GPA that no memslot backs, the hardware gave us that GPA, and
 * we must learn from the instruction itself the access size, the direction
 * and the register or immediate involved. Neither SVM without decode
 * assists (QEMU's TCG) nor any hardware gives the instruction bytes, so
 * they are fetched at CS.base + RIP through the guest's own page tables.
 *
 * Known forms: MOV r/m,r and MOV r,r/m (88, 89, 8a, 8b), MOV r/m,imm
 * (c6 /0, c7 /0), MOV with a moffs (a0-a3), MOVZX and MOVSX (0f b6, b7,
 * be, bf), with the legacy prefixes 66, 67, segment overrides, LOCK, REP
 * (ignored, as the CPU does for these) and REX in 64-bit mode. String
 * instructions and read-modify-write forms are not emulated: they exit
 * with KVM_INTERNAL_ERROR_EMULATION and the instruction bytes.
 *
 * The guest page walk reads the tables and checks only the present bits:
 * the instruction did run, so its page was reachable a moment ago.
 */
#include <linux/mm.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "x86.h"

#define EMU_MAX_INSN	15

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

int nkvm_x86_gva_to_gpa(struct nkvm_vm *vm, const struct kvm_sregs *sregs,
			u64 la, u64 *gpa)
{
	return emu_walk(vm, sregs, la, gpa);
}

/* Fetch up to 15 bytes at la; returns how many could be read. */
static unsigned int emu_fetch(struct nkvm_vm *vm, const struct kvm_sregs *s,
			      u64 la, bool mode64, u8 *buf)
{
	unsigned int got = 0;

	while (got < EMU_MAX_INSN) {
		u64 addr = mode64 ? la + got : (u32)(la + got);
		unsigned int n = min_t(unsigned int, EMU_MAX_INSN - got,
				       PAGE_SIZE - offset_in_page(addr));
		u64 gpa;

		if (emu_walk(vm, s, addr, &gpa) ||
		    nkvm_read_guest(vm, gpa, buf + got, n))
			break;
		got += n;
	}
	return got;
}

/* The decoder. */

struct emu_insn {
	const u8 *bytes;
	unsigned int avail;		/* bytes fetched */
	unsigned int len;		/* bytes decoded so far */
	bool mode64;
	unsigned int opsz;		/* operand size, bytes */
	unsigned int adsz;		/* address size, bytes */
	u8 rex;
	u8 modrm;
};

#define REX_W	0x8
#define REX_R	0x4

static int emu_next(struct emu_insn *in, u8 *b)
{
	if (in->len >= in->avail)
		return -EINVAL;
	*b = in->bytes[in->len++];
	return 0;
}

/* A little-endian immediate of size bytes, sign-extended to 64 bits. */
static int emu_imm(struct emu_insn *in, unsigned int size, u64 *v)
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

static int emu_skip(struct emu_insn *in, unsigned int n)
{
	if (in->len + n > in->avail)
		return -EINVAL;
	in->len += n;
	return 0;
}

/* ModRM with a memory operand, and the SIB and displacement after it. */
static int emu_modrm(struct emu_insn *in)
{
	unsigned int mod, rm;
	u8 sib;

	if (emu_next(in, &in->modrm))
		return -EINVAL;
	mod = in->modrm >> 6;
	rm = in->modrm & 7;
	if (mod == 3)
		return -EINVAL;		/* a register: cannot be MMIO */

	if (in->adsz == 2) {
		if (mod == 1)
			return emu_skip(in, 1);
		if (mod == 2 || (mod == 0 && rm == 6))
			return emu_skip(in, 2);
		return 0;
	}
	if (rm == 4) {
		if (emu_next(in, &sib))
			return -EINVAL;
		if (mod == 0 && (sib & 7) == 5)
			return emu_skip(in, 4);
	}
	if (mod == 1)
		return emu_skip(in, 1);
	if (mod == 2 || (mod == 0 && rm == 5))
		return emu_skip(in, 4);
	return 0;
}

static unsigned int emu_modrm_reg(const struct emu_insn *in)
{
	return ((in->modrm >> 3) & 7) | ((in->rex & REX_R) ? 8 : 0);
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
static bool emu_high8(const struct emu_insn *in, unsigned int reg,
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

static int emu_decode(struct nkvm_x86_vcpu *xv, struct emu_insn *in,
		      struct emu_op *op)
{
	bool opsz_pfx = false, adsz_pfx = false, prefix = true;
	unsigned int reg;
	u8 b;

	/* Legacy prefixes, in any order; REX only right before the opcode. */
	while (prefix) {
		if (emu_next(in, &b))
			return -EINVAL;
		switch (b) {
		case 0x66:
			opsz_pfx = true;
			in->rex = 0;
			break;
		case 0x67:
			adsz_pfx = true;
			in->rex = 0;
			break;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64:
		case 0x65: case 0xf0: case 0xf2: case 0xf3:
			/* The GPA comes from the hardware: no address needed. */
			in->rex = 0;
			break;
		default:
			if (in->mode64 && (b & 0xf0) == 0x40) {
				in->rex = b;
				break;
			}
			prefix = false;
			break;
		}
	}
	if (opsz_pfx)
		in->opsz = in->opsz == 2 ? 4 : 2;
	if (adsz_pfx)
		in->adsz = in->adsz == 4 ? 2 : 4;	/* 64 -> 32 too */
	/* REX.W wins over 66. */
	if (in->rex & REX_W)
		in->opsz = 8;

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

static void emu_failure(struct nkvm_x86_vcpu *xv, const u8 *bytes,
			unsigned int n, u64 gpa)
{
	struct kvm_run *run = xv->vcpu.run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.flags = 0;
	/* flags + the 16 bytes of insn_size/insn_bytes, then the GPA. */
	run->emulation_failure.ndata = 4;
	if (n) {
		run->emulation_failure.flags =
			KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
		run->emulation_failure.insn_size = n;
		memset(run->emulation_failure.insn_bytes, 0x90,
		       sizeof(run->emulation_failure.insn_bytes));
		memcpy(run->emulation_failure.insn_bytes, bytes, n);
	}
	run->internal.data[3] = gpa;
}

int nkvm_x86_emulate_mmio(struct nkvm_x86_vcpu *xv,
			  const struct kvm_sregs *sregs, u64 gpa)
{
	struct kvm_run *run = xv->vcpu.run;
	u8 bytes[EMU_MAX_INSN];
	struct emu_insn in = { .bytes = bytes };
	struct emu_op op;
	u64 rip = xv->regs.rip, next_rip;
	u64 mask;

	in.mode64 = (sregs->efer & EFER_LMA) && sregs->cs.l;
	if (in.mode64) {
		in.opsz = 4;
		in.adsz = 8;
		mask = ~0ULL;
	} else if (sregs->cs.db && (sregs->cr0 & X86_CR0_PE)) {
		in.opsz = 4;
		in.adsz = 4;
		mask = 0xffffffff;
	} else {
		in.opsz = 2;
		in.adsz = 2;
		mask = 0xffff;
	}
	in.avail = emu_fetch(xv->vcpu.vm, sregs, sregs->cs.base + rip,
			     in.mode64, bytes);
	if (emu_decode(xv, &in, &op)) {
		emu_failure(xv, bytes, in.avail, gpa);
		return 0;
	}
	next_rip = (rip + in.len) & mask;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = op.len;
	run->mmio.is_write = op.write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (op.write) {
		/* Complete from the guest's view: RIP moves on now. */
		memcpy(run->mmio.data, &op.data, op.len);
		xv->regs.rip = next_rip;
		return 0;
	}
	xv->mmio.pending = true;
	xv->mmio.sign = op.sign;
	xv->mmio.high8 = op.high8;
	xv->mmio.reg = op.reg;
	xv->mmio.len = op.len;
	xv->mmio.dst_size = op.dst_size;
	xv->mmio.rip = rip;
	xv->mmio.next_rip = next_rip;
	return 0;
}

bool nkvm_x86_complete_mmio(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_x86_mmio *m = &xv->mmio;
	u64 val = 0;

	m->pending = false;
	/* Userspace moved RIP meanwhile: the instruction is abandoned. */
	if (xv->regs.rip != m->rip)
		return false;
	memcpy(&val, xv->vcpu.run->mmio.data, m->len);
	if (m->sign && m->len < 8 && (val & (1ULL << (8 * m->len - 1))))
		val |= ~0ULL << (8 * m->len);
	emu_set_reg(xv, m->reg, m->dst_size, m->high8, val);
	xv->regs.rip = m->next_rip;
	return true;
}
