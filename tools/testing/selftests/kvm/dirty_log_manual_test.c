// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 and KVM_CLEAR_DIRTY_LOG (what QEMU
 * uses for live migration when the kernel has it). Where the capability
 * is 0 (an arch that maps no guest memory yet) everything is skipped.
 *
 * Errors: KVM_ENABLE_CAP with INITIALLY_SET alone, an unknown bit or a
 * flag; KVM_CLEAR_DIRTY_LOG with first_page not a multiple of 64, a range
 * outside the slot or of a length that is neither a multiple of 64 nor
 * reaching the slot's end, no slot, a slot without logging, a bad slot
 * number, bitmap or argument pointer.
 *
 * x86 guest: with manual protection, KVM_GET_DIRTY_LOG leaves the log as
 * it is; KVM_CLEAR_DIRTY_LOG clears the bits named and a later write to
 * such a page is logged again, while a page whose bit was not cleared
 * stays logged. With KVM_DIRTY_LOG_INITIALLY_SET a slot starts logging
 * with every page marked.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define LOG_GPA		MiB
#define LOG_PAGES	256		/* one MiB */
#define LOG_WORDS	(LOG_PAGES / 64)
#define MANUAL		KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
#define INIT_SET	KVM_DIRTY_LOG_INITIALLY_SET
#define ERROR_CHECKS	18
#define GUEST_CHECKS	13

static int set_slot(int vm, __u32 slot, __u64 gpa, void *mem, __u32 flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = mem ? MiB : 0, .userspace_addr = (uintptr_t)mem,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static int enable(int vm, __u64 flags, __u32 cap_flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.flags = cap_flags,
		.args = { flags },
	};

	return ioctl(vm, KVM_ENABLE_CAP, &cap);
}

static int clear_log(int vm, __u32 slot, __u64 first, __u32 num, void *bitmap)
{
	struct kvm_clear_dirty_log c = {
		.slot = slot, .first_page = first, .num_pages = num,
		.dirty_bitmap = bitmap,
	};

	return ioctl(vm, KVM_CLEAR_DIRTY_LOG, &c);
}

static void errors(int kvm)
{
	uint64_t ones[LOG_WORDS];
	void *low = alloc_aligned(MiB, MiB), *mem = alloc_aligned(MiB, MiB);
	int vm = create_vm(kvm);

	memset(ones, 0xff, sizeof(ones));
	expect_errno(enable(vm, INIT_SET, 0), EINVAL,
		     "KVM_ENABLE_CAP: INITIALLY_SET without MANUAL_PROTECT -> EINVAL");
	expect_errno(enable(vm, MANUAL | 4, 0), EINVAL,
		     "KVM_ENABLE_CAP: an unknown bit -> EINVAL");
	expect_errno(enable(vm, MANUAL, 1), EINVAL,
		     "KVM_ENABLE_CAP: non-zero flags -> EINVAL");
	expect_success(enable(vm, MANUAL | INIT_SET, 0),
		       "KVM_ENABLE_CAP: MANUAL_PROTECT | INITIALLY_SET");
	expect_success(enable(vm, MANUAL, 0), "KVM_ENABLE_CAP: MANUAL_PROTECT");
	expect_success(enable(vm, 0, 0), "KVM_ENABLE_CAP: 0 (off again)");

	expect_errno(clear_log(vm, 1, 0, 64, ones), ENOENT, "CLEAR: no slot 1 -> ENOENT");
	expect_success(set_slot(vm, 0, 0, low, 0), "slot 0 without logging");
	expect_errno(clear_log(vm, 0, 0, 64, ones), ENOENT,
		     "CLEAR: a slot without KVM_MEM_LOG_DIRTY_PAGES -> ENOENT");
	expect_success(set_slot(vm, 1, LOG_GPA, mem, KVM_MEM_LOG_DIRTY_PAGES),
		       "slot 1 (256 pages) with KVM_MEM_LOG_DIRTY_PAGES");
	expect_errno(clear_log(vm, 1, 1, 63, ones), EINVAL,
		     "CLEAR: first_page 1 -> EINVAL");
	expect_errno(clear_log(vm, 1, 192, 128, ones), EINVAL,
		     "CLEAR: a range past the slot's end -> EINVAL");
	expect_errno(clear_log(vm, 1, 0, 10, ones), EINVAL,
		     "CLEAR: 10 pages, short of the end -> EINVAL");
	expect_success(clear_log(vm, 1, 192, 64, ones),
		       "CLEAR: the last 64 pages");
	expect_errno(clear_log(vm, 7 << 16 | 1, 0, 64, ones), EINVAL,
		     "CLEAR: address space 7 -> EINVAL");
	expect_errno(clear_log(vm, 0xffff, 0, 64, ones), EINVAL,
		     "CLEAR: slot id beyond the slots -> EINVAL");
	expect_errno(clear_log(vm, 1, 0, 64, (void *)8), EFAULT,
		     "CLEAR: a bad bitmap pointer -> EFAULT");
	expect_errno(ioctl(vm, KVM_CLEAR_DIRTY_LOG, (void *)8), EFAULT,
		     "CLEAR: a bad argument pointer -> EFAULT");
	close(vm);
	munmap(low, MiB);
	munmap(mem, MiB);
}

