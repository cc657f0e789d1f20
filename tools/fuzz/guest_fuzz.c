// SPDX-License-Identifier: GPL-2.0
/*
 * guest_fuzz: random bytes and generated instruction streams run as guest
 * code, one fresh VM per case, in each of the architecture's modes (x86:
 * real mode, 32-bit protected mode, 64-bit long mode; see guest_x86.c).
 *
 *   guest_fuzz [-s seed] [-d seconds] [-n cases] [-c first-case] [-m mode] [-v] [-p]
 *
 * Case k is drawn from its own PRNG stream (seed, k): `-s S -c k -n 1 -v`
 * runs exactly that case again and dumps its code and exits; -p prints a
 * line as each case starts (to find the case a dead host died in). Each case runs
 * KVM_RUN until a terminal exit, at most MAX_EXITS exits, with a kick timer
 * that ends a guest still running after CASE_MS with EINTR. Every exit must
 * be a defined one (IO, MMIO, HLT, SHUTDOWN, INTERNAL_ERROR, FAIL_ENTRY,
 * DEBUG, or INTR after a kick) with sane fields, and KVM_RUN may fail only
 * with EINTR; anything else, and a KVM_RUN blocked for 60 s, is a finding.
 * The last line is
 *   fuzz: N ops, R reports
 * with R the findings plus the kernel reports logged during the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "fuzz.h"
#include "guest_arch.h"
#include "test.h"

#define PROG		"guest_fuzz"
#define MAX_EXITS	64
#define CASE_MS		100

static struct {
	uint64_t seed, first, ncases, deadline;
	int mode;		/* -1: random per case */
	bool verbose, progress;
	int kvm;
	uint8_t *mem;
	long run_size;
	struct worker w;
	struct kick kick;
	_Atomic unsigned int findings;
	uint64_t exits[64];
	uint64_t cases, runs, eintr;
} F = { .mode = -1 };

static void ops(unsigned int n)
{
	atomic_fetch_add(&F.w.ops, n);
}

static void finding(uint64_t k, const struct gcase *c, const char *what,
		    long a, long b)
{
	atomic_fetch_add(&F.findings, 1);
	out(1, "%s: FINDING case %llu (%s, %s): %s (%ld, %ld); reproduce: %s -s %#llx -c %llu -n 1 -v\n",
	    PROG, (unsigned long long)k, guest_arch.mode_names[c->mode],
	    c->random_bytes ? "random bytes" : "generated", what, a, b, PROG,
	    (unsigned long long)F.seed, (unsigned long long)k);
}

/* Check one exit; answer it for the next KVM_RUN. True: the case goes on. */
static bool handle_exit(uint64_t k, struct gcase *c, struct kvm_run *run,
			unsigned int *nexits)
{
	unsigned int reason = run->exit_reason;

	F.exits[reason < 63 ? reason : 63]++;
	if (c->verbose)
		out(1, "  exit %s\n", guest_exit_name(reason));
	switch (reason) {
	case KVM_EXIT_IO: {
		uint64_t bytes = (uint64_t)run->io.size * run->io.count;

		if (!(run->io.size == 1 || run->io.size == 2 || run->io.size == 4) ||
		    !run->io.count || run->io.direction > 1 ||
		    run->io.data_offset + bytes > (uint64_t)F.run_size) {
			finding(k, c, "bad KVM_EXIT_IO fields (size, count)",
				run->io.size, run->io.count);
			return false;
		}
		if (run->io.direction == KVM_EXIT_IO_IN)
			rng_fill(c->r, (uint8_t *)run + run->io.data_offset, bytes);
		return true;
	}
	case KVM_EXIT_MMIO:
		if (!run->mmio.len || run->mmio.len > 8) {
			finding(k, c, "bad KVM_EXIT_MMIO length", run->mmio.len, 0);
			return false;
		}
		if (!run->mmio.is_write)
			rng_fill(c->r, run->mmio.data, run->mmio.len);
		return true;
	case KVM_EXIT_DEBUG:
		return true;
	case KVM_EXIT_HLT:
	case KVM_EXIT_SHUTDOWN:
	case KVM_EXIT_INTERNAL_ERROR:
	case KVM_EXIT_FAIL_ENTRY:
		return false;
	case KVM_EXIT_INTR:
		return false;
	default:
		finding(k, c, "undefined exit reason", reason, *nexits);
		return false;
	}
}

