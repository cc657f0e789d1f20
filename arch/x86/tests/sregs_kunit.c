// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the rules of sregs.c for a guest's own writes to CR0 and CR4,
 * where a real CPU raises #GP. Included at the end of sregs.c when built
 * with NKVM_KUNIT=y.
 */
#include <kunit/test.h>

#define PE	X86_CR0_PE
#define PG	X86_CR0_PG
#define LONG_CR0	(X86_CR0_PE | X86_CR0_ET | X86_CR0_PG)

/* Flat 32-bit protected mode without paging, or 64-bit long mode. */
static void cr_state(struct kvm_sregs *s, bool long_mode)
{
	memset(s, 0, sizeof(*s));
	s->cr0 = X86_CR0_PE | X86_CR0_ET;
	s->cs.db = 1;
	if (long_mode) {
		s->cr0 |= X86_CR0_PG;
		s->cr4 = X86_CR4_PAE;
		s->efer = EFER_LME | EFER_LMA;
		s->cs.db = 0;
		s->cs.l = 1;
	}
}

static void cr0_writes(struct kunit *test)
{
	struct kvm_sregs s;

	cr_state(&s, false);
	/* The value's own rules: high bits, NW without CD, PG without PE */
	KUNIT_EXPECT_TRUE(test, nkvm_x86_cr_write_valid(&s, 0, PE | X86_CR0_MP, 0));
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 0, PE | BIT_ULL(32), 0));
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 0, PE | X86_CR0_NW, 0));
	KUNIT_EXPECT_TRUE(test, nkvm_x86_cr_write_valid(&s, 0,
							PE | X86_CR0_NW | X86_CR0_CD, 0));
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 0, PG, 0));
	/* Legacy paging without LME needs nothing more */
	KUNIT_EXPECT_TRUE(test, nkvm_x86_cr_write_valid(&s, 0, PE | PG, 0));
	/* Paging on with LME: long mode needs PAE and a non-64-bit CS */
	s.efer = EFER_LME;
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 0, PE | PG, 0));
	s.cr4 = X86_CR4_PAE;
	KUNIT_EXPECT_TRUE(test, nkvm_x86_cr_write_valid(&s, 0, PE | PG, 0));
	s.cs.l = 1;
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 0, PE | PG, 0));

	/* Paging off: not in 64-bit mode, fine in compatibility mode */
	cr_state(&s, true);
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 0, PE, 0));
	KUNIT_EXPECT_TRUE(test, nkvm_x86_cr_write_valid(&s, 0, LONG_CR0 | X86_CR0_WP, 0));
	s.cs.l = 0;
	s.cs.db = 1;
	KUNIT_EXPECT_TRUE(test, nkvm_x86_cr_write_valid(&s, 0, PE, 0));
	/* ... and never with PCIDE */
	s.cr4 |= X86_CR4_PCIDE;
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 0, PE, 0));
}

static void cr4_writes(struct kunit *test)
{
	struct kvm_sregs s;

	cr_state(&s, false);
	KUNIT_EXPECT_TRUE(test, nkvm_x86_cr_write_valid(&s, 4, X86_CR4_PAE | X86_CR4_PSE, 0));
	/* Reserved: bit 15 everywhere, VMXE on AMD's nkvm, what CPUID reserves */
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 4, BIT_ULL(15), 0));
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 4, BIT_ULL(63), 0));
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 4, X86_CR4_VMXE, 0));
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 4, X86_CR4_DE,
							 X86_CR4_DE));
	/* PCIDE only in long mode, and with CR3[11:0] clear */
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 4, X86_CR4_PCIDE, 0));
	cr_state(&s, true);
	if (nkvm_x86_supports(X86_FEATURE_PCID)) {
		u64 pcid = X86_CR4_PAE | X86_CR4_PCIDE;

		KUNIT_EXPECT_TRUE(test, nkvm_x86_cr_write_valid(&s, 4, pcid, 0));
		s.cr3 = 0x1001;
		KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 4, pcid, 0));
	}
	/* Long mode keeps PAE */
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 4, X86_CR4_PSE, 0));
	KUNIT_EXPECT_TRUE(test, nkvm_x86_cr_write_valid(&s, 4, X86_CR4_PAE | X86_CR4_PGE, 0));
	/* Only CR0 and CR4 have rules here */
	KUNIT_EXPECT_FALSE(test, nkvm_x86_cr_write_valid(&s, 3, 0, 0));
}

static struct kunit_case nkvm_cr_cases[] = {
	KUNIT_CASE(cr0_writes),
	KUNIT_CASE(cr4_writes),
	{}
};

static struct kunit_suite nkvm_cr_suite = {
	.name = "nkvm-x86-cr-writes",
	.test_cases = nkvm_cr_cases,
};

kunit_test_suite(nkvm_cr_suite);
