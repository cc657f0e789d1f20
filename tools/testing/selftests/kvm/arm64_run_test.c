// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 world switch end to end: a guest at EL1 (MMU off) makes MMIO
 * writes and reads of each size, which exit with KVM_EXIT_MMIO and are
 * completed at the next KVM_RUN (a read's data in its register, signed
 * or not), then calls PSCI SYSTEM_OFF with HVC, which exits with
 * KVM_EXIT_SYSTEM_EVENT and leaves the vCPU stopped: KVM_RUN then sleeps
 * until a signal. Before KVM_ARM_VCPU_INIT the vCPU answers ENOEXEC.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "test.h"
#include "guest.h"
#include "a64.h"

A64_GUEST_CODE(run_code,
	"	movz	x1, #0x1000, lsl #16\n"		/* A64_MMIO_GPA */
	"	mov	x0, #0x42\n"
	"	str	w0, [x1]\n"
	"	ldr	w2, [x1, #8]\n"
	"	ldrsb	x3, [x1, #16]\n"
	"	strh	w2, [x1, #24]\n"
	"	add	x4, x2, #1\n"
	"	str	x4, [x1, #32]\n"
	"	ldrb	w5, [x1, #40]\n"
	"	movz	w0, #0x0008\n"
	"	movk	w0, #0x8400, lsl #16\n"		/* PSCI SYSTEM_OFF */
	"	hvc	#0\n"
	"	b	.\n");

static struct guest g;

/* Run to an MMIO exit at A64_MMIO_GPA + off of len bytes. */
static bool run_mmio(unsigned int off, unsigned int len, bool write)
{
	struct kvm_run *run = g.run;

	if (!guest_run_exit(&g, KVM_EXIT_MMIO)) {
		tap_diag("guest PC %llx",
			 (unsigned long long)a64_reg(g.vcpu, A64_PC));
		return false;
	}
	if (run->mmio.phys_addr == A64_MMIO_GPA + off &&
	    run->mmio.len == len && run->mmio.is_write == write)
		return true;
	tap_diag("MMIO at %llx len %u write %u",
		 (unsigned long long)run->mmio.phys_addr, run->mmio.len,
		 run->mmio.is_write);
	return false;
}

static __u64 mmio_data(void)
{
	__u64 v = 0;

	memcpy(&v, g.run->mmio.data, g.run->mmio.len);
	return v;
}

