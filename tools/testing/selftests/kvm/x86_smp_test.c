// SPDX-License-Identifier: GPL-2.0
/*
 * Two vCPUs with the in-kernel irqchip: KVM_SET_BOOT_CPU_ID (the BSP
 * starts RUNNABLE with APIC_BASE.BSP, an AP starts UNINITIALIZED; EBUSY
 * once a vCPU exists), KVM_SET_MP_STATE errors, INIT and SIPI from the BSP
 * (and INIT_RECEIVED / SIPI_RECEIVED through KVM_SET_MP_STATE)
 * starting the AP in real mode at the SIPI vector's page, and IPIs (fixed
 * to a physical and a logical destination, the all-but-self shorthand,
 * lowest priority) waking a vCPU blocked in HLT, each
 * vCPU in its own thread.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define GDT_GPA		0x2000
#define IDT_GPA		0x3000
#define FLAG_GPA	0x6000		/* AP ready */
#define COUNT_GPA	0x6004		/* IPIs the AP took */
#define SIPI_GPA	0x8000		/* SIPI vector 8 */
#define BSP_CODE	0x10000
#define AP_CODE		0x11000
#define BSP_STACK	0x9000
#define AP_STACK	0xa000
#define APIC		"0xfee00"
#define OUT		"	out %eax, $0x80\n"

asm(".pushsection .rodata\n"
    /* The BSP: INIT and SIPI (vector 8) to APIC ID 1, then OUT 1. */
    ".code32\n"
    "smp_bsp_sipi:\n"
    "	movl $0x1ff, " APIC "0f0\n"
    "	movl $0x01000000, " APIC "310\n"
    "	movl $0x4500, " APIC "300\n"
    "	movl $0x4608, " APIC "300\n"
    "	mov $1, %eax\n" OUT
    "1:	hlt\n"
    "	jmp 1b\n"
    "smp_bsp_sipi_end:\n"
    /* The AP after SIPI, in real mode at 0800:0000. */
    ".code16\n"
    "smp_ap_real:\n"
    "	mov $0x5a, %al\n"
    "	out %al, $0x90\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "smp_ap_real_end:\n"
    /* IPIs: the sender waits for the AP, then each kind in turn. */
    ".code32\n"
    "smp_sender:\n"
    "1:	pause\n"
    "	cmpl $0, 0x6000\n"
    "	je 1b\n"
    "	movl $0x01000000, " APIC "310\n"
    "	movl $0x50, " APIC "300\n"
    /* The same vector again only once the first was taken. */
    "1:	pause\n"
    "	cmpl $0, 0x6004\n"
    "	je 1b\n"
    "	movl $0x02000000, " APIC "310\n"
    "	movl $0x850, " APIC "300\n"
    "1:	pause\n"
    "	cmpl $2, 0x6004\n"
    "	jb 1b\n"
    "	movl $0xc0050, " APIC "300\n"		/* all but self */
    "1:	pause\n"
    "	cmpl $3, 0x6004\n"
    "	jb 1b\n"
    "	movl $0x01000000, " APIC "310\n"
    "	movl $0x150, " APIC "300\n"		/* lowest priority */
    "	mov $2, %eax\n" OUT
    "1:	hlt\n"
    "	jmp 1b\n"
    "smp_sender_end:\n"
    /* The receiver: logical ID bit 1 (flat), ready, HLT until 2 IPIs. */
    "smp_receiver:\n"
    "	movl $0x1ff, " APIC "0f0\n"
    "	movl $0x02000000, " APIC "0d0\n"
    "	movl $1, 0x6000\n"
    "	cli\n"
    "1:	cmpl $4, 0x6004\n"
    "	jae 1f\n"
    "	sti\n"
    "	hlt\n"
    "	cli\n"
    "	jmp 1b\n"
    "1:	mov 0x6004, %eax\n" OUT
    "1:	hlt\n"
    "	jmp 1b\n"
    "smp_handler:\n"
    "	incl 0x6004\n"
    "	movl $0, " APIC "0b0\n"
    "	iret\n"
    "smp_receiver_end:\n"
    ".code64\n"
    ".popsection\n");

extern const unsigned char smp_bsp_sipi[], smp_bsp_sipi_end[];
extern const unsigned char smp_ap_real[], smp_ap_real_end[];
extern const unsigned char smp_sender[], smp_sender_end[];
extern const unsigned char smp_receiver[], smp_receiver_end[], smp_handler[];

#define NR_CHECKS	17

struct vcpu {
	int fd;
	struct kvm_run *run;
	long run_size;
	pthread_t thread;
	long result;		/* the OUT data, or -1 */
	int port;
	volatile bool done;
};

static unsigned char *mem;

static void vcpu_open(struct guest *g, struct vcpu *v, unsigned long id)
{
	v->run_size = ioctl(g->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	v->fd = create_vcpu(g->vm, id);
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED)
		tap_bail("mmap of vCPU %lu: %m", id);
}

static void vcpu_close(struct vcpu *v)
{
	munmap(v->run, v->run_size);
	close(v->fd);
}

