// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the memslot rules of memslot.c (region checks, overlap, the kind of
 * change an update is, the sorted rebuild and the gfn lookup). Included at
 * the end of memslot.c when the module is built with NKVM_KUNIT=y, so the
 * static helpers are tested directly.
 */
#include <kunit/test.h>

/* A slot set built from (base_gfn, npages, id) triples, kept sorted. */
static struct nkvm_memslots *ms_make(struct kunit *test, unsigned int nr,
				     const u64 (*t)[3])
{
	struct nkvm_memslots *s;
	unsigned int i;

	s = kunit_kzalloc(test, struct_size(s, slots, nr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < nr; i++) {
		s->slots[i].base_gfn = t[i][0];
		s->slots[i].npages = t[i][1];
		s->slots[i].id = t[i][2];
		s->slots[i].userspace_addr = 0x10000000UL + (t[i][2] << 24);
	}
	s->nr = nr;
	return s;
}

static const u64 ms_two[][3] = { { 0x100, 0x10, 1 }, { 0x200, 0x10, 2 } };

static struct kvm_userspace_memory_region ms_region(void)
{
	return (struct kvm_userspace_memory_region){
		.slot = 0, .flags = 0, .guest_phys_addr = 0x100000,
		.memory_size = 0x4000, .userspace_addr = 0x10000000,
	};
}

static void ms_check_region_ok(struct kunit *test)
{
	struct kvm_userspace_memory_region m = ms_region();

	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), 0);
	m.memory_size = 0;		/* deleting is a valid request */
	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), 0);
	m = ms_region();
	m.slot = NKVM_ARCH->nr_memslots - 1;
	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), 0);
}

static void ms_check_region_bad(struct kunit *test)
{
	struct kvm_userspace_memory_region m;

	m = ms_region(); m.flags = BIT(31);
	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), -EINVAL);
	m = ms_region(); m.slot = NKVM_ARCH->nr_memslots;
	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), -EINVAL);
	m = ms_region(); m.slot = NKVM_ARCH->address_spaces << 16;
	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), -EINVAL);
	m = ms_region(); m.memory_size += 1;
	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), -EINVAL);
	m = ms_region(); m.guest_phys_addr += 0x800;
	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), -EINVAL);
	m = ms_region(); m.userspace_addr += 8;
	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), -EINVAL);
	m = ms_region(); m.userspace_addr = -PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), -EINVAL);
	m = ms_region(); m.userspace_addr = TASK_SIZE_MAX & PAGE_MASK;
	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), -EINVAL);
	m = ms_region(); m.guest_phys_addr = -PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), -EINVAL);
	m = ms_region();
	m.memory_size = (NKVM_MEM_MAX_NR_PAGES + 1) << PAGE_SHIFT;
	m.userspace_addr = 0x1000;
	KUNIT_EXPECT_EQ(test, nkvm_check_region(&m), -EINVAL);
}

static void ms_overlaps(struct kunit *test)
{
	struct nkvm_memslots *s = ms_make(test, 2, ms_two);
	struct nkvm_memslot n = { .id = 3 };

	n.base_gfn = 0x10f; n.npages = 1;	/* last page of slot 1 */
	KUNIT_EXPECT_TRUE(test, nkvm_overlaps(s, &n));
	n.base_gfn = 0x110; n.npages = 0xf0;	/* exactly the gap */
	KUNIT_EXPECT_FALSE(test, nkvm_overlaps(s, &n));
	n.base_gfn = 0x110; n.npages = 0xf1;	/* one page into slot 2 */
	KUNIT_EXPECT_TRUE(test, nkvm_overlaps(s, &n));
	n.base_gfn = 0; n.npages = 0x1000;	/* covers both */
	KUNIT_EXPECT_TRUE(test, nkvm_overlaps(s, &n));
	n.base_gfn = 0; n.npages = 0x100;	/* ends where slot 1 starts */
	KUNIT_EXPECT_FALSE(test, nkvm_overlaps(s, &n));
	n.id = 1; n.base_gfn = 0x100; n.npages = 0x10;	/* itself */
	KUNIT_EXPECT_FALSE(test, nkvm_overlaps(s, &n));
	n.id = 1; n.base_gfn = 0x1f8;		/* moving into slot 2 */
	KUNIT_EXPECT_TRUE(test, nkvm_overlaps(s, &n));
}

