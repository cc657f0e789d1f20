// SPDX-License-Identifier: GPL-2.0
/*
 * PSCI between two vCPUs, and WFI. vCPU 0 asks for the PSCI version and
 * features, starts vCPU 1 (created powered off) with CPU_ON, watches it
 * with AFFINITY_INFO while vCPU 1 reports its context id and turns itself
 * off with CPU_OFF, then calls SYSTEM_RESET. Each answer the guest gets
 * is written to MMIO, where the test reads it. A second VM's vCPU waits in
 * WFI: KVM_RUN sleeps until a signal, and returns once another thread
 * raises the vCPU's IRQ line with KVM_IRQ_LINE.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "guest.h"
#include "a64.h"

/* MMIO offsets of the results (A64_MMIO_GPA + ...). */
#define R_VERSION	0
#define R_FEAT_CPU_ON	8
#define R_CPU_ON	16
#define R_AFF_ON	24
#define R_ALREADY_ON	32
#define R_AFF_OFF	40
#define R_FEAT_BAD	48
#define R_CPU1_X0	0x100

#define CPU1_ENTRY	0x800		/* vCPU 1's code, from A64_RAM_GPA */
#define CONTEXT_ID	0x1234

/* x9: the MMIO base; w0 the function; results stored from x0. */
#define FN(lo, hi)	"	movz	w0, #" #lo "\n	movk	w0, #" #hi ", lsl #16\n"

A64_GUEST_CODE(cpu0_code,
	"	movz	x9, #0x1000, lsl #16\n"
	FN(0x0000, 0x8400)				/* PSCI_VERSION */
	"	hvc	#0\n"
	"	str	x0, [x9, #0]\n"
	FN(0x000a, 0x8400)				/* PSCI_FEATURES */
	"	movz	w1, #0x0003\n"
	"	movk	w1, #0xc400, lsl #16\n"		/* of CPU_ON (64) */
	"	hvc	#0\n"
	"	str	x0, [x9, #8]\n"
	FN(0x0003, 0xc400)				/* CPU_ON (64) */
	"	mov	x1, #1\n"
	"	movz	x2, #0x4000, lsl #16\n"
	"	add	x2, x2, #0x800\n"
	"	movz	x3, #0x1234\n"
	"	hvc	#0\n"
	"	str	x0, [x9, #16]\n"
	FN(0x0004, 0xc400)				/* AFFINITY_INFO */
	"	mov	x1, #1\n"
	"	mov	x2, #0\n"
	"	hvc	#0\n"
	"	str	x0, [x9, #24]\n"
	FN(0x0003, 0xc400)				/* CPU_ON again */
	"	mov	x1, #1\n"
	"	movz	x2, #0x4000, lsl #16\n"
	"	movz	x3, #0\n"
	"	hvc	#0\n"
	"	str	x0, [x9, #32]\n"
	FN(0x0004, 0xc400)				/* AFFINITY_INFO */
	"	mov	x1, #1\n"
	"	mov	x2, #0\n"
	"	hvc	#0\n"
	"	str	x0, [x9, #40]\n"
	FN(0x000a, 0x8400)				/* PSCI_FEATURES */
	"	movz	w1, #0x00ff\n"
	"	movk	w1, #0x8400, lsl #16\n"		/* of nothing */
	"	hvc	#0\n"
	"	str	x0, [x9, #48]\n"
	FN(0x0009, 0x8400)				/* SYSTEM_RESET */
	"	hvc	#0\n"
	"	b	.\n");

A64_GUEST_CODE(cpu1_code,
	"	movz	x9, #0x1000, lsl #16\n"
	"	str	x0, [x9, #0x100]\n"
	FN(0x0002, 0x8400)				/* CPU_OFF */
	"	hvc	#0\n"
	"	b	.\n");

A64_GUEST_CODE(wfi_code,
	"	movz	x9, #0x1000, lsl #16\n"
	"	wfi\n"
	"	str	xzr, [x9]\n"
	"	b	.\n");

static struct guest g;

