// SPDX-License-Identifier: GPL-2.0
/*
 * A real-mode guest end to end: the reset state of a new vCPU, port I/O
 * exits (OUT and IN of 1, 2 and 4 bytes, IN data completed by the next
 * KVM_RUN, even an immediate_exit one), HLT and a triple fault.
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
#define IDTR_GPA	0x2000

/*
 * The guest, 16-bit code at CODE_GPA. The comment gives each
 * instruction's offset from CODE_GPA.
 */
static const unsigned char guest_code[] = {
	0xb0, 0x42,			/* 00: mov al, 0x42		*/
	0xe6, 0x10,			/* 02: out 0x10, al		*/
	0xe4, 0x11,			/* 04: in al, 0x11		*/
	0xe6, 0x12,			/* 06: out 0x12, al		*/
	0xb8, 0x34, 0x12,		/* 08: mov ax, 0x1234		*/
	0xe7, 0x13,			/* 0b: out 0x13, ax		*/
	0x66, 0xb8, 0x78, 0x56, 0x34, 0x12, /* 0d: mov eax, 0x12345678 */
	0x66, 0xe7, 0x14,		/* 13: out 0x14, eax		*/
	0xba, 0xf8, 0x03,		/* 16: mov dx, 0x3f8		*/
	0xed,				/* 19: in ax, dx		*/
	0xef,				/* 1a: out dx, ax		*/
	0xf4,				/* 1b: hlt			*/
	0x0f, 0x01, 0x1e, 0x00, 0x20,	/* 1c: lidt [0x2000]		*/
	0xcc,				/* 21: int3			*/
};

#define NR_CHECKS	31

static unsigned char *mem;

static int run_vcpu(struct guest *v)
{
	return ioctl(v->vcpu, KVM_RUN, 0);
}

static unsigned long io_data(struct guest *v)
{
	unsigned long val = 0;

	memcpy(&val, (char *)v->run + v->run->io.data_offset, v->run->io.size);
	return val;
}

static void io_set_data(struct guest *v, unsigned long val)
{
	memcpy((char *)v->run + v->run->io.data_offset, &val, v->run->io.size);
}

