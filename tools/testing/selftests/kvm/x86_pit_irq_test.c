// SPDX-License-Identifier: GPL-2.0
/*
 * The PIT's counter 0 interrupting a guest through the in-kernel irqchip:
 * a real-mode guest programs the master 8259 (IRQ 0 at vector 0x20, the
 * other lines masked) and counter 0 in mode 2 at 100 Hz, then halts with
 * interrupts on; its handler reports each interrupt with OUT 0x10 and
 * EOIs. The host sees three, about 10 ms apart. Skipped where
 * KVM_CREATE_IRQCHIP is not available.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(1 * MiB)
#define CODE_GPA	0x1000
#define STACK_TOP	0x8000
#define PIT_COUNT	11932	/* 100 Hz at 1193182 Hz */

extern const uint8_t irq_guest[], irq_guest_end[];
asm(".pushsection .rodata\n"
    ".code16\n"
    "irq_guest:\n"
    "	cli\n"
    "	movw $(irq_handler - irq_guest + 0x1000), 0x80\n"
    "	movw $0, 0x82\n"
    GUEST_PIC_INIT_IRQ0
    "	mov $0xff, %al\n"
    "	out %al, $0xa1\n"
    /* Counter 0: LSB then MSB, mode 2. */
    "	mov $0x34, %al\n"
    "	out %al, $0x43\n"
    "	mov $0x9c, %al\n"
    "	out %al, $0x40\n"
    "	mov $0x2e, %al\n"
    "	out %al, $0x40\n"
    "	sti\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "irq_handler:\n"
    "	push %ax\n"
    "	out %al, $0x10\n"
    "	mov $0x20, %al\n"
    "	out %al, $0x20\n"
    "	pop %ax\n"
    "	iret\n"
    "irq_guest_end:\n"
    ".code64\n"
    ".popsection\n");

#define NR_CHECKS	7
#define NR_IRQS		3

static void on_alarm(int sig)
{
	(void)sig;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
	struct sigaction sa;
	struct kvm_pit_config cfg;
	struct kvm_pit_state2 ps;
	int64_t t0, t;
	struct guest g;
	uint8_t *mem;
	int kvm, i;
	long r;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT) ||
	    !check_cap(kvm, KVM_CAP_IRQCHIP)) {
		for (i = 0; i < NR_CHECKS; i++)
			tap_skip("no in-kernel irqchip here", "PIT interrupts");
		return tap_finish();
	}

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		tap_bail("mmap: %m");
	memcpy(mem + CODE_GPA, irq_guest, irq_guest_end - irq_guest);
	guest_create(&g, kvm);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	expect_success(ioctl(g.vm, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
	memset(&cfg, 0, sizeof(cfg));
	expect_success(ioctl(g.vm, KVM_CREATE_PIT2, &cfg), "KVM_CREATE_PIT2");
	guest_add_vcpu(&g);
	if (!guest_enter_real(&g, CODE_GPA, STACK_TOP))
		tap_bail("entering real mode: %m");

	/* A guest that never gets its interrupt would halt forever. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(20);

	t0 = now_ns();
	for (i = 0, r = 0; i < NR_IRQS; i++) {
		/* After a failure the guest is not worth running again. */
		if (!r)
			r = ioctl(g.vcpu, KVM_RUN, 0) ||
			    g.run->exit_reason != KVM_EXIT_IO ||
			    g.run->io.port != 0x10;
		tap_ok(!r, "interrupt %d reaches the guest's handler (exit %s)",
		       i + 1, guest_exit_name(g.run->exit_reason));
	}
	t = now_ns() - t0;
	alarm(0);
	tap_ok(t >= 25000000LL,
	       "%d interrupts of a 100 Hz counter took %lld us", NR_IRQS,
	       (long long)(t / 1000));

	memset(&ps, 0, sizeof(ps));
	r = ioctl(g.vm, KVM_GET_PIT2, &ps);
	tap_ok(!r && ps.channels[0].mode == 2 &&
	       ps.channels[0].count == PIT_COUNT,
	       "KVM_GET_PIT2: counter 0 in mode %u, count %u",
	       ps.channels[0].mode, ps.channels[0].count);
	guest_destroy(&g);
	return tap_finish();
}
