// SPDX-License-Identifier: GPL-2.0
/*
 * nkvm_bench: micro-benchmarks of whatever implementation owns /dev/kvm,
 * run in the guest by scripts/guest/bench-run.sh for `make bench`.
 *
 *   nkvm_bench --impl NAME [--scale F] [--round N] [--only NAME]
 *
 * Each benchmark runs in a child process of its own (a failed set-up makes
 * it "n/a", never the whole run) and prints one line
 *   BENCH impl=<impl> name=<name> unit=<unit> iters=<N> samples=<v1,v2,...>
 * where every sample is the cost of one operation, averaged over N of them,
 * or
 *   BENCH-NA impl=<impl> name=<name> reason=<text>
 * when the implementation cannot run it. The host side (tools/bench/
 * report.py) turns the lines of both implementations into the table.
 * --scale multiplies every iteration count (the defaults suit QEMU TCG).
 * The guest script runs the implementations in turn, several rounds; the
 * samples of all rounds are pooled. The kernel-memory benchmarks, which do
 * not drift with the host's load, only run in round 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "test.h"
#include "guest.h"

#define CODE_SIZE	(64 * 1024)
#define CODE_GPA	0x1000
#define MMIO_GPA	0xd0000000ULL
#define TOUCH_GPA	0x10000000ULL
#define TOUCH_SIZE	(256 * MiB)
#define DIRTY_GPA	0x40000000ULL
#define DIRTY_SIZE	(1024 * MiB)
#define DIRTY_STRIDE	(10 * 4096)	/* one page in ten: 10% */
#define PAGE		4096UL
#define MEMSLOTS	509
#define MEMSLOT_SIZE	(64 * 1024)
#define VCPUS		64
#define MEM_VMS		32

static const char *impl = "unknown";
static double scale = 1.0;
static int round_nr = 1;

/* ---- the guests (copied to CODE_GPA; the CPUID count is patched in) */
asm(".pushsection .rodata\n"
    ".code16\n"
    "g_pio:\n"
    "1:	out %al, $0x10\n"
    "	jmp 1b\n"
    "g_pio_end:\n"
    "g_cpuid:\n"
    "2:	.byte 0x66, 0xbe\n"		/* mov $imm32, %esi */
    "g_cpuid_count:\n"
    "	.long 0\n"
    "1:	xor %eax, %eax\n"
    "	cpuid\n"
    "	dec %esi\n"
    "	jnz 1b\n"
    "	out %al, $0x11\n"
    "	jmp 2b\n"
    "g_cpuid_end:\n"
    "g_mmio:\n"
    "1:	movb %al, %es:0\n"
    "	jmp 1b\n"
    "g_mmio_end:\n"
    ".code32\n"
    "g_touch:\n"				/* one byte per page of [ebx, ecx) */
    "2:	mov %ebx, %edx\n"
    "1:	movb $1, (%edx)\n"
    "	add %esi, %edx\n"
    "	cmp %ecx, %edx\n"
    "	jb 1b\n"
    "	out %al, $0x12\n"
    "	jmp 2b\n"
    "g_touch_end:\n"
    ".code64\n"
    ".popsection\n");

#define GUEST(x) extern const uint8_t x[], x##_end[]
GUEST(g_pio);
GUEST(g_cpuid);
GUEST(g_mmio);
GUEST(g_touch);
extern const uint8_t g_cpuid_count[];