#if defined(__x86_64__)

static int get_log(int vm, uint64_t *bitmap)
{
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = bitmap };

	memset(bitmap, 0xa5, LOG_WORDS * sizeof(*bitmap));
	return ioctl(vm, KVM_GET_DIRTY_LOG, &log);
}

/* The log is exactly the pages listed (terminated by -1). */
static bool log_is(const uint64_t *bitmap, const int *pages)
{
	uint64_t want[LOG_WORDS] = { 0 };

	for (; *pages >= 0; pages++)
		want[*pages / 64] |= 1ULL << (*pages % 64);
	for (int i = 0; i < LOG_WORDS; i++) {
		if (bitmap[i] != want[i]) {
			tap_diag("word %d: %#llx, want %#llx", i,
				 (unsigned long long)bitmap[i],
				 (unsigned long long)want[i]);
			return false;
		}
	}
	return true;
}

#define CODE_GPA	0x1000

/*
 * ES has base LOG_GPA; each phase ends with OUT 0x10.
 * 1: write pages 0 and 3;  2: write pages 0, 3 and 5;  3: write page 3;
 * 4: write page 7;  then HLT.
 */
static const uint8_t code[] = {
	0xb0, 0x11,			/* mov al,0x11 */
	0x26, 0xa2, 0x00, 0x00,		/* mov es:[0x0000],al */
	0x26, 0xa2, 0x00, 0x30,		/* mov es:[0x3000],al */
	0xe6, 0x10,			/* out 0x10,al */
	0xb0, 0x22,
	0x26, 0xa2, 0x04, 0x00,		/* mov es:[0x0004],al */
	0x26, 0xa2, 0x04, 0x30,		/* mov es:[0x3004],al */
	0x26, 0xa2, 0x00, 0x50,		/* mov es:[0x5000],al */
	0xe6, 0x10,
	0xb0, 0x33,
	0x26, 0xa2, 0x08, 0x30,		/* mov es:[0x3008],al */
	0xe6, 0x10,
	0xb0, 0x44,
	0x26, 0xa2, 0x00, 0x70,		/* mov es:[0x7000],al */
	0xe6, 0x10,
	0xf4,
};

/* A guest on the code above; flags: KVM_ENABLE_CAP before the slots. */
static void guest_setup(struct guest *g, int kvm, __u64 flags, uint8_t **mem)
{
	uint8_t *low = alloc_aligned(MiB, MiB);

	guest_create(g, kvm);
	if (enable(g->vm, flags, 0))
		tap_bail("KVM_ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2, %#llx): %m",
			 (unsigned long long)flags);
	*mem = alloc_aligned(MiB, MiB);
	memcpy(low + CODE_GPA, code, sizeof(code));
	guest_set_slot(g, 0, 0, low, MiB, 0);
	guest_set_slot(g, 1, LOG_GPA, *mem, MiB, KVM_MEM_LOG_DIRTY_PAGES);
	guest_add_vcpu(g);
	guest_real_mode(g, CODE_GPA);
	guest_set_es_base(g, LOG_GPA);
}

