// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_USER_MEMORY_REGION validation. Every valid slot is 1 MiB aligned in
 * guest_phys_addr, memory_size and userspace_addr (s390 maps guest memory
 * in segments).
 */
#include <stdio.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "test.h"

#define GPA_A	(256 * MiB)
#define GPA_B	(512 * MiB)
#define GPA_FILL (1024 * MiB)

#if defined(__x86_64__)
/* First non-canonical / kernel half address with 4-level paging. */
#define KERNEL_HVA 0xffff800000000000UL
#else
/* The top of the address space is never user memory. */
#define KERNEL_HVA 0xfffffffffff00000UL
#endif

static int vm;

static int set_region(__u32 slot, __u32 flags, __u64 gpa, __u64 size,
		      __u64 hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static void test_fill(int kvm, long nslots, __u64 hva)
{
	int fill_vm = create_vm(kvm);
	int saved = vm;
	long i;
	int r = 0;

	vm = fill_vm;
	for (i = 0; i < nslots; i++) {
		r = set_region(i, 0, GPA_FILL + i * MiB, MiB, hva);
		if (r)
			break;
	}
	if (r)
		tap_diag("slot %ld failed: errno %d", i, errno);
	tap_ok(!r, "all %ld KVM_CAP_NR_MEMSLOTS slots can be filled", nslots);
	vm = saved;
	close(fill_vm);
}

int main(void)
{
	long nslots, nas, ro;
	__u64 mem;
	int kvm;

	tap_plan(24);
	kvm = open_kvm();
	vm = create_vm(kvm);
	nslots = check_cap(kvm, KVM_CAP_NR_MEMSLOTS);
	nas = check_cap(kvm, KVM_CAP_MULTI_ADDRESS_SPACE);
	if (nas < 1)
		nas = 1;
	ro = check_cap(vm, KVM_CAP_READONLY_MEM);
	tap_diag("NR_MEMSLOTS %ld, MULTI_ADDRESS_SPACE %ld, READONLY_MEM %ld",
		 nslots, nas, ro);
	mem = (__u64)(uintptr_t)alloc_aligned(8 * MiB, MiB);

	/* Invalid arguments. */
	expect_errno(set_region(nslots, 0, GPA_A, MiB, mem), EINVAL,
		     "slot id %ld (== NR_MEMSLOTS) -> EINVAL", nslots);
	expect_errno(set_region(nas << 16, 0, GPA_A, MiB, mem), EINVAL,
		     "address space %ld (== MULTI_ADDRESS_SPACE) -> EINVAL",
		     nas);
	expect_errno(set_region(0, 0, GPA_A + 0x100, MiB, mem), EINVAL,
		     "unaligned guest_phys_addr -> EINVAL");
	expect_errno(set_region(0, 0, GPA_A, MiB + 0x100, mem), EINVAL,
		     "unaligned memory_size -> EINVAL");
	expect_errno(set_region(0, 0, GPA_A, MiB, mem + 0x100), EINVAL,
		     "unaligned userspace_addr -> EINVAL");
	expect_errno(set_region(5, 0, 0, 0, 0), EINVAL,
		     "deleting a slot that does not exist -> EINVAL");

	/* Slot 0: [A, A + 2M). */
	expect_success(set_region(0, 0, GPA_A, 2 * MiB, mem),
		       "create slot 0 (2 MiB)");
	expect_errno(set_region(1, 0, GPA_A, 2 * MiB, mem + 2 * MiB), EEXIST,
		     "slot 1 on the same range -> EEXIST");
	expect_errno(set_region(1, 0, GPA_A + MiB, MiB, mem + 2 * MiB), EEXIST,
		     "slot 1 inside slot 0 -> EEXIST");
	expect_errno(set_region(1, 0, GPA_A + MiB, 2 * MiB, mem + 2 * MiB),
		     EEXIST, "slot 1 partially overlapping slot 0 -> EEXIST");
	expect_errno(set_region(1, 0, GPA_A - MiB, 4 * MiB, mem + 2 * MiB),
		     EEXIST, "slot 1 containing slot 0 -> EEXIST");

	expect_success(set_region(0, KVM_MEM_LOG_DIRTY_PAGES, GPA_A, 2 * MiB,
				  mem),
		       "enable KVM_MEM_LOG_DIRTY_PAGES on slot 0");
	expect_success(set_region(0, 0, GPA_A, 2 * MiB, mem),
		       "disable KVM_MEM_LOG_DIRTY_PAGES on slot 0");
	expect_errno(set_region(0, 0, GPA_A, MiB, mem), EINVAL,
		     "changing the size of slot 0 -> EINVAL");
	expect_errno(set_region(0, 0, GPA_A, 2 * MiB, mem + 2 * MiB), EINVAL,
		     "changing the userspace_addr of slot 0 -> EINVAL");
	expect_success(set_region(0, 0, GPA_B, 2 * MiB, mem),
		       "move slot 0 to a new guest_phys_addr");
	expect_success(set_region(1, 0, GPA_A, 2 * MiB, mem + 2 * MiB),
		       "the old range of slot 0 is free after the move");
	expect_success(set_region(1, 0, GPA_A, 0, mem + 2 * MiB),
		       "delete slot 1 (memory_size 0)");
	expect_errno(set_region(1, 0, GPA_A, 0, mem + 2 * MiB), EINVAL,
		     "delete slot 1 again -> EINVAL");

	expect_errno(set_region(2, 1U << 5, GPA_A, MiB, mem + 4 * MiB), EINVAL,
		     "unknown flag 1 << 5 -> EINVAL");
	if (ro) {
		expect_success(set_region(2, KVM_MEM_READONLY, GPA_A, MiB,
					  mem + 4 * MiB),
			       "KVM_MEM_READONLY accepted (KVM_CAP_READONLY_MEM)");
		set_region(2, 0, GPA_A, 0, 0);
	} else {
		expect_errno(set_region(2, KVM_MEM_READONLY, GPA_A, MiB,
					mem + 4 * MiB), EINVAL,
			     "KVM_MEM_READONLY without KVM_CAP_READONLY_MEM -> EINVAL");
	}
#if defined(__s390x__)
	/*
	 * s390 runs the kernel in an address space of its own: stock 6.1's
	 * access_ok() there takes any address and nothing checks that the
	 * range wraps past 2^64, so stock takes the slot. nkvm refuses it.
	 */
	if (!kvm_is_ours()) {
		expect_success(set_region(3, 0, GPA_A, MiB, KERNEL_HVA),
			       "userspace_addr %#lx, wrapping: taken (stock s390)",
			       KERNEL_HVA);
		set_region(3, 0, GPA_A, 0, 0);
	} else
#endif
	expect_errno(set_region(3, 0, GPA_A, MiB, KERNEL_HVA), EINVAL,
		     "userspace_addr %#lx (kernel space) -> EINVAL",
		     KERNEL_HVA);
	expect_errno(set_region(3, 0, 0xfffffffffff00000ULL, 2 * MiB, mem),
		     EINVAL, "guest_phys_addr + memory_size wrapping -> EINVAL");

	close(vm);
	test_fill(kvm, nslots, mem);

	close(kvm);
	return tap_finish();
}
