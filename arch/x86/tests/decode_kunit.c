// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the instruction decoder of emulate.c (prefixes, ModRM/SIB/
 * displacement lengths in each address size, the MOV forms, immediates and
 * register write-back, effective addresses, the control register writes),
 * fed bytes directly instead of fetching them from a guest. Included at
 * the end of emulate.c when built with NKVM_KUNIT=y.
 */
#include <kunit/test.h>

enum dec_mode { DEC_REAL, DEC_PROT32, DEC_LONG64 };

static void dec_sregs(struct kvm_sregs *s, enum dec_mode m)
{
	memset(s, 0, sizeof(*s));
	if (m != DEC_REAL) {
		s->cr0 = X86_CR0_PE;
		s->cs.db = 1;
	}
	if (m == DEC_LONG64) {
		s->efer = EFER_LMA | EFER_LME;
		s->cs.db = 0;
		s->cs.l = 1;
	}
}

/* Prefixes and opcode of bytes[] in mode m: the result of emu_prefixes(). */
static int dec_pfx(struct nkvm_x86_insn *in, enum dec_mode m, const u8 *bytes,
		   unsigned int n)
{
	struct kvm_sregs s;

	dec_sregs(&s, m);
	emu_insn_init(in, &s, 0x1000);
	memcpy(in->bytes, bytes, n);
	in->avail = n;
	return emu_prefixes(in);
}

/* The whole decode; *xvp is a zeroed vCPU the MOV forms read registers of. */
static int dec_full(struct kunit *test, struct nkvm_x86_insn *in,
		    struct emu_op *op, struct nkvm_x86_vcpu *xv,
		    enum dec_mode m, const u8 *bytes, unsigned int n)
{
	int r = dec_pfx(in, m, bytes, n);

	KUNIT_ASSERT_EQ(test, r, 0);
	return emu_decode(xv, in, op);
}

#define DEC(test, in, op, xv, m, ...) ({				\
	static const u8 __b[] = { __VA_ARGS__ };			\
	dec_full(test, in, op, xv, m, __b, sizeof(__b));		\
})

static void dec_modes(struct kunit *test)
{
	struct nkvm_x86_insn in;
	static const u8 mov[] = { 0x89, 0x07 };

	KUNIT_ASSERT_EQ(test, dec_pfx(&in, DEC_REAL, mov, 2), 0);
	KUNIT_EXPECT_EQ(test, in.opsz, 2U);
	KUNIT_EXPECT_EQ(test, in.adsz, 2U);
	KUNIT_EXPECT_EQ(test, in.next_rip_mask, 0xffffULL);
	KUNIT_ASSERT_EQ(test, dec_pfx(&in, DEC_PROT32, mov, 2), 0);
	KUNIT_EXPECT_EQ(test, in.opsz, 4U);
	KUNIT_EXPECT_EQ(test, in.adsz, 4U);
	KUNIT_ASSERT_EQ(test, dec_pfx(&in, DEC_LONG64, mov, 2), 0);
	KUNIT_EXPECT_EQ(test, in.opsz, 4U);
	KUNIT_EXPECT_EQ(test, in.adsz, 8U);
	KUNIT_EXPECT_TRUE(test, in.mode64);
}

