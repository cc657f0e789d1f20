// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts without an in-kernel irqchip, in a real-mode guest with an
 * IVT: the interrupt window (request_interrupt_window ->
 * KVM_EXIT_IRQ_WINDOW_OPEN), KVM_INTERRUPT, KVM_NMI, the kvm_run fields
 * if_flag and ready_for_interrupt_injection, KVM_GET/SET_VCPU_EVENTS and
 * KVM_GET/SET_MP_STATE.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define CODE_GPA	0x1000
#define IRQ_GPA		0x1100
#define NMI_GPA		0x1200
#define STACK_TOP	0x8000
#define IRQ_VECTOR	0x20
#define PORT_HANDLER	0x80
#define PORT_MAIN	0x81

/* 16-bit code at CODE_GPA; each comment gives the offset from it. */
static const unsigned char guest_code[] = {
	0xfa,				/* 00: cli			*/
	0xb0, 0x01,			/* 01: mov al, 1		*/
	0xe6, PORT_MAIN,		/* 03: out 0x81, al		*/
	0xfb,				/* 05: sti			*/
	0x90,				/* 06: nop			*/
	0xf4,				/* 07: hlt			*/
	0xb0, 0x03,			/* 08: mov al, 3		*/
	0xe6, PORT_MAIN,		/* 0a: out 0x81, al		*/
	0xf4,				/* 0c: hlt			*/
};

/* The handlers: OUT their vector to port 0x80, then IRET. */
static const unsigned char irq_handler[] = {
	0xb0, IRQ_VECTOR, 0xe6, PORT_HANDLER, 0xcf,
};

static const unsigned char nmi_handler[] = {
	0xb0, 0x02, 0xe6, PORT_HANDLER, 0xcf,
};

#define NR_CHECKS	27

static unsigned char *mem;

static bool run_expect(struct guest *v, unsigned int reason, const char *what)
{
	int r = ioctl(v->vcpu, KVM_RUN, 0);
	bool ok = r == 0 && v->run->exit_reason == reason;

	if (!ok)
		tap_diag("KVM_RUN: %d (errno %d), exit %s", r, r ? errno : 0,
			 guest_exit_name(v->run->exit_reason));
	return tap_ok(ok, "%s", what);
}

/* A KVM_RUN that must OUT val to port. */
static bool run_out(struct guest *v, int port, unsigned char val,
		    const char *what)
{
	struct kvm_run *run = v->run;
	int r = ioctl(v->vcpu, KVM_RUN, 0);
	unsigned char data = 0;
	bool ok;

	if (!r && run->exit_reason == KVM_EXIT_IO)
		data = *((unsigned char *)run + run->io.data_offset);
	ok = !r && run->exit_reason == KVM_EXIT_IO &&
	     run->io.direction == KVM_EXIT_IO_OUT && run->io.port == port &&
	     run->io.size == 1 && data == val;
	if (!ok)
		tap_diag("KVM_RUN: %d (errno %d), exit %s port %#x data %#x",
			 r, r ? errno : 0, guest_exit_name(run->exit_reason),
			 run->io.port, data);
	return tap_ok(ok, "%s", what);
}

