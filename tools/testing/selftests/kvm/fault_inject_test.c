// SPDX-License-Identifier: GPL-2.0
/*
 * Systematic fault injection into the ioctls of /dev/kvm, VM and vCPU fds.
 *
 * For each operation, run it again and again with /proc/thread-self/fail-nth
 * set to 1, 2, 3...: the kernel fails the n-th allocation (failslab or
 * fail_page_alloc, whichever comes n-th) that this thread makes, so only the
 * allocations inside the one ioctl under test can fail. Each injected failure
 * must give the caller a clean error (or be absorbed: the ioctl succeeds), leak
 * no fd and no module reference; once n is past the last allocation the
 * operation must succeed. kmemleak, run by the harness afterwards, finds
 * leaked memory, and the harness fails the run on any kernel report.
 *
 * Needs CONFIG_FAULT_INJECTION with failslab/fail_page_alloc (make check-debug's
 * kernel, whose driver sets ignore-gfp-wait to N); skips elsewhere.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"
#if defined(__x86_64__)
#include "guest.h"
#endif

#define MEM_SIZE	(2 * MiB)
#define MAX_POINTS	4000

struct ctx {
	int kvm, vm, vcpu, efd, made;
	void *mem;
	struct kvm_run *run;
	long run_size;
};

struct op {
	const char *name;
	void (*setup)(struct ctx *c);	/* not injected; bails on failure */
	long (*run)(struct ctx *c);	/* injected: <0 with errno on failure */
	bool x86;			/* only where x86 guests run */
};

static int fail_fd = -1;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

static void set_fail_nth(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fail_fd, buf, len, 0) != len)
		tap_bail("write fail-nth: %m");
}

/* 0 when the n-th fault point was reached (a failure was injected). */
static long get_fail_nth(void)
{
	char buf[16] = "";

	if (pread(fail_fd, buf, sizeof(buf) - 1, 0) <= 0)
		tap_bail("read fail-nth: %m");
	return strtol(buf, NULL, 10);
}

/* ---- set-ups and operations */

static void s_none(struct ctx *c)
{
	(void)c;
}

static void s_vm(struct ctx *c)
{
	c->vm = create_vm(c->kvm);
}

static void s_vm_mem(struct ctx *c)
{
	s_vm(c);
	c->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->mem == MAP_FAILED)
		tap_bail("mmap: %m");
}

static long set_slot(struct ctx *c, __u32 flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = 0, .flags = flags, .guest_phys_addr = 0,
		.memory_size = MEM_SIZE, .userspace_addr = (unsigned long)c->mem,
	};

	return ioctl(c->vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static void s_vm_slot(struct ctx *c)
{
	s_vm_mem(c);
	if (set_slot(c, KVM_MEM_LOG_DIRTY_PAGES))
		tap_bail("KVM_SET_USER_MEMORY_REGION: %m");
}

static void s_vm_vcpu(struct ctx *c)
{
	s_vm(c);
	c->vcpu = create_vcpu(c->vm, 0);
}

static void s_vm_efd(struct ctx *c)
{
	s_vm(c);
	c->efd = eventfd(0, EFD_CLOEXEC);
	if (c->efd < 0)
		tap_bail("eventfd: %m");
}

static long keep_fd(struct ctx *c, long fd)
{
	if (fd >= 0)
		c->made = fd;
	return fd < 0 ? fd : 0;
}

static long o_create_vm(struct ctx *c)
{
	return keep_fd(c, ioctl(c->kvm, KVM_CREATE_VM, 0UL));
}

static long o_create_vcpu(struct ctx *c)
{
	return keep_fd(c, ioctl(c->vm, KVM_CREATE_VCPU, 0UL));
}

static long o_set_slot(struct ctx *c)
{
	return set_slot(c, KVM_MEM_LOG_DIRTY_PAGES);
}

static long o_dirty_log(struct ctx *c)
{
	static unsigned long bitmap[MEM_SIZE / 4096 / 64];
	struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = bitmap };

	return ioctl(c->vm, KVM_GET_DIRTY_LOG, &log);
}

static long o_create_device(struct ctx *c)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	long r = ioctl(c->vm, KVM_CREATE_DEVICE, &cd);

	return r ? r : keep_fd(c, cd.fd);
}

static long o_ioeventfd(struct ctx *c)
{
	struct kvm_ioeventfd io = {
		.addr = 0x1000000, .len = 4, .fd = c->efd,
	};

	return ioctl(c->vm, KVM_IOEVENTFD, &io);
}

