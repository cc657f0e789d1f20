/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A one-vCPU guest for the x86 guest tests: a VM, memslots, the vCPU and
 * its kvm_run mapping, real-mode entry, and running to the next exit.
 * Every helper bails out (tap_bail) when the set-up itself fails.
 */
#ifndef NKVM_SELFTEST_GUEST_H
#define NKVM_SELFTEST_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

struct guest {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	long run_size;
};

#if defined(__x86_64__)
/* Control register and EFER bits the x86 tests use. */
#define CR0_PE		(1ULL << 0)
#define CR0_MP		(1ULL << 1)
#define CR0_EM		(1ULL << 2)
#define CR0_TS		(1ULL << 3)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_NW		(1ULL << 29)
#define CR0_CD		(1ULL << 30)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXMMEXCPT	(1ULL << 10)
#define CR4_OSXSAVE	(1ULL << 18)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#endif

/* A VM with no vCPU yet. */
void guest_create(struct guest *g, int kvm);
void guest_set_slot(struct guest *g, __u32 slot, __u64 gpa, void *mem,
		    __u64 size, __u32 flags);
/* vCPU 0 and its mapping. */
void guest_add_vcpu(struct guest *g);
#if defined(__x86_64__)
/*
 * Real mode at 0000:rip: CS, DS and SS selector and base 0, IDTR the IVT
 * at 0 (limit 0x3ff), EFER 0, RFLAGS 2, RSP rsp and the other GPRs 0.
 * False (errno set) when an ioctl fails.
 */
bool guest_enter_real(struct guest *g, __u64 rip, __u64 rsp);
/* guest_enter_real() with RSP 0; bails out on failure. */
void guest_real_mode(struct guest *g, __u64 rip);
/*
 * Flat segments (CS selector 8, the data segments 16), CR0 PE|ET|NE and
 * RIP rip, RSP rsp, RFLAGS 2: 32-bit protected mode, or with long_mode
 * 64-bit mode with 4-level paging whose tables are built in mem (the
 * memory at GPA 0): PML4 at GUEST_PML4_GPA, PDPT at GUEST_PDPT_GPA and
 * at GUEST_PD_GPA the PD that identity-maps the first 4 MiB with 2 MiB
 * pages. False (errno set) when an ioctl fails.
 */
#define GUEST_PML4_GPA	0x10000
#define GUEST_PDPT_GPA	0x11000
#define GUEST_PD_GPA	0x12000
#define GUEST_PTE_P	1ULL
#define GUEST_PTE_RW	2ULL
#define GUEST_PTE_PS	0x80ULL
bool guest_flat_mode(struct guest *g, void *mem, bool long_mode, __u64 rip,
		     __u64 rsp);
void guest_set_es_base(struct guest *g, __u64 base);
/*
 * The host CPU is QEMU's TCG (the test platform), whose nested SVM lacks
 * some intercepts (see the tests that ask).
 */
bool guest_on_qemu_tcg(void);
/* The test VM is Bochs (scripts/guest/vmx-run.sh sets NKVM_EMULATOR=bochs). */
bool guest_on_bochs(void);
/*
 * The host CPU is Intel's (GenuineIntel): VMX, where the native hypercall
 * is VMCALL and stock KVM offers Intel's MCG_CAP bits.
 */
bool guest_host_intel(void);
/* A backend runs guests here: vCPUs have registers (else ENOTTY). */
bool guest_backend_runs(int kvm);
/* KVM_GET_SUPPORTED_CPUID, for KVM_SET_CPUID2 too; bails out on failure. */
struct guest_cpuid {
	struct kvm_cpuid2 c;
	struct kvm_cpuid_entry2 e[100];
};
void guest_supported_cpuid(int kvm, struct guest_cpuid *cpuid);
/* The entry of a leaf and sub-leaf, or NULL. */
struct kvm_cpuid_entry2 *guest_cpuid_entry(struct guest_cpuid *cpuid,
					   __u32 function, __u32 index);
/*
 * For a 32-bit guest_flat_mode() guest that takes interrupts: a GDT at
 * gdt_gpa (flat code at 8, flat data at 16) and an empty IDT of 256 gates
 * at idt_gpa, loaded into GDTR/IDTR. False (errno set) on failure.
 */
