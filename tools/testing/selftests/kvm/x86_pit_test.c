// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel i8254 PIT: the capabilities; ENXIO before KVM_CREATE_PIT2,
 * EFAULT, EEXIST; the state after creation, KVM_SET/GET_PIT2 and
 * KVM_GET_PIT round trips; KVM_REINJECT_CONTROL. A real-mode guest
 * programs counter 2 (mode 0, low then high byte), latches it twice
 * around a host sleep (the count went down), uses the read-back command
 * (status and count) and the speaker port of KVM_PIT_SPEAKER_DUMMY; the
 * host sees the result in KVM_GET_PIT2. Without the flag, port 0x61 exits
 * to userspace.
 *
 * Counter 0 is not read here: without an in-kernel IOAPIC stock does not
 * run it (its count reads as frozen), ours counts (Documentation/api.md).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(1 * MiB)
#define CODE_GPA	0x1000
#define DATA_GPA	0x500

#define BAD_PTR		((void *)8)

/*
 * Real mode. Counter 2: mode 0, LSB then MSB, count 0xffff; latch and read
 * it (0x500/1), OUT 0x10 (the host sleeps), latch and read it again
 * (0x502/3); read-back of counter 2's status and count (0x504, 0x505/6);
 * speaker gate and data on (OUT 0x61 of 3), IN 0x61 (0x507); HLT.
 */
extern const uint8_t pit_guest[], pit_guest_end[];
asm(".pushsection .rodata\n"
    ".code16\n"
    "pit_guest:\n"
    "	mov $0xb0, %al\n"
    "	out %al, $0x43\n"
    "	mov $0xff, %al\n"
    "	out %al, $0x42\n"
    "	out %al, $0x42\n"
    "	mov $0x80, %al\n"
    "	out %al, $0x43\n"
    "	in $0x42, %al\n"
    "	mov %al, 0x500\n"
    "	in $0x42, %al\n"
    "	mov %al, 0x501\n"
    "	out %al, $0x10\n"
    "	mov $0x80, %al\n"
    "	out %al, $0x43\n"
    "	in $0x42, %al\n"
    "	mov %al, 0x502\n"
    "	in $0x42, %al\n"
    "	mov %al, 0x503\n"
    "	mov $0xc8, %al\n"
    "	out %al, $0x43\n"
    "	in $0x42, %al\n"
    "	mov %al, 0x504\n"
    "	in $0x42, %al\n"
    "	mov %al, 0x505\n"
    "	in $0x42, %al\n"
    "	mov %al, 0x506\n"
    "	mov $0x03, %al\n"
    "	out %al, $0x61\n"
    "	in $0x61, %al\n"
    "	mov %al, 0x507\n"
    "	hlt\n"
    "pit_guest_end:\n"
    /* IN 0x61; HLT */
    "spk_guest:\n"
    "	in $0x61, %al\n"
    "	hlt\n"
    "spk_guest_end:\n"
    ".code64\n"
    ".popsection\n");
extern const uint8_t spk_guest[], spk_guest_end[];

#define NR_CHECKS	32

static int create_pit(int vm, uint32_t flags)
{
	struct kvm_pit_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = flags;
	return ioctl(vm, KVM_CREATE_PIT2, &cfg);
}

/* 3 checks. */
static void test_caps(int kvm)
{
	tap_ok(check_cap(kvm, KVM_CAP_PIT2) == 1, "KVM_CAP_PIT2");
	tap_ok(check_cap(kvm, KVM_CAP_PIT_STATE2) == 1, "KVM_CAP_PIT_STATE2");
	tap_ok(check_cap(kvm, KVM_CAP_REINJECT_CONTROL) == 1,
	       "KVM_CAP_REINJECT_CONTROL");
}

