// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "test.h"
#include "guest.h"

void guest_create(struct guest *g, int kvm)
{
	memset(g, 0, sizeof(*g));
	g->kvm = kvm;
	g->vm = create_vm(kvm);
	g->vcpu = -1;
}

void guest_set_slot(struct guest *g, __u32 slot, __u64 gpa, void *mem,
		    __u64 size, __u32 flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)mem,
	};

	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &r))
		tap_bail("KVM_SET_USER_MEMORY_REGION slot %u: %m", slot);
}

void guest_add_vcpu(struct guest *g)
{
	g->run_size = ioctl(g->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	g->vcpu = create_vcpu(g->vm, 0);
	g->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu, 0);
	if (g->run == MAP_FAILED)
		tap_bail("mmap of the vCPU: %m");
}

#if defined(__x86_64__)

static bool set_regs(struct guest *g, __u64 rip, __u64 rsp)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rflags = 2;
	regs.rsp = rsp;
	return !ioctl(g->vcpu, KVM_SET_REGS, &regs);
}

bool guest_enter_real(struct guest *g, __u64 rip, __u64 rsp)
{
	struct kvm_sregs sregs;

	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		return false;
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	sregs.ds.selector = 0;
	sregs.ds.base = 0;
	sregs.ss.selector = 0;
	sregs.ss.base = 0;
	sregs.idt.base = 0;
	sregs.idt.limit = 0x3ff;
	sregs.efer = 0;
	return !ioctl(g->vcpu, KVM_SET_SREGS, &sregs) && set_regs(g, rip, rsp);
}

void guest_real_mode(struct guest *g, __u64 rip)
{
	if (!guest_enter_real(g, rip, 0))
		tap_bail("KVM_SET_SREGS/REGS for real mode: %m");
}

static void flat_segment(struct kvm_segment *s, __u16 sel, __u8 type, bool l)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = l;
	s->db = !l;
}

bool guest_flat_mode(struct guest *g, void *mem, bool long_mode, __u64 rip,
		     __u64 rsp)
{
	struct kvm_sregs sregs;

	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		return false;
	flat_segment(&sregs.cs, 8, 0xb, long_mode);
	flat_segment(&sregs.ds, 16, 0x3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE;
	if (long_mode) {
		uint64_t *pml4 = (uint64_t *)((uint8_t *)mem + GUEST_PML4_GPA);
		uint64_t *pdpt = (uint64_t *)((uint8_t *)mem + GUEST_PDPT_GPA);
		uint64_t *pd = (uint64_t *)((uint8_t *)mem + GUEST_PD_GPA);

		pml4[0] = GUEST_PDPT_GPA | GUEST_PTE_P | GUEST_PTE_RW;
		pdpt[0] = GUEST_PD_GPA | GUEST_PTE_P | GUEST_PTE_RW;
		pd[0] = 0 | GUEST_PTE_P | GUEST_PTE_RW | GUEST_PTE_PS;
		pd[1] = (2 * MiB) | GUEST_PTE_P | GUEST_PTE_RW | GUEST_PTE_PS;
		sregs.cr0 |= CR0_PG;
		sregs.cr3 = GUEST_PML4_GPA;
		sregs.cr4 = CR4_PAE;
		sregs.efer = EFER_LME | EFER_LMA;
	}
	return !ioctl(g->vcpu, KVM_SET_SREGS, &sregs) && set_regs(g, rip, rsp);
}

void guest_set_es_base(struct guest *g, __u64 base)
{
	struct kvm_sregs sregs;

	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		tap_bail("KVM_GET_SREGS: %m");
	sregs.es.base = base;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &sregs))
		tap_bail("KVM_SET_SREGS: %m");
}

bool guest_on_qemu_tcg(void)
{
	unsigned int r[12];
	char brand[49];

	if (__get_cpuid_max(0x80000000, NULL) < 0x80000004)
		return false;
	for (int i = 0; i < 3; i++)
		__cpuid(0x80000002 + i, r[4 * i], r[4 * i + 1], r[4 * i + 2],
			r[4 * i + 3]);
	memcpy(brand, r, 48);
	brand[48] = 0;
	return strstr(brand, "QEMU TCG CPU");
}

