// SPDX-License-Identifier: GPL-2.0
/*
 * The nkvm tracepoints (include/nkvm/trace.h): every event of the "nkvm"
 * system is in tracefs with its format, and one run of a small real-mode
 * guest, with all of them enabled, records each of them: entries and
 * exits, exits to userspace, a PIO and an MMIO access, NPT faults, a
 * hypercall and an injected interrupt. The recorded trace is printed as
 * TAP comments. nkvm only: the stock module has its own "kvm" events.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "test.h"
#include "guest.h"

#define KSFT_SKIP	4
#define MEM_SIZE	0x8000		/* the memslot; MMIO_GPA lies above */
#define CODE_GPA	0x1000
#define HANDLER_GPA	0x1100
#define MMIO_GPA	0x9000
#define IRQ_VECTOR	0x20

/* 16-bit code at CODE_GPA; the comment gives each offset. */
static const unsigned char guest_code[] = {
	0xb0, 0x42,		/* 00: mov al, 0x42				*/
	0xe6, 0x10,		/* 02: out 0x10, al	-> PIO exit		*/
	0xa2, 0x00, 0x90,	/* 04: mov [0x9000], al	-> MMIO exit		*/
	0x0f, 0x01, 0xd9,	/* 07: vmmcall		(rax 0x42: unknown)	*/
	0xfb,			/* 0a: sti					*/
	0x90,			/* 0b: nop					*/
	0xe6, 0x12,		/* 0c: out 0x12, al	-> inject IRQ_VECTOR	*/
	0xf4,			/* 0e: hlt					*/
};

/* The IRQ_VECTOR handler at HANDLER_GPA. */
static const unsigned char handler_code[] = {
	0xe6, 0x11,		/* out 0x11, al					*/
	0xcf,			/* iret						*/
};

static const char * const events[] = {
	"nkvm_entry", "nkvm_exit", "nkvm_userspace_exit", "nkvm_pio",
	"nkvm_mmio", "nkvm_inject", "nkvm_page_fault", "nkvm_hypercall",
};

/* What the run must have recorded, one line of each event at least. */
static const char * const expected[] = {
	"nkvm_entry: vcpu 0 rip 0x1000",
	"nkvm_exit: vcpu 0 reason io (0x7b) rip 0x1002",
	"nkvm_userspace_exit: vcpu 0 reason IO",
	"nkvm_pio: vcpu 0 out port 0x10 size 1",
	"nkvm_mmio: vcpu 0 write gpa 0x9000 len 1",
	"nkvm_inject: vcpu 0 INTR vector 32",
	"nkvm_page_fault: vcpu 0 gpa 0x9000",
	"nkvm_hypercall: vcpu 0 nr 66",
	"nkvm_userspace_exit: vcpu 0 reason HLT",
};

static char tracefs[64];

static bool find_tracefs(void)
{
	static const char * const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (!access(path, R_OK)) {
			snprintf(tracefs, sizeof(tracefs), "%s", dirs[i]);
			return true;
		}
	}
	return false;
}

static bool write_file(const char *name, const char *text)
{
	char path[192];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tracefs, name);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return false;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text);
}

/* The whole of a tracefs file, NUL-terminated, or NULL. */
static char *read_file(const char *name)
{
	size_t len = 0, cap = 65536;
	char path[192], *buf;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tracefs, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	if (buf)
		buf[len] = 0;
	return buf;
}

/* 2 checks per event: its directory, and the fields its format names. */
static void check_formats(void)
{
	static const char * const fields[] = {
		"rip", "reason", "reason", "port", "gpa", "info", "gpa", "nr",
	};
	char name[96], path[192], *fmt;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(name, sizeof(name), "events/nkvm/%s/format", events[i]);
		snprintf(path, sizeof(path), "%s/events/nkvm/%s", tracefs, events[i]);
		tap_ok(!access(path, R_OK), "%s is there", path);
		fmt = read_file(name);
		tap_ok(fmt && strstr(fmt, "field:u32 vcpu_id") &&
		       strstr(fmt, fields[i]) && strstr(fmt, "print fmt:"),
		       "%s: format has vcpu_id, %s and a print fmt", events[i],
		       fields[i]);
		free(fmt);
	}
}

