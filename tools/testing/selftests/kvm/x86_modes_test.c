// SPDX-License-Identifier: GPL-2.0
/*
 * Guests in 32-bit protected mode and in 64-bit long mode with 4-level
 * paging (2 MiB pages), entered through KVM_SET_SREGS as VMMs and the
 * upstream selftest library do: port I/O exits of 1 and 4 bytes, a guest
 * store above 1 MiB seen by the host in the memslot, HLT.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#if defined(__x86_64__)

#define MEM_SIZE	(4 * MiB)
#define CODE_GPA	0x1000

/* mov al,0x42; out 0x10,al; mov eax,0x12345678; mov [0x200000],eax;
 * out 0x11,eax; hlt
 */
static const uint8_t code32[] = {
	0xb0, 0x42, 0xe6, 0x10,
	0xb8, 0x78, 0x56, 0x34, 0x12,
	0xa3, 0x00, 0x00, 0x20, 0x00,
	0xe7, 0x11,
	0xf4,
};

/* mov al,0x42; out 0x10,al; mov rax,0x1122334455667788;
 * mov [0x300000],rax; out 0x11,eax; hlt
 */
static const uint8_t code64[] = {
	0xb0, 0x42, 0xe6, 0x10,
	0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
	0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x30, 0x00,
	0xe7, 0x11,
	0xf4,
};

static bool io_exit(struct guest *g, uint16_t port, uint8_t size, uint32_t data)
{
	uint32_t got = 0;

	if (ioctl(g->vcpu, KVM_RUN, 0)) {
		tap_diag("KVM_RUN: %m");
		return false;
	}
	if (g->run->exit_reason != KVM_EXIT_IO) {
		tap_diag("exit reason %u, expected KVM_EXIT_IO", g->run->exit_reason);
		return false;
	}
	memcpy(&got, (uint8_t *)g->run + g->run->io.data_offset, g->run->io.size);
	if (g->run->io.direction != KVM_EXIT_IO_OUT || g->run->io.port != port ||
	    g->run->io.size != size || g->run->io.count != 1 || got != data) {
		tap_diag("io: dir %u port %#x size %u count %u data %#x",
			 g->run->io.direction, g->run->io.port, g->run->io.size,
			 g->run->io.count, got);
		return false;
	}
	return true;
}

static void run_mode(int kvm, bool long_mode)
{
	const char *m = long_mode ? "long mode" : "protected mode";
	uint64_t stored = 0;
	struct guest g;
	uint8_t *mem;

	guest_create(&g, kvm);
	mem = alloc_aligned(MEM_SIZE, MiB);
	if (long_mode)
		memcpy(mem + CODE_GPA, code64, sizeof(code64));
	else
		memcpy(mem + CODE_GPA, code32, sizeof(code32));
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);

	tap_ok(guest_flat_mode(&g, mem, long_mode, CODE_GPA, 0x8000),
	       "%s: KVM_SET_SREGS/REGS", m);
	tap_ok(io_exit(&g, 0x10, 1, 0x42), "%s: OUT 0x10 of 1 byte (0x42)", m);
	tap_ok(io_exit(&g, 0x11, 4, long_mode ? 0x55667788 : 0x12345678),
	       "%s: OUT 0x11 of 4 bytes", m);
	if (long_mode)
		memcpy(&stored, mem + 0x300000, 8);
	else
		memcpy(&stored, mem + 0x200000, 4);
	tap_ok(stored == (long_mode ? 0x1122334455667788ULL : 0x12345678),
	       "%s: the guest's store above 1 MiB is in the memslot (%#llx)", m,
	       (unsigned long long)stored);
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && g.run->exit_reason == KVM_EXIT_HLT,
	       "%s: KVM_EXIT_HLT", m);

	guest_destroy(&g);
}

int main(void)
{
	int kvm;

	tap_plan(10);
	kvm = open_kvm();
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		/* No backend that runs guests (api_only, or VMX for now). */
		for (int i = 0; i < 10; i++)
			tap_skip("this module does not run guests here", "guest modes");
		return tap_finish();
	}
	run_mode(kvm, false);
	run_mode(kvm, true);
	close(kvm);
	return tap_finish();
}

#else

int main(void)
{
	tap_plan(1);
	tap_skip("x86 only", "guest modes");
	return tap_finish();
}

#endif