/* 16 checks. */
static void test_ioctls(int kvm)
{
	struct kvm_reinject_control rc;
	struct kvm_pit_state2 ps, got;
	struct kvm_pit_state old;
	int vm = create_vm(kvm);
	bool ok;
	int i;

	memset(&ps, 0, sizeof(ps));
	memset(&rc, 0, sizeof(rc));
	expect_errno(ioctl(vm, KVM_GET_PIT2, &ps), ENXIO,
		     "KVM_GET_PIT2 without a PIT -> ENXIO");
	expect_errno(ioctl(vm, KVM_SET_PIT2, &ps), ENXIO,
		     "KVM_SET_PIT2 without a PIT -> ENXIO");
	expect_errno(ioctl(vm, KVM_GET_PIT, &old), ENXIO,
		     "KVM_GET_PIT without a PIT -> ENXIO");
	expect_errno(ioctl(vm, KVM_REINJECT_CONTROL, &rc), ENXIO,
		     "KVM_REINJECT_CONTROL without a PIT -> ENXIO");
	expect_errno(ioctl(vm, KVM_CREATE_PIT2, BAD_PTR), EFAULT,
		     "KVM_CREATE_PIT2 with a bad pointer -> EFAULT");
	expect_success(create_pit(vm, 0), "KVM_CREATE_PIT2");
	expect_errno(create_pit(vm, 0), EEXIST,
		     "KVM_CREATE_PIT2 again -> EEXIST");

	memset(&got, 0xaa, sizeof(got));
	expect_success(ioctl(vm, KVM_GET_PIT2, &got), "KVM_GET_PIT2");
	ok = !got.flags;
	for (i = 0; i < 3; i++)
		ok = ok && got.channels[i].mode == 0xff &&
		     got.channels[i].count == 0x10000 &&
		     got.channels[i].gate == (i != 2);
	tap_ok(ok, "after creation: no mode, count 0x10000, gate 2 low, flags 0 (%#x %#x %u)",
	       got.channels[0].mode, got.channels[0].count,
	       got.channels[2].gate);

	ps = got;
	ps.channels[1].mode = 2;
	ps.channels[1].count = 1000;
	ps.channels[1].rw_mode = 3;
	ps.channels[1].read_state = 3;
	ps.channels[1].write_state = 3;
	ps.channels[2].count = 0;
	ps.flags = KVM_PIT_FLAGS_HPET_LEGACY;
	expect_success(ioctl(vm, KVM_SET_PIT2, &ps), "KVM_SET_PIT2");
	memset(&got, 0, sizeof(got));
	ioctl(vm, KVM_GET_PIT2, &got);
	tap_ok(got.channels[1].mode == 2 && got.channels[1].count == 1000 &&
	       got.channels[1].rw_mode == 3 && got.channels[2].count == 0x10000 &&
	       got.flags == KVM_PIT_FLAGS_HPET_LEGACY,
	       "KVM_GET_PIT2 reads it back (count 0 loads 0x10000: %#x)",
	       got.channels[2].count);
	memset(&old, 0, sizeof(old));
	expect_success(ioctl(vm, KVM_GET_PIT, &old), "KVM_GET_PIT");
	tap_ok(old.channels[1].mode == 2 && old.channels[1].count == 1000,
	       "... the old KVM_GET_PIT sees the same counters");
	expect_errno(ioctl(vm, KVM_GET_PIT2, BAD_PTR), EFAULT,
		     "KVM_GET_PIT2 with a bad pointer -> EFAULT");
	expect_errno(ioctl(vm, KVM_SET_PIT2, BAD_PTR), EFAULT,
		     "KVM_SET_PIT2 with a bad pointer -> EFAULT");
	rc.pit_reinject = 0;
	expect_success(ioctl(vm, KVM_REINJECT_CONTROL, &rc),
		       "KVM_REINJECT_CONTROL off");
	close(vm);
}