static void diag_exit(struct guest *v, int r)
{
	struct kvm_run *run = v->run;

	tap_diag("KVM_RUN: %d (errno %d), exit %s", r, r ? errno : 0,
		 guest_exit_name(run->exit_reason));
	if (!r && run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		tap_diag("suberror %u ndata %u: %#llx %#llx %#llx %#llx",
			 run->internal.suberror, run->internal.ndata,
			 run->internal.data[0], run->internal.data[1],
			 run->internal.data[2], run->internal.data[3]);
}

/* KVM_RUN must give an I/O exit with these fields. */
static bool expect_io(struct guest *v, int dir, int size, int port,
		      unsigned long data, const char *what)
{
	struct kvm_run *run = v->run;
	int r = run_vcpu(v);
	bool ok;

	ok = r == 0 && run->exit_reason == KVM_EXIT_IO &&
	     run->io.direction == dir && run->io.size == size &&
	     run->io.port == port && run->io.count == 1 &&
	     run->io.data_offset >= sizeof(*run) &&
	     run->io.data_offset + size <= (unsigned long)v->run_size &&
	     (dir == KVM_EXIT_IO_IN || io_data(v) == data);
	if (!ok && r == 0 && run->exit_reason == KVM_EXIT_IO)
		tap_diag("got io dir %u size %u port %#x count %u offset %llu data %#lx",
			 run->io.direction, run->io.size, run->io.port,
			 run->io.count, (unsigned long long)run->io.data_offset,
			 io_data(v));
	else if (!ok)
		diag_exit(v, r);
	return tap_ok(ok, "%s", what);
}

static bool expect_rip(struct guest *v, unsigned long long rip, const char *what)
{
	struct kvm_regs regs;

	if (ioctl(v->vcpu, KVM_GET_REGS, &regs))
		return tap_ok(false, "%s: KVM_GET_REGS errno %d", what, errno);
	if (regs.rip != rip)
		tap_diag("rip %#llx, expected %#llx", regs.rip, rip);
	return tap_ok(regs.rip == rip, "%s", what);
}

static bool seg_is(const struct kvm_segment *s, unsigned int sel,
		   unsigned long long base, unsigned int limit,
		   unsigned int type)
{
	return s->selector == sel && s->base == base && s->limit == limit &&
	       s->type == type && s->present && s->s && !s->dpl && !s->db &&
	       !s->l && !s->g;
}

static void dump_seg(const char *name, const struct kvm_segment *s)
{
	tap_diag("%s: sel %#x base %#llx limit %#x type %u p%u s%u dpl%u db%u l%u g%u avl%u unus%u",
		 name, s->selector, (unsigned long long)s->base, s->limit,
		 s->type, s->present, s->s, s->dpl, s->db, s->l, s->g, s->avl,
		 s->unusable);
}

/* 4 checks: a new vCPU is in the state of an x86 CPU after RESET. */
static void test_reset_state(struct guest *v)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	bool ok, intel;

	if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs) ||
	    ioctl(v->vcpu, KVM_GET_REGS, &regs)) {
		for (int i = 0; i < 4; i++)
			tap_ok(false, "reset state: GET_SREGS/REGS errno %d",
			       errno);
		return;
	}
	/* Stock on Intel (VMX) reports CS, SS and TR with the accessed bit. */
	intel = guest_host_intel();
	ok = seg_is(&sregs.cs, 0xf000, 0xffff0000, 0xffff, intel ? 0xb : 0xa) &&
	     regs.rip == 0xfff0 && regs.rflags == 0x2;
	if (!ok) {
		dump_seg("cs", &sregs.cs);
		tap_diag("rip %#llx rflags %#llx", regs.rip, regs.rflags);
	}
	tap_ok(ok, "reset: CS f000:fff0, base ffff0000, limit ffff, code read");

	ok = seg_is(&sregs.ds, 0, 0, 0xffff, 3) &&
	     seg_is(&sregs.es, 0, 0, 0xffff, 3) &&
	     seg_is(&sregs.fs, 0, 0, 0xffff, 3) &&
	     seg_is(&sregs.gs, 0, 0, 0xffff, 3) &&
	     seg_is(&sregs.ss, 0, 0, 0xffff, intel ? 3 : 2) &&
	     sregs.gdt.base == 0 && sregs.gdt.limit == 0xffff &&
	     sregs.idt.base == 0 && sregs.idt.limit == 0xffff;
	if (!ok) {
		dump_seg("ds", &sregs.ds);
		dump_seg("ss", &sregs.ss);
		tap_diag("gdt %#llx/%#x idt %#llx/%#x",
			 (unsigned long long)sregs.gdt.base, sregs.gdt.limit,
			 (unsigned long long)sregs.idt.base, sregs.idt.limit);
	}
	/* As stock on AMD: DS/ES/FS/GS report the accessed bit, SS does not. */
	tap_ok(ok, "reset: data segments 0, limit ffff, read/write; GDTR/IDTR limit ffff");

	ok = sregs.tr.type == (intel ? 11 : 3) && sregs.tr.present && !sregs.tr.s &&
	     sregs.tr.limit == 0xffff && sregs.ldt.type == 2 &&
	     sregs.ldt.present && !sregs.ldt.s && sregs.ldt.limit == 0xffff;
	if (!ok) {
		dump_seg("tr", &sregs.tr);
		dump_seg("ldt", &sregs.ldt);
	}
	tap_ok(ok, "reset: TR a busy TSS (16-bit on AMD, 32-bit on Intel), LDTR an LDT, limits ffff");

	ok = sregs.cr0 == 0x60000010 && !sregs.cr2 && !sregs.cr3 &&
	     !sregs.cr4 && !sregs.cr8 && !sregs.efer;
	if (!ok)
		tap_diag("cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx cr8 %#llx efer %#llx",
			 sregs.cr0, sregs.cr2, sregs.cr3, sregs.cr4, sregs.cr8,
			 sregs.efer);
	tap_diag("apic_base %#llx", sregs.apic_base);
	tap_ok(ok, "reset: CR0 CD|NW|ET, CR2/3/4/8 and EFER zero");
}

