// SPDX-License-Identifier: GPL-2.0
/*
 * Deleting or moving a memslot takes effect for a guest that has already
 * touched it: its old guest range becomes MMIO at once, new contents show.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"

#if defined(__x86_64__)

#define CODE_GPA	0x1000
#define DATA_GPA	0x100000
#define MOVED_GPA	0x300000

/* loop: mov al,es:[0]; out 0x10,al; jmp loop */
static const uint8_t code[] = {
	0x26, 0xa0, 0x00, 0x00,
	0xe6, 0x10,
	0xeb, 0xf8,
};

static int vm, vcpu;
static struct kvm_run *run;

static int set_slot(__u32 slot, __u64 gpa, void *mem, __u64 size)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)mem,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static void set_es_base(__u64 base)
{
	struct kvm_sregs sregs;

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.es.base = base;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %m");
}

/* Run to the guest's OUT and return the byte it read, or -1. */
static int next_out(void)
{
	if (ioctl(vcpu, KVM_RUN, 0) || run->exit_reason != KVM_EXIT_IO)
		return -1;
	return *((uint8_t *)run + run->io.data_offset);
}

/* Run to an MMIO read at gpa, answer it with val, return the OUT byte. */
static int mmio_then_out(__u64 gpa, uint8_t val)
{
	if (ioctl(vcpu, KVM_RUN, 0) || run->exit_reason != KVM_EXIT_MMIO ||
	    run->mmio.is_write || run->mmio.phys_addr != gpa) {
		tap_diag("exit %u phys %#llx", run->exit_reason,
			 (unsigned long long)run->mmio.phys_addr);
		return -1;
	}
	run->mmio.data[0] = val;
	return next_out();
}

int main(void)
{
	uint8_t *low, *data, *data2;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int kvm;

	tap_plan(8);
	kvm = open_kvm();
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		for (int i = 0; i < 8; i++)
			tap_skip("this module does not run guests here", "slot changes");
		return tap_finish();
	}

	vm = create_vm(kvm);
	low = alloc_aligned(MiB, MiB);
	data = alloc_aligned(MiB, MiB);
	data2 = alloc_aligned(MiB, MiB);
	memcpy(low + CODE_GPA, code, sizeof(code));
	data[0] = 0x11;
	data2[0] = 0x22;
	if (set_slot(0, 0, low, MiB) || set_slot(1, DATA_GPA, data, MiB))
		tap_bail("KVM_SET_USER_MEMORY_REGION: %m");

	vcpu = create_vcpu(vm, 0);
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0),
		   PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		tap_bail("mmap of the vCPU: %m");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %m");
	set_es_base(DATA_GPA);
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		tap_bail("KVM_SET_REGS: %m");

	tap_ok(next_out() == 0x11, "the guest reads the slot (its page is now mapped)");
	tap_ok(!set_slot(1, DATA_GPA, data, 0), "delete the slot");
	tap_ok(mmio_then_out(DATA_GPA, 0x77) == 0x77,
	       "the deleted range is MMIO for the guest at once");
	tap_ok(!set_slot(1, DATA_GPA, data2, MiB), "a new slot with other memory");
	tap_ok(next_out() == 0x22, "the guest sees the new memory");
	tap_ok(!set_slot(1, MOVED_GPA, data2, MiB), "move the slot");
	tap_ok(mmio_then_out(DATA_GPA, 0x55) == 0x55, "its old range is MMIO");
	set_es_base(MOVED_GPA);
	tap_ok(next_out() == 0x22, "the guest finds the memory at the new place");

	close(vcpu);
	close(vm);
	close(kvm);
	return tap_finish();
}

#else

int main(void)
{
	tap_plan(1);
	tap_skip("x86 only", "slot changes");
	return tap_finish();
}

#endif
