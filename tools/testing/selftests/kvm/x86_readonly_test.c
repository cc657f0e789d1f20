// SPDX-License-Identifier: GPL-2.0
/*
 * A KVM_MEM_READONLY slot: the guest reads the host's data, a guest write
 * exits as KVM_EXIT_MMIO (also after the page was mapped by a read) and
 * leaves the host memory unchanged.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"

#if defined(__x86_64__)

#define CODE_GPA	0x1000
#define RO_GPA		0x100000

/*
 * ES has base RO_GPA (set through KVM_SET_SREGS).
 * mov al,es:[0]; out 0x10,al; mov byte es:[4],0x55; mov al,es:[4];
 * out 0x10,al; hlt
 */
static const uint8_t code[] = {
	0x26, 0xa0, 0x00, 0x00,
	0xe6, 0x10,
	0x26, 0xc6, 0x06, 0x04, 0x00, 0x55,
	0x26, 0xa0, 0x04, 0x00,
	0xe6, 0x10,
	0xf4,
};

static int add_slot(int vm, __u32 slot, __u64 gpa, void *mem, __u32 flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = MiB, .userspace_addr = (uintptr_t)mem,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static bool out_exit(int vcpu, struct kvm_run *run, uint8_t want)
{
	uint8_t got;

	if (ioctl(vcpu, KVM_RUN, 0) || run->exit_reason != KVM_EXIT_IO ||
	    run->io.port != 0x10)
		return false;
	got = *((uint8_t *)run + run->io.data_offset);
	if (got != want)
		tap_diag("OUT data %#x, expected %#x", got, want);
	return got == want;
}

int main(void)
{
	uint8_t *low, *ro;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu;

	tap_plan(8);
	kvm = open_kvm();
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT) ||
	    !check_cap(kvm, KVM_CAP_READONLY_MEM)) {
		for (int i = 0; i < 8; i++)
			tap_skip("no guests or no read-only memory here", "read-only slot");
		return tap_finish();
	}

	vm = create_vm(kvm);
	low = alloc_aligned(MiB, MiB);
	ro = alloc_aligned(MiB, MiB);
	memcpy(low + CODE_GPA, code, sizeof(code));
	ro[0] = 0xa5;
	ro[4] = 0x3c;
	tap_ok(!add_slot(vm, 0, 0, low, 0), "a normal slot at GPA 0");
	tap_ok(!add_slot(vm, 1, RO_GPA, ro, KVM_MEM_READONLY),
	       "a KVM_MEM_READONLY slot at GPA %#x", RO_GPA);

	vcpu = create_vcpu(vm, 0);
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0),
		   PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		tap_bail("mmap of the vCPU: %m");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.es.base = RO_GPA;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %m");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		tap_bail("KVM_SET_REGS: %m");

	tap_ok(out_exit(vcpu, run, 0xa5), "the guest reads the read-only slot");
	tap_ok(!ioctl(vcpu, KVM_RUN, 0) && run->exit_reason == KVM_EXIT_MMIO &&
	       run->mmio.is_write && run->mmio.phys_addr == RO_GPA + 4 &&
	       run->mmio.len == 1 && run->mmio.data[0] == 0x55,
	       "a guest write to it exits as KVM_EXIT_MMIO (exit %u)", run->exit_reason);
	tap_ok(ro[4] == 0x3c, "the host memory is unchanged");
	tap_ok(out_exit(vcpu, run, 0x3c), "the guest reads the old value back");
	tap_ok(!ioctl(vcpu, KVM_RUN, 0) && run->exit_reason == KVM_EXIT_HLT, "HLT");
	tap_ok(add_slot(vm, 1, RO_GPA, ro, 0) == -1 && errno == EINVAL,
	       "dropping KVM_MEM_READONLY from a slot is refused");

	close(vcpu);
	close(vm);
	close(kvm);
	return tap_finish();
}

#else

int main(void)
{
	tap_plan(1);
	tap_skip("x86 only", "read-only slot");
	return tap_finish();
}

#endif