/* ---- output */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void na(const char *name, const char *fmt, ...) __printf(2, 3);
static void na(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("BENCH-NA impl=%s name=%s reason=", impl, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void result(const char *name, const char *unit, unsigned long iters,
		   const double *v, unsigned int n)
{
	unsigned int i;

	printf("BENCH impl=%s name=%s unit=%s iters=%lu samples=", impl, name,
	       unit, iters);
	for (i = 0; i < n; i++)
		printf("%s%.4g", i ? "," : "", v[i]);
	printf("\n");
	fflush(stdout);
}

static unsigned long scaled(unsigned long n)
{
	unsigned long s = n * scale;

	return s ? s : 1;
}

/* ---- set-up helpers (they bail out of the child on failure) */

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		tap_bail("mmap %zu bytes", size);
	return p;
}

/* A VM with CODE_SIZE bytes at GPA 0 (slot 0) holding the guest code. */
static uint8_t *code_guest(struct guest *g, int kvm, const uint8_t *start,
			   const uint8_t *end)
{
	uint8_t *mem = map_anon(CODE_SIZE);

	guest_create(g, kvm);
	memcpy(mem + CODE_GPA, start, end - start);
	guest_set_slot(g, 0, 0, mem, CODE_SIZE, 0);
	guest_add_vcpu(g);
	return mem;
}

static void run_expect(struct guest *g, unsigned int reason)
{
	if (ioctl(g->vcpu, KVM_RUN, 0))
		tap_bail("KVM_RUN");
	if (g->run->exit_reason != reason)
		tap_bail("exit %s, expected %s", guest_exit_name(g->run->exit_reason),
			 guest_exit_name(reason));
}

/* ---- the benchmarks: each fills v[0..samples) */

/* An OUT to a port: KVM_RUN returns KVM_EXIT_IO each time. */
static void bench_pio(int kvm, unsigned long iters, double *v, unsigned int samples)
{
	struct guest g;
	unsigned int s;
	unsigned long i;
	double t;

	code_guest(&g, kvm, g_pio, g_pio_end);
	guest_real_mode(&g, CODE_GPA);
	for (i = 0; i < 100; i++)
		run_expect(&g, KVM_EXIT_IO);
	for (s = 0; s < samples; s++) {
		t = now_ns();
		for (i = 0; i < iters; i++)
			run_expect(&g, KVM_EXIT_IO);
		v[s] = (now_ns() - t) / iters;
	}
	guest_destroy(&g);
}

/* iters CPUIDs handled in the kernel, then one OUT to userspace. */
static void bench_cpuid(int kvm, unsigned long iters, double *v, unsigned int samples)
{
	uint32_t count = iters;
	struct guest g;
	unsigned int s;
	uint8_t *mem;
	double t;

	mem = code_guest(&g, kvm, g_cpuid, g_cpuid_end);
	memcpy(mem + CODE_GPA + (g_cpuid_count - g_cpuid), &count, 4);
	guest_real_mode(&g, CODE_GPA);
	run_expect(&g, KVM_EXIT_IO);
	for (s = 0; s < samples; s++) {
		t = now_ns();
		run_expect(&g, KVM_EXIT_IO);
		v[s] = (now_ns() - t) / iters;
	}
	guest_destroy(&g);
}

/* A byte written outside every memslot: KVM_EXIT_MMIO each time. */
static void bench_mmio(int kvm, unsigned long iters, double *v, unsigned int samples)
{
	struct guest g;
	unsigned int s;
	unsigned long i;
	double t;

	code_guest(&g, kvm, g_mmio, g_mmio_end);
	guest_real_mode(&g, CODE_GPA);
	guest_set_es_base(&g, MMIO_GPA);
	for (i = 0; i < 100; i++)
		run_expect(&g, KVM_EXIT_MMIO);
	for (s = 0; s < samples; s++) {
		t = now_ns();
		for (i = 0; i < iters; i++)
			run_expect(&g, KVM_EXIT_MMIO);
		v[s] = (now_ns() - t) / iters;
	}
	guest_destroy(&g);
}

/* KVM_CREATE_VM, KVM_CREATE_VCPU, close both. */
static void bench_create_vm(int kvm, unsigned long iters, double *v,
			    unsigned int samples)
{
	unsigned int s;
	unsigned long i;
	int vm, vcpu;
	double t;

	for (s = 0; s < samples; s++) {
		t = now_ns();
		for (i = 0; i < iters; i++) {
			vm = create_vm(kvm);
			vcpu = create_vcpu(vm, 0);
			close(vcpu);
			close(vm);
		}
		v[s] = (now_ns() - t) / iters;
	}
}

/* VCPUS vCPUs in a fresh VM (the VM itself is not timed). */
static void bench_vcpus(int kvm, unsigned long iters, double *v, unsigned int samples)
{
	int vm, fds[VCPUS];
	unsigned int s, c;
	unsigned long i;
	double t, sum;

	raise_nofile(4 * VCPUS);
	for (s = 0; s < samples; s++) {
		sum = 0;
		for (i = 0; i < iters; i++) {
			vm = create_vm(kvm);
			t = now_ns();
			for (c = 0; c < VCPUS; c++)
				fds[c] = create_vcpu(vm, c);
			sum += now_ns() - t;
			for (c = 0; c < VCPUS; c++)
				close(fds[c]);
			close(vm);
		}
		v[s] = sum / iters;
	}
}

/* A 32-bit flat guest writing one byte every stride bytes of [start, end). */
static void touch_guest(struct guest *g, int kvm, uint64_t start, uint64_t end,
			uint64_t stride)
{
	struct kvm_regs regs;

	code_guest(g, kvm, g_touch, g_touch_end);
	if (!guest_flat_mode(g, NULL, false, CODE_GPA, 0))
		tap_bail("flat mode");
	if (ioctl(g->vcpu, KVM_GET_REGS, &regs))
		tap_bail("KVM_GET_REGS");
	regs.rbx = start;
	regs.rcx = end;
	regs.rsi = stride;
	if (ioctl(g->vcpu, KVM_SET_REGS, &regs))
		tap_bail("KVM_SET_REGS");
}

/* First touch of TOUCH_SIZE of fresh memory: one nested fault per page. */
static void bench_touch(int kvm, unsigned long iters, double *v, unsigned int samples)
{
	unsigned int s;
	unsigned long i;
	struct guest g;
	double sum, t;
	void *mem;

	for (s = 0; s < samples; s++) {
		sum = 0;
		for (i = 0; i < iters; i++) {
			touch_guest(&g, kvm, TOUCH_GPA, TOUCH_GPA + TOUCH_SIZE, PAGE);
			mem = map_anon(TOUCH_SIZE);
			guest_set_slot(&g, 1, TOUCH_GPA, mem, TOUCH_SIZE, 0);
			t = now_ns();
			run_expect(&g, KVM_EXIT_IO);
			sum += now_ns() - t;
			guest_destroy(&g);
			munmap(mem, TOUCH_SIZE);
		}
		v[s] = sum / iters;
	}
}

/* KVM_GET_DIRTY_LOG of a 1 GiB slot after the guest wrote 10% of its pages. */
static void bench_dirty(int kvm, unsigned long iters, double *v, unsigned int samples,
			const char *name)
{
	struct kvm_userspace_memory_region r;
	struct kvm_dirty_log log;
	unsigned long i, bits;
	unsigned int s, w;
	uint64_t *bitmap;
	struct guest g;
	double t, sum;
	void *mem;

	touch_guest(&g, kvm, DIRTY_GPA, DIRTY_GPA + DIRTY_SIZE, DIRTY_STRIDE);
	mem = map_anon(DIRTY_SIZE);
	r = (struct kvm_userspace_memory_region) {
		.slot = 1, .flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = DIRTY_GPA, .memory_size = DIRTY_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(g.vm, KVM_SET_USER_MEMORY_REGION, &r)) {
		na(name, "KVM_SET_USER_MEMORY_REGION(KVM_MEM_LOG_DIRTY_PAGES):%s",
		   strerror(errno));
		exit(0);
	}
	bitmap = calloc(DIRTY_SIZE / PAGE / 64, 8);
	log = (struct kvm_dirty_log) { .slot = 1, .dirty_bitmap = bitmap };
	/* The first pass faults every page in; its log is not timed. */
	run_expect(&g, KVM_EXIT_IO);
	if (ioctl(g.vm, KVM_GET_DIRTY_LOG, &log)) {
		na(name, "KVM_GET_DIRTY_LOG:%s", strerror(errno));
		exit(0);
	}
	for (s = 0; s < samples; s++) {
		sum = 0;
		for (i = 0; i < iters; i++) {
			run_expect(&g, KVM_EXIT_IO);
			memset(bitmap, 0, DIRTY_SIZE / PAGE / 8);
			t = now_ns();
			if (ioctl(g.vm, KVM_GET_DIRTY_LOG, &log))
				tap_bail("KVM_GET_DIRTY_LOG");
			sum += now_ns() - t;
			bits = 0;
			for (w = 0; w < DIRTY_SIZE / PAGE / 64; w++)
				bits += __builtin_popcountll(bitmap[w]);
			if (bits != DIRTY_SIZE / DIRTY_STRIDE + 1) {
				na(name, "the log has %lu dirty pages, the guest wrote %lu",
				   bits, DIRTY_SIZE / DIRTY_STRIDE + 1);
				exit(0);
			}
		}
		v[s] = sum / iters;
	}
	guest_destroy(&g);
}

/* MEMSLOTS memslots of MEMSLOT_SIZE set one after the other in a fresh VM. */
static void bench_memslots(int kvm, unsigned long iters, double *v,
			   unsigned int samples, const char *name)
{
	long max = check_cap(kvm, KVM_CAP_NR_MEMSLOTS);
	uint8_t *mem = map_anon((size_t)MEMSLOTS * MEMSLOT_SIZE);
	struct kvm_userspace_memory_region r;
	unsigned int s, slot;
	unsigned long i;
	double t, sum;
	int vm;

	if (max < MEMSLOTS) {
		na(name, "KVM_CAP_NR_MEMSLOTS=%ld", max);
		exit(0);
	}
	for (s = 0; s < samples; s++) {
		sum = 0;
		for (i = 0; i < iters; i++) {
			vm = create_vm(kvm);
			t = now_ns();
			for (slot = 0; slot < MEMSLOTS; slot++) {
				r = (struct kvm_userspace_memory_region) {
					.slot = slot,
					.guest_phys_addr = (uint64_t)slot * MEMSLOT_SIZE,
					.memory_size = MEMSLOT_SIZE,
					.userspace_addr = (uintptr_t)mem + (size_t)slot * MEMSLOT_SIZE,
				};
				if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r))
					tap_bail("memslot %u", slot);
			}
			sum += now_ns() - t;
			close(vm);
		}
		v[s] = sum / iters;
	}
}

