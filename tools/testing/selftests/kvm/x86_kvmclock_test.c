// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock: the capabilities, the CPUID features and MSR index list
 * entries; a 32-bit guest that enables the pvclock structure with WRMSR
 * and reads its TSC around a host sleep (the host checks the structure's
 * version, its scale against the TSC rate, and that the time the guest
 * computes from it advances with the host's and matches KVM_GET_CLOCK);
 * the wall-clock MSR; KVM_SET_CLOCK (also with KVM_CLOCK_REALTIME) seen
 * by KVM_GET_CLOCK and by the guest; bad flags; KVM_KVMCLOCK_CTRL before
 * and after the guest enabled the clock.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define MSR_WALL_OLD	0x11
#define MSR_TIME_OLD	0x12
#define MSR_WALL	0x4b564d00
#define MSR_TIME	0x4b564d01
#define MSR_IA32_TSC	0x10

#define PVCLOCK_TSC_STABLE	1
#define PVCLOCK_STOPPED		2

#define MEM_SIZE	(2 * MiB)
#define CODE_GPA	0x1000
#define PV_GPA		0x5000
#define TSC_GPA		0x6000	/* the guest's RDTSC values, 8 bytes each */
#define WALL_GPA	0x7000
#define STACK_TOP	0x8000

#define SLEEP_NS	200000000LL
#define NSEC		1000000000LL

struct pvclock {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

struct wallclock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __attribute__((packed));

/*
 * The 32-bit guest: enable the pvclock, OUT 0x10 (host sleeps), enable it
 * again (a fresh structure), RDTSC, OUT 0x11, RDMSR it back, write the
 * wall-clock MSR, OUT 0x12, HLT; then RDTSC, OUT 0x13, HLT.
 */
extern const uint8_t guest_start[], guest_end[];
asm(".pushsection .rodata\n"
    ".code32\n"
    "guest_start:\n"
    "	mov $0x4b564d01, %ecx\n"
    "	mov $0x5001, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	rdtsc\n"
    "	mov %eax, 0x6000\n"
    "	mov %edx, 0x6004\n"
    "	out %al, $0x10\n"
    "	mov $0x4b564d01, %ecx\n"
    "	mov $0x5001, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	rdtsc\n"
    "	mov %eax, 0x6008\n"
    "	mov %edx, 0x600c\n"
    "	out %al, $0x11\n"
    "	mov $0x4b564d01, %ecx\n"
    "	rdmsr\n"
    "	mov %eax, 0x6010\n"
    "	mov %edx, 0x6014\n"
    "	mov $0x4b564d00, %ecx\n"
    "	mov $0x7000, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	out %al, $0x12\n"
    "	hlt\n"
    "	rdtsc\n"
    "	mov %eax, 0x6018\n"
    "	mov %edx, 0x601c\n"
    "	out %al, $0x13\n"
    "	hlt\n"
    "guest_end:\n"
    ".code64\n"
    ".popsection\n");

#define NR_CHECKS	32

static struct guest g;
static uint8_t *mem;

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static uint64_t guest_tsc(unsigned int i)
{
	uint64_t v;

	memcpy(&v, mem + TSC_GPA + 8 * i, 8);
	return v;
}

static struct pvclock read_pv(void)
{
	struct pvclock pv;

	memcpy(&pv, mem + PV_GPA, sizeof(pv));
	return pv;
}

/* The time the guest computes from the structure at its TSC value tsc. */
static int64_t pv_time(const struct pvclock *pv, uint64_t tsc)
{
	uint64_t delta = tsc - pv->tsc_timestamp;

	if (pv->shift < 0)
		delta >>= -pv->shift;
	else
		delta <<= pv->shift;
	return pv->system_time +
	       (uint64_t)(((unsigned __int128)delta * pv->mul) >> 32);
}

static bool run_to_out(uint16_t port)
{
	if (ioctl(g.vcpu, KVM_RUN, 0)) {
		tap_diag("KVM_RUN: %m");
		return false;
	}
	if (g.run->exit_reason != KVM_EXIT_IO || g.run->io.port != port) {
		tap_diag("exit %s (port %#x), expected OUT to %#x",
			 guest_exit_name(g.run->exit_reason), g.run->io.port,
			 port);
		return false;
	}
	return true;
}

static bool get_clock(struct kvm_clock_data *d)
{
	memset(d, 0, sizeof(*d));
	return !ioctl(g.vm, KVM_GET_CLOCK, d);
}

static int msr_io(unsigned long op, uint32_t index, uint64_t *data)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} b;

	memset(&b, 0, sizeof(b));
	b.hdr.nmsrs = 1;
	b.e.index = index;
	b.e.data = *data;
	if (ioctl(g.vcpu, op, &b) != 1)
		return -1;
	*data = b.e.data;
	return 0;
}

