// SPDX-License-Identifier: GPL-2.0
/*
 * guest_fuzz for x86: memory layout, the three start modes and a small
 * generator of instruction encodings.
 *
 * Guest physical memory (one host buffer of 4 MiB):
 *   0x00000  real-mode IVT (vectors to the HLT stub, or zero)
 *   0x00500  GDT: null, code32 0x08, data 0x10, code64 0x18, code16 0x20,
 *            data16 0x28, a random descriptor 0x30
 *   0x00600  GDTR image, 0x610 IDTR image (for LGDT/LIDT in guest code)
 *   0x00f00  HLT stub: hlt; jmp hlt
 *   0x02000  32-bit IDT, 0x3000 64-bit IDT (gates to the stub, or zero)
 *   0x04000  the case's code (stack below 0x8000)
 *   0x10000  4-level page tables identity-mapping 4 MiB and the IOAPIC and
 *            LAPIC pages at 0xfec00000/0xfee00000 (2 MiB pages)
 *   0x20000  data (zero or random)
 *   0xa0000 - 0xfffff  no memslot: MMIO
 *   0x100000 - 0x3fffff  RAM; above 4 MiB, MMIO (or unmapped in long mode)
 * The generator knows which mode it believes the code is in (16, 32 or
 * 64 bit) and follows its own mode switches; a jump may of course prove it
 * wrong, which is fine for a fuzzer.
 */
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "guest_arch.h"
#include "test.h"

#define GDT_GPA		0x500
#define GDTR_GPA	0x600
#define IDTR_GPA	0x610
#define STUB_GPA	0xf00
#define IDT32_GPA	0x2000
#define IDT64_GPA	0x3000
#define CODE_GPA	0x4000
#define CODE_MAX	0x2000
#define STACK_TOP	0x7ff0
#define DATA_GPA	0x20000
#define HOLE_GPA	0xa0000
#define HIGH_GPA	0x100000
#define MEM_SIZE	(4 * MiB)
#define PD_HI_GPA	0x13000		/* the PD of 3-4 GiB */

enum { M_REAL, M_PM32, M_LM64 };

static const char *const modes[] = { "real mode", "protected mode", "long mode" };

/* ------------------------------------------------------------ generator */

struct gen {
	struct rng *r;
	uint8_t *buf;
	size_t pos, max;
	unsigned int bits;	/* 16, 32 or 64 */
};

static void b1(struct gen *g, uint8_t v)
{
	if (g->pos < g->max)
		g->buf[g->pos++] = v;
}

static void bn(struct gen *g, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		b1(g, v >> (8 * i));
}

static uint32_t here(struct gen *g)
{
	return CODE_GPA + g->pos;
}

/* The operand-size prefix that makes the next instruction 32-bit. */
static void o32(struct gen *g)
{
	if (g->bits == 16)
		b1(g, 0x66);
}

static void mov_r32(struct gen *g, unsigned int reg, uint32_t v)
{
	o32(g);
	b1(g, 0xb8 + reg);
	bn(g, v, 4);
}

static void mov_r64(struct gen *g, unsigned int reg, uint64_t v)
{
	if (g->bits != 64) {
		mov_r32(g, reg, v);
		return;
	}
	b1(g, 0x48);
	b1(g, 0xb8 + reg);
	bn(g, v, 8);
}

/* ModRM (+SIB, displacement) for an absolute address. */
static void modrm_abs(struct gen *g, unsigned int reg, uint32_t addr)
{
	reg &= 7;
	if (g->bits == 16) {
		if (addr > 0xffff) {
			/* mov ax, seg; mov ds, ax: reach it through DS. */
			b1(g, 0xb8);
			bn(g, addr >> 4, 2);
			b1(g, 0x8e);
			b1(g, 0xd8);
			addr &= 0xf;
		}
		b1(g, (reg << 3) | 6);
		bn(g, addr, 2);
	} else if (g->bits == 32) {
		b1(g, (reg << 3) | 5);
		bn(g, addr, 4);
	} else {
		b1(g, (reg << 3) | 4);
		b1(g, 0x25);
		bn(g, addr, 4);
	}
}

static uint32_t ram_addr(struct rng *r)
{
	if (rng_pct(r, 60))
		return DATA_GPA + rng_below(r, HOLE_GPA - DATA_GPA - 8);
	return HIGH_GPA + rng_below(r, MEM_SIZE - HIGH_GPA - 8);
}