static void dec_prefixes(struct kunit *test)
{
	struct nkvm_x86_insn in;
	static const u8 p66[] = { 0x66, 0x89, 0x07 };
	static const u8 p67[] = { 0x67, 0x89, 0x07 };
	static const u8 rexw66[] = { 0x66, 0x48, 0x89, 0x07 };
	static const u8 rex_then_66[] = { 0x48, 0x66, 0x89, 0x07 };
	static const u8 segs[] = { 0x26, 0x65, 0xf3, 0xa5 };
	static const u8 only_pfx[] = { 0x66, 0x67 };
	static const u8 rex32[] = { 0x48 };

	KUNIT_ASSERT_EQ(test, dec_pfx(&in, DEC_PROT32, p66, 3), 0);
	KUNIT_EXPECT_EQ(test, in.opsz, 2U);
	KUNIT_ASSERT_EQ(test, dec_pfx(&in, DEC_REAL, p66, 3), 0);
	KUNIT_EXPECT_EQ(test, in.opsz, 4U);
	KUNIT_ASSERT_EQ(test, dec_pfx(&in, DEC_LONG64, p67, 3), 0);
	KUNIT_EXPECT_EQ(test, in.adsz, 4U);
	KUNIT_ASSERT_EQ(test, dec_pfx(&in, DEC_PROT32, p67, 3), 0);
	KUNIT_EXPECT_EQ(test, in.adsz, 2U);
	/* REX.W beats 66; a legacy prefix after REX cancels the REX. */
	KUNIT_ASSERT_EQ(test, dec_pfx(&in, DEC_LONG64, rexw66, 4), 0);
	KUNIT_EXPECT_EQ(test, in.opsz, 8U);
	KUNIT_ASSERT_EQ(test, dec_pfx(&in, DEC_LONG64, rex_then_66, 4), 0);
	KUNIT_EXPECT_EQ(test, in.rex, 0);
	KUNIT_EXPECT_EQ(test, in.opsz, 2U);
	/* The last segment override wins; REP is kept. */
	KUNIT_ASSERT_EQ(test, dec_pfx(&in, DEC_PROT32, segs, 4), 0);
	KUNIT_EXPECT_EQ(test, in.seg, NKVM_SEG_GS);
	KUNIT_EXPECT_EQ(test, in.rep, 0xf3);
	KUNIT_EXPECT_EQ(test, in.opcode, 0xa5);
	KUNIT_EXPECT_EQ(test, in.len, 4U);
	/* Out of bytes before the opcode; 0x48 is DEC EAX outside 64-bit mode. */
	KUNIT_EXPECT_EQ(test, dec_pfx(&in, DEC_PROT32, only_pfx, 2), -EINVAL);
	KUNIT_ASSERT_EQ(test, dec_pfx(&in, DEC_PROT32, rex32, 1), 0);
	KUNIT_EXPECT_EQ(test, in.opcode, 0x48);
}

static void dec_modrm_lengths(struct kunit *test)
{
	struct nkvm_x86_vcpu *xv = kunit_kzalloc(test, sizeof(*xv), GFP_KERNEL);
	struct nkvm_x86_insn in;
	struct emu_op op;

	KUNIT_ASSERT_NOT_NULL(test, xv);
	/* 32-bit: [edi], [ebx+disp8], [disp32], [esp+eax*4], [disp32+eax*4] */
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x89, 0x07), 0);
	KUNIT_EXPECT_EQ(test, in.len, 2U);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x89, 0x43, 0x10), 0);
	KUNIT_EXPECT_EQ(test, in.len, 3U);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x89, 0x05, 1, 2, 3, 4), 0);
	KUNIT_EXPECT_EQ(test, in.len, 6U);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x89, 0x04, 0x84), 0);
	KUNIT_EXPECT_EQ(test, in.len, 3U);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x89, 0x04, 0x85, 1, 2, 3, 4), 0);
	KUNIT_EXPECT_EQ(test, in.len, 7U);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x89, 0x84, 0x24, 1, 2, 3, 4), 0);
	KUNIT_EXPECT_EQ(test, in.len, 7U);
	/* 16-bit: [bx+si], [disp16], [bp+disp8], [bx+disp16]; no SIB */
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_REAL, 0x89, 0x00), 0);
	KUNIT_EXPECT_EQ(test, in.len, 2U);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_REAL, 0x89, 0x06, 1, 2), 0);
	KUNIT_EXPECT_EQ(test, in.len, 4U);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_REAL, 0x89, 0x46, 1), 0);
	KUNIT_EXPECT_EQ(test, in.len, 3U);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_REAL, 0x89, 0x87, 1, 2), 0);
	KUNIT_EXPECT_EQ(test, in.len, 4U);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_REAL, 0x89, 0x04), 0);
	KUNIT_EXPECT_EQ(test, in.len, 2U);
	/* 64-bit: RIP-relative [rip+disp32] */
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_LONG64, 0x89, 0x05, 1, 2, 3, 4), 0);
	KUNIT_EXPECT_EQ(test, in.len, 6U);
	/* A register operand cannot be MMIO; truncated displacements fail. */
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x89, 0xc0), -EINVAL);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x89, 0x05, 1, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x89), -EINVAL);
}