static void dump_code(struct gcase *c)
{
	const uint8_t *p = c->mem + guest_arch.code_gpa;
	char line[3 * 32 + 1];

	out(1, "  code at %#llx, %zu bytes:\n",
	    (unsigned long long)guest_arch.code_gpa, c->code_len);
	for (size_t i = 0; i < c->code_len; i += 32) {
		size_t n = 0;

		for (size_t j = i; j < c->code_len && j < i + 32; j++)
			n += snprintf(line + n, sizeof(line) - n, "%02x ", p[j]);
		out(1, "  %s\n", line);
	}
}

static void run_case(uint64_t k)
{
	struct guest g = { .kvm = F.kvm, .vm = -1, .vcpu = -1 };
	struct gcase c = { .g = &g, .mem = F.mem, .verbose = F.verbose };
	unsigned int nexits = 0;
	struct rng r, extra;

	rng_init(&r, F.seed, 0, k);
	rng_init(&extra, F.seed, 1, k);
	c.r = &r;
	c.extra = &extra;
	c.mode = F.mode >= 0 ? (unsigned int)F.mode :
		 (unsigned int)rng_below(&r, guest_arch.nmodes);
	c.random_bytes = rng_pct(&r, 30);
	worker_begin(&F.w, k, "setup");
	guest_arch.prepare(&c);
	if (F.progress && !c.verbose)
		out(1, "case %llu: %s, %s, cpu %d\n", (unsigned long long)k,
		    guest_arch.mode_names[c.mode],
		    c.random_bytes ? "random bytes" : "generated", sched_getcpu());
	if (c.verbose) {
		out(1, "case %llu: %s, %s\n", (unsigned long long)k,
		    guest_arch.mode_names[c.mode],
		    c.random_bytes ? "random bytes" : "generated");
		dump_code(&c);
	}

	g.vm = ioctl(F.kvm, KVM_CREATE_VM, 0);
	ops(1);
	if (g.vm < 0) {
		finding(k, &c, "KVM_CREATE_VM failed", errno, 0);
		goto out;
	}
	if (!guest_arch.set_slots(&c)) {
		finding(k, &c, "memslot set-up failed", errno, 0);
		goto out;
	}
	if (guest_arch.vm_setup)
		guest_arch.vm_setup(&c);
	g.vcpu = ioctl(g.vm, KVM_CREATE_VCPU, 0);
	ops(3);
	if (g.vcpu < 0) {
		finding(k, &c, "KVM_CREATE_VCPU failed", errno, 0);
		goto out;
	}
	g.run_size = F.run_size;
	g.run = mmap(NULL, F.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, g.vcpu, 0);
	if (g.run == MAP_FAILED) {
		g.run = NULL;
		finding(k, &c, "mmap of the vCPU failed", errno, 0);
		goto out;
	}
	if (guest_arch.vcpu_setup)
		guest_arch.vcpu_setup(&c);
	if (!guest_arch.enter(&c)) {
		finding(k, &c, "register set-up failed", errno, 0);
		goto out;
	}
	ops(4);
	if (rng_pct(&r, 5)) {
		struct kvm_guest_debug dbg = {
			.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
		};

		ioctl(g.vcpu, KVM_SET_GUEST_DEBUG, &dbg);
		ops(1);
	}

	worker_begin(&F.w, k, "KVM_RUN");
	for (nexits = 0; nexits < MAX_EXITS; nexits++) {
		long ret;

		kick_arm(&F.kick, CASE_MS, 20);
		atomic_store(&F.w.nr, KVM_RUN);
		ret = ioctl(g.vcpu, KVM_RUN, 0);
		atomic_store(&F.w.nr, 0);
		kick_disarm(&F.kick);
		F.runs++;
		ops(1);
		if (ret < 0) {
			if (errno == EINTR) {
				F.eintr++;
				break;
			}
			finding(k, &c, "KVM_RUN failed with an undocumented errno",
				errno, nexits);
			break;
		}
		if (!handle_exit(k, &c, g.run, &nexits))
			break;
	}
out:
	worker_end(&F.w);
	if (g.run)
		munmap(g.run, g.run_size);
	if (g.vcpu >= 0)
		close(g.vcpu);
	if (g.vm >= 0)
		close(g.vm);
	F.cases++;
}

