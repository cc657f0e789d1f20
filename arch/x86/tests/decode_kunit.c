// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the MMIO instruction decoder of emulate.c (prefixes, ModRM/SIB/
 * displacement lengths in each address size, the MOV forms, immediates and
 * register write-back), fed bytes directly instead of fetching them from a
 * guest. Included at the end of emulate.c when built with NKVM_KUNIT=y.
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

static struct kunit_case nkvm_decode_cases[] = {
	KUNIT_CASE(dec_modes),
	KUNIT_CASE(dec_prefixes),
	KUNIT_CASE(dec_modrm_lengths),
	KUNIT_CASE(dec_mov_forms),
	KUNIT_CASE(dec_reg_writeback),
	KUNIT_CASE(dec_string_addr),
	{}
};

static struct kunit_suite nkvm_decode_suite = {
	.name = "nkvm-x86-decode",
	.test_cases = nkvm_decode_cases,
};

kunit_test_suite(nkvm_decode_suite);