static void dec_mov_forms(struct kunit *test)
{
	struct nkvm_x86_vcpu *xv = kunit_kzalloc(test, sizeof(*xv), GFP_KERNEL);
	struct nkvm_x86_insn in;
	struct emu_op op;
	int r;

	KUNIT_ASSERT_NOT_NULL(test, xv);
	xv->regs.rax = 0x1122334455667788ULL;
	xv->regs.rbx = 0xaabbccddeeff0011ULL;
	xv->regs.r9 = 0x99;
	/* MOV [edi], bh: high-byte register 7 without REX */
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x88, 0x3f), 0);
	KUNIT_EXPECT_TRUE(test, op.write);
	KUNIT_EXPECT_EQ(test, op.len, 1U);
	KUNIT_EXPECT_EQ(test, op.data, 0x00ULL);
	/* MOV [rdi], r9 (REX.WR) */
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_LONG64, 0x4c, 0x89, 0x0f), 0);
	KUNIT_EXPECT_EQ(test, op.len, 8U);
	KUNIT_EXPECT_EQ(test, op.data, 0x99ULL);
	/* MOV ah, [ebx]: a read into a high byte */
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x8a, 0x23), 0);
	KUNIT_EXPECT_FALSE(test, op.write);
	KUNIT_EXPECT_TRUE(test, op.high8);
	KUNIT_EXPECT_EQ(test, op.reg, 4U);
	/* MOV dword [ebx], -2 : imm32; MOV qword [rbx], imm32 sign-extends */
	r = DEC(test, &in, &op, xv, DEC_PROT32, 0xc7, 0x03, 0xfe, 0xff, 0xff, 0xff);
	KUNIT_EXPECT_EQ(test, r, 0);
	KUNIT_EXPECT_EQ(test, op.len, 4U);
	KUNIT_EXPECT_EQ(test, (u32)op.data, 0xfffffffeU);
	r = DEC(test, &in, &op, xv, DEC_LONG64, 0x48, 0xc7, 0x03, 0xfe, 0xff, 0xff, 0xff);
	KUNIT_EXPECT_EQ(test, r, 0);
	KUNIT_EXPECT_EQ(test, op.len, 8U);
	KUNIT_EXPECT_EQ(test, op.data, 0xfffffffffffffffeULL);
	/* C7 /1 is not MOV */
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0xc7, 0x0b, 0, 0, 0, 0), -EINVAL);
	/* MOV [moffs], eax: the offset is address-size wide */
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0xa3, 1, 2, 3, 4), 0);
	KUNIT_EXPECT_EQ(test, in.len, 5U);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_LONG64, 0xa1, 1, 2, 3, 4, 5, 6, 7, 8), 0);
	KUNIT_EXPECT_EQ(test, in.len, 9U);
	KUNIT_EXPECT_EQ(test, op.dst_size, 4U);
	/* MOVZX eax, byte [ebx]; MOVSX eax, word [ebx] */
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x0f, 0xb6, 0x03), 0);
	KUNIT_EXPECT_EQ(test, op.len, 1U);
	KUNIT_EXPECT_EQ(test, op.dst_size, 4U);
	KUNIT_EXPECT_FALSE(test, op.sign);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x0f, 0xbf, 0x03), 0);
	KUNIT_EXPECT_EQ(test, op.len, 2U);
	KUNIT_EXPECT_TRUE(test, op.sign);
	/* Not decoded: other two-byte opcodes, ADD */
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x0f, 0xaf, 0x03), -EINVAL);
	KUNIT_EXPECT_EQ(test, DEC(test, &in, &op, xv, DEC_PROT32, 0x01, 0x03), -EINVAL);
}

static void dec_reg_writeback(struct kunit *test)
{
	struct nkvm_x86_vcpu *xv = kunit_kzalloc(test, sizeof(*xv), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, xv);
	xv->regs.rax = ~0ULL;
	emu_set_reg(xv, 0, 1, false, 0x12);
	KUNIT_EXPECT_EQ(test, xv->regs.rax, 0xffffffffffffff12ULL);
	emu_set_reg(xv, 0, 2, false, 0x3456);
	KUNIT_EXPECT_EQ(test, xv->regs.rax, 0xffffffffffff3456ULL);
	emu_set_reg(xv, 4, 1, true, 0x78);		/* AH */
	KUNIT_EXPECT_EQ(test, xv->regs.rax, 0xffffffffffff7856ULL);
	emu_set_reg(xv, 0, 4, false, 0x9abcdef0);	/* zero-extends */
	KUNIT_EXPECT_EQ(test, xv->regs.rax, 0x9abcdef0ULL);
	emu_set_reg(xv, 15, 8, false, 0x123456789ULL);
	KUNIT_EXPECT_EQ(test, xv->regs.r15, 0x123456789ULL);
}

