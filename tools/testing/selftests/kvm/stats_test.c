// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_STATS_FD on a VM and on a vCPU: the header, the id string, the
 * descriptors (valid flags and sizes, unique names, the generic statistics
 * of stock KVM with their types), the data block, reads at every kind of
 * offset, the errors (writes, negative offsets, bad buffers, ioctls), many
 * fds at once, and an fd that outlives the VM and vCPU fds and keeps the
 * module pinned until it is closed. On x86 a real-mode guest runs and the
 * exit counters must move by what it did, and a guest halted with
 * interrupts off (in-kernel irqchip) shows in blocking and the halt times
 * until a signal ends KVM_RUN.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define NR_FD_CHECKS	16
#define MANY_FDS	100

struct stats {
	int fd;
	struct kvm_stats_header h;
	char *id;
	char *descs;
	size_t desc_size;		/* one descriptor with its name */
	size_t data_size;		/* the data block, from the descriptors */
	size_t file_size;
};

static struct kvm_stats_desc *desc_at(const struct stats *s, unsigned int i)
{
	return (struct kvm_stats_desc *)(s->descs + i * s->desc_size);
}

/* Header, id and descriptors through pread; false when that fails. */
static bool stats_load(struct stats *s, int fd)
{
	size_t len;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	if (pread(fd, &s->h, sizeof(s->h), 0) != sizeof(s->h))
		return false;
	if (!s->h.name_size || s->h.name_size > 4096 || !s->h.num_desc ||
	    s->h.num_desc > 100000)
		return false;
	s->desc_size = sizeof(struct kvm_stats_desc) + s->h.name_size;
	s->id = calloc(1, s->h.name_size + 1);
	len = s->desc_size * s->h.num_desc;
	s->descs = calloc(1, len);
	if (!s->id || !s->descs)
		tap_bail("out of memory");
	if (pread(fd, s->id, s->h.name_size, s->h.id_offset) !=
	    (ssize_t)s->h.name_size)
		return false;
	if (pread(fd, s->descs, len, s->h.desc_offset) != (ssize_t)len)
		return false;
	for (i = 0; i < s->h.num_desc; i++)
		s->data_size += desc_at(s, i)->size * sizeof(uint64_t);
	s->file_size = s->h.data_offset + s->data_size;
	if (s->h.desc_offset + len > s->file_size)
		s->file_size = s->h.desc_offset + len;
	if (s->h.id_offset + s->h.name_size > s->file_size)
		s->file_size = s->h.id_offset + s->h.name_size;
	return true;
}

static void stats_free(struct stats *s)
{
	free(s->id);
	free(s->descs);
}

static const struct kvm_stats_desc *find_stat(const struct stats *s,
					      const char *name)
{
	unsigned int i;

	for (i = 0; i < s->h.num_desc; i++)
		if (!strncmp(desc_at(s, i)->name, name, s->h.name_size))
			return desc_at(s, i);
	return NULL;
}

/* The first value of a statistic; false if it is missing or unreadable. */
static bool read_stat(const struct stats *s, const char *name, uint64_t *val)
{
	const struct kvm_stats_desc *d = find_stat(s, name);

	return d && pread(s->fd, val, sizeof(*val),
			  s->h.data_offset + d->offset) == sizeof(*val);
}

static bool in_block(uint64_t off, uint64_t len, uint64_t start, uint64_t end)
{
	return off >= start && off + len <= end;
}

static bool disjoint(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a + alen <= b || b + blen <= a;
}

static bool check_desc(const struct kvm_stats_desc *d)
{
	uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
	uint32_t unit = d->flags & KVM_STATS_UNIT_MASK;
	uint32_t base = d->flags & KVM_STATS_BASE_MASK;
	bool hist = type == KVM_STATS_TYPE_LINEAR_HIST ||
		    type == KVM_STATS_TYPE_LOG_HIST;

	if (d->flags & ~(KVM_STATS_TYPE_MASK | KVM_STATS_UNIT_MASK |
			 KVM_STATS_BASE_MASK))
		return false;
	if (type > KVM_STATS_TYPE_MAX || unit > KVM_STATS_UNIT_MAX ||
	    base > KVM_STATS_BASE_MAX)
		return false;
	if (!d->size || (!hist && d->size != 1))
		return false;
	if ((type == KVM_STATS_TYPE_LINEAR_HIST) != !!d->bucket_size)
		return false;
	switch (unit) {
	case KVM_STATS_UNIT_SECONDS:
		if (d->exponent > 0)
			return false;
		break;
	case KVM_STATS_UNIT_BOOLEAN:
		if (d->exponent || type == KVM_STATS_TYPE_LOG_HIST)
			return false;
		break;
	default:
		if (d->exponent < 0)
			return false;
	}
	return true;
}