/* ---- kernel memory: /proc/meminfo and /proc/vmstat deltas */

struct meminfo {
	long slab, vmalloc;	/* KiB */
	long pages;		/* pages allocated minus pages freed, ever */
};

static long read_field(const char *path, const char *prefix, bool sum)
{
	size_t len = strlen(prefix);
	FILE *f = fopen(path, "r");
	char line[128];
	long val, total = 0;

	if (!f)
		tap_bail("%s", path);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, len))
			continue;
		if (sscanf(line + strcspn(line, " \t"), "%ld", &val) != 1)
			continue;
		if (!sum) {
			fclose(f);
			return val;
		}
		total += val;
	}
	fclose(f);
	return total;
}

static void read_meminfo(struct meminfo *m)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	/* Fold the per-CPU counter deltas, or Slab lags behind by pages. */
	if (fd >= 0) {
		if (write(fd, "1\n", 2) < 0)
			tap_bail("stat_refresh");
		close(fd);
	}
	m->slab = read_field("/proc/meminfo", "Slab:", false);
	m->vmalloc = read_field("/proc/meminfo", "VmallocUsed:", false);
	/* Event counters, summed over the CPUs when read: exact. */
	m->pages = read_field("/proc/vmstat", "pgalloc_", true) -
		   read_field("/proc/vmstat", "pgfree ", false);
}