static void dec_string_addr(struct kunit *test)
{
	struct kvm_sregs s;
	u64 r = 0xffff;

	nkvm_x86_str_add(2, &r, 1);		/* 16-bit wrap, upper bits kept */
	KUNIT_EXPECT_EQ(test, r, 0x0ULL);
	r = 0x12340000ffffULL;
	nkvm_x86_str_add(2, &r, 1);
	KUNIT_EXPECT_EQ(test, r, 0x123400000000ULL);
	r = 0xffffffffULL;
	nkvm_x86_str_add(4, &r, 1);		/* 32-bit: zero-extends */
	KUNIT_EXPECT_EQ(test, r, 0ULL);
	r = 0;
	nkvm_x86_str_add(8, &r, -4);
	KUNIT_EXPECT_EQ(test, r, (u64)-4);

	dec_sregs(&s, DEC_PROT32);
	s.ds.base = 0x10000;
	s.es.base = 0x20000;
	s.fs.base = 0x7000000000ULL;
	KUNIT_EXPECT_EQ(test, nkvm_x86_str_linear(&s, false, 4, -1, 0x10), 0x10010ULL);
	KUNIT_EXPECT_EQ(test, nkvm_x86_str_linear(&s, false, 4, NKVM_SEG_ES, 0x10), 0x20010ULL);
	KUNIT_EXPECT_EQ(test, nkvm_x86_str_linear(&s, false, 2, -1, 0x123456), 0x13456ULL);
	/* 64-bit mode: only FS and GS have bases */
	KUNIT_EXPECT_EQ(test, nkvm_x86_str_linear(&s, true, 8, -1, 0x10), 0x10ULL);
	KUNIT_EXPECT_EQ(test, nkvm_x86_str_linear(&s, true, 8, NKVM_SEG_FS, 0x10),
			0x7000000010ULL);
}

/* emu_cr_write() on bytes[] in mode m, from a CR0 of cr0. */
static int dec_cr(struct nkvm_x86_insn *in, struct nkvm_x86_cr_write *w,
		  struct nkvm_x86_vcpu *xv, enum dec_mode m, u64 cr0,
		  const u8 *bytes, unsigned int n)
{
	struct kvm_sregs s;
	int r;

	dec_sregs(&s, m);
	s.cr0 |= cr0;
	emu_insn_init(in, &s, 0x1000);
	memcpy(in->bytes, bytes, n);
	in->avail = n;
	r = emu_prefixes(in);
	return r ? r : emu_cr_write(xv, &s, in, w);
}

#define DEC_CR(in, w, xv, m, cr0, ...) ({				\
	static const u8 __b[] = { __VA_ARGS__ };			\
	dec_cr(in, w, xv, m, cr0, __b, sizeof(__b));			\
})