struct want_stat {
	const char *name;
	uint32_t flags;
	int16_t exponent;
	uint16_t size;
};

#define CUMUL	(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE)
#define NSEC	(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS)
#define NHIST	(KVM_STATS_TYPE_LOG_HIST | KVM_STATS_UNIT_SECONDS)
#define IBOOL	(KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN)

/* The generic statistics of stock 6.1, with their types. */
static const struct want_stat vm_generic[] = {
	{ "remote_tlb_flush", CUMUL, 0, 1 },
	{ "remote_tlb_flush_requests", CUMUL, 0, 1 },
	{ NULL }
};

static const struct want_stat vcpu_generic[] = {
	{ "halt_successful_poll", CUMUL, 0, 1 },
	{ "halt_attempted_poll", CUMUL, 0, 1 },
	{ "halt_poll_invalid", CUMUL, 0, 1 },
	{ "halt_wakeup", CUMUL, 0, 1 },
	{ "halt_poll_success_ns", NSEC, -9, 1 },
	{ "halt_poll_fail_ns", NSEC, -9, 1 },
	{ "halt_wait_ns", NSEC, -9, 1 },
	{ "halt_poll_success_hist", NHIST, -9, 32 },
	{ "halt_poll_fail_hist", NHIST, -9, 32 },
	{ "halt_wait_hist", NHIST, -9, 32 },
	{ "blocking", IBOOL, 0, 1 },
	{ NULL }
};

static bool check_generic(const struct stats *s, const struct want_stat *w,
			  const char **missing)
{
	for (; w->name; w++) {
		const struct kvm_stats_desc *d = find_stat(s, w->name);

		if (!d || d->flags != w->flags || d->exponent != w->exponent ||
		    d->size != w->size) {
			*missing = w->name;
			return false;
		}
	}
	return true;
}

