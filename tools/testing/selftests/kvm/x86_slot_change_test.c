// SPDX-License-Identifier: GPL-2.0
/*
 * Deleting or moving a memslot takes effect for a guest that has already
 * touched it: its old guest range becomes MMIO at once, new contents show.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "test.h"
#include "guest.h"

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

static struct guest g;

static int set_slot(__u32 slot, __u64 gpa, void *mem, __u64 size)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)mem,
	};

	return ioctl(g.vm, KVM_SET_USER_MEMORY_REGION, &r);
}

/* Run to an MMIO read at gpa, answer it with val, return the OUT byte. */
static int mmio_then_out(__u64 gpa, uint8_t val)
{
	if (ioctl(g.vcpu, KVM_RUN, 0) || g.run->exit_reason != KVM_EXIT_MMIO ||
	    g.run->mmio.is_write || g.run->mmio.phys_addr != gpa) {
		tap_diag("exit %u phys %#llx", g.run->exit_reason,
			 (unsigned long long)g.run->mmio.phys_addr);
		return -1;
	}
	g.run->mmio.data[0] = val;
	return guest_out_byte(&g);
}

int main(void)
{
	uint8_t *low, *data, *data2;
	int kvm;

	tap_plan(8);
	kvm = open_kvm();
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		for (int i = 0; i < 8; i++)
			tap_skip("this module does not run guests here", "slot changes");
		return tap_finish();
	}

	guest_create(&g, kvm);
	low = alloc_aligned(MiB, MiB);
	data = alloc_aligned(MiB, MiB);
	data2 = alloc_aligned(MiB, MiB);
	memcpy(low + CODE_GPA, code, sizeof(code));
	data[0] = 0x11;
	data2[0] = 0x22;
	guest_set_slot(&g, 0, 0, low, MiB, 0);
	guest_set_slot(&g, 1, DATA_GPA, data, MiB, 0);
	guest_add_vcpu(&g);
	guest_real_mode(&g, CODE_GPA);
	guest_set_es_base(&g, DATA_GPA);

	tap_ok(guest_out_byte(&g) == 0x11, "the guest reads the slot (its page is now mapped)");
	tap_ok(!set_slot(1, DATA_GPA, data, 0), "delete the slot");
	tap_ok(mmio_then_out(DATA_GPA, 0x77) == 0x77,
	       "the deleted range is MMIO for the guest at once");
	tap_ok(!set_slot(1, DATA_GPA, data2, MiB), "a new slot with other memory");
	tap_ok(guest_out_byte(&g) == 0x22, "the guest sees the new memory");
	tap_ok(!set_slot(1, MOVED_GPA, data2, MiB), "move the slot");
	tap_ok(mmio_then_out(DATA_GPA, 0x55) == 0x55, "its old range is MMIO");
	guest_set_es_base(&g, MOVED_GPA);
	tap_ok(guest_out_byte(&g) == 0x22, "the guest finds the memory at the new place");

	guest_destroy(&g);
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
