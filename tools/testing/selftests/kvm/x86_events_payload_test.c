// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CAP_EXCEPTION_PAYLOAD and KVM_CAP_X86_TRIPLE_FAULT_EVENT, the VM
 * capabilities that extend KVM_GET/SET_VCPU_EVENTS: before they are
 * enabled the flags are refused and not reported; after, a pending #PF
 * with a payload reaches the guest's handler with CR2 set to it, a
 * pending #DB with a payload with DR6 holding it, and a pending triple
 * fault is reported by GET and ends the next KVM_RUN with
 * KVM_EXIT_SHUTDOWN. A 32-bit guest with an IDT, no irqchip.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define GDT_GPA		0x2000
#define IDT_GPA		0x3000
#define STACK_TOP	0x9000
#define CODE_GPA	0x10000
#define PORT_PF		0x80
#define PORT_DB		0x81

#define PF_VECTOR	14
#define DB_VECTOR	1
#define PF_ADDR		0x12345678
#define DR6_BS		(1U << 14)
#define DR6_FIXED	0xffff0ff0U	/* fixed-1 and active-low bits */

asm(".pushsection .rodata\n"
    ".code32\n"
    "ev_guest:\n"
    "	hlt\n"
    "	jmp ev_guest\n"
    "ev_pf:\n"
    "	mov %cr2, %eax\n"
    "	out %eax, $0x80\n"
    "	hlt\n"
    "ev_db:\n"
    "	mov %dr6, %eax\n"
    "	out %eax, $0x81\n"
    "	hlt\n"
    "ev_guest_end:\n"
    ".code64\n"
    ".popsection\n");

extern const unsigned char ev_guest[], ev_guest_end[], ev_pf[], ev_db[];

#define NR_CHECKS	21

static bool get_events(struct guest *g, struct kvm_vcpu_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	return !ioctl(g->vcpu, KVM_GET_VCPU_EVENTS, ev);
}

static long enable(struct guest *g, __u32 cap)
{
	struct kvm_enable_cap c = { .cap = cap, .args[0] = 1 };

	return ioctl(g->vm, KVM_ENABLE_CAP, &c);
}

/* Back to the HLT loop, nothing pending. */
static void restart(struct guest *g)
{
	struct kvm_regs regs;

	if (ioctl(g->vcpu, KVM_GET_REGS, &regs))
		tap_bail("KVM_GET_REGS: %m");
	regs.rip = CODE_GPA;
	regs.rsp = STACK_TOP;
	regs.rflags = 2;
	if (ioctl(g->vcpu, KVM_SET_REGS, &regs))
		tap_bail("KVM_SET_REGS: %m");
}

/* 5 checks: before the capabilities are enabled. */
static void test_before(struct guest *g)
{
	struct kvm_vcpu_events ev;
	bool ok;

	tap_ok(check_cap(g->kvm, KVM_CAP_EXCEPTION_PAYLOAD) > 0 &&
	       check_cap(g->kvm, KVM_CAP_X86_TRIPLE_FAULT_EVENT) > 0,
	       "KVM_CAP_EXCEPTION_PAYLOAD and KVM_CAP_X86_TRIPLE_FAULT_EVENT > 0");
	ok = get_events(g, &ev);
	tap_ok(ok && !(ev.flags & KVM_VCPUEVENT_VALID_PAYLOAD) &&
	       !(ev.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT),
	       "GET_VCPU_EVENTS: neither VALID_PAYLOAD nor VALID_TRIPLE_FAULT (flags %#x)",
	       ev.flags);
	get_events(g, &ev);
	ev.flags |= KVM_VCPUEVENT_VALID_PAYLOAD;
	expect_errno(ioctl(g->vcpu, KVM_SET_VCPU_EVENTS, &ev), EINVAL,
		     "SET_VCPU_EVENTS with VALID_PAYLOAD, not enabled -> EINVAL");
	get_events(g, &ev);
	ev.flags |= KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
	expect_errno(ioctl(g->vcpu, KVM_SET_VCPU_EVENTS, &ev), EINVAL,
		     "SET_VCPU_EVENTS with VALID_TRIPLE_FAULT, not enabled -> EINVAL");
	tap_ok(guest_run_exit(g, KVM_EXIT_HLT),
	       "the guest runs to its HLT, nothing was injected");
}