/* NR_FD_CHECKS checks on one stats fd of the given kind. */
static void check_fd(int fd, const char *kind, const char *id_prefix,
		     const struct want_stat *generic)
{
	const struct kvm_stats_header *h;
	const char *missing = "?";
	bool ok, uniq = true, valid = true, offs = true;
	struct stats s;
	unsigned int i, j;
	uint64_t *data;
	char *all, *bad;
	ssize_t r;
	char c;

	if (!stats_load(&s, fd))
		tap_bail("%s stats: cannot read header and descriptors: %m",
			 kind);
	h = &s.h;
	tap_diag("%s stats: %u descriptors, name_size %u, id '%s', offsets %u/%u/%u",
		 kind, h->num_desc, h->name_size, s.id, h->id_offset,
		 h->desc_offset, h->data_offset);

	tap_ok(!h->flags && h->name_size >= 8 && h->num_desc,
	       "%s header: flags 0, a name size, descriptors", kind);

	ok = !(h->id_offset % 8) && !(h->desc_offset % 8) &&
	     !(h->data_offset % 8) && h->id_offset >= sizeof(*h) &&
	     h->desc_offset >= sizeof(*h) && h->data_offset >= sizeof(*h) &&
	     disjoint(h->id_offset, h->name_size, h->desc_offset,
		      s.desc_size * h->num_desc) &&
	     disjoint(h->id_offset, h->name_size, h->data_offset,
		      s.data_size) &&
	     disjoint(h->desc_offset, s.desc_size * h->num_desc,
		      h->data_offset, s.data_size);
	tap_ok(ok, "%s header: blocks aligned to 8, after the header, disjoint",
	       kind);

	tap_ok(memchr(s.id, 0, h->name_size) &&
	       !strncmp(s.id, id_prefix, strlen(id_prefix)),
	       "%s id string '%s' starts with '%s'", kind, s.id, id_prefix);

	for (i = 0; i < h->num_desc; i++) {
		const struct kvm_stats_desc *d = desc_at(&s, i);

		if (!check_desc(d)) {
			if (valid)
				tap_diag("bad descriptor %s: flags %#x exp %d size %u bucket %u",
					 d->name, d->flags, d->exponent,
					 d->size, d->bucket_size);
			valid = false;
		}
		if (!memchr(d->name, 0, h->name_size) || !d->name[0])
			uniq = false;
		for (j = 0; j < i && uniq; j++)
			if (!strcmp(d->name, desc_at(&s, j)->name)) {
				tap_diag("%s listed twice", d->name);
				uniq = false;
			}
		if (!in_block(d->offset, d->size * 8ULL, 0, s.data_size) ||
		    d->offset % 8)
			offs = false;
		for (j = 0; j < i && offs; j++)
			if (!disjoint(d->offset, d->size * 8ULL,
				      desc_at(&s, j)->offset,
				      desc_at(&s, j)->size * 8ULL))
				offs = false;
	}
	tap_ok(valid, "%s descriptors: known type, unit and base, sizes, exponents",
	       kind);
	tap_ok(uniq, "%s descriptors: names NUL-terminated and unique", kind);
	tap_ok(offs, "%s descriptors: values inside the data block, disjoint",
	       kind);
	ok = check_generic(&s, generic, &missing);
	if (!ok)
		tap_diag("%s: missing or wrong: %s", kind, missing);
	tap_ok(ok, "%s: the generic statistics of stock KVM, with their types",
	       kind);

	data = malloc(s.data_size);
	all = malloc(s.file_size + 64);
	if (!data || !all)
		tap_bail("out of memory");
	r = pread(fd, data, s.data_size, h->data_offset);
	tap_ok(r == (ssize_t)s.data_size, "%s data block read at once (%zd of %zu)",
	       kind, r, s.data_size);

	/* read() goes on from the fd's position: 0, nothing read() yet. */
	r = read(fd, all, s.file_size + 64);
	tap_ok(r == (ssize_t)s.file_size && !memcmp(all, h, sizeof(*h)) &&
	       !memcmp(all + h->desc_offset, s.descs,
		       s.desc_size * h->num_desc),
	       "%s read() from 0 gives the whole file (%zd of %zu)", kind, r,
	       s.file_size);
	tap_ok(read(fd, all, 8) == 0, "%s read() at the end gives 0", kind);

	ok = pread(fd, all, 8, s.file_size) == 0 &&
	     pread(fd, all, 8, 1LL << 40) == 0 &&
	     pread(fd, all, 16, s.file_size - 8) == 8;
	tap_ok(ok, "%s pread past the end gives 0, across it a short count",
	       kind);

	/* Not open for writing; no pwrite either (ESPIPE comes first). */
	ok = write(fd, "x", 1) == -1 && errno == EBADF;
	ok = ok && pwrite(fd, "x", 1, 0) == -1 && errno == ESPIPE;
	tap_ok(ok, "%s write: EBADF, pwrite: ESPIPE", kind);

	tap_ok(pread(fd, all, 8, -8) == -1 && errno == EINVAL,
	       "%s pread at a negative offset: EINVAL", kind);

	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bad == MAP_FAILED)
		tap_bail("mmap: %m");
	r = pread(fd, bad, 8, h->data_offset);
	ok = r == -1 && errno == EFAULT;
	r = pread(fd, bad, 8, 0);
	tap_ok(ok && r == -1 && errno == EFAULT,
	       "%s pread into an unmapped buffer: EFAULT", kind);
	munmap(bad, 4096);

	tap_ok(ioctl(fd, KVM_GET_STATS_FD, 0) == -1 && errno == ENOTTY &&
	       ioctl(fd, KVM_CHECK_EXTENSION, 0) == -1 && errno == ENOTTY,
	       "%s an ioctl on the stats fd: ENOTTY", kind);

	ok = (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY &&
	     (fcntl(fd, F_GETFD) & FD_CLOEXEC);
	tap_ok(ok && pread(fd, &c, 1, 0) == 1,
	       "%s fd is read-only and close-on-exec", kind);

	free(data);
	free(all);
	stats_free(&s);
}

