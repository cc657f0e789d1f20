// SPDX-License-Identifier: GPL-2.0
/*
 * The host changes the memory behind a slot while the guest uses it, and
 * the guest must see the host's current page every time (the MMU
 * notifier at work): the page replaced by mmap(MAP_FIXED), dropped with
 * MADV_DONTNEED, copied on write after fork(), and unmapped altogether
 * (KVM_RUN then fails with EFAULT; mapping it again lets the guest go on).
 * A guest that kept the old page, as a hypervisor pinning guest memory
 * would, reads stale data.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "test.h"
#include "guest.h"

#define NR_CHECKS	10

#if defined(__x86_64__)

#define CODE_GPA	0x1000
#define DATA_GPA	MiB

/* ES has base DATA_GPA: again: mov al,es:[0]; out 0x10,al; jmp again */
static const uint8_t code[] = {
	0x26, 0xa0, 0x00, 0x00,
	0xe6, 0x10,
	0xeb, 0xf8,
};

static void *map_page_at(uint8_t *addr, uint8_t fill)
{
	void *p = mmap(addr, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED)
		tap_bail("mmap(MAP_FIXED): %s", strerror(errno));
	*(volatile uint8_t *)p = fill;
	return p;
}

int main(void)
{
	struct guest g;
	uint8_t *low, *mem;
	pid_t child;
	int kvm, r;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		for (int i = 0; i < NR_CHECKS; i++)
			tap_skip("no guests here", "host address-space changes");
		return tap_finish();
	}

	guest_create(&g, kvm);
	low = alloc_aligned(MiB, MiB);
	mem = alloc_aligned(MiB, MiB);
	memcpy(low + CODE_GPA, code, sizeof(code));
	mem[0] = 0x55;
	guest_set_slot(&g, 0, 0, low, MiB, 0);
	guest_set_slot(&g, 1, DATA_GPA, mem, MiB, 0);
	guest_add_vcpu(&g);
	guest_real_mode(&g, CODE_GPA);
	guest_set_es_base(&g, DATA_GPA);

	tap_ok(guest_out_byte(&g) == 0x55, "the guest reads the host's page");
	mem[0] = 0x56;
	tap_ok(guest_out_byte(&g) == 0x56, "and sees a host write to it");

	map_page_at(mem, 0xaa);
	tap_ok(guest_out_byte(&g) == 0xaa,
	       "mmap(MAP_FIXED) put a new page there: the guest reads it");

	madvise(mem, 4096, MADV_DONTNEED);
	tap_ok(guest_out_byte(&g) == 0x00,
	       "after MADV_DONTNEED the guest reads a zero page");
	mem[0] = 0x77;
	tap_ok(guest_out_byte(&g) == 0x77, "then the host's next write");

	child = fork();
	if (!child)
		_exit(0);
	/* The page is copy-on-write now; this write gives us a new copy. */
	mem[0] = 0x66;
	waitpid(child, NULL, 0);
	tap_ok(guest_out_byte(&g) == 0x66,
	       "after fork() the guest follows the parent's copy-on-write page");

	munmap(mem, 4096);
	r = ioctl(g.vcpu, KVM_RUN, 0);
	expect_errno(r, EFAULT, "the page unmapped: KVM_RUN fails with EFAULT");
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EFAULT, "and again");
	map_page_at(mem, 0x99);
	tap_ok(guest_out_byte(&g) == 0x99,
	       "mapped again: the guest goes on and reads the new page");
	mem[0] = 0x9a;
	tap_ok(guest_out_byte(&g) == 0x9a, "and follows host writes");

	guest_destroy(&g);
	close(kvm);
	return tap_finish();
}

#else

int main(void)
{
	tap_plan(NR_CHECKS);
	for (int i = 0; i < NR_CHECKS; i++)
		tap_skip("x86 only", "host address-space changes");
	return tap_finish();
}

#endif