static bool setup(struct guest *v)
{
	guest_create(v, open_kvm());
	mem = alloc_aligned(MEM_SIZE, MiB);
	memcpy(mem + CODE_GPA, guest_code, sizeof(guest_code));
	/* A real-mode IDT with limit 0: any interrupt triple-faults. */
	memset(mem + IDTR_GPA, 0, 6);
	guest_set_slot(v, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(v);
	return true;
}

static void teardown(struct guest *v)
{
	int kvm = v->kvm;

	guest_destroy(v);
	close(kvm);
	munmap(mem, MEM_SIZE);
}

int main(void)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct guest v;
	int r;

	tap_plan(NR_CHECKS);
	setup(&v);

	/* No backend that runs guests (api_only boots): nothing to test. */
	if (ioctl(v.vcpu, KVM_GET_SREGS, &sregs) && errno == ENOTTY) {
		for (int i = 0; i < NR_CHECKS; i++)
			tap_skip("no backend runs guests", "real-mode check %d",
				 i + 1);
		return tap_finish();
	}

	test_reset_state(&v);					/* 4 */
	tap_ok(guest_enter_real(&v, CODE_GPA, 0), "SET_SREGS/SET_REGS to 0000:%04x",
	       CODE_GPA);					/* 5 */

	expect_io(&v, KVM_EXIT_IO_OUT, 1, 0x10, 0x42, "out 0x10, al: 1 byte 0x42");
	/* Stock KVM moves RIP past an OUT only when the next KVM_RUN completes it. */
	expect_rip(&v, CODE_GPA + 0x02, "RIP still at the OUT during its exit");

	expect_io(&v, KVM_EXIT_IO_IN, 1, 0x11, 0, "in al, 0x11: 1 byte in");	/* 8 */
	expect_rip(&v, CODE_GPA + 0x04, "RIP still at the IN during its exit");
	io_set_data(&v, 0x99);
	/* An immediate_exit run still completes the IN, then says EINTR. */
	v.run->immediate_exit = 1;
	r = run_vcpu(&v);
	expect_errno(r, EINTR, "KVM_RUN with immediate_exit -> EINTR");	/* 10 */
	v.run->immediate_exit = 0;
	r = ioctl(v.vcpu, KVM_GET_REGS, &regs);
	tap_ok(!r && (regs.rax & 0xff) == 0x99 && regs.rip == CODE_GPA + 0x06,
	       "the IN completed: AL 0x99, RIP past it (rax %#llx rip %#llx)",
	       regs.rax, regs.rip);				/* 11 */
	expect_io(&v, KVM_EXIT_IO_OUT, 1, 0x12, 0x99,
		  "out 0x12, al echoes the IN data 0x99");

	expect_io(&v, KVM_EXIT_IO_OUT, 2, 0x13, 0x1234,
		  "out 0x13, ax: 2 bytes 0x1234");
	expect_io(&v, KVM_EXIT_IO_OUT, 4, 0x14, 0x12345678,
		  "out 0x14, eax: 4 bytes 0x12345678");		/* 14 */

	expect_io(&v, KVM_EXIT_IO_IN, 2, 0x3f8, 0, "in ax, dx: 2 bytes from 0x3f8");
	io_set_data(&v, 0xbeef);
	expect_io(&v, KVM_EXIT_IO_OUT, 2, 0x3f8, 0xbeef,
		  "out dx, ax echoes the IN data 0xbeef");
	r = ioctl(v.vcpu, KVM_GET_REGS, &regs);
	tap_ok(!r && (regs.rax & 0xffffffff) == 0x1234beef &&
	       (regs.rdx & 0xffff) == 0x3f8,
	       "in ax kept the upper half of EAX (rax %#llx)", regs.rax);

	r = run_vcpu(&v);
	tap_ok(r == 0 && v.run->exit_reason == KVM_EXIT_HLT,
	       "hlt -> KVM_EXIT_HLT (r %d, exit %s)", r,
	       guest_exit_name(v.run->exit_reason));			/* 18 */
	expect_rip(&v, CODE_GPA + 0x1c, "RIP past the HLT");

	r = run_vcpu(&v);
	tap_ok(r == 0 && v.run->exit_reason == KVM_EXIT_SHUTDOWN,
	       "int3 with an empty IDT -> KVM_EXIT_SHUTDOWN (r %d, exit %s)",
	       r, guest_exit_name(v.run->exit_reason));		/* 20 */

	/*
	 * A fresh VM from here: what a vCPU looks like after a shutdown is
	 * not the point (stock INITs it), and stock under TCG was seen to
	 * hang running it again.
	 */
	teardown(&v);
	setup(&v);
	/* GPRs survive a run. */
	tap_ok(guest_enter_real(&v, CODE_GPA, 0), "a new VM at 0000:%04x", CODE_GPA);
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA + 0x1b;	/* the hlt */
	regs.rflags = 0x2;
	regs.rbx = 0x1111111111111111ULL;
	regs.rcx = 0x2222222222222222ULL;
	regs.rsi = 0x3333333333333333ULL;
	regs.rdi = 0x4444444444444444ULL;
	regs.rbp = 0x5555555555555555ULL;
	regs.rsp = 0x6666;
	regs.r8 = 0x8888888888888888ULL;
	regs.r15 = 0xffffffffffffffffULL;
	r = ioctl(v.vcpu, KVM_SET_REGS, &regs);
	expect_success(r, "KVM_SET_REGS with every GPR set");
	r = run_vcpu(&v);
	tap_ok(r == 0 && v.run->exit_reason == KVM_EXIT_HLT,
	       "hlt again -> KVM_EXIT_HLT (exit %s)",
	       guest_exit_name(v.run->exit_reason));			/* 23 */
	memset(&regs, 0, sizeof(regs));
	r = ioctl(v.vcpu, KVM_GET_REGS, &regs);
	tap_ok(!r && regs.rbx == 0x1111111111111111ULL &&
	       regs.rcx == 0x2222222222222222ULL &&
	       regs.rsi == 0x3333333333333333ULL &&
	       regs.rdi == 0x4444444444444444ULL &&
	       regs.rbp == 0x5555555555555555ULL && regs.rsp == 0x6666 &&
	       regs.r8 == 0x8888888888888888ULL &&
	       regs.r15 == 0xffffffffffffffffULL,
	       "the guest's GPRs come back unchanged from a run");

	/* SET_SREGS then GET_SREGS gives the same segment state. */
	r = ioctl(v.vcpu, KVM_GET_SREGS, &sregs);
	expect_success(r, "KVM_GET_SREGS");
	sregs.ds.base = 0x12340;
	sregs.ds.selector = 0x1234;
	sregs.es.limit = 0xfff;
	sregs.idt.base = 0x400;
	sregs.idt.limit = 0x3ff;
	sregs.cr2 = 0xdead000;
	r = ioctl(v.vcpu, KVM_SET_SREGS, &sregs);
	expect_success(r, "KVM_SET_SREGS with changed DS, ES, IDTR, CR2");
	{
		struct kvm_sregs back;

		memset(&back, 0, sizeof(back));
		r = ioctl(v.vcpu, KVM_GET_SREGS, &back);
		tap_ok(!r && back.ds.base == 0x12340 &&
		       back.ds.selector == 0x1234 && back.es.limit == 0xfff &&
		       back.idt.base == 0x400 && back.idt.limit == 0x3ff &&
		       back.cr2 == 0xdead000 && back.cr0 == sregs.cr0 &&
		       back.efer == sregs.efer,
		       "KVM_GET_SREGS reads them back");		/* 27 */
	}

	/* A guest write lands in the memslot: mov [0x3000], al; hlt. */
	{
		static const unsigned char store[] = {
			0xb0, 0x5a, 0xa2, 0x00, 0x30, 0xf4,
		};

		memcpy(mem + 0x4000, store, sizeof(store));
		tap_ok(guest_enter_real(&v, CODE_GPA, 0), "back to real mode");
		memset(&regs, 0, sizeof(regs));
		regs.rip = 0x4000;
		regs.rflags = 0x2;
		expect_success(ioctl(v.vcpu, KVM_SET_REGS, &regs),
			       "KVM_SET_REGS at the store");
		r = run_vcpu(&v);
		tap_ok(r == 0 && v.run->exit_reason == KVM_EXIT_HLT,
		       "store; hlt -> KVM_EXIT_HLT (exit %s)",
		       guest_exit_name(v.run->exit_reason));
		tap_ok(mem[0x3000] == 0x5a,
		       "the guest's store is seen in the memslot (%#x)",
		       mem[0x3000]);				/* 31 */
	}

	teardown(&v);
	return tap_finish();
}