/*
 * Run vcpu (its kvm_run: run) to an MMIO write at A64_MMIO_GPA + off,
 * under a 5 s alarm (a guest that never gets there: EINTR, no hang).
 */
static bool mmio_write(int vcpu, struct kvm_run *run, unsigned int off,
		       __u64 *val)
{
	int r;

	guest_alarm_ms(5000);
	r = ioctl(vcpu, KVM_RUN, 0);
	guest_alarm_ms(0);
	if (r || run->exit_reason != KVM_EXIT_MMIO) {
		tap_diag("KVM_RUN: %d (errno %d), exit %s", r, r ? errno : 0,
			 guest_exit_name(run->exit_reason));
		return false;
	}
	if (run->mmio.phys_addr != A64_MMIO_GPA + off || !run->mmio.is_write ||
	    run->mmio.len != 8) {
		tap_diag("MMIO at %llx len %u write %u, expected offset %x",
			 (unsigned long long)run->mmio.phys_addr,
			 run->mmio.len, run->mmio.is_write, off);
		return false;
	}
	memcpy(val, run->mmio.data, 8);
	return true;
}

static bool result(int vcpu, struct kvm_run *run, unsigned int off,
		   __s64 expect, const char *what)
{
	__u64 v = 0;
	bool ok = mmio_write(vcpu, run, off, &v) && (__s64)v == expect;

	tap_ok(ok, "%s: %lld", what, (long long)expect);
	if (!ok)
		tap_diag("got %lld", (long long)v);
	return ok;
}

static void *raise_irq(void *arg)
{
	struct kvm_irq_level irq = {
		.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT |
		       KVM_ARM_IRQ_CPU_IRQ << KVM_ARM_IRQ_NUM_SHIFT,
		.level = 1,
	};
	struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	if (ioctl(*(int *)arg, KVM_IRQ_LINE, &irq))
		tap_diag("KVM_IRQ_LINE: %m");
	return NULL;
}

static void wfi_tests(int kvm)
{
	struct kvm_mp_state mp;
	pthread_t thread;
	void *mem;
	__u64 v;
	int r;

	a64_guest(&g, kvm, &mem, 0x10000, wfi_code_start, wfi_code_end, 0);
	guest_alarm_ms(200);
	r = ioctl(g.vcpu, KVM_RUN, 0);
	guest_alarm_ms(0);
	tap_ok(r == -1 && errno == EINTR && g.run->exit_reason == KVM_EXIT_INTR,
	       "WFI with no interrupt: KVM_RUN sleeps until a signal (EINTR)");
	tap_ok(a64_reg(g.vcpu, A64_PC) == A64_RAM_GPA + 8,
	       "the WFI is complete: PC past it");

	/* Back in, asleep again (WFI again is how a guest waits). */
	if (a64_set(g.vcpu, A64_PC, A64_RAM_GPA + 4))
		tap_bail("KVM_SET_ONE_REG PC: %m");
	pthread_create(&thread, NULL, raise_irq, &g.vm);
	tap_ok(mmio_write(g.vcpu, g.run, 0, &v),
	       "KVM_IRQ_LINE (CPU IRQ) from another thread wakes the WFI");
	pthread_join(thread, NULL);
	tap_ok(!ioctl(g.vcpu, KVM_GET_MP_STATE, &mp) &&
	       mp.mp_state == KVM_MP_STATE_RUNNABLE, "the vCPU is runnable");
	guest_destroy(&g);
}