static uint32_t mmio_addr(struct gen *g)
{
	static const uint64_t far[] = {
		0xfee00000, 0xfee00020, 0xfee000b0, 0xfec00000, 0xfec00010,
		0xfed00000, 0xe0000000, 0x400000, 0xfffffff0,
	};

	if (g->bits == 64 || rng_pct(g->r, 60))
		return HOLE_GPA + rng_below(g->r, HIGH_GPA - HOLE_GPA - 8);
	if (rng_pct(g->r, 50))
		return RNG_PICK(g->r, far);
	return MEM_SIZE + rng_below(g->r, 0x100000000ULL - MEM_SIZE - 8);
}

static uint32_t any_addr(struct gen *g)
{
	return rng_pct(g->r, 50) ? ram_addr(g->r) : mmio_addr(g);
}

static void e_mov_imm(struct gen *g)
{
	unsigned int reg = rng_below(g->r, 8);

	if (g->bits == 64 && rng_pct(g->r, 40))
		mov_r64(g, reg, rng_edge(g->r, 8));
	else if (rng_pct(g->r, 50))
		mov_r32(g, reg, rng_edge(g->r, 4));
	else
		b1(g, 0xb0 + reg), b1(g, rng_next(g->r));	/* mov r8, imm8 */
}

static void e_alu(struct gen *g)
{
	static const uint64_t rr[] = {
		0x01, 0x03, 0x09, 0x0b, 0x11, 0x13, 0x19, 0x1b, 0x21, 0x23,
		0x29, 0x2b, 0x31, 0x33, 0x39, 0x3b, 0x85, 0x87, 0x89, 0x8b,
	};
	struct rng *r = g->r;
	unsigned int modrm = 0xc0 | rng_below(r, 64);

	if (g->bits == 64 && rng_pct(r, 30))
		b1(g, 0x48 | rng_below(r, 8));
	else if (rng_pct(r, 15))
		b1(g, 0x66);
	switch (rng_below(r, 7)) {
	case 0:
	case 1:
		b1(g, RNG_PICK(r, rr));
		b1(g, modrm);
		break;
	case 2:
		b1(g, 0x83);
		b1(g, modrm);
		b1(g, rng_next(r));
		break;
	case 3:
		b1(g, 0x81);
		b1(g, modrm);
		bn(g, rng_edge(r, 4), g->bits == 16 ? 2 : 4);
		break;
	case 4:	/* mul, imul, div, idiv (#DE sometimes) */
		b1(g, 0xf7);
		b1(g, 0xe0 | (rng_below(r, 4) << 3) | rng_below(r, 8));
		break;
	case 5:	/* shifts and rotates */
		b1(g, rng_pct(r, 50) ? 0xd1 : 0xc1);
		b1(g, modrm);
		if (g->buf[g->pos - 2] == 0xc1)
			b1(g, rng_next(r));
		break;
	default: /* two-byte: imul, movzx, bsf, bsr, bt, cmov */
		b1(g, 0x0f);
		b1(g, RNG_PICK(r, ((const uint64_t[]){ 0xaf, 0xb6, 0xb7, 0xbc,
						      0xbd, 0xa3, 0x44, 0x4f })));
		b1(g, modrm);
		break;
	}
}

static uint16_t port(struct rng *r)
{
	static const uint64_t ports[] = {
		0x20, 0x21, 0xa0, 0xa1, 0x40, 0x41, 0x42, 0x43, 0x60, 0x61, 0x64,
		0x70, 0x71, 0x80, 0x92, 0x3f8, 0x3fd, 0xcf8, 0xcfc, 0x510, 0xb000,
		0x4d0, 0x4d1, 0xffff,
	};

	return rng_pct(r, 60) ? RNG_PICK(r, ports) : rng_next(r);
}