bool guest_on_bochs(void)
{
	const char *e = getenv("NKVM_EMULATOR");

	return e && !strcmp(e, "bochs");
}

bool guest_host_intel(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;
}

bool guest_backend_runs(int kvm)
{
	struct kvm_sregs sregs;
	struct guest g;
	bool r;

	guest_create(&g, kvm);
	guest_add_vcpu(&g);
	r = !(ioctl(g.vcpu, KVM_GET_SREGS, &sregs) && errno == ENOTTY);
	guest_destroy(&g);
	return r;
}

void guest_supported_cpuid(int kvm, struct guest_cpuid *cpuid)
{
	memset(cpuid, 0, sizeof(*cpuid));
	cpuid->c.nent = ARRAY_SIZE(cpuid->e);
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid))
		tap_bail("KVM_GET_SUPPORTED_CPUID: %m");
}

struct kvm_cpuid_entry2 *guest_cpuid_entry(struct guest_cpuid *cpuid,
					   __u32 function, __u32 index)
{
	for (unsigned int i = 0; i < cpuid->c.nent; i++)
		if (cpuid->e[i].function == function &&
		    cpuid->e[i].index == index)
			return &cpuid->e[i];
	return NULL;
}

bool guest_load_tables(struct guest *g, void *mem, __u64 gdt_gpa,
		       __u64 idt_gpa)
{
	uint64_t *gdt = (uint64_t *)((uint8_t *)mem + gdt_gpa);
	struct kvm_sregs sregs;

	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffULL;		/* code, 32-bit, 4 GiB */
	gdt[2] = 0x00cf93000000ffffULL;		/* data, 4 GiB */
	memset((uint8_t *)mem + idt_gpa, 0, 256 * 8);
	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs))
		return false;
	sregs.gdt.base = gdt_gpa;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.idt.base = idt_gpa;
	sregs.idt.limit = 256 * 8 - 1;
	return !ioctl(g->vcpu, KVM_SET_SREGS, &sregs);
}

void guest_idt_gate(void *mem, __u64 idt_gpa, unsigned int vec,
		    __u32 handler)
{
	uint64_t *idt = (uint64_t *)((uint8_t *)mem + idt_gpa);

	/* Offset 15:0, selector 8, present 32-bit interrupt gate, 31:16. */
	idt[vec] = (handler & 0xffffULL) | (8ULL << 16) | (0x8e00ULL << 32) |
		   ((uint64_t)(handler >> 16) << 48);
}

int guest_out_byte(struct guest *g)
{
	if (ioctl(g->vcpu, KVM_RUN, 0) || g->run->exit_reason != KVM_EXIT_IO ||
	    g->run->io.direction != KVM_EXIT_IO_OUT)
		return -1;
	return *((uint8_t *)g->run + g->run->io.data_offset);
}

long guest_run_out(struct guest *g, int *port)
{
	struct kvm_run *run = g->run;
	uint32_t v = 0;
	int r;

	if (port)
		*port = -1;
	r = ioctl(g->vcpu, KVM_RUN, 0);
	if (r || run->exit_reason != KVM_EXIT_IO ||
	    run->io.direction != KVM_EXIT_IO_OUT || run->io.size > 4) {
		tap_diag("KVM_RUN %d (errno %d), exit %s (expected an OUT)", r,
			 r ? errno : 0, guest_exit_name(run->exit_reason));
		return -1;
	}
	if (port)
		*port = run->io.port;
	memcpy(&v, (uint8_t *)run + run->io.data_offset, run->io.size);
	return v;
}

#endif

bool guest_run_exit(struct guest *g, unsigned int reason)
{
	int r = ioctl(g->vcpu, KVM_RUN, 0);

	if (!r && g->run->exit_reason == reason)
		return true;
	tap_diag("KVM_RUN %d (errno %d), exit %s (expected exit %u)", r,
		 r ? errno : 0, guest_exit_name(g->run->exit_reason), reason);
	return false;
}