int main(void)
{
	struct kvm_one_reg reg;
	struct kvm_mp_state mp;
	struct kvm_run *run1;
	__u64 psci_ver, mpidr, v;
	void *mem;
	int kvm, cpu1, r;

	tap_plan(21);
	kvm = open_kvm();

	a64_guest(&g, kvm, &mem, 0x10000, cpu0_code_start, cpu0_code_end,
		  1U << KVM_ARM_VCPU_PSCI_0_2);
	memcpy((char *)mem + CPU1_ENTRY, cpu1_code_start,
	       cpu1_code_end - cpu1_code_start);
	cpu1 = a64_add_vcpu(&g, 1, 1U << KVM_ARM_VCPU_PSCI_0_2 |
			    1U << KVM_ARM_VCPU_POWER_OFF, &run1);
	tap_ok(!ioctl(cpu1, KVM_GET_MP_STATE, &mp) &&
	       mp.mp_state == KVM_MP_STATE_STOPPED,
	       "POWER_OFF: vCPU 1 starts stopped");
	mpidr = a64_reg(cpu1, A64_SYSREG(3, 0, 0, 0, 5));
	tap_ok((mpidr & 0xff00ffffffULL) == 1,
	       "vCPU 1's MPIDR_EL1 has affinity 0.0.0.1 (%llx)",
	       (unsigned long long)mpidr);

	reg.id = KVM_REG_ARM_PSCI_VERSION;
	reg.addr = (__u64)(unsigned long)&psci_ver;
	r = ioctl(g.vcpu, KVM_GET_ONE_REG, &reg);
	tap_ok(!r && psci_ver >= 0x10000,
	       "KVM_REG_ARM_PSCI_VERSION: 1.0 or later (%llx)",
	       (unsigned long long)psci_ver);

	result(g.vcpu, g.run, R_VERSION, psci_ver,
	       "PSCI_VERSION answers the firmware register's version");
	result(g.vcpu, g.run, R_FEAT_CPU_ON, 0, "PSCI_FEATURES(CPU_ON)");
	result(g.vcpu, g.run, R_CPU_ON, 0, "CPU_ON of vCPU 1: SUCCESS");
	tap_ok(!ioctl(cpu1, KVM_GET_MP_STATE, &mp) &&
	       mp.mp_state == KVM_MP_STATE_RUNNABLE,
	       "vCPU 1 is runnable after CPU_ON");
	result(g.vcpu, g.run, R_AFF_ON, 0, "AFFINITY_INFO(vCPU 1): ON");

	tap_ok(mmio_write(cpu1, run1, R_CPU1_X0, &v) && v == CONTEXT_ID,
	       "vCPU 1 runs at the entry point with the context id in x0");
	tap_ok(a64_reg(cpu1, A64_PSTATE) == 0x3c5,
	       "vCPU 1 starts in EL1h with DAIF masked");
	tap_ok(a64_reg(cpu1, A64_PC) == A64_RAM_GPA + CPU1_ENTRY + 4,
	       "vCPU 1's PC is its entry point's second instruction");

	result(g.vcpu, g.run, R_ALREADY_ON, -4,
	       "CPU_ON of a running vCPU: ALREADY_ON");

	/* vCPU 1 finishes its store and calls CPU_OFF: it sleeps. */
	guest_alarm_ms(200);
	r = ioctl(cpu1, KVM_RUN, 0);
	guest_alarm_ms(0);
	tap_ok(r == -1 && errno == EINTR,
	       "vCPU 1 after CPU_OFF: KVM_RUN sleeps until a signal");
	tap_ok(!ioctl(cpu1, KVM_GET_MP_STATE, &mp) &&
	       mp.mp_state == KVM_MP_STATE_STOPPED,
	       "vCPU 1 is stopped after CPU_OFF");

	result(g.vcpu, g.run, R_AFF_OFF, 1, "AFFINITY_INFO(vCPU 1): OFF");
	result(g.vcpu, g.run, R_FEAT_BAD, -1,
	       "PSCI_FEATURES(an unknown function): NOT_SUPPORTED");
	guest_alarm_ms(5000);
	tap_ok(guest_run_exit(&g, KVM_EXIT_SYSTEM_EVENT) &&
	       g.run->system_event.type == KVM_SYSTEM_EVENT_RESET,
	       "SYSTEM_RESET: KVM_EXIT_SYSTEM_EVENT, type RESET");
	guest_alarm_ms(0);
	close(cpu1);
	guest_destroy(&g);

	wfi_tests(kvm);
	close(kvm);
	return tap_finish();
}
