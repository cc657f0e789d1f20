// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_REGISTER/UNREGISTER_COALESCED_MMIO. The capability names the page of
 * the vCPU area that holds the ring (x86: 2, arm64: 1; s390 has none and
 * answers ENOTTY). The argument checks, then on x86 a real-mode guest
 * writes into an MMIO zone and a port zone: the writes land in the ring
 * (address, length, pio flag, data) without exits until a write outside
 * every zone exits; reads in a zone still exit; a full ring (as userspace
 * left it) makes the next write exit; an unregistered zone stops
 * coalescing.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "test.h"
#include "guest.h"

#define API_CHECKS	6
#define GUEST_CHECKS	10

static int zone(int vm, unsigned long ioctl_nr, __u64 addr, __u32 size,
		__u32 pio)
{
	struct kvm_coalesced_mmio_zone z = { .addr = addr, .size = size, .pio = pio };

	return ioctl(vm, ioctl_nr, &z);
}

static void api(int kvm, long page)
{
	int vm = create_vm(kvm);

	expect_errno(zone(vm, KVM_REGISTER_COALESCED_MMIO, 0x1000, 0x100, 2),
		     EINVAL, "pio 2: EINVAL");
	expect_errno(ioctl(vm, KVM_REGISTER_COALESCED_MMIO, (void *)8), EFAULT,
		     "a bad argument pointer: EFAULT");
	expect_success(zone(vm, KVM_REGISTER_COALESCED_MMIO, 0x1000, 0x100, 0),
		       "an MMIO zone");
	expect_success(zone(vm, KVM_REGISTER_COALESCED_MMIO, 0x60, 4, 1),
		       "a port zone");
	expect_success(zone(vm, KVM_UNREGISTER_COALESCED_MMIO, 0x1010, 0x10, 0),
		       "unregister a range inside the MMIO zone");
	tap_ok(page > 0, "KVM_CAP_COALESCED_MMIO: page %ld", page);
	close(vm);
}

#if defined(__x86_64__)

#define CODE_GPA	0x1000
#define MMIO_GPA	0x90000

/* ES has base MMIO_GPA; the MMIO zone is its first page, the port zone 0x60-0x61. */
static const uint8_t code[] = {
	0xb0, 0x11,			/* mov al,0x11 */
	0x26, 0xa2, 0x00, 0x00,		/* mov es:[0],al */
	0xb8, 0x33, 0x22,		/* mov ax,0x2233 */
	0x26, 0xa3, 0x08, 0x00,		/* mov es:[8],ax */
	0xe6, 0x61,			/* out 0x61,al */
	0x26, 0xa2, 0x00, 0x20,		/* mov es:[0x2000],al  exit 1 */
	0x26, 0xa0, 0x10, 0x00,		/* mov al,es:[0x10]    exit 2 (read) */
	0x26, 0xa2, 0x20, 0x00,		/* mov es:[0x20],al    exit 3 (full) */
	0x26, 0xa2, 0x40, 0x00,		/* mov es:[0x40],al    exit 4 (no zone) */
	0xf4,
};

static void guest_part(int kvm, long page)
{
	struct kvm_coalesced_mmio_ring *ring;
	struct kvm_coalesced_mmio *e;
	unsigned int max;
	struct guest g;
	uint8_t *low;

	guest_create(&g, kvm);
	low = alloc_aligned(MiB, MiB);
	memcpy(low + CODE_GPA, code, sizeof(code));
	guest_set_slot(&g, 0, 0, low, 512 * 1024, 0);
	tap_ok(!zone(g.vm, KVM_REGISTER_COALESCED_MMIO, MMIO_GPA, 0x1000, 0) &&
	       !zone(g.vm, KVM_REGISTER_COALESCED_MMIO, 0x60, 2, 1),
	       "zones: MMIO %#x/0x1000 and ports 0x60/2", MMIO_GPA);
	guest_add_vcpu(&g);
	guest_real_mode(&g, CODE_GPA);
	guest_set_es_base(&g, MMIO_GPA);
	ring = (void *)((uint8_t *)g.run + page * 4096);
	max = (4096 - sizeof(*ring)) / sizeof(*e);

	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && g.run->exit_reason == KVM_EXIT_MMIO &&
	       g.run->mmio.phys_addr == MMIO_GPA + 0x2000,
	       "the first exit is the write outside the zones (exit %s)",
	       guest_exit_name(g.run->exit_reason));
	tap_ok(ring->first == 0 && ring->last == 3, "three entries in the ring (%u..%u)",
	       ring->first, ring->last);
	e = ring->coalesced_mmio;
	tap_ok(e[0].phys_addr == MMIO_GPA && e[0].len == 1 && e[0].data[0] == 0x11 &&
	       !e[0].pio, "entry 0: the 1-byte MMIO write");
	tap_ok(e[1].phys_addr == MMIO_GPA + 8 && e[1].len == 2 &&
	       e[1].data[0] == 0x33 && e[1].data[1] == 0x22 && !e[1].pio,
	       "entry 1: the 2-byte MMIO write");
	tap_ok(e[2].phys_addr == 0x61 && e[2].len == 1 && e[2].data[0] == 0x33 &&
	       e[2].pio == 1, "entry 2: the port write, pio 1");
	ring->first = 3;
	g.run->mmio.data[0] = 0;
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && g.run->exit_reason == KVM_EXIT_MMIO &&
	       !g.run->mmio.is_write && g.run->mmio.phys_addr == MMIO_GPA + 0x10,
	       "a read inside the zone exits");
	/* Userspace leaves the ring full: first is one past last. */
	ring->first = (ring->last + 1) % max;
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && g.run->exit_reason == KVM_EXIT_MMIO &&
	       g.run->mmio.is_write && g.run->mmio.phys_addr == MMIO_GPA + 0x20,
	       "with the ring full a write in the zone exits");
	ring->first = ring->last;
	tap_ok(!zone(g.vm, KVM_UNREGISTER_COALESCED_MMIO, MMIO_GPA, 0x1000, 0) &&
	       !ioctl(g.vcpu, KVM_RUN, 0) && g.run->exit_reason == KVM_EXIT_MMIO &&
	       g.run->mmio.phys_addr == MMIO_GPA + 0x40 &&
	       ring->first == ring->last,
	       "after unregistering the zone its writes exit");
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && g.run->exit_reason == KVM_EXIT_HLT,
	       "HLT");
	guest_destroy(&g);
}

#endif

int main(void)
{
	long page;
	int kvm;

	tap_plan(API_CHECKS + GUEST_CHECKS);
	kvm = open_kvm();
	page = check_cap(kvm, KVM_CAP_COALESCED_MMIO);
	if (page <= 0) {
		/* s390 has no coalesced MMIO, stock or ours. */
		int vm = create_vm(kvm);

		expect_errno(zone(vm, KVM_REGISTER_COALESCED_MMIO, 0x1000, 0x100, 0),
			     ENOTTY, "no KVM_CAP_COALESCED_MMIO: ENOTTY");
		close(vm);
		for (int i = 1; i < API_CHECKS + GUEST_CHECKS; i++)
			tap_skip("no coalesced MMIO here", "coalesced MMIO");
		close(kvm);
		return tap_finish();
	}
	api(kvm, page);
#if defined(__x86_64__)
	if (check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		guest_part(kvm, page);
		close(kvm);
		return tap_finish();
	}
#endif
	for (int i = 0; i < GUEST_CHECKS; i++)
		tap_skip("no x86 guests here", "coalesced MMIO in a guest");
	close(kvm);
	return tap_finish();
}