/* 4 checks. */
static void test_static(int kvm)
{
	static const uint32_t msrs[] = { MSR_WALL, MSR_TIME, MSR_WALL_OLD,
					 MSR_TIME_OLD };
	struct kvm_cpuid2 *c;
	struct kvm_msr_list *l;
	unsigned int i, j, found = 0;
	uint32_t feat = 0;
	long r;

	r = check_cap(kvm, KVM_CAP_ADJUST_CLOCK);
	tap_ok(r == (KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME |
		     KVM_CLOCK_HOST_TSC),
	       "KVM_CAP_ADJUST_CLOCK is the KVM_SET_CLOCK flags (%ld)", r);
	tap_ok(check_cap(kvm, KVM_CAP_KVMCLOCK_CTRL) == 1,
	       "KVM_CAP_KVMCLOCK_CTRL");

	c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	l = calloc(1, sizeof(*l) + 4096 * sizeof(l->indices[0]));
	if (!c || !l)
		tap_bail("out of memory");
	c->nent = 256;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c))
		tap_bail("KVM_GET_SUPPORTED_CPUID: %m");
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0x40000001)
			feat = c->entries[i].eax;
	tap_ok((feat & 0x1000009) == 0x1000009,
	       "CPUID 0x40000001 offers CLOCKSOURCE, CLOCKSOURCE2 and the stable bit (%#x)",
	       feat);

	l->nmsrs = 4096;
	if (ioctl(kvm, KVM_GET_MSR_INDEX_LIST, l))
		tap_bail("KVM_GET_MSR_INDEX_LIST: %m");
	for (i = 0; i < ARRAY_SIZE(msrs); i++)
		for (j = 0; j < l->nmsrs; j++)
			if (l->indices[j] == msrs[i]) {
				found++;
				break;
			}
	tap_ok(found == ARRAY_SIZE(msrs),
	       "the four kvmclock MSRs are in KVM_GET_MSR_INDEX_LIST");
	free(c);
	free(l);
}