/* Run until an exit other than EAGAIN (an AP's first run); OUT data. */
static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_run *run = v->run;
	int r;

	do
		r = ioctl(v->fd, KVM_RUN, 0);
	while (r == -1 && errno == EAGAIN);
	v->result = -1;
	if (!r && run->exit_reason == KVM_EXIT_IO &&
	    run->io.direction == KVM_EXIT_IO_OUT && run->io.port == v->port) {
		if (run->io.size == 1)
			v->result = *((uint8_t *)run + run->io.data_offset);
		else
			v->result = *(uint32_t *)((char *)run + run->io.data_offset);
	} else {
		tap_diag("KVM_RUN %d (errno %d), exit %s", r, r ? errno : 0,
			 guest_exit_name(run->exit_reason));
	}
	v->done = true;
	return NULL;
}

static void vcpu_start(struct vcpu *v, int port)
{
	v->port = port;
	v->done = false;
	if (pthread_create(&v->thread, NULL, vcpu_thread, v))
		tap_bail("pthread_create");
}

/* Wait up to 20 s; false (the thread left running) on a timeout. */
static bool vcpu_wait(struct vcpu *v)
{
	for (int i = 0; i < 2000 && !v->done; i++)
		usleep(10000);
	if (!v->done)
		return false;
	pthread_join(v->thread, NULL);
	return true;
}

static long mp_state(int fd)
{
	struct kvm_mp_state mp;

	return ioctl(fd, KVM_GET_MP_STATE, &mp) ? -1 : (long)mp.mp_state;
}

/* A VM with the irqchip and memory; no vCPU. False without irqchip. */
static bool vm_setup(struct guest *g, int kvm)
{
	guest_create(g, kvm);
	if (ioctl(g->vm, KVM_CREATE_IRQCHIP, 0)) {
		close(g->vm);
		return false;
	}
	memset(mem, 0, MEM_SIZE);
	guest_set_slot(g, 0, 0, mem, MEM_SIZE, 0);
	return true;
}

/* A vCPU in 32-bit protected mode at rip with the shared GDT and IDT. */
static bool vcpu_flat(struct guest *g, struct vcpu *v, uint64_t rip,
		      uint64_t rsp)
{
	struct guest gv = *g;

	gv.vcpu = v->fd;
	return guest_flat_mode(&gv, mem, false, rip, rsp) &&
	       guest_load_tables(&gv, mem, GDT_GPA, IDT_GPA);
}

static void test_boot_cpu_id(int kvm)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_STOPPED };
	struct kvm_sregs s0, s1;
	struct vcpu v0, v1;
	struct guest g;
	long st0, st1;
	int r;

	tap_ok(check_cap(kvm, KVM_CAP_SET_BOOT_CPU_ID) > 0,
	       "KVM_CAP_SET_BOOT_CPU_ID");
	vm_setup(&g, kvm);
	expect_success(ioctl(g.vm, KVM_SET_BOOT_CPU_ID, 1),
		       "KVM_SET_BOOT_CPU_ID 1 before any vCPU");
	vcpu_open(&g, &v0, 0);
	vcpu_open(&g, &v1, 1);
	expect_errno(ioctl(g.vm, KVM_SET_BOOT_CPU_ID, 0), EBUSY,
		     "KVM_SET_BOOT_CPU_ID once a vCPU exists -> EBUSY");
	st1 = mp_state(v1.fd);
	st0 = mp_state(v0.fd);
	tap_ok(st1 == KVM_MP_STATE_RUNNABLE && st0 == KVM_MP_STATE_UNINITIALIZED,
	       "vCPU 1 (BSP) RUNNABLE, vCPU 0 (AP) UNINITIALIZED (%ld, %ld)",
	       st1, st0);
	memset(&s0, 0, sizeof(s0));
	memset(&s1, 0, sizeof(s1));
	r = ioctl(v0.fd, KVM_GET_SREGS, &s0) || ioctl(v1.fd, KVM_GET_SREGS, &s1);
	tap_ok(!r && (s1.apic_base & 0x100) && !(s0.apic_base & 0x100) &&
	       (s1.apic_base & ~0xfffULL) == 0xfee00000,
	       "APIC_BASE.BSP on vCPU 1 only (%#llx, %#llx)",
	       (unsigned long long)s1.apic_base,
	       (unsigned long long)s0.apic_base);
	expect_errno(ioctl(v0.fd, KVM_SET_MP_STATE, &mp), EINVAL,
		     "KVM_SET_MP_STATE STOPPED -> EINVAL");
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	tap_ok(!ioctl(v0.fd, KVM_SET_MP_STATE, &mp) &&
	       mp_state(v0.fd) == KVM_MP_STATE_RUNNABLE,
	       "KVM_SET_MP_STATE RUNNABLE on the AP");
	vcpu_close(&v0);
	vcpu_close(&v1);
	close(g.vm);
}