static void *worker_main(void *arg)
{
	(void)arg;
	worker_init(&F.w);
	kick_init(&F.kick);
	for (uint64_t k = F.first; !F.ncases || k < F.first + F.ncases; k++) {
		if (now_ns() >= F.deadline)
			break;
		run_case(k);
	}
	atomic_store(&F.w.done, 1);
	return NULL;
}

static void usage(void)
{
	out(2, "usage: %s [-s seed] [-d seconds] [-n cases] [-c first-case] [-m mode] [-v] [-p]\n",
	    PROG);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned int seconds = 10, reports, hangs;
	struct worker *ws = &F.w;
	struct kreport kr;
	pthread_t tid;
	uint64_t start;
	int opt;

	F.seed = rng_mix(now_ns() ^ getpid());
	while ((opt = getopt(argc, argv, "s:d:n:c:m:vp")) != -1) {
		switch (opt) {
		case 's':
			F.seed = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			seconds = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			F.ncases = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			F.first = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			F.mode = atoi(optarg);
			if (F.mode < 0 || F.mode >= (int)guest_arch.nmodes)
				usage();
			break;
		case 'v':
			F.verbose = true;
			break;
		case 'p':
			F.progress = true;
			break;
		default:
			usage();
		}
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	out(1, "%s: %s, seed %#llx, %u s (reproduce: %s -s %#llx -d %u; one case: -c K -n 1 -v)\n",
	    PROG, guest_arch.name, (unsigned long long)F.seed, seconds, PROG,
	    (unsigned long long)F.seed, seconds);
	fuzz_signals_init();
	F.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (F.kvm < 0) {
		out(1, "%s: /dev/kvm: %s\n", PROG, strerror(errno));
		out(1, "fuzz: 0 ops, 0 reports\n");
		return 2;
	}
	F.run_size = ioctl(F.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	F.mem = alloc_aligned(guest_arch.mem_size, 2 * MiB);
	report_begin(&kr);
	start = now_ns();
	F.deadline = start + seconds * 1000000000ULL;
	if (pthread_create(&tid, NULL, worker_main, NULL)) {
		out(1, "%s: pthread_create failed\n", PROG);
		return 2;
	}
	hangs = monitor_workers(&ws, 1, F.deadline + 90 * 1000000000ULL,
				HANG_MS, PROG, F.seed);
	if (!hangs)
		pthread_join(tid, NULL);
	close(F.kvm);
	if (!hangs)
		sleep(1);
	reports = report_end(&kr, PROG) + hangs + atomic_load(&F.findings);
	out(1, "%s: %llu cases (first %llu), %llu KVM_RUN, exits: IO %llu MMIO %llu HLT %llu SHUTDOWN %llu INTERNAL_ERROR %llu FAIL_ENTRY %llu DEBUG %llu INTR/EINTR %llu, findings %u, seed %#llx\n",
	    PROG, (unsigned long long)F.cases, (unsigned long long)F.first,
	    (unsigned long long)F.runs,
	    (unsigned long long)F.exits[KVM_EXIT_IO],
	    (unsigned long long)F.exits[KVM_EXIT_MMIO],
	    (unsigned long long)F.exits[KVM_EXIT_HLT],
	    (unsigned long long)F.exits[KVM_EXIT_SHUTDOWN],
	    (unsigned long long)F.exits[KVM_EXIT_INTERNAL_ERROR],
	    (unsigned long long)F.exits[KVM_EXIT_FAIL_ENTRY],
	    (unsigned long long)F.exits[KVM_EXIT_DEBUG],
	    (unsigned long long)(F.exits[KVM_EXIT_INTR] + F.eintr),
	    atomic_load(&F.findings), (unsigned long long)F.seed);
	out(1, "fuzz: %llu ops, %u reports\n",
	    (unsigned long long)atomic_load(&F.w.ops), reports);
	if (hangs)
		_exit(1);
	return reports ? 1 : 0;
}