static void e_io(struct gen *g)
{
	struct rng *r = g->r;
	unsigned int op;

	if (rng_pct(r, 20))
		b1(g, 0x66);
	switch (rng_below(r, 3)) {
	case 0:	/* in/out al/ax/eax, imm8 */
		b1(g, 0xe4 + rng_below(r, 4));
		b1(g, port(r));
		break;
	case 1:	/* in/out with dx */
		b1(g, 0xba);
		bn(g, port(r), 2);
		if (g->bits != 16)
			bn(g, 0, 2);
		b1(g, 0xec + rng_below(r, 4));
		break;
	default: /* ins/outs, maybe rep, through RAM or MMIO */
		mov_r32(g, 2, port(r));			/* edx */
		mov_r32(g, 1, 1 + rng_below(r, rng_pct(r, 80) ? 8 : 300)); /* ecx */
		mov_r32(g, 6, any_addr(g));		/* esi */
		mov_r32(g, 7, any_addr(g));		/* edi */
		if (g->bits == 16 && rng_pct(r, 70))
			b1(g, 0x67);			/* 32-bit addresses */
		if (rng_pct(r, 60))
			b1(g, 0xf3);
		op = 0x6c + rng_below(r, 4);
		b1(g, op);
		break;
	}
}

/* Loads and stores, to RAM or MMIO. */
static void e_mem(struct gen *g, bool mmio)
{
	struct rng *r = g->r;
	uint32_t a = mmio ? mmio_addr(g) : ram_addr(r);

	switch (rng_below(r, 6)) {
	case 0:
		if (g->bits == 64 && rng_pct(r, 40))
			b1(g, 0x48);
		else if (rng_pct(r, 20))
			b1(g, 0x66);
		b1(g, RNG_PICK(r, ((const uint64_t[]){ 0x88, 0x89, 0x8a, 0x8b,
						      0x01, 0x03, 0x87, 0x85 })));
		modrm_abs(g, rng_below(r, 8), a);
		break;
	case 1:	/* mov dword [a], imm32 */
		o32(g);
		b1(g, 0xc7);
		modrm_abs(g, 0, a);
		bn(g, rng_next(r), 4);
		break;
	case 2:	/* inc/dec/not/neg [a] */
		b1(g, rng_pct(r, 50) ? 0xfe : 0xf7);
		modrm_abs(g, RNG_PICK(r, ((const uint64_t[]){ 0, 1, 2, 3 })), a);
		break;
	case 3:	/* rep movs/stos/lods through MMIO or RAM */
		mov_r32(g, 1, 1 + rng_below(r, 16));
		mov_r32(g, 6, any_addr(g));
		mov_r32(g, 7, a);
		if (g->bits == 16)
			b1(g, 0x67);
		if (rng_pct(r, 70))
			b1(g, 0xf3);
		b1(g, RNG_PICK(r, ((const uint64_t[]){ 0xa4, 0xa5, 0xaa, 0xab,
						      0xac, 0xad, 0xa6, 0xae })));
		break;
	case 4:	/* SSE/x87 loads and stores (#UD/#NM often) */
		b1(g, 0x0f);
		b1(g, RNG_PICK(r, ((const uint64_t[]){ 0x10, 0x11, 0x28, 0x29,
						      0x6f, 0x7f })));
		modrm_abs(g, rng_below(r, 8), a);
		break;
	default: /* lock add [a], reg */
		b1(g, 0xf0);
		b1(g, 0x01);
		modrm_abs(g, rng_below(r, 8), a);
		break;
	}
}

static void e_branch(struct gen *g)
{
	struct rng *r = g->r;
	int8_t rel = rng_pct(r, 80) ? (int8_t)rng_below(r, 24) : -(int8_t)rng_below(r, 24);

	switch (rng_below(r, 8)) {
	case 0:
		b1(g, 0xeb);
		b1(g, rel);
		break;
	case 1:
		b1(g, 0x70 + rng_below(r, 16));
		b1(g, rel);
		break;
	case 2:	/* call forward, the callee may return */
		b1(g, 0xe8);
		bn(g, rng_below(r, 16), g->bits == 16 ? 2 : 4);
		break;
	case 3:
		b1(g, rng_pct(r, 50) ? 0xc3 : 0xcf);	/* ret, iret */
		break;
	case 4:
		b1(g, 0xe2 + rng_below(r, 2));		/* loop, jcxz */
		b1(g, rel);
		break;
	case 5:	/* jmp/call through a register */
		mov_r32(g, 0, rng_pct(r, 70) ? here(g) + 16 + rng_below(r, 32) :
			(uint32_t)rng_next(r));
		b1(g, 0xff);
		b1(g, rng_pct(r, 50) ? 0xe0 : 0xd0);
		break;
	case 6:	/* far jmp to a GDT selector (not in 64-bit mode) */
		if (g->bits == 64) {
			b1(g, 0xcb);			/* retf */
			break;
		}
		o32(g);
		b1(g, 0xea);
		bn(g, here(g) + 6, 4);
		bn(g, rng_below(r, 8) * 8, 2);
		break;
	default:
		b1(g, 0xc2);				/* ret imm16 */
		bn(g, rng_below(r, 16), 2);
		break;
	}
}