static void dec_cr_writes(struct kunit *test)
{
	struct nkvm_x86_vcpu *xv = kunit_kzalloc(test, sizeof(*xv), GFP_KERNEL);
	struct nkvm_x86_cr_write w;
	struct nkvm_x86_insn in;

	KUNIT_ASSERT_NOT_NULL(test, xv);
	xv->regs.rax = 0xffffffff80000011ULL;
	xv->regs.rsi = 0x6;
	xv->regs.r9 = 0x1234567800000020ULL;
	/* mov cr0, eax: 32 bits outside 64-bit mode, whatever mod says */
	KUNIT_ASSERT_EQ(test, DEC_CR(&in, &w, xv, DEC_PROT32, 0, 0x0f, 0x22, 0xc0), 0);
	KUNIT_EXPECT_EQ(test, w.cr, 0U);
	KUNIT_EXPECT_EQ(test, w.val, 0x80000011ULL);
	KUNIT_EXPECT_EQ(test, w.next_rip, 0x1003ULL);
	KUNIT_ASSERT_EQ(test, DEC_CR(&in, &w, xv, DEC_PROT32, 0, 0x0f, 0x22, 0x00), 0);
	KUNIT_EXPECT_EQ(test, w.val, 0x80000011ULL);
	/* mov cr4, r9 (REX.B): all 64 bits */
	KUNIT_ASSERT_EQ(test, DEC_CR(&in, &w, xv, DEC_LONG64, 0, 0x41, 0x0f, 0x22, 0xe1), 0);
	KUNIT_EXPECT_EQ(test, w.cr, 4U);
	KUNIT_EXPECT_EQ(test, w.val, 0x1234567800000020ULL);
	/* REX.R and LOCK name CR8 and up */
	KUNIT_ASSERT_EQ(test, DEC_CR(&in, &w, xv, DEC_LONG64, 0, 0x44, 0x0f, 0x22, 0xc0), 0);
	KUNIT_EXPECT_EQ(test, w.cr, 8U);
	KUNIT_ASSERT_EQ(test, DEC_CR(&in, &w, xv, DEC_PROT32, 0, 0xf0, 0x0f, 0x22, 0xc0), 0);
	KUNIT_EXPECT_EQ(test, w.cr, 8U);
	/* lmsw si: MP|EM set, PE stays set though bit 0 of the source is clear */
	KUNIT_ASSERT_EQ(test, DEC_CR(&in, &w, xv, DEC_PROT32, X86_CR0_TS | X86_CR0_PG,
				     0x0f, 0x01, 0xf6), 0);
	KUNIT_EXPECT_EQ(test, w.cr, 0U);
	KUNIT_EXPECT_EQ(test, w.val, (u64)(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM |
					   X86_CR0_PG));
	/* ... and sets PE from real mode */
	xv->regs.rsi = 1;
	KUNIT_ASSERT_EQ(test, DEC_CR(&in, &w, xv, DEC_REAL, X86_CR0_ET, 0x0f, 0x01, 0xf6), 0);
	KUNIT_EXPECT_EQ(test, w.val, (u64)(X86_CR0_ET | X86_CR0_PE));
	/* clts: TS off, the rest kept */
	KUNIT_ASSERT_EQ(test, DEC_CR(&in, &w, xv, DEC_LONG64, X86_CR0_TS | X86_CR0_PG,
				     0x0f, 0x06), 0);
	KUNIT_EXPECT_EQ(test, w.cr, 0U);
	KUNIT_EXPECT_EQ(test, w.val, (u64)(X86_CR0_PE | X86_CR0_PG));
	KUNIT_EXPECT_EQ(test, w.next_rip, 0x1002ULL);
	/* Not CR writes: smsw (0f 01 /4), mov eax, cr0 (0f 20), truncated */
	KUNIT_EXPECT_EQ(test, DEC_CR(&in, &w, xv, DEC_PROT32, 0, 0x0f, 0x01, 0xe0), -EINVAL);
	KUNIT_EXPECT_EQ(test, DEC_CR(&in, &w, xv, DEC_PROT32, 0, 0x0f, 0x20, 0xc0), -EINVAL);
	KUNIT_EXPECT_EQ(test, DEC_CR(&in, &w, xv, DEC_PROT32, 0, 0x0f, 0x22), -EINVAL);
	KUNIT_EXPECT_EQ(test, DEC_CR(&in, &w, xv, DEC_PROT32, 0, 0x90), -EINVAL);
}

/* The effective address of the memory operand of bytes[] (prefixes, 8b, ModRM...). */
static u64 dec_ea(struct kunit *test, struct nkvm_x86_vcpu *xv, enum dec_mode m,
		  const u8 *bytes, unsigned int n, int *seg)
{
	struct nkvm_x86_insn in;
	struct emu_op op;

	KUNIT_EXPECT_EQ(test, dec_full(test, &in, &op, xv, m, bytes, n), 0);
	KUNIT_EXPECT_EQ(test, in.len, n);
	return emu_ea(xv, &in, seg);
}

#define DEC_EA(test, xv, m, seg, ...) ({				\
	static const u8 __b[] = { __VA_ARGS__ };			\
	dec_ea(test, xv, m, __b, sizeof(__b), seg);			\
})