static void test_init_sipi(int kvm)
{
	struct kvm_mp_state mp;
	struct vcpu bsp, ap;
	long st;
	struct kvm_sregs s;
	struct guest g;
	bool ok;

	vm_setup(&g, kvm);
	memcpy(mem + BSP_CODE, smp_bsp_sipi, smp_bsp_sipi_end - smp_bsp_sipi);
	memcpy(mem + SIPI_GPA, smp_ap_real, smp_ap_real_end - smp_ap_real);
	vcpu_open(&g, &bsp, 0);
	vcpu_open(&g, &ap, 1);
	tap_ok(vcpu_flat(&g, &bsp, BSP_CODE, BSP_STACK),
	       "BSP in 32-bit protected mode");
	/* The AP blocks in KVM_RUN until INIT and SIPI. */
	vcpu_start(&ap, 0x90);
	usleep(50000);
	vcpu_start(&bsp, 0x80);
	ok = vcpu_wait(&bsp);
	tap_ok(ok && bsp.result == 1, "BSP sent INIT and SIPI (%ld)",
	       bsp.result);
	ok = vcpu_wait(&ap);
	tap_ok(ok && ap.result == 0x5a,
	       "the AP ran at the SIPI page: out 0x90 <- 0x5a (%ld)",
	       ap.result);
	if (!ok)
		tap_bail("the AP never started");
	memset(&s, 0, sizeof(s));
	ok = !ioctl(ap.fd, KVM_GET_SREGS, &s);
	tap_ok(ok && s.cs.selector == 0x800 &&
	       s.cs.base == 0x8000 && !(s.cr0 & 1),
	       "AP CS 0800 base 0x8000, real mode (%#x %#llx)",
	       s.cs.selector, (unsigned long long)s.cs.base);

	/* The same by hand: wait-for-SIPI, then a latched SIPI. */
	mp.mp_state = KVM_MP_STATE_INIT_RECEIVED;
	ok = !ioctl(ap.fd, KVM_SET_MP_STATE, &mp);
	st = mp_state(ap.fd);
	tap_ok(ok && st == KVM_MP_STATE_INIT_RECEIVED,
	       "KVM_SET_MP_STATE INIT_RECEIVED, then GET (%ld)", st);
	mp.mp_state = KVM_MP_STATE_SIPI_RECEIVED;
	ok = !ioctl(ap.fd, KVM_SET_MP_STATE, &mp);
	st = mp_state(ap.fd);
	tap_ok(ok && st == KVM_MP_STATE_RUNNABLE,
	       "KVM_SET_MP_STATE SIPI_RECEIVED: the SIPI is taken, RUNNABLE (%ld)",
	       st);
	vcpu_start(&ap, 0x90);
	ok = vcpu_wait(&ap);
	tap_ok(ok && ap.result == 0x5a,
	       "the AP runs from the SIPI page again (%ld)", ap.result);
	if (!ok)
		tap_bail("the AP did not run");
	vcpu_close(&bsp);
	vcpu_close(&ap);
	close(g.vm);
}

static void test_ipi(int kvm)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct vcpu snd, rcv;
	struct guest g;
	bool ok;

	vm_setup(&g, kvm);
	memcpy(mem + BSP_CODE, smp_sender, smp_sender_end - smp_sender);
	memcpy(mem + AP_CODE, smp_receiver, smp_receiver_end - smp_receiver);
	vcpu_open(&g, &snd, 0);
	vcpu_open(&g, &rcv, 1);
	tap_ok(!ioctl(rcv.fd, KVM_SET_MP_STATE, &mp) &&
	       vcpu_flat(&g, &snd, BSP_CODE, BSP_STACK) &&
	       vcpu_flat(&g, &rcv, AP_CODE, AP_STACK),
	       "both vCPUs runnable in 32-bit protected mode");
	guest_idt_gate(mem, IDT_GPA, 0x50,
		       AP_CODE + (smp_handler - smp_receiver));
	vcpu_start(&rcv, 0x80);
	vcpu_start(&snd, 0x80);
	ok = vcpu_wait(&snd);
	tap_ok(ok && snd.result == 2, "sender sent four IPIs (%ld)", snd.result);
	ok = vcpu_wait(&rcv);
	tap_ok(ok && rcv.result == 4,
	       "receiver woke from HLT for physical, logical, all-but-self and lowest-priority IPIs (%ld)",
	       rcv.result);
	if (!ok)
		tap_bail("the receiver never finished");
	vcpu_close(&snd);
	vcpu_close(&rcv);
	close(g.vm);
}

int main(void)
{
	struct guest g;
	int kvm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	mem = alloc_aligned(MEM_SIZE, MiB);
	if (!vm_setup(&g, kvm)) {
		tap_diag("KVM_CREATE_IRQCHIP: %m");
		for (int i = 0; i < NR_CHECKS; i++)
			tap_skip("no in-kernel irqchip", "smp check %d", i + 1);
		return tap_finish();
	}
	close(g.vm);
	test_boot_cpu_id(kvm);	/* 7 */
	test_init_sipi(kvm);	/* 7 */
	test_ipi(kvm);		/* 3 */
	return tap_finish();
}