static void mov_cr(struct gen *g, unsigned int cr, uint64_t v)
{
	mov_r64(g, 0, v);
	b1(g, 0x0f);
	b1(g, 0x22);
	b1(g, 0xc0 | (cr << 3));
}

static void e_priv(struct gen *g)
{
	static const uint64_t simple[] = {
		0xf4, 0xfa, 0xfb, 0x0f06, 0x0f08, 0x0f09, 0x0f31,
		0x0f33, 0x0f01d0, 0x0f01c8, 0x0f01c9, 0x0faa, 0x0f05, 0x0f07,
		0x0f34, 0x0f35, 0x0f01f8, 0x0f01ca, 0x0f01cb, 0x0f01ee, 0x0f01ef,
		0x0f01fa, 0x0f01fb, 0x0f0b, 0x0f01f9, 0x0f37, 0x0f01d5,
	};
	struct rng *r = g->r;
	uint64_t v;

	switch (rng_below(r, 10)) {
	case 0:
	case 1: {
		v = RNG_PICK(r, simple);
		if (v > 0xffff)
			b1(g, v >> 16);
		if (v > 0xff)
			b1(g, v >> 8);
		b1(g, v);
		break;
	}
	case 2: {	/* mov crN, value near a sane one */
		static const uint64_t cr0bits[] = {
			1, 2, 4, 8, 0x10, 0x20, 0x10000, 0x40000, 0x20000000,
			0x40000000, 0x80000000,
		};
		unsigned int cr = RNG_PICK(r, ((const uint64_t[]){ 0, 0, 2, 3, 4, 4, 8, 1, 5 }));

		if (cr == 0)
			v = (g->bits == 16 ? 0x10 : g->bits == 32 ? 0x11 : 0x80000011) ^
			    RNG_PICK(r, cr0bits);
		else if (cr == 4)
			v = (g->bits == 64 ? 0x20 : 0) ^ (1ULL << rng_below(r, 25));
		else if (cr == 3)
			v = rng_pct(r, 70) ? 0x10000 : rng_edge(r, 8);
		else
			v = rng_edge(r, 8);
		if (rng_pct(r, 10))
			v = rng_next(r);
		mov_cr(g, cr, v);
		break;
	}
	case 3:	/* mov from crN / drN, mov to drN */
		b1(g, 0x0f);
		b1(g, RNG_PICK(r, ((const uint64_t[]){ 0x20, 0x21, 0x23 })));
		b1(g, 0xc0 | rng_below(r, 64));
		break;
	case 4:	/* lgdt/lidt from the images, or a random address */
		o32(g);
		b1(g, 0x0f);
		b1(g, 0x01);
		modrm_abs(g, rng_pct(r, 50) ? 2 : 3,
			  rng_pct(r, 70) ? (rng_pct(r, 50) ? GDTR_GPA : IDTR_GPA) : any_addr(g));
		break;
	case 5:	/* sgdt/sidt/invlpg/fxsave/fxrstor/xsave/xrstor */
		if (rng_pct(r, 50)) {
			b1(g, 0x0f);
			b1(g, 0x01);
			modrm_abs(g, RNG_PICK(r, ((const uint64_t[]){ 0, 1, 7 })), any_addr(g));
		} else {
			mov_r32(g, 0, rng_edge(r, 4));
			mov_r32(g, 2, 0);
			b1(g, 0x0f);
			b1(g, 0xae);
			modrm_abs(g, rng_below(r, 6), ram_addr(r) & ~63U);
		}
		break;
	case 6:	/* xsetbv */
		mov_r32(g, 1, rng_pct(r, 90) ? 0 : rng_edge(r, 4));
		mov_r32(g, 0, RNG_PICK(r, ((const uint64_t[]){ 1, 3, 7, 0xe7, 2, 0 })));
		mov_r32(g, 2, 0);
		b1(g, 0x0f), b1(g, 0x01), b1(g, 0xd1);
		break;
	case 7:	/* segment loads: mov sreg, ax; lldt; ltr; lmsw */
		b1(g, 0xb8);
		bn(g, rng_pct(r, 70) ? rng_below(r, 8) * 8 | rng_below(r, 4) : rng_next(r),
		   g->bits == 16 ? 2 : 4);
		if (rng_pct(r, 60)) {
			b1(g, 0x8e);
			b1(g, 0xc0 | (RNG_PICK(r, ((const uint64_t[]){ 0, 2, 3, 4, 5 })) << 3));
		} else {
			b1(g, 0x0f);
			b1(g, rng_pct(r, 60) ? 0x00 : 0x01);
			b1(g, g->buf[g->pos - 1] ? 0xf0 : 0xd0 | (rng_below(r, 2) << 3));
		}
		break;
	case 8:	/* SVM and VMX instructions */
		b1(g, 0x0f);
		if (rng_pct(r, 80)) {
			b1(g, 0x01);
			b1(g, RNG_PICK(r, ((const uint64_t[]){ 0xd8, 0xd9, 0xda, 0xdb,
							      0xdc, 0xdd, 0xde, 0xdf,
							      0xc1, 0xc2, 0xc3, 0xc4 })));
		} else {
			b1(g, rng_pct(r, 50) ? 0x78 : 0x79);
			b1(g, 0xc0 | rng_below(r, 64));
		}
		break;
	default: /* exceptions */
		switch (rng_below(r, 5)) {
		case 0:
			b1(g, 0xcc);
			break;
		case 1:
			b1(g, 0xcd);
			b1(g, rng_next(r));
			break;
		case 2:
			b1(g, g->bits == 64 ? 0x0b : 0xce);	/* into */
			break;
		case 3:
			b1(g, 0xf1);
			break;
		default: /* divide by zero */
			b1(g, 0x31), b1(g, 0xc9);
			b1(g, 0xf7), b1(g, 0xf1);
			break;
		}
		break;
	}
}