static void ms_classify(struct kunit *test)
{
	struct nkvm_memslot old = { .base_gfn = 0x100, .npages = 0x10,
				    .userspace_addr = 0x10000000, .id = 1 };
	struct nkvm_memslot n;
	enum nkvm_mr_change c = -1;

	n = old; n.npages = 0;
	KUNIT_EXPECT_EQ(test, nkvm_classify(NULL, &n, &c), -EINVAL);
	KUNIT_EXPECT_EQ(test, nkvm_classify(&old, &n, &c), 0);
	KUNIT_EXPECT_EQ(test, c, NKVM_MR_DELETE);
	n = old;
	KUNIT_EXPECT_EQ(test, nkvm_classify(NULL, &n, &c), 0);
	KUNIT_EXPECT_EQ(test, c, NKVM_MR_CREATE);
	KUNIT_EXPECT_EQ(test, nkvm_classify(&old, &n, &c), -EALREADY);
	n.base_gfn = 0x300;
	KUNIT_EXPECT_EQ(test, nkvm_classify(&old, &n, &c), 0);
	KUNIT_EXPECT_EQ(test, c, NKVM_MR_MOVE);
	n = old; n.flags = KVM_MEM_LOG_DIRTY_PAGES;
	KUNIT_EXPECT_EQ(test, nkvm_classify(&old, &n, &c), 0);
	KUNIT_EXPECT_EQ(test, c, NKVM_MR_FLAGS_ONLY);
	n = old; n.flags = KVM_MEM_READONLY;
	KUNIT_EXPECT_EQ(test, nkvm_classify(&old, &n, &c), -EINVAL);
	n = old; n.npages = 0x20;
	KUNIT_EXPECT_EQ(test, nkvm_classify(&old, &n, &c), -EINVAL);
	n = old; n.userspace_addr += PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, nkvm_classify(&old, &n, &c), -EINVAL);
}

static void ms_expect_order(struct kunit *test, struct nkvm_memslots *s,
			    unsigned int nr, const u16 *ids)
{
	unsigned int i;

	KUNIT_ASSERT_EQ(test, s->nr, nr);
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ(test, s->slots[i].id, ids[i]);
		if (i)
			KUNIT_EXPECT_LT(test, s->slots[i - 1].base_gfn,
					s->slots[i].base_gfn);
	}
}

static void ms_rebuild(struct kunit *test)
{
	struct nkvm_memslots *s = ms_make(test, 2, ms_two), *n;
	struct nkvm_memslot mid = { .base_gfn = 0x180, .npages = 1, .id = 7 };
	struct nkvm_memslot low = { .base_gfn = 0, .npages = 1, .id = 8 };
	struct nkvm_memslot high = { .base_gfn = 0x900, .npages = 1, .id = 9 };
	struct nkvm_memslot moved = { .base_gfn = 0x800, .npages = 0x10, .id = 1 };

	n = nkvm_rebuild(s, -1, &mid);
	KUNIT_ASSERT_NOT_NULL(test, n);
	ms_expect_order(test, n, 3, (const u16[]){ 1, 7, 2 });
	kvfree(n);
	n = nkvm_rebuild(s, -1, &low);
	KUNIT_ASSERT_NOT_NULL(test, n);
	ms_expect_order(test, n, 3, (const u16[]){ 8, 1, 2 });
	kvfree(n);
	n = nkvm_rebuild(s, -1, &high);
	KUNIT_ASSERT_NOT_NULL(test, n);
	ms_expect_order(test, n, 3, (const u16[]){ 1, 2, 9 });
	kvfree(n);
	n = nkvm_rebuild(s, 1, NULL);		/* delete */
	KUNIT_ASSERT_NOT_NULL(test, n);
	ms_expect_order(test, n, 1, (const u16[]){ 2 });
	kvfree(n);
	n = nkvm_rebuild(s, 1, &moved);		/* move past slot 2 */
	KUNIT_ASSERT_NOT_NULL(test, n);
	ms_expect_order(test, n, 2, (const u16[]){ 2, 1 });
	kvfree(n);
}