/*
 * What creating n objects costs the kernel, per object in KiB, three ways:
 * slab, vmalloc, and all pages (page allocator: slab, vmalloc, page tables
 * and single pages alike).
 */
static void mem_delta(const struct meminfo *a, const struct meminfo *b,
		      unsigned int n, double *slab, double *vmalloc, double *all)
{
	*slab = (double)(b->slab - a->slab) / n;
	*vmalloc = (double)(b->vmalloc - a->vmalloc) / n;
	*all = (double)(b->pages - a->pages) * (PAGE / 1024) / n;
}

/*
 * Rounds of n VMs (or n vCPUs of one VM) created on top of the previous
 * rounds' ones: nothing is freed until the end, so that no round is served
 * from objects an earlier one released.
 */
static void bench_mem(int kvm, unsigned int samples, bool per_vcpu)
{
	unsigned int s, i, n = per_vcpu ? VCPUS : MEM_VMS;
	double slab[8], vmalloc[8], all[8];
	const char *kind = per_vcpu ? "vcpu" : "vm";
	struct meminfo a, b;
	char name[32];
	int vm = -1;
	int *fds;

	if (samples > 8)
		samples = 8;
	fds = calloc(samples * n, sizeof(*fds));
	raise_nofile(samples * n + 64);
	/* Warm up: the slab caches exist, per-CPU lists are filled. */
	vm = create_vm(kvm);
	close(create_vcpu(vm, 0));
	close(vm);
	if (per_vcpu)
		vm = create_vm(kvm);
	usleep(200 * 1000);
	for (s = 0; s < samples; s++) {
		read_meminfo(&a);
		for (i = 0; i < n; i++)
			fds[s * n + i] = per_vcpu ? create_vcpu(vm, s * n + i) :
						    create_vm(kvm);
		read_meminfo(&b);
		mem_delta(&a, &b, n, &slab[s], &vmalloc[s], &all[s]);
	}
	for (i = 0; i < samples * n; i++)
		close(fds[i]);
	if (per_vcpu)
		close(vm);
	snprintf(name, sizeof(name), "mem_%s_slab", kind);
	result(name, "KiB", n, slab, samples);
	snprintf(name, sizeof(name), "mem_%s_vmalloc", kind);
	result(name, "KiB", n, vmalloc, samples);
	snprintf(name, sizeof(name), "mem_%s_total", kind);
	result(name, "KiB", n, all, samples);
}