static void setup(struct guest *v)
{
	unsigned short ivt[2];

	guest_create(v, open_kvm());
	mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(mem + CODE_GPA, guest_code, sizeof(guest_code));
	memcpy(mem + IRQ_GPA, irq_handler, sizeof(irq_handler));
	memcpy(mem + NMI_GPA, nmi_handler, sizeof(nmi_handler));
	/* IVT entries: offset, segment. */
	ivt[0] = IRQ_GPA;
	ivt[1] = 0;
	memcpy(mem + 4 * IRQ_VECTOR, ivt, sizeof(ivt));
	ivt[0] = NMI_GPA;
	memcpy(mem + 4 * 2, ivt, sizeof(ivt));
	guest_set_slot(v, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(v);
}

static void teardown(struct guest *v)
{
	int kvm = v->kvm;

	guest_destroy(v);
	close(kvm);
	munmap(mem, MEM_SIZE);
}

static bool get_events(struct guest *v, struct kvm_vcpu_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	return !ioctl(v->vcpu, KVM_GET_VCPU_EVENTS, ev);
}

/* 7 checks: VCPU_EVENTS and MP_STATE. */
static void test_state_ioctls(struct guest *v)
{
	struct kvm_vcpu_events ev, ev2;
	struct kvm_mp_state mp;
	int r;

	r = get_events(v, &ev);
	tap_ok(r && !ev.exception.injected && !ev.interrupt.injected &&
	       !ev.nmi.injected && !ev.nmi.pending && !ev.nmi.masked &&
	       (ev.flags & KVM_VCPUEVENT_VALID_NMI_PENDING) &&
	       (ev.flags & KVM_VCPUEVENT_VALID_SHADOW),
	       "GET_VCPU_EVENTS: nothing pending, NMI_PENDING|SHADOW valid (flags %#x)",
	       ev.flags);
	ev.nmi.pending = 1;
	ev.nmi.masked = 1;
	r = ioctl(v->vcpu, KVM_SET_VCPU_EVENTS, &ev);
	tap_ok(!r && get_events(v, &ev2) && ev2.nmi.pending == 1 &&
	       ev2.nmi.masked == 1 && !ev2.exception.injected &&
	       !ev2.interrupt.injected,
	       "SET_VCPU_EVENTS then GET: NMI pending and masked round trip");
	ev.nmi.pending = 0;
	ev.nmi.masked = 0;
	r = ioctl(v->vcpu, KVM_SET_VCPU_EVENTS, &ev);
	tap_ok(!r && get_events(v, &ev2) && !ev2.nmi.pending &&
	       !ev2.nmi.masked, "SET_VCPU_EVENTS back to nothing pending");
	ev.flags |= 0x80000000;
	r = ioctl(v->vcpu, KVM_SET_VCPU_EVENTS, &ev);
	expect_errno(r, EINVAL, "SET_VCPU_EVENTS with an unknown flag -> EINVAL");
	ev.flags &= ~0x80000000;
	ev.exception.injected = 1;
	ev.exception.nr = 2;
	r = ioctl(v->vcpu, KVM_SET_VCPU_EVENTS, &ev);
	expect_errno(r, EINVAL, "SET_VCPU_EVENTS with exception vector 2 -> EINVAL");

	memset(&mp, 0xff, sizeof(mp));
	r = ioctl(v->vcpu, KVM_GET_MP_STATE, &mp);
	tap_ok(!r && mp.mp_state == KVM_MP_STATE_RUNNABLE,
	       "GET_MP_STATE: RUNNABLE (r %d, state %u)", r, mp.mp_state);
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	r = ioctl(v->vcpu, KVM_SET_MP_STATE, &mp);
	mp.mp_state = KVM_MP_STATE_HALTED;
	tap_ok(!r && ioctl(v->vcpu, KVM_SET_MP_STATE, &mp) == -1 &&
	       errno == EINVAL,
	       "SET_MP_STATE without irqchip: RUNNABLE ok, HALTED -> EINVAL");
}

int main(void)
{
	struct kvm_interrupt irq;
	struct kvm_vcpu_events ev;
	struct kvm_sregs sregs;
	struct guest v;
	int r;

	tap_plan(NR_CHECKS);
	setup(&v);
	if (ioctl(v.vcpu, KVM_GET_SREGS, &sregs) && errno == ENOTTY) {
		for (int i = 0; i < NR_CHECKS; i++)
			tap_skip("no backend runs guests", "irq check %d",
				 i + 1);
		return tap_finish();
	}
	tap_ok(check_cap(v.kvm, KVM_CAP_USER_NMI) > 0 &&
	       check_cap(v.kvm, KVM_CAP_VCPU_EVENTS) > 0 &&
	       check_cap(v.kvm, KVM_CAP_MP_STATE) > 0,
	       "KVM_CAP_USER_NMI, VCPU_EVENTS and MP_STATE");	/* 1 */
	test_state_ioctls(&v);					/* 8 */

	irq.irq = 256;
	r = ioctl(v.vcpu, KVM_INTERRUPT, &irq);
	expect_errno(r, EINVAL, "KVM_INTERRUPT irq 256 -> EINVAL");

	tap_ok(guest_enter_real(&v, CODE_GPA, STACK_TOP),
	       "real mode at 0000:%04x, IVT at 0", CODE_GPA);
	run_out(&v, PORT_MAIN, 1, "cli; out 0x81 <- 1");	/* 11 */
	tap_ok(!v.run->if_flag && !v.run->ready_for_interrupt_injection,
	       "IF=0: if_flag 0, not ready for injection (%u, %u)",
	       v.run->if_flag, v.run->ready_for_interrupt_injection);

	/* (a) sti; nop: the window opens, then the interrupt goes in. */
	v.run->request_interrupt_window = 1;
	run_expect(&v, KVM_EXIT_IRQ_WINDOW_OPEN,
		   "sti with request_interrupt_window -> IRQ_WINDOW_OPEN");
	tap_ok(v.run->if_flag && v.run->ready_for_interrupt_injection,
	       "window open: if_flag 1, ready for injection (%u, %u)",
	       v.run->if_flag, v.run->ready_for_interrupt_injection);
	v.run->request_interrupt_window = 0;
	irq.irq = IRQ_VECTOR;
	r = ioctl(v.vcpu, KVM_INTERRUPT, &irq);
	expect_success(r, "KVM_INTERRUPT vector 0x20");		/* 15 */
	r = get_events(&v, &ev);
	tap_ok(r && ev.interrupt.injected &&
	       ev.interrupt.nr == IRQ_VECTOR,
	       "GET_VCPU_EVENTS: interrupt 0x20 injected (%u, %#x)",
	       ev.interrupt.injected, ev.interrupt.nr);
	run_out(&v, PORT_HANDLER, IRQ_VECTOR,
		"the vector 0x20 handler runs: out 0x80 <- 0x20");
	tap_ok(!v.run->if_flag && !v.run->ready_for_interrupt_injection &&
	       get_events(&v, &ev) && !ev.interrupt.injected,
	       "in the handler: IF=0, nothing queued any more");
	run_expect(&v, KVM_EXIT_HLT, "iret back to hlt -> KVM_EXIT_HLT");
	tap_ok(v.run->if_flag && v.run->ready_for_interrupt_injection,
	       "after iret: if_flag 1, ready (%u, %u)", v.run->if_flag,
	       v.run->ready_for_interrupt_injection);		/* 20 */

	/* (b) an NMI: its handler runs, NMIs masked until its IRET. */
	r = ioctl(v.vcpu, KVM_NMI, 0);
	expect_success(r, "KVM_NMI");
	run_out(&v, PORT_HANDLER, 2, "the NMI handler runs: out 0x80 <- 2");
	r = get_events(&v, &ev);
	tap_ok(r && ev.nmi.masked && !ev.nmi.pending &&
	       !ev.nmi.injected,
	       "in the NMI handler: NMIs masked, none pending (%u %u %u)",
	       ev.nmi.masked, ev.nmi.pending, ev.nmi.injected);
	run_out(&v, PORT_MAIN, 3, "iret back: out 0x81 <- 3");
	tap_ok(get_events(&v, &ev) && !ev.nmi.masked,
	       "after the NMI handler's iret: NMIs unmasked");	/* 25 */
	run_expect(&v, KVM_EXIT_HLT, "hlt -> KVM_EXIT_HLT");
	/* A request with the window already open exits at once. */
	v.run->request_interrupt_window = 1;
	run_expect(&v, KVM_EXIT_IRQ_WINDOW_OPEN,
		   "request_interrupt_window with IF=1 -> IRQ_WINDOW_OPEN");

	teardown(&v);
	return tap_finish();
}