static void ms_find(struct kunit *test)
{
	static const u64 three[][3] = {
		{ 0, 1, 4 }, { 0x100, 0x10, 1 }, { 0x200, 0x10, 2 },
	};
	struct nkvm_memslots *s = ms_make(test, 3, three);
	struct nkvm_memslots *none = ms_make(test, 0, NULL);

	KUNIT_EXPECT_PTR_EQ(test, nkvm_memslots_find(s, 0), &s->slots[0]);
	KUNIT_EXPECT_NULL(test, nkvm_memslots_find(s, 1));
	KUNIT_EXPECT_NULL(test, nkvm_memslots_find(s, 0xff));
	KUNIT_EXPECT_PTR_EQ(test, nkvm_memslots_find(s, 0x100), &s->slots[1]);
	KUNIT_EXPECT_PTR_EQ(test, nkvm_memslots_find(s, 0x10f), &s->slots[1]);
	KUNIT_EXPECT_NULL(test, nkvm_memslots_find(s, 0x110));
	KUNIT_EXPECT_PTR_EQ(test, nkvm_memslots_find(s, 0x20f), &s->slots[2]);
	KUNIT_EXPECT_NULL(test, nkvm_memslots_find(s, 0x210));
	KUNIT_EXPECT_NULL(test, nkvm_memslots_find(s, ~0ULL));
	KUNIT_EXPECT_NULL(test, nkvm_memslots_find(none, 0));
}

/* The dirty bitmap: one little-endian bit per page of the slot. */
static void ms_dirty_bitmap(struct kunit *test)
{
	struct nkvm_memslot slot = { .base_gfn = 0x1000, .npages = 130 };
	unsigned long *bm = nkvm_alloc_dirty_bitmap(slot.npages);

	KUNIT_ASSERT_NOT_NULL(test, bm);
	nkvm_slot_mark_dirty(&slot, 0x1000);	/* no bitmap: ignored */
	slot.dirty_bitmap = bm;
	nkvm_slot_mark_dirty(&slot, 0x1000);
	nkvm_slot_mark_dirty(&slot, 0x1000 + 65);
	nkvm_slot_mark_dirty(&slot, 0x1000 + 129);
	KUNIT_EXPECT_TRUE(test, test_bit_le(0, bm));
	KUNIT_EXPECT_TRUE(test, test_bit_le(65, bm));
	KUNIT_EXPECT_TRUE(test, test_bit_le(129, bm));
	KUNIT_EXPECT_FALSE(test, test_bit_le(1, bm));
	KUNIT_EXPECT_EQ(test, bitmap_weight(bm, 130), 3U);
	/* Byte 0 of the user's copy holds pages 0-7 whatever the host order. */
	KUNIT_EXPECT_EQ(test, ((u8 *)bm)[0], 0x01);
	KUNIT_EXPECT_EQ(test, ((u8 *)bm)[8], 0x02);
	kvfree(bm);
}

static struct kunit_case nkvm_memslot_cases[] = {
	KUNIT_CASE(ms_check_region_ok),
	KUNIT_CASE(ms_check_region_bad),
	KUNIT_CASE(ms_overlaps),
	KUNIT_CASE(ms_classify),
	KUNIT_CASE(ms_rebuild),
	KUNIT_CASE(ms_find),
	KUNIT_CASE(ms_dirty_bitmap),
	{}
};

static struct kunit_suite nkvm_memslot_suite = {
	.name = "nkvm-memslot",
	.test_cases = nkvm_memslot_cases,
};

kunit_test_suite(nkvm_memslot_suite);