/* 28 checks. */
static void test_guest(void)
{
	struct kvm_clock_data d1, d2, d;
	struct timespec sl = { 0, SLEEP_NS };
	struct pvclock p1, p2, p3;
	struct wallclock wc;
	int64_t t1, t2, host1, host2, diff, real, khz;
	uint64_t v;
	long r;

	r = ioctl(g.vcpu, KVM_KVMCLOCK_CTRL, 0);
	expect_errno(r, EINVAL,
		     "KVM_KVMCLOCK_CTRL before the guest enabled kvmclock -> EINVAL");

	/* Exit 1: the structure is written, with an even version. */
	tap_ok(run_to_out(0x10), "guest: WRMSR system time, OUT 0x10");
	p1 = read_pv();
	tap_ok(p1.version && !(p1.version & 1) && p1.mul,
	       "pvclock written: version %u even, mul %#x shift %d, flags %#x",
	       p1.version, p1.mul, p1.shift, p1.flags);
	khz = ioctl(g.vcpu, KVM_GET_TSC_KHZ, 0);
	diff = pv_time(&p1, p1.tsc_timestamp + khz * 1000) - p1.system_time;
	tap_ok(llabs(diff - NSEC) < NSEC / 1000,
	       "its scale turns %lld kHz of TSC into 1 s (%lld ns)",
	       (long long)khz, (long long)diff);
	t1 = pv_time(&p1, guest_tsc(0));
	tap_ok(get_clock(&d1), "KVM_GET_CLOCK");
	host1 = clock_ns(CLOCK_MONOTONIC);
	diff = (int64_t)d1.clock - t1;
	tap_ok(diff >= -NSEC / 1000 && diff < NSEC / 10,
	       "the guest's time from its TSC is KVM_GET_CLOCK's (%lld ns behind)",
	       (long long)diff);
	tap_ok(!(d1.flags & ~(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME |
			      KVM_CLOCK_HOST_TSC)),
	       "KVM_GET_CLOCK flags %#x are known ones", d1.flags);
	nanosleep(&sl, NULL);

	/* Exit 2: enabled again; the guest's time advanced like the host's. */
	tap_ok(run_to_out(0x11), "guest: WRMSR system time again, OUT 0x11");
	host2 = clock_ns(CLOCK_MONOTONIC);
	tap_ok(get_clock(&d2), "KVM_GET_CLOCK again");
	p2 = read_pv();
	tap_ok(!(p2.version & 1) && p2.system_time >= p1.system_time,
	       "pvclock version %u even, system_time not going back", p2.version);
	t2 = pv_time(&p2, guest_tsc(1));
	diff = (t2 - t1) - (host2 - host1);
	tap_ok(t2 - t1 >= SLEEP_NS * 9 / 10 && diff < NSEC / 10 && diff > -NSEC / 10,
	       "guest time advanced %lld ns over a %lld ns host interval",
	       (long long)(t2 - t1), (long long)(host2 - host1));
	diff = (int64_t)d2.clock - t2;
	tap_ok(diff >= -NSEC / 1000 && diff < NSEC / 10,
	       "... and is still KVM_GET_CLOCK's (%lld ns behind)",
	       (long long)diff);
	tap_ok(!(d2.flags & KVM_CLOCK_TSC_STABLE) ||
	       (p2.flags & PVCLOCK_TSC_STABLE),
	       "a stable KVM_GET_CLOCK comes with PVCLOCK_TSC_STABLE_BIT (%#x, %#x)",
	       d2.flags, p2.flags);

	/* Exit 3: RDMSR and the wall clock. */
	tap_ok(run_to_out(0x12), "guest: RDMSR, WRMSR wall clock, OUT 0x12");
	memcpy(&v, mem + TSC_GPA + 0x10, 8);
	tap_ok(v == PV_GPA + 1, "RDMSR of the system-time MSR: %#llx",
	       (unsigned long long)v);
	memcpy(&wc, mem + WALL_GPA, sizeof(wc));
	get_clock(&d);
	real = clock_ns(CLOCK_REALTIME) - (int64_t)d.clock;
	diff = (int64_t)wc.sec * NSEC + wc.nsec - real;
	tap_ok(wc.version && !(wc.version & 1) && wc.nsec < NSEC &&
	       llabs(diff) < NSEC / 10,
	       "wall clock: version %u, %u.%09u s, %lld ns off real - clock",
	       wc.version, wc.sec, wc.nsec, (long long)diff);
	v = 0;
	r = msr_io(KVM_GET_MSRS, MSR_WALL, &v);
	tap_ok(!r && v == WALL_GPA, "KVM_GET_MSRS of the wall-clock MSR: %#llx",
	       (unsigned long long)v);
	v = 0;
	r = msr_io(KVM_GET_MSRS, MSR_TIME, &v);
	tap_ok(!r && v == PV_GPA + 1,
	       "KVM_GET_MSRS of the system-time MSR: %#llx",
	       (unsigned long long)v);
	tap_ok(!ioctl(g.vcpu, KVM_RUN, 0) && g.run->exit_reason == KVM_EXIT_HLT,
	       "guest: HLT");

	/* KVM_SET_CLOCK round trips. */
	memset(&d, 0, sizeof(d));
	d.clock = 1000 * NSEC;
	expect_success(ioctl(g.vm, KVM_SET_CLOCK, &d), "KVM_SET_CLOCK to 1000 s");
	get_clock(&d);
	diff = (int64_t)d.clock - 1000 * NSEC;
	tap_ok(diff >= 0 && diff < NSEC / 10,
	       "KVM_GET_CLOCK reads it back (+%lld ns)", (long long)diff);
	memset(&d, 0, sizeof(d));
	d.clock = 2000 * NSEC;
	d.flags = KVM_CLOCK_REALTIME;
	d.realtime = clock_ns(CLOCK_REALTIME) - 5 * NSEC;
	r = ioctl(g.vm, KVM_SET_CLOCK, &d);
	get_clock(&d);
	diff = (int64_t)d.clock - 2005 * NSEC;
	tap_ok(!r && diff >= 0 && diff < NSEC / 10,
	       "KVM_SET_CLOCK with REALTIME 5 s ago adds the 5 s (%+lld ns)",
	       (long long)diff);
	memset(&d, 0, sizeof(d));
	d.flags = 1;
	expect_errno(ioctl(g.vm, KVM_SET_CLOCK, &d), EINVAL,
		     "KVM_SET_CLOCK with flags 1 -> EINVAL");
	d.flags = 0x10;
	expect_errno(ioctl(g.vm, KVM_SET_CLOCK, &d), EINVAL,
		     "KVM_SET_CLOCK with flags 0x10 -> EINVAL");

	/* The guest sees the new clock, and KVMCLOCK_CTRL's flag. */
	memset(&d, 0, sizeof(d));
	d.clock = 3000 * NSEC;
	ioctl(g.vm, KVM_SET_CLOCK, &d);
	expect_success(ioctl(g.vcpu, KVM_KVMCLOCK_CTRL, 0),
		       "KVM_KVMCLOCK_CTRL once kvmclock is enabled");
	tap_ok(run_to_out(0x13), "guest: RDTSC, OUT 0x13");
	get_clock(&d);
	p3 = read_pv();
	t1 = pv_time(&p3, guest_tsc(3));
	diff = (int64_t)d.clock - t1;
	tap_ok(t1 >= 3000 * NSEC && diff >= -NSEC / 1000 && diff < NSEC / 10,
	       "the guest's time follows KVM_SET_CLOCK (%lld ns)",
	       (long long)t1);
	tap_ok(p3.flags & PVCLOCK_STOPPED,
	       "pvclock flags %#x carry PVCLOCK_GUEST_STOPPED", p3.flags);
}

int main(void)
{
	int kvm;

	tap_plan(NR_CHECKS);
	kvm = open_kvm();
	test_static(kvm);
	if (!check_cap(kvm, KVM_CAP_IMMEDIATE_EXIT)) {
		for (int i = 4; i < NR_CHECKS; i++)
			tap_skip("this module does not run guests here",
				 "kvmclock guest");
		return tap_finish();
	}

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		tap_bail("mmap: %m");
	memcpy(mem + CODE_GPA, guest_start, guest_end - guest_start);
	guest_create(&g, kvm);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	if (!guest_flat_mode(&g, mem, false, CODE_GPA, STACK_TOP))
		tap_bail("entering protected mode: %m");
	test_guest();
	guest_destroy(&g);
	return tap_finish();
}