static bool run_to(struct guest *g, unsigned int reason, uint16_t port)
{
	if (ioctl(g->vcpu, KVM_RUN, 0)) {
		tap_diag("KVM_RUN: %m");
		return false;
	}
	if (g->run->exit_reason != reason ||
	    (reason == KVM_EXIT_IO && g->run->io.port != port)) {
		tap_diag("exit %s (port %#x)", guest_exit_name(g->run->exit_reason),
			 g->run->io.port);
		return false;
	}
	return true;
}

/* 13 checks. */
static void test_guest(int kvm)
{
	struct timespec sl = { 0, 2000000 };
	struct kvm_pit_state2 ps;
	unsigned int c1, c2, c3, st;
	struct guest g;
	uint8_t *mem, *d;

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		tap_bail("mmap: %m");
	d = mem + DATA_GPA;
	memcpy(mem + CODE_GPA, pit_guest, pit_guest_end - pit_guest);
	guest_create(&g, kvm);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	expect_success(create_pit(g.vm, KVM_PIT_SPEAKER_DUMMY),
		       "KVM_CREATE_PIT2 with KVM_PIT_SPEAKER_DUMMY");
	guest_add_vcpu(&g);
	guest_real_mode(&g, CODE_GPA);

	tap_ok(run_to(&g, KVM_EXIT_IO, 0x10),
	       "guest: counter 2 programmed, latched and read in the kernel");
	nanosleep(&sl, NULL);
	tap_ok(run_to(&g, KVM_EXIT_HLT, 0), "guest: read-back, speaker, HLT");
	c1 = d[0] | d[1] << 8;
	c2 = d[2] | d[3] << 8;
	st = d[4];
	c3 = d[5] | d[6] << 8;
	tap_ok(c1 > 0xc000 && c1 <= 0xffff,
	       "first latched count %#x is just below the 0xffff loaded", c1);
	tap_ok(c2 < c1 && c1 - c2 >= 2000,
	       "the second, after a 2 ms host sleep, is lower: %#x (%u ticks)",
	       c2, c1 - c2);
	tap_ok((st & 0x3f) == 0x30,
	       "read-back status %#x: LSB/MSB access, mode 0, binary", st);
	tap_ok(c3 <= c2, "read-back count %#x is not above %#x", c3, c2);
	tap_ok((d[7] & 3) == 3,
	       "port 0x61 reads back gate 2 and speaker data on (%#x)", d[7]);

	memset(&ps, 0, sizeof(ps));
	expect_success(ioctl(g.vm, KVM_GET_PIT2, &ps), "KVM_GET_PIT2");
	tap_ok(ps.channels[2].mode == 0 && ps.channels[2].rw_mode == 3 &&
	       ps.channels[2].count == 0xffff && ps.channels[2].gate == 1,
	       "counter 2: mode %u, access %u, count %#x, gate %u",
	       ps.channels[2].mode, ps.channels[2].rw_mode,
	       ps.channels[2].count, ps.channels[2].gate);
	tap_ok(ps.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON,
	       "flags %#x have KVM_PIT_FLAGS_SPEAKER_DATA_ON", ps.flags);
	guest_destroy(&g);

	/* Without the speaker dummy, port 0x61 is userspace's. */
	memcpy(mem + CODE_GPA, spk_guest, spk_guest_end - spk_guest);
	guest_create(&g, kvm);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	expect_success(create_pit(g.vm, 0), "KVM_CREATE_PIT2 without the speaker");
	guest_add_vcpu(&g);
	guest_real_mode(&g, CODE_GPA);
	tap_ok(run_to(&g, KVM_EXIT_IO, 0x61) &&
	       g.run->io.direction == KVM_EXIT_IO_IN,
	       "IN 0x61 exits to userspace");
	guest_destroy(&g);
	munmap(mem, MEM_SIZE);
}

int main(void)
{
	int kvm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	test_caps(kvm);
	test_ioctls(kvm);
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		for (int i = 19; i < NR_CHECKS; i++)
			tap_skip("this module does not run guests here",
				 "PIT guest");
		return tap_finish();
	}
	test_guest(kvm);
	return tap_finish();
}