/* A pending exception with a payload, as userspace restores one. */
static long set_pending(struct guest *g, __u8 nr, bool error_code,
			__u64 payload)
{
	struct kvm_vcpu_events ev;

	get_events(g, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	ev.exception.pending = 1;
	ev.exception.injected = 0;
	ev.exception.nr = nr;
	ev.exception.has_error_code = error_code;
	ev.exception.error_code = error_code ? 2 : 0;
	ev.exception_has_payload = 1;
	ev.exception_payload = payload;
	return ioctl(g->vcpu, KVM_SET_VCPU_EVENTS, &ev);
}

static void set_cr2(struct guest *g, __u64 cr2)
{
	struct kvm_sregs sregs;

	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.cr2 = cr2;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %m");
}

/*
 * 5 checks: when the payload is applied. Stock holds a pending exception
 * as pending, with its payload, until it delivers it (GET reports it so),
 * so registers userspace sets meanwhile (QEMU restores the debug
 * registers after the events) do not undo it.
 */
static void test_payload_timing(struct guest *g)
{
	struct kvm_debugregs dbg;
	struct kvm_vcpu_events ev;
	struct kvm_sregs sregs;
	int port;
	long v;

	restart(g);
	set_cr2(g, 0);
	set_pending(g, PF_VECTOR, true, PF_ADDR);
	get_events(g, &ev);
	memset(&sregs, 0, sizeof(sregs));
	ioctl(g->vcpu, KVM_GET_SREGS, &sregs);
	tap_ok(ev.exception.pending && !ev.exception.injected &&
	       ev.exception.nr == PF_VECTOR &&
	       ev.exception_has_payload &&
	       ev.exception_payload == PF_ADDR,
	       "GET_VCPU_EVENTS: the #PF still pending, with its payload (%u %u %u %#llx)",
	       ev.exception.pending, ev.exception.injected,
	       ev.exception_has_payload,
	       (unsigned long long)ev.exception_payload);
	tap_ok(sregs.cr2 == 0,
	       "KVM_GET_SREGS: CR2 not the payload yet (%#llx)",
	       (unsigned long long)sregs.cr2);
	/* Then userspace restores CR2 (0): the payload still wins. */
	set_cr2(g, 0);
	v = guest_run_out(g, &port);
	tap_ok(port == PORT_PF && v == PF_ADDR,
	       "#PF pending, then KVM_SET_SREGS with CR2 0: the handler's CR2 is the payload (%#lx)",
	       v);

	/* QEMU's order: KVM_SET_VCPU_EVENTS, then KVM_SET_DEBUGREGS. */
	restart(g);
	set_pending(g, DB_VECTOR, false, DR6_BS);
	memset(&dbg, 0, sizeof(dbg));
	ioctl(g->vcpu, KVM_GET_DEBUGREGS, &dbg);
	dbg.dr6 = DR6_FIXED;
	dbg.flags = 0;
	if (ioctl(g->vcpu, KVM_SET_DEBUGREGS, &dbg))
		tap_diag("KVM_SET_DEBUGREGS: %m");
	v = guest_run_out(g, &port);
	tap_ok(port == PORT_DB && v >= 0 && (v & DR6_BS),
	       "#DB pending, then KVM_SET_DEBUGREGS with DR6 0xffff0ff0: the handler's DR6 has BS (%#lx)",
	       v);

	/* An injected exception's payload is not used. */
	restart(g);
	set_cr2(g, 0x5a5a5000);
	get_events(g, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	ev.exception.injected = 1;
	ev.exception.pending = 0;
	ev.exception.nr = PF_VECTOR;
	ev.exception.has_error_code = 1;
	ev.exception_has_payload = 1;
	ev.exception_payload = PF_ADDR;
	if (ioctl(g->vcpu, KVM_SET_VCPU_EVENTS, &ev))
		tap_diag("KVM_SET_VCPU_EVENTS: %m");
	v = guest_run_out(g, &port);
	tap_ok(port == PORT_PF && v == 0x5a5a5000,
	       "#PF injected (not pending) with a payload: CR2 stays 0x5a5a5000 (%#lx)",
	       v);
}

/* 16 checks. */
static void test_after(struct guest *g)
{
	struct kvm_vcpu_events ev;
	int port;
	long v;

	tap_ok(!enable(g, KVM_CAP_EXCEPTION_PAYLOAD) &&
	       !enable(g, KVM_CAP_X86_TRIPLE_FAULT_EVENT),
	       "KVM_ENABLE_CAP of both on the VM");
	tap_ok(get_events(g, &ev) &&
	       (ev.flags & KVM_VCPUEVENT_VALID_PAYLOAD) &&
	       (ev.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT) &&
	       !ev.triple_fault.pending && !ev.exception.pending,
	       "GET_VCPU_EVENTS: VALID_PAYLOAD and VALID_TRIPLE_FAULT, nothing pending (flags %#x)",
	       ev.flags);

	/* A #PF pending (delivery not begun): CR2 comes from the payload. */
	restart(g);
	get_events(g, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	ev.exception.pending = 1;
	ev.exception.nr = PF_VECTOR;
	ev.exception.has_error_code = 1;
	ev.exception.error_code = 2;
	ev.exception_has_payload = 1;
	ev.exception_payload = PF_ADDR;
	expect_success(ioctl(g->vcpu, KVM_SET_VCPU_EVENTS, &ev),
		       "SET_VCPU_EVENTS: #PF pending with payload 0x12345678");
	v = guest_run_out(g, &port);
	tap_ok(port == PORT_PF && v == PF_ADDR,
	       "the guest's #PF handler reads CR2 0x12345678 (port %#x, %#lx)",
	       port, v);

	/* A #DB pending: its payload lands in DR6. */
	restart(g);
	get_events(g, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	ev.exception.pending = 1;
	ev.exception.nr = DB_VECTOR;
	ev.exception_has_payload = 1;
	ev.exception_payload = DR6_BS;
	expect_success(ioctl(g->vcpu, KVM_SET_VCPU_EVENTS, &ev),
		       "SET_VCPU_EVENTS: #DB pending with payload DR6.BS");
	v = guest_run_out(g, &port);
	if (v < 0 && guest_on_bochs() && !kvm_is_ours()) {
		/* Bochs refuses the stock kvm-intel's entry with this #DB. */
		tap_skip("Bochs: the stock kvm-intel's entry fails", "#DB payload in DR6");
		tap_skip("Bochs: the stock kvm-intel's entry fails", "DR6 fixed-1 bits");
	} else {
		tap_ok(port == PORT_DB && v >= 0 && (v & DR6_BS),
		       "the guest's #DB handler reads DR6 with BS set (port %#x, %#lx)",
		       port, v);
		tap_ok(v >= 0 && ((__u32)v & DR6_FIXED) == DR6_FIXED && !(v & 0xf),
		       "... and the fixed-1 bits, no breakpoint hit (%#lx)", v);
	}

	test_payload_timing(g);				/* 5 */

	/* A triple fault. */
	restart(g);
	get_events(g, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
	ev.triple_fault.pending = 1;
	expect_success(ioctl(g->vcpu, KVM_SET_VCPU_EVENTS, &ev),
		       "SET_VCPU_EVENTS: triple_fault.pending 1");
	tap_ok(get_events(g, &ev) && ev.triple_fault.pending &&
	       (ev.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT),
	       "GET_VCPU_EVENTS: the triple fault is pending");
	tap_ok(guest_run_exit(g, KVM_EXIT_SHUTDOWN),
	       "KVM_RUN -> KVM_EXIT_SHUTDOWN");
	tap_ok(get_events(g, &ev) && !ev.triple_fault.pending,
	       "then it is no longer pending");
}

int main(void)
{
	unsigned char *mem;
	struct guest g;
	int kvm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	if (!guest_backend_runs(kvm))
		return tap_skip_rest("no backend runs guests");
	guest_create(&g, kvm);
	mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(mem + CODE_GPA, ev_guest, ev_guest_end - ev_guest);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	if (!guest_flat_mode(&g, mem, false, CODE_GPA, STACK_TOP) ||
	    !guest_load_tables(&g, mem, GDT_GPA, IDT_GPA))
		tap_bail("32-bit guest set-up: %m");
	guest_idt_gate(mem, IDT_GPA, PF_VECTOR, CODE_GPA + (ev_pf - ev_guest));
	guest_idt_gate(mem, IDT_GPA, DB_VECTOR, CODE_GPA + (ev_db - ev_guest));

	test_before(&g);				/* 5 */
	test_after(&g);					/* 16 */

	guest_destroy(&g);
	munmap(mem, MEM_SIZE);
	return tap_finish();
}