bool guest_load_tables(struct guest *g, void *mem, __u64 gdt_gpa,
		       __u64 idt_gpa);
/* A 32-bit interrupt gate to handler (selector 8) in that IDT. */
void guest_idt_gate(void *mem, __u64 idt_gpa, unsigned int vec,
		    __u32 handler);
/* KVM_RUN to the next exit: the byte an OUT carries, or -1 on another exit. */
int guest_out_byte(struct guest *g);
/*
 * KVM_RUN to the next exit, which must be an OUT: its data (1, 2 or 4
 * bytes, zero-extended), and its port in *port when port is not NULL.
 * -1 (port -1), with a TAP diagnostic, on an error or another exit.
 */
long guest_run_out(struct guest *g, int *port);
/*
 * Guest code (AT&T, for asm() strings): program the master 8259 with
 * ICW1-4 (edge, cascade, vectors 0x20-0x27, slave on IR2, 8086 mode) and
 * unmask IRQ 0 only. Clobbers AL.
 */
#define GUEST_PIC_INIT_IRQ0						\
	"	mov $0x11, %al\n"						\
	"	out %al, $0x20\n"						\
	"	mov $0x20, %al\n"						\
	"	out %al, $0x21\n"						\
	"	mov $0x04, %al\n"						\
	"	out %al, $0x21\n"						\
	"	mov $0x01, %al\n"						\
	"	out %al, $0x21\n"						\
	"	mov $0xfe, %al\n"						\
	"	out %al, $0x21\n"
#endif
#if defined(__s390x__)
/*
 * s390 guests: one memory slot of GUEST_S390_MEM bytes at guest address 0
 * (the lowcore at prefix 0), code copied in at GUEST_S390_CODE and run
 * with DAT off in the 64-bit addressing mode. Guest code is written with
 * GUEST_S390_CODE_BLOB() in the test: position-independent assembly
 * between two labels, copied in with guest_s390_load().
 */
#define GUEST_S390_MEM		(2 * MiB)
#define GUEST_S390_CODE		0x10000
#define GUEST_S390_DATA		0x20000	/* a page the tests may use */
#define PSW_MASK_EXT_		0x0100000000000000ULL
#define PSW_MASK_IO_		0x0200000000000000ULL
#define PSW_MASK_DAT_		0x0400000000000000ULL
#define PSW_MASK_MCHK_		0x0004000000000000ULL
#define PSW_MASK_WAIT_		0x0002000000000000ULL
#define PSW_MASK_64		0x0000000180000000ULL	/* EA | BA */

#define GUEST_S390_CODE_BLOB(name, body)				\
	extern const char name[], name##_end[];				\
	__asm__(".pushsection .rodata\n.balign 8\n"			\
		".globl " #name "\n" #name ":\n" body "\n"		\
		".globl " #name "_end\n" #name "_end:\n.popsection\n")

/* The slot (mem: GUEST_S390_MEM bytes, 1 MiB aligned) and vCPU id. */
void guest_s390_create(struct guest *g, int kvm, void *mem,
		       unsigned long vcpu_id);
/* Copy code in at gpa and point the PSW at it (mask PSW_MASK_64 | extra). */
void guest_s390_load(struct guest *g, void *mem, __u64 gpa, const char *start,
		     const char *end, __u64 extra_mask);
/*
 * KVM_RUN to the next exit, which must be an instruction intercept of
 * DIAGNOSE 0x501 (the tests' "hypercall"): true, else a TAP diagnostic.
 */
bool guest_s390_run_diag(struct guest *g);
/* The intercept code and instruction of the last SIEIC exit, for messages. */
const char *guest_s390_exit_str(struct guest *g);
#endif

/*
 * SIGALRM in ms milliseconds (0 cancels it), caught by a handler that
 * does nothing: a KVM_RUN blocked meanwhile returns EINTR with
 * KVM_EXIT_INTR instead of hanging the test.
 */
void guest_alarm_ms(unsigned int ms);
/* KVM_RUN must return 0 with exit_reason reason; else a TAP diagnostic. */
bool guest_run_exit(struct guest *g, unsigned int reason);
void guest_destroy(struct guest *g);
/* "IO", "HLT", ... or the number, for diagnostics. */
const char *guest_exit_name(unsigned int reason);

#endif