static void e_cpuid(struct gen *g)
{
	static const uint64_t leaves[] = {
		0, 1, 2, 4, 6, 7, 0xb, 0xd, 0x14, 0x40000000, 0x40000001,
		0x80000000, 0x80000001, 0x80000008, 0x8000000a, 0x8000001f,
	};
	struct rng *r = g->r;

	mov_r32(g, 0, rng_pct(r, 80) ? RNG_PICK(r, leaves) : rng_next(r));
	mov_r32(g, 1, rng_below(r, 4));
	b1(g, 0x0f);
	b1(g, 0xa2);
}

static void e_msr(struct gen *g)
{
	static const uint64_t msrs[] = {
		0x10, 0x1b, 0x3a, 0x3b, 0x48, 0x8b, 0xe7, 0xe8, 0xfe, 0x174, 0x175,
		0x176, 0x179, 0x1d9, 0x200, 0x2ff, 0x277, 0x6e0, 0x800, 0x802,
		0x808, 0x80b, 0x830, 0x838, 0xc0000080, 0xc0000081, 0xc0000082,
		0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0xc0010010,
		0xc0010114, 0xc0010117, 0xc0010015, 0x4b564d00, 0x4b564d01,
		0x4b564d02, 0x4b564d03, 0x4b564d04, 0x40000000, 0x11, 0x12,
		0x1fc, 0xda0, 0xc0000104,
	};
	struct rng *r = g->r;
	uint32_t idx = rng_pct(r, 75) ? RNG_PICK(r, msrs) : rng_next(r);

	mov_r32(g, 1, idx);
	if (idx == 0xc0000080)		/* EFER: flip one bit of a sane value */
		mov_r32(g, 0, (g->bits == 64 ? 0x500 : 0) ^ (1U << rng_below(r, 16)));
	else
		mov_r32(g, 0, rng_edge(r, 4));
	mov_r32(g, 2, rng_pct(r, 60) ? 0 : rng_edge(r, 4));
	b1(g, 0x0f);
	b1(g, rng_pct(r, 50) ? 0x32 : 0x30);
}

