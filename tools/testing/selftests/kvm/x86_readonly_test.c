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

#include "test.h"
#include "guest.h"

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

int main(void)
{
	struct guest g;
	uint8_t *low, *ro;
	int kvm;

	tap_plan(8);
	kvm = open_kvm();
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT) ||
	    !check_cap(kvm, KVM_CAP_READONLY_MEM)) {
		for (int i = 0; i < 8; i++)
			tap_skip("no guests or no read-only memory here", "read-only slot");
		return tap_finish();
	}

	guest_create(&g, kvm);
	low = alloc_aligned(MiB, MiB);
	ro = alloc_aligned(MiB, MiB);
	memcpy(low + CODE_GPA, code, sizeof(code));
	ro[0] = 0xa5;
	ro[4] = 0x3c;
	guest_set_slot(&g, 0, 0, low, MiB, 0);
	tap_ok(true, "a normal slot at GPA 0");
	guest_set_slot(&g, 1, RO_GPA, ro, MiB, KVM_MEM_READONLY);
	tap_ok(true, "a KVM_MEM_READONLY slot at GPA %#x", RO_GPA);
	guest_add_vcpu(&g);
	guest_real_mode(&g, CODE_GPA);
	guest_set_es_base(&g, RO_GPA);

	tap_ok(guest_out_byte(&g) == 0xa5, "the guest reads the read-only slot");
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && g.run->exit_reason == KVM_EXIT_MMIO &&
	       g.run->mmio.is_write && g.run->mmio.phys_addr == RO_GPA + 4 &&
	       g.run->mmio.len == 1 && g.run->mmio.data[0] == 0x55,
	       "a guest write to it exits as KVM_EXIT_MMIO (exit %u)", g.run->exit_reason);
	tap_ok(ro[4] == 0x3c, "the host memory is unchanged");
	tap_ok(guest_out_byte(&g) == 0x3c, "the guest reads the old value back");
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && g.run->exit_reason == KVM_EXIT_HLT, "HLT");
	{
		struct kvm_userspace_memory_region r = {
			.slot = 1, .guest_phys_addr = RO_GPA, .memory_size = MiB,
			.userspace_addr = (uintptr_t)ro,
		};

		tap_ok(ioctl(g.vm, KVM_SET_USER_MEMORY_REGION, &r) == -1 && errno == EINVAL,
		       "dropping KVM_MEM_READONLY from a slot is refused");
	}

	guest_destroy(&g);
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
