// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the generic capability table of caps.c.
 */
#include <kunit/test.h>

static void caps_unique(struct kunit *test)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(nkvm_caps); i++)
		for (j = i + 1; j < ARRAY_SIZE(nkvm_caps); j++)
			KUNIT_EXPECT_NE_MSG(test, nkvm_caps[i].cap, nkvm_caps[j].cap,
					    "capability %ld listed twice",
					    nkvm_caps[i].cap);
}

static void caps_values(struct kunit *test)
{
	const struct nkvm_arch_ops *ops = NKVM_ARCH;
	long nr = nkvm_check_extension(NULL, KVM_CAP_NR_VCPUS);
	long max = nkvm_check_extension(NULL, KVM_CAP_MAX_VCPUS);

	KUNIT_EXPECT_EQ(test, nkvm_check_extension(NULL, KVM_CAP_USER_MEMORY), 1);
	KUNIT_EXPECT_GT(test, nr, 0);
	KUNIT_EXPECT_LE(test, nr, max);
	KUNIT_EXPECT_EQ(test, max, (long)ops->max_vcpus);
	KUNIT_EXPECT_GE(test, nkvm_check_extension(NULL, KVM_CAP_MAX_VCPU_ID), max);
	KUNIT_EXPECT_EQ(test, nkvm_check_extension(NULL, KVM_CAP_NR_MEMSLOTS),
			(long)ops->nr_memslots);
	KUNIT_EXPECT_EQ(test, nkvm_check_extension(NULL, KVM_CAP_READONLY_MEM),
			(long)!!(ops->memslot_flags & KVM_MEM_READONLY));
	KUNIT_EXPECT_EQ(test, nkvm_check_extension(NULL, KVM_CAP_COALESCED_PIO),
			(long)!!nkvm_check_extension(NULL, KVM_CAP_COALESCED_MMIO));
	KUNIT_EXPECT_EQ(test, nkvm_check_extension(NULL, KVM_CAP_IMMEDIATE_EXIT),
			(long)nkvm_runs_guests());
}

static void caps_unknown(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, nkvm_check_extension(NULL, -1), 0);
	KUNIT_EXPECT_EQ(test, nkvm_check_extension(NULL, 0x7fffffff), 0);
	KUNIT_EXPECT_EQ(test, nkvm_check_extension(NULL, LONG_MIN), 0);
}

static struct kunit_case nkvm_caps_cases[] = {
	KUNIT_CASE(caps_unique),
	KUNIT_CASE(caps_values),
	KUNIT_CASE(caps_unknown),
	{}
};

static struct kunit_suite nkvm_caps_suite = {
	.name = "nkvm-caps",
	.test_cases = nkvm_caps_cases,
};

kunit_test_suite(nkvm_caps_suite);