/* The canonical mode switches, from the mode the generator believes in. */
static void e_mode(struct gen *g)
{
	struct rng *r = g->r;

	switch (g->bits) {
	case 16:	/* real -> 32-bit protected mode */
		b1(g, 0x66), b1(g, 0x0f), b1(g, 0x01), b1(g, 0x16);	/* lgdt */
		bn(g, GDTR_GPA, 2);
		b1(g, 0x0f), b1(g, 0x20), b1(g, 0xc0);		/* mov eax, cr0 */
		b1(g, 0x0c), b1(g, 0x01);			/* or al, 1 */
		b1(g, 0x0f), b1(g, 0x22), b1(g, 0xc0);		/* mov cr0, eax */
		b1(g, 0x66), b1(g, 0xea);			/* jmp 8:next */
		bn(g, here(g) + 6, 4);
		bn(g, 0x08, 2);
		g->bits = 32;
		b1(g, 0xb8), bn(g, 0x10, 4);			/* mov eax, 0x10 */
		b1(g, 0x8e), b1(g, 0xd8);			/* mov ds, ax */
		b1(g, 0x8e), b1(g, 0xd0);			/* mov ss, ax */
		break;
	case 32:
		if (rng_pct(r, 40)) {	/* -> real mode through a 16-bit segment */
			b1(g, 0xea), bn(g, here(g) + 6, 4), bn(g, 0x20, 2);
			g->bits = 16;
			b1(g, 0x0f), b1(g, 0x20), b1(g, 0xc0);
			b1(g, 0x24), b1(g, 0xfe);		/* and al, 0xfe */
			b1(g, 0x0f), b1(g, 0x22), b1(g, 0xc0);
			b1(g, 0xea), bn(g, here(g) + 4, 2), bn(g, 0, 2);
			break;
		}
		/* -> long mode: PAE, CR3, EFER.LME, PG, jmp 0x18:next */
		b1(g, 0x0f), b1(g, 0x20), b1(g, 0xe0);		/* mov eax, cr4 */
		b1(g, 0x83), b1(g, 0xc8), b1(g, 0x20);		/* or eax, 0x20 */
		b1(g, 0x0f), b1(g, 0x22), b1(g, 0xe0);
		mov_r32(g, 0, 0x10000);
		b1(g, 0x0f), b1(g, 0x22), b1(g, 0xd8);		/* mov cr3, eax */
		mov_r32(g, 1, 0xc0000080);
		b1(g, 0x0f), b1(g, 0x32);			/* rdmsr */
		b1(g, 0x0d), bn(g, 0x100, 4);			/* or eax, LME */
		b1(g, 0x0f), b1(g, 0x30);			/* wrmsr */
		b1(g, 0x0f), b1(g, 0x20), b1(g, 0xc0);
		b1(g, 0x0d), bn(g, 0x80000000, 4);		/* or eax, PG */
		b1(g, 0x0f), b1(g, 0x22), b1(g, 0xc0);
		b1(g, 0xea), bn(g, here(g) + 6, 4), bn(g, 0x18, 2);
		g->bits = 64;
		break;
	default:	/* long -> compatibility mode, maybe paging off */
		b1(g, 0x6a), b1(g, 0x08);			/* push 8 */
		b1(g, 0x68), bn(g, here(g) + 6, 4);		/* push next */
		b1(g, 0x48), b1(g, 0xcb);			/* retfq */
		g->bits = 32;
		if (rng_pct(r, 60)) {
			b1(g, 0x0f), b1(g, 0x20), b1(g, 0xc0);
			b1(g, 0x25), bn(g, 0x7fffffff, 4);	/* and eax */
			b1(g, 0x0f), b1(g, 0x22), b1(g, 0xc0);
		}
		break;
	}
}

static void e_misc(struct gen *g)
{
	static const uint64_t one[] = {
		0x90, 0x9c, 0x9d, 0x9e, 0x9f, 0x99, 0x98, 0xfc, 0xfd, 0xf5, 0xf8,
		0xf9, 0xc9, 0x50, 0x53, 0x58, 0x5b, 0xd7, 0x27, 0x37, 0xf390,
	};
	struct rng *r = g->r;
	uint64_t v;

	if (rng_pct(r, 70)) {
		v = RNG_PICK(r, one);
		if (v > 0xff)
			b1(g, v >> 8);
		b1(g, v);
	} else {
		/* random prefixes before a simple instruction */
		b1(g, RNG_PICK(r, ((const uint64_t[]){ 0x26, 0x2e, 0x36, 0x3e,
						      0x64, 0x65, 0x66, 0x67,
						      0xf0, 0xf2, 0xf3 })));
		b1(g, 0x90 + rng_below(r, 8));
	}
}