/* lseek: stock 6.1 uses noop_llseek (the position never moves). */
static void check_lseek(int fd)
{
	struct kvm_stats_header h, h2;
	bool ok;

	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		tap_bail("pread: %m");
	if (!kvm_is_ours()) {
		tap_skip("stock 6.1's lseek on a stats fd leaves the position",
			 "lseek moves the read position");
		return;
	}
	ok = lseek(fd, h.id_offset, SEEK_SET) == h.id_offset &&
	     lseek(fd, 0, SEEK_CUR) == h.id_offset &&
	     lseek(fd, 0, SEEK_SET) == 0 &&
	     read(fd, &h2, sizeof(h2)) == sizeof(h2) &&
	     !memcmp(&h, &h2, sizeof(h)) &&
	     lseek(fd, -1, SEEK_SET) == -1 && errno == EINVAL;
	tap_ok(ok, "lseek moves the read position (SEEK_SET, SEEK_CUR; EINVAL below 0)");
}

/* MANY_FDS more fds on each of vm and vcpu, each readable. */
static void check_many(int vm, int vcpu)
{
	static int fds[2 * MANY_FDS];
	struct kvm_stats_header h;
	bool ok = true;
	int i;

	for (i = 0; i < 2 * MANY_FDS; i++) {
		fds[i] = ioctl(i < MANY_FDS ? vm : vcpu, KVM_GET_STATS_FD, 0);
		if (fds[i] < 0 ||
		    pread(fds[i], &h, sizeof(h), 0) != sizeof(h) ||
		    !h.num_desc) {
			tap_diag("stats fd %d: %m", i);
			ok = false;
		}
	}
	for (i = 0; i < 2 * MANY_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	tap_ok(ok, "%d stats fds on the VM and %d on the vCPU at once",
	       MANY_FDS, MANY_FDS);
}

#if defined(__x86_64__)
#define MEM_SIZE	(2 * MiB)
#define CODE_GPA	0x1000
#define NR_OUTS		3

static uint64_t stat_or_zero(const struct stats *s, const char *name)
{
	uint64_t v = 0;

	return read_stat(s, name, &v) ? v : 0;
}

static const unsigned char guest_code[] = {
	0xe6, 0x10,			/* out 0x10, al */
	0xe6, 0x10,			/* out 0x10, al */
	0xe6, 0x10,			/* out 0x10, al */
	0xf4,				/* hlt */
};

/* 4 checks: a guest's exits move the counters. */
static void check_x86_counters(int kvm)
{
	uint64_t exits0, io0, halt0, exits1, io1, halt1, pages, blocking = 1;
	struct stats vs, cs;
	struct guest g;
	int vmfd, cpufd, i;
	uint8_t *mem;
	bool ran = true;

	mem = alloc_aligned(MEM_SIZE, MEM_SIZE);
	memcpy(mem + CODE_GPA, guest_code, sizeof(guest_code));
	guest_create(&g, kvm);
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	guest_real_mode(&g, CODE_GPA);
	vmfd = ioctl(g.vm, KVM_GET_STATS_FD, 0);
	cpufd = ioctl(g.vcpu, KVM_GET_STATS_FD, 0);
	if (vmfd < 0 || cpufd < 0 || !stats_load(&vs, vmfd) ||
	    !stats_load(&cs, cpufd))
		tap_bail("stats fds of the guest: %m");

	ran = read_stat(&cs, "exits", &exits0) &&
	      read_stat(&cs, "io_exits", &io0) &&
	      read_stat(&cs, "halt_exits", &halt0);
	for (i = 0; i < NR_OUTS && ran; i++)
		ran = guest_out_byte(&g) >= 0;
	ran = ran && !ioctl(g.vcpu, KVM_RUN, 0) &&
	      g.run->exit_reason == KVM_EXIT_HLT;
	if (!ran)
		tap_diag("the guest did not run as planned: exit %s",
			 guest_exit_name(g.run->exit_reason));
	ran = ran && read_stat(&cs, "exits", &exits1) &&
	      read_stat(&cs, "io_exits", &io1) &&
	      read_stat(&cs, "halt_exits", &halt1) &&
	      read_stat(&cs, "blocking", &blocking);

	tap_ok(ran && io1 - io0 == NR_OUTS,
	       "x86: io_exits grew by %d (%llu -> %llu)", NR_OUTS,
	       (unsigned long long)io0, (unsigned long long)io1);
	tap_ok(ran && halt1 - halt0 == 1 && exits1 - exits0 >= NR_OUTS + 1,
	       "x86: halt_exits grew by 1, exits by at least %d (%llu -> %llu)",
	       NR_OUTS + 1, (unsigned long long)exits0,
	       (unsigned long long)exits1);
	tap_ok(ran && !blocking, "x86: blocking is 0 outside KVM_RUN");

	/* Stock may map the 2 MiB-aligned memory with a huge page. */
	pages = stat_or_zero(&vs, "pages_4k") + stat_or_zero(&vs, "pages_2m") +
		stat_or_zero(&vs, "pages_1g");
	tap_ok(find_stat(&vs, "pages_4k") && pages > 0,
	       "x86: the VM's guest mappings are counted (%llu)",
	       (unsigned long long)pages);

	stats_free(&vs);
	stats_free(&cs);
	close(vmfd);
	close(cpufd);
	guest_destroy(&g);
	munmap(mem, MEM_SIZE);
}

struct halt_watch {
	pthread_t vcpu_thread;
	const struct stats *cs;
	uint64_t blocking;
	bool seen;
	volatile bool done;
};

static void on_usr1(int sig)
{
	(void)sig;
}

/* Wait until the vCPU sleeps, then signal it until KVM_RUN has returned. */
static void *watch_halt(void *arg)
{
	struct halt_watch *w = arg;
	int i;

	for (i = 0; i < 500 && !w->seen; i++) {
		if (read_stat(w->cs, "blocking", &w->blocking) && w->blocking)
			w->seen = true;
		else
			usleep(10000);
	}
	while (!w->done) {
		pthread_kill(w->vcpu_thread, SIGUSR1);
		usleep(50000);
	}
	return NULL;
}

static uint64_t hist_sum(const struct stats *s, const char *name)
{
	const struct kvm_stats_desc *d = find_stat(s, name);
	uint64_t v[64], sum = 0;
	unsigned int i;

	if (!d || d->size > 64 ||
	    pread(s->fd, v, d->size * 8, s->h.data_offset + d->offset) !=
	    d->size * 8)
		return 0;
	for (i = 0; i < d->size; i++)
		sum += v[i];
	return sum;
}

/* 4 checks: CLI; HLT with an in-kernel LAPIC sleeps until a signal. */
static void check_x86_halt(int kvm)
{
	static const unsigned char code[] = { 0xfa, 0xf4 };	/* cli; hlt */
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	uint64_t ns0 = 0, ns1 = 0, sig0 = 0, sig1 = 0, h0, h1, blocking = 1;
	struct halt_watch w = { .vcpu_thread = pthread_self() };
	struct stats cs;
	struct guest g;
	pthread_t thr;
	uint8_t *mem;
	int cpufd, r, e;
	bool ok;

	mem = alloc_aligned(MEM_SIZE, MEM_SIZE);
	memcpy(mem + CODE_GPA, code, sizeof(code));
	guest_create(&g, kvm);
	if (ioctl(g.vm, KVM_CREATE_IRQCHIP, 0))
		tap_bail("KVM_CREATE_IRQCHIP: %m");
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	guest_real_mode(&g, CODE_GPA);
	cpufd = ioctl(g.vcpu, KVM_GET_STATS_FD, 0);
	if (cpufd < 0 || !stats_load(&cs, cpufd))
		tap_bail("vCPU stats fd: %m");
	read_stat(&cs, "halt_wait_ns", &ns0);
	read_stat(&cs, "signal_exits", &sig0);
	h0 = hist_sum(&cs, "halt_wait_hist");

	w.cs = &cs;
	sigaction(SIGUSR1, &sa, &old);
	if (pthread_create(&thr, NULL, watch_halt, &w))
		tap_bail("pthread_create");
	r = ioctl(g.vcpu, KVM_RUN, 0);
	e = errno;
	w.done = true;
	pthread_join(thr, NULL);
	sigaction(SIGUSR1, &old, NULL);

	tap_ok(w.seen, "x86: blocking is 1 while the vCPU sleeps in HLT");
	ok = read_stat(&cs, "signal_exits", &sig1) && sig1 == sig0 + 1;
	tap_ok(r == -1 && e == EINTR && g.run->exit_reason == KVM_EXIT_INTR &&
	       ok, "x86: a signal ends the halt: EINTR, KVM_EXIT_INTR, signal_exits +1 (%llu)",
	       (unsigned long long)sig1);
	read_stat(&cs, "halt_wait_ns", &ns1);
	h1 = hist_sum(&cs, "halt_wait_hist");
	tap_ok(ns1 > ns0 && h1 > h0,
	       "x86: halt_wait_ns grew (%llu ns), halt_wait_hist counted it",
	       (unsigned long long)(ns1 - ns0));
	tap_ok(read_stat(&cs, "blocking", &blocking) && !blocking,
	       "x86: blocking back to 0 after KVM_RUN");

	stats_free(&cs);
	close(cpufd);
	guest_destroy(&g);
	munmap(mem, MEM_SIZE);
}
#endif

int main(void)
{
	long ref0, ref1, ref2;
	struct kvm_stats_header h;
	struct stats s;
	int kvm, vm, vcpu, vmfd, cpufd;
	uint64_t v;
	bool ok;

	tap_plan(7 + 2 * NR_FD_CHECKS + 8);
	kvm = open_kvm();
	/* Both implementations offer it on every arch. */
	if (!tap_ok(check_cap(kvm, KVM_CAP_BINARY_STATS_FD) > 0,
		    "KVM_CAP_BINARY_STATS_FD reported"))
		tap_bail("no binary statistics");

	ref0 = kvm_module_refcnt();
	vm = create_vm(kvm);
	vcpu = create_vcpu(vm, 0);
	vmfd = ioctl(vm, KVM_GET_STATS_FD, 0);
	if (!expect_success(vmfd, "KVM_GET_STATS_FD on the VM fd"))
		tap_bail("no VM stats fd");
	cpufd = ioctl(vcpu, KVM_GET_STATS_FD, 0);
	if (!expect_success(cpufd, "KVM_GET_STATS_FD on the vCPU fd"))
		tap_bail("no vCPU stats fd");

	check_fd(vmfd, "VM", "kvm-", vm_generic);
	check_fd(cpufd, "vCPU", "kvm-", vcpu_generic);
	check_lseek(cpufd);
	check_many(vm, vcpu);

	/* The stats fds outlive the VM and vCPU fds and keep them alive. */
	close(vcpu);
	close(vm);
	ok = pread(vmfd, &h, sizeof(h), 0) == sizeof(h) && h.num_desc &&
	     stats_load(&s, cpufd) && read_stat(&s, "halt_wakeup", &v);
	stats_free(&s);
	ref1 = kvm_module_refcnt();
	/* A KVM built into the kernel (stock arm64) has no refcnt: -1. */
	tap_ok(ok && (ref1 > ref0 || (ref0 < 0 && !kvm_is_ours())),
	       "stats fds still read after the VM and vCPU fds closed (refcnt %ld > %ld)",
	       ref1, ref0);
	close(vmfd);
	close(cpufd);
	ref2 = kvm_module_refcnt_settle(ref0);
	tap_ok(ref2 == ref0, "closing them frees the VM (refcnt %ld -> %ld)",
	       ref1, ref2);

#if defined(__x86_64__)
	check_x86_counters(kvm);
	check_x86_halt(kvm);
#else
	for (int i = 0; i < 8; i++)
		tap_skip("x86 only", "a guest's exits move the counters");
#endif
	close(kvm);
	return tap_finish();
}