/* ---- the table of benchmarks */

enum kind { TIMED, DIRTY, SLOTS, MEM_VM, MEM_VCPU };

struct bench {
	const char *name;
	const char *unit;	/* of the samples printed */
	double ns_per_unit;
	unsigned long iters;	/* operations per sample, before --scale */
	unsigned int samples;
	enum kind kind;
	/* TIMED: fills v[0..samples) with nanoseconds per operation */
	void (*fn)(int kvm, unsigned long iters, double *v, unsigned int samples);
};

static const struct bench benches[] = {
	{ "pio_exit",	  "us", 1e3, 1000, 6, TIMED, bench_pio },
	{ "cpuid_exit",	  "us", 1e3, 5000, 6, TIMED, bench_cpuid },
	{ "mmio_exit",	  "us", 1e3, 1000, 6, TIMED, bench_mmio },
	{ "create_vm",	  "ms", 1e6, 10,   5, TIMED, bench_create_vm },
	{ "vcpus_64",	  "ms", 1e6, 3,    5, TIMED, bench_vcpus },
	{ "touch_256m",	  "ms", 1e6, 1,    3, TIMED, bench_touch },
	{ "dirty_log_1g", "ms", 1e6, 1,    4, DIRTY, NULL },
	{ "memslots_509", "ms", 1e6, 3,    5, SLOTS, NULL },
	{ "mem_vm",	  "KiB", 1,  MEM_VMS, 5, MEM_VM, NULL },
	{ "mem_vcpu",	  "KiB", 1,  VCPUS, 5, MEM_VCPU, NULL },
};

static void run_one(const struct bench *b)
{
	unsigned long iters = scaled(b->iters);
	unsigned int i;
	int kvm = open_kvm();
	double v[32];

	switch (b->kind) {
	case TIMED:
		b->fn(kvm, iters, v, b->samples);
		break;
	case DIRTY:
		bench_dirty(kvm, iters, v, b->samples, b->name);
		break;
	case SLOTS:
		bench_memslots(kvm, iters, v, b->samples, b->name);
		break;
	case MEM_VM:
	case MEM_VCPU:
		bench_mem(kvm, b->samples, b->kind == MEM_VCPU);
		return;
	}
	for (i = 0; i < b->samples; i++)
		v[i] /= b->ns_per_unit;
	result(b->name, b->unit, iters, v, b->samples);
}
int main(int argc, char **argv)
{
	const char *only = NULL;
	int st, kvm, holder;
	unsigned int i;
	double t;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--impl") && i + 1 < (unsigned int)argc)
			impl = argv[++i];
		else if (!strcmp(argv[i], "--scale") && i + 1 < (unsigned int)argc)
			scale = atof(argv[++i]);
		else if (!strcmp(argv[i], "--round") && i + 1 < (unsigned int)argc)
			round_nr = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < (unsigned int)argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: %s --impl NAME [--scale F] [--round N] [--only NAME]\n",
				argv[0]);
			return 2;
		}
	}
	if (scale <= 0)
		scale = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/*
	 * One VM lives through the whole run: stock KVM enables SVM on every
	 * CPU when its first VM is created and disables it with the last one;
	 * timing that in every KVM_CREATE_VM would measure the hardware
	 * enabling, not the VM. nkvm enables SVM at module load.
	 */
	kvm = open_kvm();
	holder = create_vm(kvm);
	for (i = 0; i < ARRAY_SIZE(benches); i++) {
		const struct bench *b = &benches[i];
		pid_t pid;

		if (only && strcmp(only, b->name))
			continue;
		if (round_nr > 1 && (b->kind == MEM_VM || b->kind == MEM_VCPU))
			continue;
		t = now_ns();
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			tap_bail("fork");
		if (!pid) {
			run_one(b);
			exit(0);
		}
		if (waitpid(pid, &st, 0) < 0)
			tap_bail("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			na(b->name, "the benchmark failed (%s %d)",
			   WIFEXITED(st) ? "exit status" : "signal",
			   WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		printf("# %s: %s took %.1f s\n", impl, b->name, (now_ns() - t) / 1e9);
	}
	close(holder);
	close(kvm);
	return 0;
}
