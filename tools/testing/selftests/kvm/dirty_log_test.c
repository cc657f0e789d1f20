// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_DIRTY_LOG. On every arch: the errors (no slot, a slot without
 * KVM_MEM_LOG_DIRTY_PAGES, a bad slot number or bitmap pointer) and an
 * empty log for a slot nothing wrote. On x86, a real-mode guest writes
 * pages of a logged slot in phases separated by OUTs, and after each the
 * log names exactly the pages written since the previous call: reads do
 * not count, a page written again after being reported is reported again,
 * and turning logging off and on (KVM_MEM_LOG_DIRTY_PAGES toggled on a
 * live slot) starts a fresh log that still catches writes to pages the
 * guest had mapped writable meanwhile.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "test.h"
#include "guest.h"

#define LOG_GPA		MiB
#define LOG_PAGES	(MiB / 4096)
#define LOG_WORDS	((int)(LOG_PAGES / 64))
#define GUEST_CHECKS	12

static int set_slot(int vm, __u32 slot, __u64 gpa, void *mem, __u32 flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = mem ? MiB : 0, .userspace_addr = (uintptr_t)mem,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static int get_log(int vm, __u32 slot, uint64_t *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	memset(bitmap, 0xa5, LOG_WORDS * sizeof(*bitmap));
	return ioctl(vm, KVM_GET_DIRTY_LOG, &log);
}

/*
 * The log holds the pages listed (terminated by -1), and no others but
 * those of maybe (NULL: none).
 */
static bool log_is_within(const uint64_t *bitmap, const int *pages,
			  const int *maybe)
{
	uint64_t want[LOG_WORDS] = { 0 }, may[LOG_WORDS] = { 0 };

	for (; *pages >= 0; pages++)
		want[*pages / 64] |= 1ULL << (*pages % 64);
	for (; maybe && *maybe >= 0; maybe++)
		may[*maybe / 64] |= 1ULL << (*maybe % 64);
	for (int i = 0; i < LOG_WORDS; i++) {
		if ((bitmap[i] & ~may[i]) != want[i]) {
			tap_diag("word %d: %#llx, want %#llx", i,
				 (unsigned long long)bitmap[i],
				 (unsigned long long)want[i]);
			return false;
		}
	}
	return true;
}

static bool log_is(const uint64_t *bitmap, const int *pages)
{
	return log_is_within(bitmap, pages, NULL);
}

static void errors(int kvm)
{
	static const int none[] = { -1 };
	uint64_t bitmap[LOG_WORDS];
	void *low = alloc_aligned(MiB, MiB), *mem = alloc_aligned(MiB, MiB);
	int vm = create_vm(kvm);

	expect_errno(get_log(vm, 1, bitmap), ENOENT, "no slot 1: ENOENT");
	expect_success(set_slot(vm, 0, 0, low, 0), "slot 0 without logging");
	expect_errno(get_log(vm, 0, bitmap), ENOENT,
		     "a slot without KVM_MEM_LOG_DIRTY_PAGES: ENOENT");
	expect_errno(get_log(vm, 0xffff, bitmap), EINVAL,
		     "slot id beyond the slots: EINVAL");
	expect_errno(get_log(vm, 7 << 16, bitmap), EINVAL,
		     "address space 7: EINVAL");
	expect_success(set_slot(vm, 1, LOG_GPA, mem, KVM_MEM_LOG_DIRTY_PAGES),
		       "slot 1 with KVM_MEM_LOG_DIRTY_PAGES");
	tap_ok(!get_log(vm, 1, bitmap) && log_is(bitmap, none),
	       "the log of an untouched slot is empty");
	{
		struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = (void *)8 };

		expect_errno(ioctl(vm, KVM_GET_DIRTY_LOG, &log), EFAULT,
			     "a bad bitmap pointer: EFAULT");
	}
	expect_errno(ioctl(vm, KVM_GET_DIRTY_LOG, (void *)8), EFAULT,
		     "a bad argument pointer: EFAULT");
	expect_success(set_slot(vm, 1, LOG_GPA, NULL, 0), "delete slot 1");
	expect_errno(get_log(vm, 1, bitmap), ENOENT, "the deleted slot: ENOENT");
	close(vm);
}

#if defined(__x86_64__)

#define CODE_GPA	0x1000

/*
 * ES has base LOG_GPA. Each phase ends with OUT 0x10.
 * 1: write pages 0, 3 and 15, read page 5;
 * 2: write pages 3 and 7;
 * 3: write page 3 (logging off);
 * 4: write page 3 (logging on again);  then HLT.
 */