/* Run the guest to its HLT, injecting IRQ_VECTOR at the OUT to 0x12. */
static bool run_guest(struct guest *g)
{
	struct kvm_interrupt irq = { .irq = IRQ_VECTOR };
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (ioctl(g->vcpu, KVM_RUN, 0)) {
			tap_diag("KVM_RUN: errno %d", errno);
			return false;
		}
		switch (g->run->exit_reason) {
		case KVM_EXIT_HLT:
			return true;
		case KVM_EXIT_IO:
			if (g->run->io.port == 0x12 &&
			    ioctl(g->vcpu, KVM_INTERRUPT, &irq)) {
				tap_diag("KVM_INTERRUPT: errno %d", errno);
				return false;
			}
			break;
		case KVM_EXIT_MMIO:
			break;
		default:
			tap_diag("unexpected exit %s",
				 guest_exit_name(g->run->exit_reason));
			return false;
		}
	}
	tap_diag("no HLT after %u exits", i);
	return false;
}

/* The trace lines of nkvm events, printed as TAP comments. */
static void show_trace(const char *trace)
{
	const char *p = trace, *nl;

	while (p && *p) {
		nl = strchr(p, '\n');
		if (*p != '#' && strstr(p, "nkvm_"))
			printf("# trace: %.*s\n", (int)(nl ? nl - p : (long)strlen(p)), p);
		p = nl ? nl + 1 : NULL;
	}
}

int main(void)
{
	unsigned char *mem;
	struct guest g;
	char *trace;
	unsigned int i;
	bool ran;

	if (!kvm_is_ours()) {
		printf("1..0 # SKIP the nkvm trace events are nkvm's (%s has its own)\n",
		       kvm_impl_name());
		return KSFT_SKIP;
	}
	if (!find_tracefs()) {
		printf("1..0 # SKIP no tracefs mounted\n");
		return KSFT_SKIP;
	}
	tap_plan(2 * ARRAY_SIZE(events) + 3 + ARRAY_SIZE(expected));
	check_formats();

	guest_create(&g, open_kvm());
	mem = alloc_aligned(MEM_SIZE, 4096);
	memset(mem, 0, MEM_SIZE);
	memcpy(mem + CODE_GPA, guest_code, sizeof(guest_code));
	memcpy(mem + HANDLER_GPA, handler_code, sizeof(handler_code));
	/* IVT entry IRQ_VECTOR: offset HANDLER_GPA, segment 0. */
	mem[IRQ_VECTOR * 4] = HANDLER_GPA & 0xff;
	mem[IRQ_VECTOR * 4 + 1] = HANDLER_GPA >> 8;
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	/* The stack below the memslot's end, for the interrupt frame. */
	if (!guest_enter_real(&g, CODE_GPA, MEM_SIZE - 0x100))
		tap_bail("KVM_SET_SREGS/REGS for real mode: %m");

	tap_ok(write_file("events/nkvm/enable", "1") && write_file("trace", "") &&
	       write_file("tracing_on", "1"),
	       "enable the nkvm events, clear the trace, tracing on");
	ran = run_guest(&g);
	write_file("events/nkvm/enable", "0");
	tap_ok(ran, "the guest ran to HLT (PIO, MMIO, hypercall, an injected interrupt)");
	trace = read_file("trace");
	tap_ok(trace != NULL, "read %s/trace", tracefs);
	show_trace(trace);
	for (i = 0; i < ARRAY_SIZE(expected); i++) {
		const char *want = expected[i];

		/* The exit code is the vendor's: VMX names its I/O exit so. */
		if (i == 1 && guest_host_intel())
			want = "nkvm_exit: vcpu 0 reason IO_INSTRUCTION (0x1e) rip 0x1002";
		tap_ok(trace && strstr(trace, want), "the trace has \"%s\"",
		       want);
	}
	free(trace);
	guest_destroy(&g);
	return tap_finish();
}