static long o_coalesced(struct ctx *c)
{
	struct kvm_coalesced_mmio_zone z = { .addr = 0x2000000, .size = 0x1000 };

	return ioctl(c->vm, KVM_REGISTER_COALESCED_MMIO, &z);
}

static long o_vcpu_mmap(struct ctx *c)
{
	c->run_size = ioctl(c->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	c->run = mmap(NULL, c->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->vcpu, 0);
	if (c->run == MAP_FAILED) {
		c->run = NULL;
		return -1;
	}
	/* the first touch faults the page in through the vCPU fd */
	(void)*(volatile __u32 *)&c->run->exit_reason;
	return 0;
}

#if defined(__x86_64__)
static void s_vm_irqchip(struct ctx *c)
{
	s_vm(c);
	if (ioctl(c->vm, KVM_CREATE_IRQCHIP, 0))
		tap_bail("KVM_CREATE_IRQCHIP: %m");
}

static long o_irqchip(struct ctx *c)
{
	return ioctl(c->vm, KVM_CREATE_IRQCHIP, 0);
}

static long o_pit(struct ctx *c)
{
	struct kvm_pit_config cfg = { .flags = KVM_PIT_SPEAKER_DUMMY };

	return ioctl(c->vm, KVM_CREATE_PIT2, &cfg);
}

static long o_gsi_routing(struct ctx *c)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[2];
	} rt = { .r = { .nr = 2 } };

	rt.e[0].gsi = 5;
	rt.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	rt.e[0].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
	rt.e[0].u.irqchip.pin = 5;
	rt.e[1].gsi = 30;
	rt.e[1].type = KVM_IRQ_ROUTING_MSI;
	rt.e[1].u.msi.address_lo = 0xfee00000;
	rt.e[1].u.msi.data = 0x40;
	return ioctl(c->vm, KVM_SET_GSI_ROUTING, &rt);
}

static void s_irqchip_efd(struct ctx *c)
{
	s_vm_irqchip(c);
	c->efd = eventfd(0, EFD_CLOEXEC);
	if (c->efd < 0)
		tap_bail("eventfd: %m");
}

static long o_irqfd(struct ctx *c)
{
	struct kvm_irqfd irqfd = { .fd = c->efd, .gsi = 4 };

	return ioctl(c->vm, KVM_IRQFD, &irqfd);
}

static struct {
	struct kvm_cpuid2 c;
	struct kvm_cpuid_entry2 e[256];
} cpuid;

static long o_supported_cpuid(struct ctx *c)
{
	cpuid.c.nent = ARRAY_SIZE(cpuid.e);
	return ioctl(c->kvm, KVM_GET_SUPPORTED_CPUID, &cpuid);
}

static void s_vcpu_cpuid(struct ctx *c)
{
	s_vm_vcpu(c);
	if (o_supported_cpuid(c))
		tap_bail("KVM_GET_SUPPORTED_CPUID: %m");
}

static long o_set_cpuid(struct ctx *c)
{
	return ioctl(c->vcpu, KVM_SET_CPUID2, &cpuid);
}