static const uint8_t code[] = {
	0xb0, 0x11,			/* mov al,0x11 */
	0x26, 0xa2, 0x00, 0x00,		/* mov es:[0x0000],al */
	0x26, 0xa2, 0x00, 0x30,		/* mov es:[0x3000],al */
	0x26, 0xa2, 0x00, 0xf0,		/* mov es:[0xf000],al */
	0x26, 0xa0, 0x00, 0x50,		/* mov al,es:[0x5000] */
	0xe6, 0x10,			/* out 0x10,al */
	0xb0, 0x22,
	0x26, 0xa2, 0x04, 0x30,		/* mov es:[0x3004],al */
	0x26, 0xa2, 0x00, 0x70,		/* mov es:[0x7000],al */
	0xe6, 0x10,
	0xb0, 0x33,
	0x26, 0xa2, 0x08, 0x30,		/* mov es:[0x3008],al */
	0xe6, 0x10,
	0xb0, 0x44,
	0x26, 0xa2, 0x0c, 0x30,		/* mov es:[0x300c],al */
	0xe6, 0x10,
	0xf4,
};

static void guest_part(int kvm)
{
	static const int p1[] = { 0, 3, 15, -1 }, p2[] = { 3, 7, -1 };
	static const int p4[] = { 3, -1 }, none[] = { -1 }, p1_read[] = { 5, -1 };
	uint64_t bitmap[LOG_WORDS];
	uint8_t *low, *mem;
	struct guest g;

	guest_create(&g, kvm);
	low = alloc_aligned(MiB, MiB);
	mem = alloc_aligned(MiB, MiB);
	memcpy(low + CODE_GPA, code, sizeof(code));
	mem[0x5000] = 0x5a;
	guest_set_slot(&g, 0, 0, low, MiB, 0);
	guest_set_slot(&g, 1, LOG_GPA, mem, MiB, KVM_MEM_LOG_DIRTY_PAGES);
	guest_add_vcpu(&g);
	guest_real_mode(&g, CODE_GPA);
	guest_set_es_base(&g, LOG_GPA);

	tap_ok(guest_out_byte(&g) == 0x5a, "phase 1: the guest read page 5");
	tap_ok(mem[0] == 0x11 && mem[0x3000] == 0x11 && mem[0xf000] == 0x11,
	       "phase 1: its writes reached the host memory");
	/*
	 * Stock KVM maps a page writable on the first (read) fault and logs
	 * it then; nkvm maps it read-only and logs only writes.
	 */
	tap_ok(!get_log(g.vm, 1, bitmap) &&
	       log_is_within(bitmap, p1, kvm_is_ours() ? NULL : p1_read),
	       "phase 1: the log is pages 0, 3 and 15%s",
	       kvm_is_ours() ? ", not the page read" : " (stock: and page 5, read)");
	tap_ok(!get_log(g.vm, 1, bitmap) && log_is(bitmap, none),
	       "read again at once: the log is empty");
	tap_ok(guest_out_byte(&g) == 0x22 && mem[0x3004] == 0x22 &&
	       mem[0x7000] == 0x22, "phase 2 ran");
	tap_ok(!get_log(g.vm, 1, bitmap) && log_is(bitmap, p2),
	       "phase 2: the log is pages 3 (again) and 7");

	tap_ok(!set_slot(g.vm, 1, LOG_GPA, mem, 0), "logging turned off");
	expect_errno(get_log(g.vm, 1, bitmap), ENOENT, "no log while it is off");
	tap_ok(guest_out_byte(&g) == 0x33 && mem[0x3008] == 0x33,
	       "phase 3: the guest writes the formerly logged page");

	tap_ok(!set_slot(g.vm, 1, LOG_GPA, mem, KVM_MEM_LOG_DIRTY_PAGES) &&
	       !get_log(g.vm, 1, bitmap) && log_is(bitmap, none),
	       "logging turned on again: a fresh, empty log");
	tap_ok(guest_out_byte(&g) == 0x44 && mem[0x300c] == 0x44 &&
	       !get_log(g.vm, 1, bitmap) && log_is(bitmap, p4),
	       "phase 4: a write to a page mapped writable before is logged");
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && g.run->exit_reason == KVM_EXIT_HLT,
	       "HLT");
	guest_destroy(&g);
}

#endif

int main(void)
{
	int kvm;

	tap_plan(11 + GUEST_CHECKS);
	kvm = open_kvm();
	errors(kvm);
#if defined(__x86_64__)
	if (check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		guest_part(kvm);
		close(kvm);
		return tap_finish();
	}
#endif
	for (int i = 0; i < GUEST_CHECKS; i++)
		tap_skip("no x86 guests here", "guest dirty log");
	close(kvm);
	return tap_finish();
}