static void e_raw(struct gen *g)
{
	unsigned int n = 1 + rng_below(g->r, 6);

	for (unsigned int i = 0; i < n; i++)
		b1(g, rng_next(g->r));
}

static size_t generate(struct rng *r, unsigned int mode, uint8_t *buf,
		       size_t max)
{
	struct gen g = {
		.r = r, .buf = buf, .max = max,
		.bits = mode == M_REAL ? 16 : mode == M_PM32 ? 32 : 64,
	};
	unsigned int n = 2 + rng_below(r, 40);

	for (unsigned int i = 0; i < n && g.pos + 40 < max; i++) {
		switch (rng_below(r, 20)) {
		case 0: case 1:
			e_mov_imm(&g);
			break;
		case 2: case 3:
			e_alu(&g);
			break;
		case 4: case 5: case 6:
			e_io(&g);
			break;
		case 7: case 8:
			e_mem(&g, true);
			break;
		case 9:
			e_mem(&g, false);
			break;
		case 10: case 11:
			e_branch(&g);
			break;
		case 12: case 13:
			e_priv(&g);
			break;
		case 14:
			e_cpuid(&g);
			break;
		case 15:
			e_msr(&g);
			break;
		case 16:
			e_mode(&g);
			break;
		case 17: case 18:
			e_misc(&g);
			break;
		default:
			e_raw(&g);
			break;
		}
	}
	if (rng_pct(r, 60))
		b1(&g, 0xf4);
	return g.pos;
}

/* ---------------------------------------------------------------- set-up */

static bool x86_set_slots(struct gcase *c)
{
	struct kvm_userspace_memory_region lo = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = HOLE_GPA,
		.userspace_addr = (uintptr_t)c->mem,
	};
	struct kvm_userspace_memory_region hi = {
		.slot = 1, .guest_phys_addr = HIGH_GPA,
		.memory_size = MEM_SIZE - HIGH_GPA,
		.userspace_addr = (uintptr_t)(c->mem + HIGH_GPA),
	};

	return !ioctl(c->g->vm, KVM_SET_USER_MEMORY_REGION, &lo) &&
	       !ioctl(c->g->vm, KVM_SET_USER_MEMORY_REGION, &hi);
}