/* A real-mode guest at 0x1000 that writes to port 0x10 and halts. */
static void s_guest(struct ctx *c)
{
	static const unsigned char code[] = { 0xb0, 0x2a, 0xe6, 0x10, 0xf4 };
	struct guest g;

	s_vm_mem(c);
	if (set_slot(c, 0))
		tap_bail("KVM_SET_USER_MEMORY_REGION: %m");
	memcpy((char *)c->mem + 0x1000, code, sizeof(code));
	c->vcpu = create_vcpu(c->vm, 0);
	c->run_size = ioctl(c->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	c->run = mmap(NULL, c->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->vcpu, 0);
	if (c->run == MAP_FAILED)
		tap_bail("mmap kvm_run: %m");
	g = (struct guest){ .kvm = c->kvm, .vm = c->vm, .vcpu = c->vcpu,
			    .run = c->run, .run_size = c->run_size };
	guest_real_mode(&g, 0x1000);
}

static long o_run(struct ctx *c)
{
	long r = ioctl(c->vcpu, KVM_RUN, 0);

	if (r)
		return r;
	if (c->run->exit_reason != KVM_EXIT_IO)
		tap_diag("  KVM_RUN absorbed a failure: exit %s",
			 guest_exit_name(c->run->exit_reason));
	return 0;
}
#endif

static const struct op ops[] = {
	{ "KVM_CREATE_VM",		s_none,		o_create_vm, false },
	{ "KVM_CREATE_VCPU",		s_vm,		o_create_vcpu, false },
	{ "KVM_SET_USER_MEMORY_REGION",	s_vm_mem,	o_set_slot, false },
	{ "KVM_GET_DIRTY_LOG",		s_vm_slot,	o_dirty_log, false },
	{ "KVM_CREATE_DEVICE",		s_vm,		o_create_device, false },
	{ "KVM_IOEVENTFD",		s_vm_efd,	o_ioeventfd, false },
	{ "KVM_REGISTER_COALESCED_MMIO", s_vm,		o_coalesced, false },
	{ "mmap of kvm_run",		s_vm_vcpu,	o_vcpu_mmap, false },
#if defined(__x86_64__)
	{ "KVM_CREATE_IRQCHIP",		s_vm,		o_irqchip, true },
	{ "KVM_CREATE_PIT2",		s_vm_irqchip,	o_pit, true },
	{ "KVM_SET_GSI_ROUTING",	s_vm_irqchip,	o_gsi_routing, true },
	{ "KVM_IRQFD",			s_irqchip_efd,	o_irqfd, true },
	{ "KVM_GET_SUPPORTED_CPUID",	s_none,		o_supported_cpuid, true },
	{ "KVM_SET_CPUID2",		s_vcpu_cpuid,	o_set_cpuid, true },
	{ "KVM_RUN (first entry)",	s_guest,	o_run, true },
#endif
};

static void teardown(struct ctx *c)
{
	if (c->run)
		munmap(c->run, c->run_size);
	if (c->mem)
		munmap(c->mem, MEM_SIZE);
	if (c->made >= 0)
		close(c->made);
	if (c->efd >= 0)
		close(c->efd);
	if (c->vcpu >= 0)
		close(c->vcpu);
	if (c->vm >= 0)
		close(c->vm);
}

static bool clean_errno(int e)
{
	return e == ENOMEM || e == EFAULT || e == ENOSPC || e == EAGAIN ||
	       e == EMFILE || e == ENFILE;
}

static unsigned long total_injected;

static void run_op(int kvm, const struct op *op, bool guests)
{
	unsigned int n, injected = 0, absorbed = 0, bad = 0;
	int fds0 = count_fds(), bad_errno = 0;
	long ref0 = kvm_module_refcnt();
	bool done = false, leak = false;

	if (op->x86 && !guests) {
		tap_skip("no guests on this backend", "%s", op->name);
		return;
	}
	for (n = 1; n <= MAX_POINTS && !done; n++) {
		struct ctx c = { .kvm = kvm, .vm = -1, .vcpu = -1, .efd = -1,
				 .made = -1 };
		long r;
		int e;

		op->setup(&c);
		set_fail_nth(n);
		r = op->run(&c);
		e = errno;
		if (get_fail_nth() == 0) {
			injected++;
			if (r >= 0) {
				absorbed++;
			} else if (!clean_errno(e)) {
				bad++;
				bad_errno = e;
			}
		} else {
			set_fail_nth(0);
			done = true;
			if (r < 0) {
				bad++;
				bad_errno = e;
			}
		}
		teardown(&c);
		if (count_fds() != fds0 && !leak) {
			tap_diag("  %s: fd count %d after point %u, was %d",
				 op->name, count_fds(), n, fds0);
			leak = true;
		}
	}
	total_injected += injected;
	if (kvm_module_refcnt_settle(ref0) != ref0) {
		tap_diag("  %s: module refcnt %ld, was %ld", op->name,
			 kvm_module_refcnt(), ref0);
		leak = true;
	}
	tap_ok(done && !bad && !leak,
	       "%s: %u failure points, %u errors, %u absorbed%s%s%s",
	       op->name, injected, injected - absorbed, absorbed,
	       done ? ", then success" : ", never finished",
	       bad ? ", unexpected result: " : "",
	       bad ? strerror(bad_errno) : "");
}

int main(void)
{
	unsigned int i;
	bool guests;
	int kvm;

	fail_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fail_fd < 0) {
		printf("1..0 # SKIP no /proc/thread-self/fail-nth (kernel without CONFIG_FAULT_INJECTION)\n");
		return 4;
	}
	tap_plan(ARRAY_SIZE(ops) + 1);
	kvm = open_kvm();
	guests = check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT) > 0;
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		run_op(kvm, &ops[i], guests);
	tap_ok(total_injected > 0, "failures injected in all: %lu", total_injected);
	printf("NKVM-FAULTS-INJECTED: %lu\n", total_injected);
	close(kvm);
	return tap_finish();
}
