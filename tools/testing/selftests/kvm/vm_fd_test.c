// SPDX-License-Identifier: GPL-2.0
/*
 * VM fd: KVM_CHECK_EXTENSION on the VM fd and KVM_ENABLE_CAP validation,
 * including x86's KVM_CAP_MAX_VCPU_ID.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "test.h"

/* Answers that must match the system fd's: the needed caps and an unknown one. */
static void check_vm_caps(int kvm, int vm)
{
	static const struct kvm_cap_name unknown = { 100000, "unknown cap 100000" };
	unsigned int i;

	for (i = 0; i <= kvm_nr_needed_caps; i++) {
		const struct kvm_cap_name *c = i < kvm_nr_needed_caps ?
					       &kvm_needed_caps[i] : &unknown;
		long s = ioctl(kvm, KVM_CHECK_EXTENSION, c->cap);
		long v = ioctl(vm, KVM_CHECK_EXTENSION, c->cap);

		tap_ok(s == v && v >= 0,
		       "VM fd KVM_CHECK_EXTENSION(%s) = %ld, system fd %ld",
		       c->name, v, s);
	}
}

static int enable_cap(int vm, __u32 cap, __u32 flags, __u64 arg0)
{
	struct kvm_enable_cap ec;

	memset(&ec, 0, sizeof(ec));
	ec.cap = cap;
	ec.flags = flags;
	ec.args[0] = arg0;
	return ioctl(vm, KVM_ENABLE_CAP, &ec);
}

static void test_max_vcpu_id(int kvm)
{
#if defined(__x86_64__)
	long limit = check_cap(kvm, KVM_CAP_MAX_VCPU_ID);
	int vm = create_vm(kvm);
	int fd;

	expect_errno(enable_cap(vm, KVM_CAP_MAX_VCPU_ID, 0, limit + 1), EINVAL,
		     "ENABLE_CAP(MAX_VCPU_ID, %ld) above the cap -> EINVAL",
		     limit + 1);
	expect_success(enable_cap(vm, KVM_CAP_MAX_VCPU_ID, 0, 16),
		       "ENABLE_CAP(MAX_VCPU_ID, 16) before any vCPU");
	expect_success(enable_cap(vm, KVM_CAP_MAX_VCPU_ID, 0, 16),
		       "ENABLE_CAP(MAX_VCPU_ID, 16) again with the same value");
	expect_errno(enable_cap(vm, KVM_CAP_MAX_VCPU_ID, 0, 32), EINVAL,
		     "ENABLE_CAP(MAX_VCPU_ID, 32) after 16 was set -> EINVAL");
	fd = ioctl(vm, KVM_CREATE_VCPU, 16UL);
	expect_errno(fd, EINVAL, "KVM_CREATE_VCPU id 16 with limit 16 -> EINVAL");
	if (fd >= 0)
		close(fd);
	fd = ioctl(vm, KVM_CREATE_VCPU, 15UL);
	expect_success(fd, "KVM_CREATE_VCPU id 15 with limit 16");
	if (fd >= 0)
		close(fd);
	close(vm);
#else
	int i;

	(void)kvm;
	for (i = 0; i < 6; i++)
		tap_skip("x86 only", "KVM_CAP_MAX_VCPU_ID enable check %d", i);
#endif
}

/* x86 KVM_SET/GET_NR_MMU_PAGES: accepted from 64 pages on, as stock. */
static void test_nr_mmu_pages(int kvm)
{
#if defined(__x86_64__)
	int vm = create_vm(kvm);

	expect_errno(ioctl(vm, KVM_SET_NR_MMU_PAGES, 63UL), EINVAL,
		     "KVM_SET_NR_MMU_PAGES 63 -> EINVAL");
	expect_success(ioctl(vm, KVM_SET_NR_MMU_PAGES, 100UL),
		       "KVM_SET_NR_MMU_PAGES 100");
	expect_value(ioctl(vm, KVM_GET_NR_MMU_PAGES, 0), 100,
		     "KVM_GET_NR_MMU_PAGES gives it back");
	close(vm);
#else
	(void)kvm;
	for (int i = 0; i < 3; i++)
		tap_skip("x86 only", "KVM_SET/GET_NR_MMU_PAGES check %d", i);
#endif
}

int main(void)
{
	int kvm, vm;

	tap_plan(kvm_nr_needed_caps + 1 + 2 + 6 + 3);
	kvm = open_kvm();
	vm = create_vm(kvm);

	check_vm_caps(kvm, vm);

	expect_errno(enable_cap(vm, KVM_CAP_MAX_VCPU_ID, 1, 1), EINVAL,
		     "KVM_ENABLE_CAP with flags 1 -> EINVAL");
	expect_errno(enable_cap(vm, 100000, 0, 0), EINVAL,
		     "KVM_ENABLE_CAP of an unknown cap -> EINVAL");
	close(vm);

	test_max_vcpu_id(kvm);
	test_nr_mmu_pages(kvm);

	close(kvm);
	return tap_finish();
}
