// SPDX-License-Identifier: GPL-2.0
/*
 * A kick that lands after the vCPU cleared its kick and before it entered
 * cancels that entry; the guest's FPU state must survive it. nkvm once
 * swapped the guest's FPU state out there: the guest then ran on the host
 * thread's registers and the end of KVM_RUN dereferenced a NULL fpstate.
 *
 * The window is made to hold the kick every time: with the in-kernel
 * LAPIC, the vAPIC page (KVM_SET_VAPIC_ADDR) is written right before an
 * entry, after the vCPU cleared its kick. The page lies in a slot whose
 * memory is registered with userfaultfd and not yet there, so that write
 * blocks in the fault; the test's fault thread then sends an MSI (the
 * kick) and only then fills the page. A 32-bit guest loaded a pattern
 * into XMM0 before, waits for the interrupt and compares XMM0.
 *
 * Stock writes the page only at entries that inject, so there the fault
 * may come later or never in time: the thread gives up waiting after a
 * while, fills the page and sends the MSI anyway (the check that the
 * fault came in the window is nkvm's only).
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "test.h"
#include "guest.h"

#define MEM_SIZE	(2 * MiB)
#define GDT_GPA		0x2000
#define IDT_GPA		0x3000
#define DATA_GPA	0x5000	/* +0 interrupts, +16 the pattern */
#define STACK_TOP	0x9000
#define CODE_GPA	0x10000
#define UFFD_GPA	(4 * MiB)	/* the slot of the vAPIC page */
#define APIC		"0xfee00"
#define NR_CHECKS	5

asm(".pushsection .rodata\n"
    ".code32\n"
    "kick_guest:\n"
    "	movl $0x1ff, " APIC "0f0\n"		/* SVR: enabled */
    "	movdqu 0x5010, %xmm0\n"
    "	mov $1, %eax\n"
    "	out %eax, $0x80\n"			/* XMM0 loaded */
    "	sti\n"
    "1:	cmpl $0, 0x5000\n"
    "	je 1b\n"				/* until the MSI came */
    "	movdqu 0x5010, %xmm1\n"
    "	pcmpeqb %xmm0, %xmm1\n"
    "	pmovmskb %xmm1, %eax\n"
    "	out %eax, $0x80\n"			/* 0xffff: XMM0 intact */
    "	hlt\n"
    "kick_h40:	incl 0x5000\n"
    "	movl $0, " APIC "0b0\n"
    "	iret\n"
    "kick_guest_end:\n"
    ".code64\n"
    ".popsection\n");

extern const unsigned char kick_guest[], kick_guest_end[], kick_h40[];

static int vm_fd, uffd;
static unsigned char *uffd_mem;

/* The fault thread: 1 when the fault came (and was answered after the kick). */
static void *fault_thread(void *arg)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x40 };
	struct uffdio_zeropage zero = {
		.range = { .start = (uintptr_t)uffd_mem, .len = 4096 },
	};
	struct pollfd p = { .fd = uffd, .events = POLLIN };
	struct uffd_msg m;
	long faulted = 0;

	(void)arg;
	if (poll(&p, 1, 3000) == 1 && read(uffd, &m, sizeof(m)) == sizeof(m) &&
	    m.event == UFFD_EVENT_PAGEFAULT)
		faulted = 1;
	/* The kick first, while the vCPU waits in the fault. */
	ioctl(vm_fd, KVM_SIGNAL_MSI, &msi);
	ioctl(uffd, UFFDIO_ZEROPAGE, &zero);
	return (void *)faulted;
}

/* CR4.OSFXSR for SSE, CR0.MP with EM clear. */
static bool enable_sse(struct guest *g)
{
	struct kvm_sregs s;

	if (ioctl(g->vcpu, KVM_GET_SREGS, &s))
		return false;
	s.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	s.cr0 = (s.cr0 | CR0_MP) & ~(CR0_EM | CR0_TS);
	return !ioctl(g->vcpu, KVM_SET_SREGS, &s);
}

/* uffd_mem (2 MiB, not touched) registered for missing-page faults. */
static bool setup_uffd(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)uffd_mem, .len = MEM_SIZE },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	return uffd >= 0 && !ioctl(uffd, UFFDIO_API, &api) &&
	       !ioctl(uffd, UFFDIO_REGISTER, &reg);
}

static long run_out(struct guest *g)
{
	int r = ioctl(g->vcpu, KVM_RUN, 0);

	if (r || g->run->exit_reason != KVM_EXIT_IO) {
		tap_diag("KVM_RUN %d (errno %d), exit %s", r, r ? errno : 0,
			 guest_exit_name(g->run->exit_reason));
		return -1;
	}
	return *(uint32_t *)((char *)g->run + g->run->io.data_offset);
}

int main(void)
{
	struct kvm_vapic_addr va = { .vapic_addr = UFFD_GPA };
	unsigned char *mem;
	struct guest g;
	void *faulted;
	pthread_t th;
	long v;

	tap_plan(NR_CHECKS);
	guest_create(&g, open_kvm());
	if (ioctl(g.vm, KVM_CREATE_IRQCHIP, 0)) {
		for (int i = 0; i < NR_CHECKS; i++)
			tap_skip("no in-kernel irqchip", "kick check %d", i + 1);
		return tap_finish();
	}
	mem = alloc_aligned(MEM_SIZE, MiB);
	uffd_mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(mem + CODE_GPA, kick_guest, kick_guest_end - kick_guest);
	for (int i = 0; i < 16; i++)
		mem[DATA_GPA + 16 + i] = 0x5a ^ (i * 17);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_set_slot(&g, 1, UFFD_GPA, uffd_mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	if (!setup_uffd())
		tap_bail("userfaultfd: %m");
	tap_ok(guest_flat_mode(&g, mem, false, CODE_GPA, STACK_TOP) &&
	       guest_load_tables(&g, mem, GDT_GPA, IDT_GPA) && enable_sse(&g),
	       "32-bit protected mode with SSE, a GDT and an IDT");
	guest_idt_gate(mem, IDT_GPA, 0x40, CODE_GPA + (kick_h40 - kick_guest));

	v = run_out(&g);
	tap_ok(v == 1, "the guest loaded its pattern into XMM0 (%ld)", v);
	vm_fd = g.vm;
	if (ioctl(g.vcpu, KVM_SET_VAPIC_ADDR, &va) ||
	    pthread_create(&th, NULL, fault_thread, NULL))
		tap_bail("KVM_SET_VAPIC_ADDR / pthread_create: %m");
	v = run_out(&g);
	pthread_join(th, &faulted);
	if (kvm_is_ours())
		tap_ok(faulted, "the vAPIC write before the entry faulted: the MSI kicked the vCPU there");
	else
		tap_skip("stock writes the vAPIC page only at entries that inject",
			 "the vAPIC write before the entry faulted");
	tap_ok(*(uint32_t *)(mem + DATA_GPA) >= 1, "the guest took the MSI");
	tap_ok(v == 0xffff, "XMM0 survived the cancelled entry (%#lx)", v);
	guest_destroy(&g);
	return tap_finish();
}