#if defined(__s390x__)
void guest_s390_create(struct guest *g, int kvm, void *mem,
		       unsigned long vcpu_id)
{
	guest_create(g, kvm);
	guest_set_slot(g, 0, 0, mem, GUEST_S390_MEM, 0);
	g->run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	g->vcpu = create_vcpu(g->vm, vcpu_id);
	g->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vcpu, 0);
	if (g->run == MAP_FAILED)
		tap_bail("mmap of the vCPU: %m");
}

void guest_s390_load(struct guest *g, void *mem, __u64 gpa, const char *start,
		     const char *end, __u64 extra_mask)
{
	struct kvm_s390_psw psw = {
		.mask = PSW_MASK_64 | extra_mask,
		.addr = gpa,
	};

	memcpy((char *)mem + gpa, start, end - start);
	if (ioctl(g->vcpu, KVM_S390_SET_INITIAL_PSW, &psw))
		tap_bail("KVM_S390_SET_INITIAL_PSW: %m");
}

const char *guest_s390_exit_str(struct guest *g)
{
	static char buf[96];
	struct kvm_run *run = g->run;

	if (run->exit_reason != KVM_EXIT_S390_SIEIC)
		return guest_exit_name(run->exit_reason);
	snprintf(buf, sizeof(buf), "SIEIC icptcode %#x ipa %#x ipb %#x psw %#llx",
		 run->s390_sieic.icptcode, run->s390_sieic.ipa,
		 run->s390_sieic.ipb, (unsigned long long)run->psw_addr);
	return buf;
}

bool guest_s390_run_diag(struct guest *g)
{
	struct kvm_run *run = g->run;
	int r = ioctl(g->vcpu, KVM_RUN, 0);

	if (!r && run->exit_reason == KVM_EXIT_S390_SIEIC &&
	    run->s390_sieic.icptcode == 4 && run->s390_sieic.ipa >> 8 == 0x83 &&
	    run->s390_sieic.ipb >> 16 == 0x501)
		return true;
	tap_diag("KVM_RUN %d (errno %d), exit %s (expected DIAGNOSE 0x501)", r,
		 r ? errno : 0, guest_s390_exit_str(g));
	return false;
}
#endif

static void guest_on_alarm(int sig)
{
	(void)sig;
}

void guest_alarm_ms(unsigned int ms)
{
	struct itimerval it = {
		.it_value.tv_sec = ms / 1000,
		.it_value.tv_usec = (ms % 1000) * 1000,
	};
	struct sigaction sa = { .sa_handler = guest_on_alarm };

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

void guest_destroy(struct guest *g)
{
	if (g->run)
		munmap(g->run, g->run_size);
	if (g->vcpu >= 0)
		close(g->vcpu);
	close(g->vm);
}

const char *guest_exit_name(unsigned int reason)
{
	static char buf[32];

	switch (reason) {
	case KVM_EXIT_IO:		return "IO";
	case KVM_EXIT_MMIO:		return "MMIO";
	case KVM_EXIT_HLT:		return "HLT";
	case KVM_EXIT_IRQ_WINDOW_OPEN:	return "IRQ_WINDOW_OPEN";
	case KVM_EXIT_SHUTDOWN:		return "SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY:	return "FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR:	return "INTERNAL_ERROR";
	case KVM_EXIT_INTR:		return "INTR";
	case KVM_EXIT_TPR_ACCESS:	return "TPR_ACCESS";
	case KVM_EXIT_IOAPIC_EOI:	return "IOAPIC_EOI";
	case KVM_EXIT_SYSTEM_EVENT:	return "SYSTEM_EVENT";
	case KVM_EXIT_ARM_NISV:		return "ARM_NISV";
	}
	snprintf(buf, sizeof(buf), "%u", reason);
	return buf;
}