static void dec_effective_address(struct kunit *test)
{
	struct nkvm_x86_vcpu *xv = kunit_kzalloc(test, sizeof(*xv), GFP_KERNEL);
	int seg;

	KUNIT_ASSERT_NOT_NULL(test, xv);
	xv->regs.rbx = 0x1000;
	xv->regs.rbp = 0x2000;
	xv->regs.rsi = 0x30;
	xv->regs.rdi = 0xfff0;
	xv->regs.rsp = 0x7000;
	xv->regs.rcx = 0x4;
	xv->regs.r12 = 0x100000000ULL;
	xv->regs.r13 = 0x500;
	/* 16-bit: [bx+si+8], [bp+di+0x20] (SS, wraps at 64 KiB), [0x1234] */
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_REAL, &seg, 0x8b, 0x40, 0x08), 0x1038ULL);
	KUNIT_EXPECT_EQ(test, seg, NKVM_SEG_DS);
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_REAL, &seg, 0x8b, 0x43, 0x20), 0x2010ULL);
	KUNIT_EXPECT_EQ(test, seg, NKVM_SEG_SS);
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_REAL, &seg, 0x8b, 0x06, 0x34, 0x12), 0x1234ULL);
	KUNIT_EXPECT_EQ(test, seg, NKVM_SEG_DS);
	/* [si-1]: disp8 sign-extended */
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_REAL, &seg, 0x8b, 0x44, 0xff), 0x2fULL);
	/* 32-bit: [ebx+ecx*8+0x10], [esp+4] (SS), [disp32], [ebp] needs disp8 */
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_PROT32, &seg, 0x8b, 0x44, 0xcb, 0x10),
			0x1030ULL);
	KUNIT_EXPECT_EQ(test, seg, NKVM_SEG_DS);
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_PROT32, &seg, 0x8b, 0x44, 0x24, 0x04),
			0x7004ULL);
	KUNIT_EXPECT_EQ(test, seg, NKVM_SEG_SS);
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_PROT32, &seg, 0x8b, 0x05, 0x78, 0x56,
				     0x34, 0x12), 0x12345678ULL);
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_PROT32, &seg, 0x8b, 0x45, 0x00), 0x2000ULL);
	KUNIT_EXPECT_EQ(test, seg, NKVM_SEG_SS);
	/* SIB without base: [ecx*2+disp32]; index 4 is none: [ebx] */
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_PROT32, &seg, 0x8b, 0x04, 0x4d, 0, 1, 0, 0),
			0x108ULL);
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_PROT32, &seg, 0x8b, 0x04, 0x23), 0x1000ULL);
	/* 32-bit addresses wrap: [edi+0xffff0020] */
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_PROT32, &seg, 0x8b, 0x87, 0x20, 0x00,
				     0xff, 0xff), 0x10ULL);
	/* 64-bit: [rip+0x10] counts from the next instruction (0x1000 + 6) */
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_LONG64, &seg, 0x8b, 0x05, 0x10, 0, 0, 0),
			0x1016ULL);
	/* [r12+r13*2] (REX.XB): r12 as base is not SS; r12 as index is an index */
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_LONG64, &seg, 0x43, 0x8b, 0x04, 0x6c),
			0x100000a00ULL);
	KUNIT_EXPECT_EQ(test, seg, NKVM_SEG_DS);
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_LONG64, &seg, 0x42, 0x8b, 0x04, 0x23),
			0x100001000ULL);
	/* 67 in 64-bit mode: 32-bit address, [ebx-0x2000] wraps */
	KUNIT_EXPECT_EQ(test, DEC_EA(test, xv, DEC_LONG64, &seg, 0x67, 0x8b, 0x83, 0x00, 0xe0,
				     0xff, 0xff), 0xfffff000ULL);
}

static struct kunit_case nkvm_decode_cases[] = {
	KUNIT_CASE(dec_modes),
	KUNIT_CASE(dec_prefixes),
	KUNIT_CASE(dec_modrm_lengths),
	KUNIT_CASE(dec_mov_forms),
	KUNIT_CASE(dec_reg_writeback),
	KUNIT_CASE(dec_string_addr),
	KUNIT_CASE(dec_cr_writes),
	KUNIT_CASE(dec_effective_address),
	{}
};

static struct kunit_suite nkvm_decode_suite = {
	.name = "nkvm-x86-decode",
	.test_cases = nkvm_decode_cases,
};

kunit_test_suite(nkvm_decode_suite);