static void guest_manual(int kvm)
{
	static const int p03[] = { 0, 3, -1 }, p3[] = { 3, -1 };
	static const int p035[] = { 0, 3, 5, -1 }, none[] = { -1 };
	uint64_t bitmap[LOG_WORDS], mask[LOG_WORDS] = { 1 }, ones[LOG_WORDS];
	struct guest g;
	uint8_t *mem;

	memset(ones, 0xff, sizeof(ones));
	guest_setup(&g, kvm, MANUAL, &mem);
	tap_ok(guest_out_byte(&g) == 0x11 && !get_log(g.vm, bitmap) &&
	       log_is(bitmap, p03), "manual: phase 1 logs pages 0 and 3");
	tap_ok(!get_log(g.vm, bitmap) && log_is(bitmap, p03),
	       "manual: KVM_GET_DIRTY_LOG again: the log is unchanged");
	tap_ok(!clear_log(g.vm, 1, 0, 64, mask) && !get_log(g.vm, bitmap) &&
	       log_is(bitmap, p3), "manual: CLEAR of page 0 leaves page 3");
	tap_ok(guest_out_byte(&g) == 0x22 && !get_log(g.vm, bitmap) &&
	       log_is(bitmap, p035),
	       "manual: phase 2 (pages 0, 3, 5): the cleared page is logged again");
	tap_ok(!clear_log(g.vm, 1, 0, LOG_PAGES, ones) &&
	       !get_log(g.vm, bitmap) && log_is(bitmap, none),
	       "manual: CLEAR of the whole slot empties the log");
	tap_ok(guest_out_byte(&g) == 0x33 && mem[0x3008] == 0x33 &&
	       !get_log(g.vm, bitmap) && log_is(bitmap, p3),
	       "manual: phase 3: the write to page 3 faults and is logged");
	guest_destroy(&g);
}

static void guest_initially_set(int kvm)
{
	static const int p7[] = { 7, -1 }, none[] = { -1 };
	uint64_t bitmap[LOG_WORDS], ones[LOG_WORDS];
	bool all = true;
	struct guest g;
	uint8_t *mem;

	memset(ones, 0xff, sizeof(ones));
	guest_setup(&g, kvm, MANUAL | INIT_SET, &mem);
	tap_ok(!get_log(g.vm, bitmap), "initially set: KVM_GET_DIRTY_LOG");
	for (int i = 0; i < LOG_WORDS; i++)
		all &= bitmap[i] == ~0ULL;
	tap_ok(all, "initially set: every page of the new slot is logged");
	tap_ok(guest_out_byte(&g) == 0x11 && guest_out_byte(&g) == 0x22 &&
	       guest_out_byte(&g) == 0x33,
	       "initially set: phases 1-3 write the writable pages");
	tap_ok(!get_log(g.vm, bitmap) && bitmap[0] == ~0ULL,
	       "initially set: still all set (nothing cleared yet)");
	tap_ok(!clear_log(g.vm, 1, 0, LOG_PAGES, ones) &&
	       !get_log(g.vm, bitmap) && log_is(bitmap, none),
	       "initially set: CLEAR of the whole slot empties the log");
	tap_ok(guest_out_byte(&g) == 0x44 && mem[0x7000] == 0x44 &&
	       !get_log(g.vm, bitmap) && log_is(bitmap, p7),
	       "initially set: then a write to page 7 is logged");
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && g.run->exit_reason == KVM_EXIT_HLT,
	       "HLT");
	guest_destroy(&g);
}

#endif

int main(void)
{
	long caps;
	int kvm, i;

	tap_plan(1 + ERROR_CHECKS + GUEST_CHECKS);
	kvm = open_kvm();
	caps = check_cap(kvm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	if (!caps) {
		tap_skip("no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 here", "capability");
		for (i = 0; i < ERROR_CHECKS + GUEST_CHECKS; i++)
			tap_skip("no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 here",
				 "manual dirty log check %d", i + 1);
		return tap_finish();
	}
	expect_value(caps, MANUAL | INIT_SET,
		     "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: MANUAL_PROTECT | INITIALLY_SET");
	errors(kvm);
#if defined(__x86_64__)
	if (check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		guest_manual(kvm);
		guest_initially_set(kvm);
		close(kvm);
		return tap_finish();
	}
#endif
	for (i = 0; i < GUEST_CHECKS; i++)
		tap_skip("no x86 guests here", "guest manual dirty log");
	close(kvm);
	return tap_finish();
}