static void x86_prepare(struct gcase *c)
{
	struct rng *r = c->r;
	uint8_t *m = c->mem;
	uint64_t *gdt = (uint64_t *)(m + GDT_GPA);
	uint32_t *ivt = (uint32_t *)m;
	uint64_t *idt32 = (uint64_t *)(m + IDT32_GPA);
	uint64_t *idt64 = (uint64_t *)(m + IDT64_GPA);
	uint64_t *pml4 = (uint64_t *)(m + GUEST_PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(m + GUEST_PDPT_GPA);
	uint64_t *pd = (uint64_t *)(m + GUEST_PD_GPA);
	bool vectors = rng_pct(r, 70);
	uint64_t gdtr_base = GDT_GPA;

	memset(m, 0, MEM_SIZE);
	for (int i = 0; i < 256; i++) {
		uint64_t h = STUB_GPA;

		ivt[i] = vectors ? STUB_GPA : 0;
		idt32[i] = vectors ? (h & 0xffff) | (8ULL << 16) | (0x8e00ULL << 32) |
				     ((h >> 16) << 48) : 0;
		idt64[2 * i] = vectors ? (h & 0xffff) | (0x18ULL << 16) |
					 (0x8e00ULL << 32) | ((h >> 16) << 48) : 0;
		idt64[2 * i + 1] = 0;
	}
	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffULL;
	gdt[2] = 0x00cf93000000ffffULL;
	gdt[3] = 0x00af9b000000ffffULL;
	gdt[4] = 0x00009b000000ffffULL;
	gdt[5] = 0x000093000000ffffULL;
	gdt[6] = rng_next(r);
	*(uint16_t *)(m + GDTR_GPA) = 7 * 8 - 1;
	memcpy(m + GDTR_GPA + 2, &gdtr_base, 8);
	*(uint16_t *)(m + IDTR_GPA) = c->mode == M_REAL ? 0x3ff :
				     c->mode == M_PM32 ? 256 * 8 - 1 : 256 * 16 - 1;
	*(uint32_t *)(m + IDTR_GPA + 2) = c->mode == M_REAL ? 0 :
					   c->mode == M_PM32 ? IDT32_GPA : IDT64_GPA;
	m[STUB_GPA] = 0xf4;			/* hlt */
	m[STUB_GPA + 1] = 0xeb;			/* jmp hlt */
	m[STUB_GPA + 2] = 0xfd;
	pml4[0] = GUEST_PDPT_GPA | GUEST_PTE_P | GUEST_PTE_RW;
	pdpt[0] = GUEST_PD_GPA | GUEST_PTE_P | GUEST_PTE_RW;
	pd[0] = GUEST_PTE_P | GUEST_PTE_RW | GUEST_PTE_PS;
	pd[1] = (2 * MiB) | GUEST_PTE_P | GUEST_PTE_RW | GUEST_PTE_PS;
	pdpt[3] = PD_HI_GPA | GUEST_PTE_P | GUEST_PTE_RW;
	for (uint64_t a = 0xfec00000; a <= 0xfee00000; a += 2 * MiB)
		((uint64_t *)(m + PD_HI_GPA))[(a >> 21) & 511] =
			a | GUEST_PTE_P | GUEST_PTE_RW | GUEST_PTE_PS;
	if (rng_pct(r, 30))
		rng_fill(r, m + DATA_GPA, HOLE_GPA - DATA_GPA);

	if (c->random_bytes) {
		c->code_len = 1 + rng_below(r, rng_pct(r, 50) ? 64 : 1024);
		rng_fill(r, m + CODE_GPA, c->code_len);
	} else {
		c->code_len = generate(r, c->mode, m + CODE_GPA, CODE_MAX);
	}
	/* After the code: HLTs, zeros or more random bytes. */
	switch (rng_below(r, 3)) {
	case 0:
		memset(m + CODE_GPA + c->code_len, 0xf4, 256);
		break;
	case 1:
		rng_fill(r, m + CODE_GPA + c->code_len, 256);
		break;
	default:
		break;
	}
}

/* Some cases get the in-kernel irqchip (LAPIC, IOAPIC, PIC) and PIT. */
static void x86_vm_setup(struct gcase *c)
{
	struct kvm_pit_config pit = { .flags = 0 };

	if (!rng_pct(c->extra, 30))
		return;
	ioctl(c->g->vm, KVM_CREATE_IRQCHIP, 0);
	if (rng_pct(c->extra, 30))
		ioctl(c->g->vm, KVM_CREATE_PIT2, &pit);
}

static void x86_vcpu_setup(struct gcase *c)
{
	static uint8_t buf[sizeof(struct kvm_cpuid2) + 256 * sizeof(struct kvm_cpuid_entry2)];
	struct kvm_cpuid2 *cpuid = (void *)buf;

	if (!rng_pct(c->r, 60))
		return;		/* no CPUID set: the guest sees an empty one */
	cpuid->nent = 256;
	if (ioctl(c->g->kvm, KVM_GET_SUPPORTED_CPUID, cpuid))
		return;
	ioctl(c->g->vcpu, KVM_SET_CPUID2, cpuid);
}

static bool x86_enter(struct gcase *c)
{
	struct kvm_sregs s;

	if (c->mode == M_REAL)
		return guest_enter_real(c->g, CODE_GPA, STACK_TOP);
	if (!guest_flat_mode(c->g, c->mem, c->mode == M_LM64, CODE_GPA, STACK_TOP))
		return false;
	if (ioctl(c->g->vcpu, KVM_GET_SREGS, &s))
		return false;
	s.gdt.base = GDT_GPA;
	s.gdt.limit = 7 * 8 - 1;
	s.idt.base = c->mode == M_PM32 ? IDT32_GPA : IDT64_GPA;
	s.idt.limit = c->mode == M_PM32 ? 256 * 8 - 1 : 256 * 16 - 1;
	if (c->mode == M_LM64)
		s.cs.selector = 0x18;
	return !ioctl(c->g->vcpu, KVM_SET_SREGS, &s);
}

const struct guest_arch guest_arch = {
	.name = "x86_64",
	.nmodes = ARRAY_SIZE(modes),
	.mode_names = modes,
	.mem_size = MEM_SIZE,
	.set_slots = x86_set_slots,
	.prepare = x86_prepare,
	.enter = x86_enter,
	.vm_setup = x86_vm_setup,
	.vcpu_setup = x86_vcpu_setup,
	.code_gpa = CODE_GPA,
};