int main(void)
{
	struct kvm_vcpu_init init;
	struct kvm_mp_state mp;
	struct kvm_reg_list list = { .n = 0 };
	int kvm, vm, vcpu, r;
	__u64 v;
	void *mem;

	tap_plan(21);
	kvm = open_kvm();

	/* Before KVM_ARM_VCPU_INIT. */
	vm = create_vm(kvm);
	vcpu = create_vcpu(vm, 0);
	memset(&init, 0xff, sizeof(init));
	r = ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	tap_ok(!r && init.target <= KVM_ARM_TARGET_GENERIC_V8 &&
	       !init.features[0] && !init.features[6],
	       "KVM_ARM_PREFERRED_TARGET: target %u, no features", init.target);
	expect_errno(ioctl(vcpu, KVM_RUN, 0), ENOEXEC,
		     "KVM_RUN before KVM_ARM_VCPU_INIT -> ENOEXEC");
	expect_errno(a64_get(vcpu, A64_PC, &v), ENOEXEC,
		     "KVM_GET_ONE_REG before KVM_ARM_VCPU_INIT -> ENOEXEC");
	expect_errno(ioctl(vcpu, KVM_GET_REG_LIST, &list), ENOEXEC,
		     "KVM_GET_REG_LIST before KVM_ARM_VCPU_INIT -> ENOEXEC");
	close(vcpu);
	close(vm);

	a64_guest(&g, kvm, &mem, 0x10000, run_code_start, run_code_end,
		  1U << KVM_ARM_VCPU_PSCI_0_2);
	tap_ok(a64_reg(g.vcpu, A64_PSTATE) == 0x3c5,
	       "reset PSTATE: EL1h, DAIF masked (0x3c5)");

	/* A guest that never exits ends in EINTR, not in a hung test. */
	guest_alarm_ms(5000);

	tap_ok(run_mmio(0, 4, true) && mmio_data() == 0x42,
	       "STR W0: KVM_EXIT_MMIO write of 4 bytes, data 0x42");
	tap_ok(run_mmio(8, 4, false), "LDR W2: KVM_EXIT_MMIO read of 4 bytes");
	memcpy(g.run->mmio.data, "\x78\x56\x34\x12", 4);
	tap_ok(run_mmio(16, 1, false), "LDRSB X3: KVM_EXIT_MMIO read of 1 byte");
	g.run->mmio.data[0] = 0x80;
	tap_ok(run_mmio(24, 2, true) && mmio_data() == 0x5678,
	       "STRH W2: the read's data (0x12345678) written back as 2 bytes");
	tap_ok(run_mmio(32, 8, true) && mmio_data() == 0x12345679,
	       "STR X4: an 8-byte write of the read's data + 1");
	/*
	 * Stock 6.1 sign-extends the byte, then masks it back to 8 bits
	 * (vcpu_data_host_to_guest() after the extension): its X3 is 0x80.
	 * Ours does what the instruction does.
	 */
	v = a64_reg(g.vcpu, A64_X(3));
	tap_ok(v == (kvm_is_ours() ? 0xffffffffffffff80ULL : 0x80),
	       "LDRSB of 0x80 into X3: %s (%llx)", kvm_is_ours() ?
	       "sign-extended" : "stock: 0x80, the extension masked off",
	       (unsigned long long)v);
	tap_ok(run_mmio(40, 1, false), "LDRB W5: a 1-byte read");
	g.run->mmio.data[0] = 0xfe;

	tap_ok(guest_run_exit(&g, KVM_EXIT_SYSTEM_EVENT) &&
	       g.run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN,
	       "PSCI SYSTEM_OFF: KVM_EXIT_SYSTEM_EVENT, type SHUTDOWN");
	guest_alarm_ms(0);
	tap_ok(a64_reg(g.vcpu, A64_X(5)) == 0xfe,
	       "LDRB zero-extended 0xfe into W5");
	tap_ok(a64_reg(g.vcpu, A64_PC) == A64_RAM_GPA + 12 * 4,
	       "PC is past the HVC");
	tap_ok(a64_reg(g.vcpu, A64_X(0)) == (__u64)-6,
	       "X0 holds INTERNAL_FAILURE should the guest run on");
	tap_ok(!ioctl(g.vcpu, KVM_GET_MP_STATE, &mp) &&
	       mp.mp_state == KVM_MP_STATE_STOPPED,
	       "the vCPU is stopped (KVM_MP_STATE_STOPPED)");

	guest_alarm_ms(200);
	r = ioctl(g.vcpu, KVM_RUN, 0);
	guest_alarm_ms(0);
	tap_ok(r == -1 && errno == EINTR &&
	       g.run->exit_reason == KVM_EXIT_INTR,
	       "KVM_RUN of the stopped vCPU sleeps until a signal: EINTR");

	g.run->immediate_exit = 1;
	expect_errno(ioctl(g.vcpu, KVM_RUN, 0), EINTR,
		     "immediate_exit: KVM_RUN -> EINTR");
	g.run->immediate_exit = 0;

	/* KVM_ARM_VCPU_INIT again resets the vCPU, powered on. */
	memset(&init, 0, sizeof(init));
	ioctl(g.vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] = 1U << KVM_ARM_VCPU_PSCI_0_2;
	r = ioctl(g.vcpu, KVM_ARM_VCPU_INIT, &init);
	tap_ok(!r && !ioctl(g.vcpu, KVM_GET_MP_STATE, &mp) &&
	       mp.mp_state == KVM_MP_STATE_RUNNABLE &&
	       a64_reg(g.vcpu, A64_PC) == 0 && a64_reg(g.vcpu, A64_X(3)) == 0,
	       "KVM_ARM_VCPU_INIT again: reset (PC 0, X3 0), runnable");
	init.features[0] = 0;
	expect_errno(ioctl(g.vcpu, KVM_ARM_VCPU_INIT, &init), EINVAL,
		     "KVM_ARM_VCPU_INIT again with other features -> EINVAL");

	guest_destroy(&g);
	close(kvm);
	return tap_finish();
}
