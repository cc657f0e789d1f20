// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_fuzz: random and edge-case ioctls on /dev/kvm, VM, vCPU and device
 * fds from several threads, with fds closed, dup()ed and dup2()ed over each
 * other mid-flight, kvm_run mappings mapped, unmapped, read and written in
 * racing threads, guest memory unmapped under the VMs, and KVM_RUN on tiny
 * random guests.
 *
 *   ioctl_fuzz [-s seed] [-d seconds] [-t threads] [-n ops] [-v]
 *
 * Op k of thread t is drawn from its own PRNG stream (seed, t, k): the same
 * seed gives every thread the same op sequence (with -t 1 the same run,
 * up to timing: kicks and the deadline). Every op runs with a kick timer
 * armed, so a blocked ioctl (KVM_RUN of a halted vCPU) ends with EINTR; a
 * monitor counts an op blocked for 60 s as a hang. The last line is
 *   fuzz: N ops, R reports
 * with R the kernel reports logged during the run plus the hangs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/kvm.h>

#include "fuzz.h"

#define PROG		"ioctl_fuzz"
#define MAX_THREADS	16
#define NSLOTS		48
#define NREGIONS	32
#define REGION_SIZE	(4 * PAGE)
#define NPOOL		4
#define POOL_SIZE	(64 * 1024UL)
#define SCRATCH_SIZE	(64 * 1024UL)

static const struct {
	const char *name;
	unsigned long nr;
} ioctls[] = {
#include "ioctls.h"
};

enum {
	K_SYS = 1, K_VM = 2, K_VCPU = 4, K_DEV = 8, K_OTHER = 16, K_ANY = 31,
};

struct slot {
	_Atomic int fd;
	_Atomic int kind;
};

static struct slot slots[NSLOTS];
static uint8_t *regions;	/* NREGIONS windows for kvm_run mappings */
static uint8_t *pool;		/* NPOOL guest memory areas */
static long run_size;
static bool verbose;

struct thr {
	struct worker w;
	struct kick kick;
	pthread_t tid;
	uint64_t seed, max_ops, deadline;
	int kvm;			/* private /dev/kvm fd, never closed */
	uint8_t *scratch;		/* SCRATCH_SIZE, then a guard page */
	uint8_t *stage;			/* where arguments are built */
	uint8_t *rdonly;		/* a read-only page */
	uint8_t *noaccess;		/* a PROT_NONE page */
	const char *what;		/* the current ioctl, for -v */
	int tmp[4];			/* eventfds of the current op */
	unsigned int ntmp;
};

static struct thr thr[MAX_THREADS];

/* How the ioctls ended: [0] success, [e] errno e (the last one: others). */
#define NERR 160
static _Atomic uint64_t results[NERR];

/* ---------------------------------------------------------------- fds */

static int slot_pick(struct rng *r, int kinds, int *kind)
{
	for (int i = 0; i < 12; i++) {
		struct slot *s = &slots[rng_below(r, NSLOTS)];
		int fd = atomic_load(&s->fd), k = atomic_load(&s->kind);

		if (fd >= 0 && (k & kinds)) {
			if (kind)
				*kind = k;
			return fd;
		}
	}
	return -1;
}

static void slot_put(struct rng *r, int fd, int kind)
{
	struct slot *s;
	int old;

	if (fd < 0)
		return;
	for (int i = 0; i < NSLOTS; i++) {
		int expect = -1;

		s = &slots[i];
		if (atomic_compare_exchange_strong(&s->fd, &expect, fd)) {
			atomic_store(&s->kind, kind);
			return;
		}
	}
	/* Full: evict a random one. */
	s = &slots[rng_below(r, NSLOTS)];
	old = atomic_exchange(&s->fd, fd);
	atomic_store(&s->kind, kind);
	if (old >= 0)
		close(old);
}

/* ------------------------------------------------------------- syscalls */

static long xioctl(struct thr *t, int fd, unsigned long nr, unsigned long arg)
{
	long ret;

	atomic_store(&t->w.nr, nr);
	ret = ioctl(fd, nr, arg);
	atomic_store(&t->w.nr, 0);
	atomic_fetch_add(&results[ret >= 0 ? 0 : errno > 0 && errno < NERR ? errno : NERR - 1], 1);
	atomic_fetch_add(&t->w.ops, 1);
	if (verbose)
		out(2, "[t%d #%llu] ioctl(%d, %s %#lx, %#lx) = %ld (%d)\n",
		    t->w.id, (unsigned long long)atomic_load(&t->w.op_index),
		    fd, t->what ? t->what : "?", nr, arg, ret,
		    ret < 0 ? errno : 0);
	t->what = NULL;
	return ret;
}

static void count(struct thr *t)
{
	atomic_fetch_add(&t->w.ops, 1);
}

/* ------------------------------------------------------------ arguments */

/* A user pointer for an argument of size bytes: good, bad or borderline. */
static uint8_t *pick_ptr(struct thr *t, struct rng *r, size_t size)
{
	uint8_t *end = t->scratch + SCRATCH_SIZE;

	if (size > SCRATCH_SIZE)
		size = SCRATCH_SIZE;
	switch (rng_below(r, 24)) {
	case 0:
		return NULL;
	case 1:
		return (uint8_t *)0xffffffff81000000UL;
	case 2:
		return (uint8_t *)(rng_pct(r, 50) ? 0x0000800000000000UL :
				   0xdead000000000000UL);
	case 3:
		return t->noaccess + rng_below(r, PAGE);
	case 4:
		return t->rdonly + rng_below(r, PAGE);
	case 5:
	case 6:
	case 7:
		/* Ends inside the guard page after scratch. */
		return end - rng_below(r, size + 1);
	case 8:
		return t->scratch + 1 + rng_below(r, 7);
	case 9:
		return (uint8_t *)(uintptr_t)(rng_next(r) & 0x7fffffffffffUL);
	default:
		return t->scratch;
	}
}

/* Copy len built bytes to p, as much as is ours and writable. */
static void place(struct thr *t, uint8_t *p, size_t len)
{
	uint8_t *end = t->scratch + SCRATCH_SIZE;

	if (p < t->scratch || p >= end)
		return;
	if (len > (size_t)(end - p))
		len = end - p;
	memcpy(p, t->stage, len);
}

static void mutate(struct rng *r, uint8_t *buf, size_t size, unsigned int n)
{
	if (!size)
		return;
	for (unsigned int i = 0; i < n; i++) {
		size_t off = rng_below(r, size);
		unsigned int w = 1U << rng_below(r, 4);
		uint64_t v;

		if (rng_pct(r, 30)) {
			buf[off] ^= 1U << rng_below(r, 8);
			continue;
		}
		off &= ~(size_t)(w - 1);
		if (off + w > size)
			continue;
		v = rng_edge(r, w);
		memcpy(buf + off, &v, w);
	}
}

/* An eventfd for one argument; closed after the ioctl (put_tmp()). */
static int new_eventfd(struct thr *t)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	count(t);
	if (fd >= 0 && t->ntmp < ARRAY_SIZE(t->tmp))
		t->tmp[t->ntmp++] = fd;
	return fd;
}

static void put_tmp(struct thr *t)
{
	while (t->ntmp)
		close(t->tmp[--t->ntmp]);
}

#if defined(__x86_64__)
static const uint64_t msr_idx[] = {
	0x10, 0x1b, 0x3a, 0x3b, 0x48, 0x8b, 0xe7, 0xe8, 0xfe, 0x174, 0x175,
	0x176, 0x179, 0x17a, 0x1a0, 0x1d9, 0x200, 0x201, 0x250, 0x258, 0x277,
	0x2ff, 0x400, 0x401, 0x6e0, 0x800, 0x802, 0x808, 0x830, 0x8ff, 0xc0000080,
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101,
	0xc0000102, 0xc0000103, 0xc0010010, 0xc0010114, 0xc0010117, 0xc0011029,
	0x4b564d00, 0x4b564d01, 0x4b564d02, 0x4b564d03, 0x4b564d04, 0x40000000,
	0x40000001, 0x11, 0x12, 0xffffffff, 0x80000000, 0x1fc, 0xc0000104,
};
#endif

/* A (gsi-, slot-, id-) index: mostly small, sometimes an edge case. */
static uint32_t small(struct rng *r, uint32_t n)
{
	return rng_pct(r, 85) ? (uint32_t)rng_below(r, n) : (uint32_t)rng_edge(r, 4);
}

/*
 * Fill t->stage for ioctl nr; returns how many bytes of it matter.
 * dev_fd is set when a created fd is to be read back from the argument.
 */
static size_t build(struct thr *t, struct rng *r, unsigned long nr, int fd)
{
	size_t size = _IOC_SIZE(nr);
	uint8_t *b = t->stage;

	switch (rng_below(r, 4)) {
	case 0:
		memset(b, 0, SCRATCH_SIZE);
		break;
	case 1:
		memset(b, 0xff, 256);
		memset(b + 256, 0, SCRATCH_SIZE - 256);
		break;
	default:
		rng_fill(r, b, 4096);
		memset(b + 4096, 0, SCRATCH_SIZE - 4096);
		break;
	}

	switch (nr) {
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region *m = (void *)b;

		m->slot = small(r, 4) | (rng_pct(r, 10) ? 1U << 16 : 0);
		m->flags = rng_pct(r, 60) ? 0 : rng_pct(r, 50) ?
			   (uint32_t)rng_below(r, 4) : (uint32_t)rng_edge(r, 4);
		m->guest_phys_addr = rng_pct(r, 80) ? rng_below(r, 64) * PAGE :
				     rng_edge(r, 8);
		m->memory_size = rng_pct(r, 80) ? rng_below(r, 17) * PAGE :
				 rng_edge(r, 8);
		m->userspace_addr = rng_pct(r, 80) ?
			(uintptr_t)(pool + rng_below(r, NPOOL) * POOL_SIZE +
				    rng_below(r, 4) * PAGE) :
			(uintptr_t)pick_ptr(t, r, 16);
		return sizeof(*m);
	}
	case KVM_CREATE_DEVICE: {
		struct kvm_create_device *d = (void *)b;

		d->type = rng_pct(r, 60) ? KVM_DEV_TYPE_VFIO :
			  (uint32_t)rng_edge(r, 4);
		d->flags = rng_pct(r, 60) ? 0 : rng_pct(r, 50) ?
			   KVM_CREATE_DEVICE_TEST : (uint32_t)rng_edge(r, 4);
		d->fd = -1;
		return sizeof(*d);
	}
	case KVM_SET_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR: {
		struct kvm_device_attr *a = (void *)b;

		a->flags = rng_pct(r, 70) ? 0 : (uint32_t)rng_edge(r, 4);
		a->group = small(r, 4);
		a->attr = small(r, 4);
		a->addr = (uintptr_t)pick_ptr(t, r, 8);
		if (a->addr == (uintptr_t)t->scratch)
			a->addr += 1024;	/* keep it off the struct */
		if (rng_pct(r, 30))
			*(int32_t *)(t->stage + 1024) = slot_pick(r, K_ANY, NULL);
		return sizeof(*a);
	}
	case KVM_IRQFD: {
		struct kvm_irqfd *f = (void *)b;

		f->fd = rng_pct(r, 70) ? new_eventfd(t) : slot_pick(r, K_ANY, NULL);
		f->gsi = small(r, 32);
		f->flags = rng_pct(r, 60) ? 0 : (uint32_t)rng_below(r, 8);
		f->resamplefd = rng_pct(r, 50) ? (uint32_t)new_eventfd(t) :
				(uint32_t)rng_edge(r, 4);
		memset(f->pad, 0, rng_pct(r, 90) ? sizeof(f->pad) : 0);
		return sizeof(*f);
	}
	case KVM_IOEVENTFD: {
		struct kvm_ioeventfd *e = (void *)b;

		e->fd = rng_pct(r, 80) ? new_eventfd(t) : slot_pick(r, K_ANY, NULL);
		e->addr = rng_pct(r, 70) ? rng_below(r, 0x10000) : rng_edge(r, 8);
		e->len = rng_pct(r, 80) ? RNG_PICK(r, ((const uint64_t[]){ 0, 1, 2, 4, 8 })) :
			 (uint32_t)rng_edge(r, 4);
		e->flags = rng_pct(r, 70) ? (uint32_t)rng_below(r, 16) : (uint32_t)rng_edge(r, 4);
		e->datamatch = rng_next(r);
		memset(e->pad, 0, rng_pct(r, 90) ? sizeof(e->pad) : 0);
		return sizeof(*e);
	}
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap *c = (void *)b;

		c->cap = small(r, 240);
		c->flags = rng_pct(r, 80) ? 0 : (uint32_t)rng_edge(r, 4);
		for (int i = 0; i < 4; i++)
			c->args[i] = rng_pct(r, 50) ? rng_below(r, 4) : rng_edge(r, 8);
		return sizeof(*c);
	}
	case KVM_GET_DIRTY_LOG: {
		struct kvm_dirty_log *l = (void *)b;

		l->slot = small(r, 4);
		l->dirty_bitmap = pick_ptr(t, r, 64);
		if (l->dirty_bitmap == t->scratch)
			l->dirty_bitmap = t->scratch + 1024;
		return sizeof(*l);
	}
	case KVM_SET_SIGNAL_MASK: {
		struct kvm_signal_mask *m = (void *)b;
		uint64_t mask = rng_next(r);

		/* The kick must still reach KVM_RUN, or it blocks for good. */
		mask &= ~(1ULL << (KICK_SIGNAL - 1));
		m->len = rng_pct(r, 80) ? 8 : (uint32_t)rng_edge(r, 4);
		memcpy(m->sigset, &mask, 8);
		if (m->len != 8)
			memset(m->sigset, 0, 8);
		return sizeof(*m) + 8;
	}
	case KVM_REGISTER_COALESCED_MMIO:
	case KVM_UNREGISTER_COALESCED_MMIO: {
		struct kvm_coalesced_mmio_zone *z = (void *)b;

		z->addr = rng_pct(r, 70) ? rng_below(r, 0x100000) : rng_edge(r, 8);
		z->size = rng_pct(r, 70) ? (uint32_t)rng_below(r, 0x2000) : (uint32_t)rng_edge(r, 4);
		z->pio = rng_pct(r, 80) ? (uint32_t)rng_below(r, 2) : (uint32_t)rng_edge(r, 4);
		return sizeof(*z);
	}
	case KVM_SET_GSI_ROUTING: {
		struct kvm_irq_routing *rt = (void *)b;
		uint32_t n = rng_pct(r, 80) ? (uint32_t)rng_below(r, 8) : (uint32_t)rng_edge(r, 4);

		rt->nr = n;
		rt->flags = rng_pct(r, 90) ? 0 : (uint32_t)rng_edge(r, 4);
		for (uint32_t i = 0; i < n && i < 64; i++) {
			struct kvm_irq_routing_entry *e = &rt->entries[i];

			memset(e, 0, sizeof(*e));
			e->gsi = small(r, 32);
			e->type = rng_pct(r, 90) ? (uint32_t)rng_below(r, 6) : (uint32_t)rng_edge(r, 4);
			e->flags = rng_pct(r, 90) ? 0 : (uint32_t)rng_edge(r, 4);
			e->u.irqchip.irqchip = small(r, 4);
			e->u.irqchip.pin = small(r, 32);
			if (e->type == KVM_IRQ_ROUTING_MSI)
				rng_fill(r, &e->u.msi, sizeof(e->u.msi));
		}
		return sizeof(*rt) + 64 * sizeof(rt->entries[0]);
	}
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS: {
		struct kvm_irq_level *l = (void *)b;

		l->irq = small(r, 32);
		l->level = rng_pct(r, 80) ? (uint32_t)rng_below(r, 2) : (uint32_t)rng_edge(r, 4);
		return sizeof(*l);
	}
	case KVM_SET_GUEST_DEBUG: {
		struct kvm_guest_debug *d = (void *)b;

		d->control = rng_pct(r, 80) ? (uint32_t)(rng_next(r) & 0xf0003) :
			     (uint32_t)rng_edge(r, 4);
		return sizeof(*d);
	}
	case KVM_CHECK_EXTENSION:
	case KVM_CREATE_VCPU:
	case KVM_CREATE_VM:
		return 0;
#if defined(__x86_64__)
	case KVM_GET_MSRS:
	case KVM_SET_MSRS: {
		struct kvm_msrs *m = (void *)b;
		uint32_t n = rng_pct(r, 80) ? (uint32_t)rng_below(r, 9) : (uint32_t)rng_edge(r, 4);

		m->nmsrs = n;
		m->pad = rng_pct(r, 90) ? 0 : (uint32_t)rng_edge(r, 4);
		for (uint32_t i = 0; i < n && i < 256; i++) {
			m->entries[i].index = rng_pct(r, 80) ? RNG_PICK(r, msr_idx) :
					      (uint32_t)rng_next(r);
			m->entries[i].reserved = 0;
			m->entries[i].data = rng_pct(r, 50) ? 0 : rng_edge(r, 8);
		}
		return sizeof(*m) + 256 * sizeof(m->entries[0]);
	}
	case KVM_SET_CPUID2: {
		struct kvm_cpuid2 *c = (void *)b;
		static const uint64_t fns[] = {
			0, 1, 2, 4, 6, 7, 0xb, 0xd, 0x14, 0x40000000, 0x40000001,
			0x80000000, 0x80000001, 0x80000008, 0x8000000a, 0x8000001f,
		};
		uint32_t n = rng_pct(r, 80) ? (uint32_t)rng_below(r, 12) : (uint32_t)rng_edge(r, 4);

		c->nent = n;
		for (uint32_t i = 0; i < n && i < 128; i++) {
			c->entries[i].function = rng_pct(r, 80) ? RNG_PICK(r, fns) :
						 (uint32_t)rng_next(r);
			c->entries[i].index = small(r, 4);
			c->entries[i].flags = (uint32_t)rng_below(r, 8);
		}
		return sizeof(*c) + 128 * sizeof(c->entries[0]);
	}
	case KVM_SET_TSS_ADDR:
	case KVM_SET_TSC_KHZ:
	case KVM_INTERRUPT:
		return 0;
#endif
	default:
		break;
	}
	(void)fd;
	/* Anything else: its size, with a count-like first word sometimes. */
	if (size >= 4 && rng_pct(r, 40)) {
		uint32_t n = rng_pct(r, 60) ? (uint32_t)rng_below(r, 8) : (uint32_t)rng_edge(r, 4);

		memcpy(b, &n, 4);
	}
	if (rng_pct(r, 30))
		mutate(r, b, size, 1 + rng_below(r, 3));
	return size ? size : 64;
}

/* Set ioctls whose argument can start from what the matching get reads. */
static const struct {
	unsigned long set, get;
} getset[] = {
#if defined(__x86_64__)
	{ KVM_SET_REGS, KVM_GET_REGS },
	{ KVM_SET_SREGS, KVM_GET_SREGS },
	{ KVM_SET_FPU, KVM_GET_FPU },
	{ KVM_SET_LAPIC, KVM_GET_LAPIC },
	{ KVM_SET_XSAVE, KVM_GET_XSAVE },
	{ KVM_SET_XCRS, KVM_GET_XCRS },
	{ KVM_SET_DEBUGREGS, KVM_GET_DEBUGREGS },
	{ KVM_SET_VCPU_EVENTS, KVM_GET_VCPU_EVENTS },
	{ KVM_SET_MP_STATE, KVM_GET_MP_STATE },
	{ KVM_SET_CLOCK, KVM_GET_CLOCK },
	{ KVM_SET_PIT2, KVM_GET_PIT2 },
	{ KVM_SET_IRQCHIP, KVM_GET_IRQCHIP },
#endif
	{ 0, 0 },
};

/* A value for an _IO ioctl's argument. */
static unsigned long io_arg(struct thr *t, struct rng *r, unsigned long nr)
{
	if (nr == KVM_CREATE_VM)
		return rng_pct(r, 85) ? 0 : rng_edge(r, 8);
	if (nr == KVM_CREATE_VCPU)
		return small(r, 8);
	if (nr == KVM_CHECK_EXTENSION)
		return small(r, 240);
	if (rng_pct(r, 20))
		return (uintptr_t)pick_ptr(t, r, 8);
	return rng_pct(r, 50) ? rng_below(r, 16) : rng_edge(r, 8);
}

/* ------------------------------------------------------------------ ops */

static void op_open(struct thr *t, struct rng *r)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	count(t);
	slot_put(r, fd, K_SYS);
}

static void op_create_vm(struct thr *t, struct rng *r)
{
	int sys = rng_pct(r, 50) ? t->kvm : slot_pick(r, K_SYS | K_ANY, NULL);
	int fd;

	if (sys < 0)
		sys = t->kvm;
	t->what = "KVM_CREATE_VM";
	fd = xioctl(t, sys, KVM_CREATE_VM, io_arg(t, r, KVM_CREATE_VM));
	slot_put(r, fd, K_VM);
}

static void op_create_vcpu(struct thr *t, struct rng *r)
{
	int vm = slot_pick(r, rng_pct(r, 90) ? K_VM : K_ANY, NULL);
	int fd;

	if (vm < 0)
		return;
	t->what = "KVM_CREATE_VCPU";
	fd = xioctl(t, vm, KVM_CREATE_VCPU, io_arg(t, r, KVM_CREATE_VCPU));
	slot_put(r, fd, K_VCPU);
}

static void op_create_device(struct thr *t, struct rng *r)
{
	int vm = slot_pick(r, rng_pct(r, 90) ? K_VM : K_ANY, NULL);
	struct kvm_create_device *d = (void *)t->scratch;

	if (vm < 0)
		return;
	build(t, r, KVM_CREATE_DEVICE, vm);
	memcpy(t->scratch, t->stage, sizeof(*d));
	t->what = "KVM_CREATE_DEVICE";
	if (!xioctl(t, vm, KVM_CREATE_DEVICE, (uintptr_t)d) &&
	    !(d->flags & KVM_CREATE_DEVICE_TEST))
		slot_put(r, d->fd, K_DEV);
}

static void op_close(struct thr *t, struct rng *r)
{
	struct slot *s = &slots[rng_below(r, NSLOTS)];
	int fd = atomic_exchange(&s->fd, -1);

	if (fd >= 0) {
		close(fd);
		count(t);
	}
}

static void op_dup(struct thr *t, struct rng *r)
{
	int kind = 0, fd = slot_pick(r, K_ANY, &kind), nfd;

	if (fd < 0)
		return;
	count(t);
	if (rng_pct(r, 50)) {
		nfd = dup(fd);
		slot_put(r, nfd, kind);
		return;
	}
	/* dup2 over another slot's fd (it may be in use right now). */
	{
		struct slot *s = &slots[rng_below(r, NSLOTS)];
		int to = atomic_load(&s->fd);

		if (to < 0 || to == fd)
			return;
		if (dup2(fd, to) == to)
			atomic_store(&s->kind, kind);
	}
}

/* The kind of fd an ioctl number is meant for (KVM's numbering). */
static int pref_kind(unsigned long nr)
{
	unsigned int n = _IOC_NR(nr);

	if (_IOC_TYPE(nr) != KVMIO)
		return K_ANY;
	if (n < 0x10)
		return K_SYS | K_VCPU;		/* KVM_GET_MSRS is both */
	if (n >= 0xe1 && n <= 0xe3)
		return K_DEV | K_VM | K_VCPU;	/* device attributes */
	if ((n >= 0x40 && n < 0x80) || n == 0x9f || n == 0xa0 || n == 0xc0 ||
	    n == 0xe0 || n == 0xa3)
		return K_VM;
	return K_VCPU;
}

static void op_ioctl(struct thr *t, struct rng *r, bool known)
{
	int kind = 0, fd;
	unsigned long nr, arg;
	uint8_t *p = NULL;
	size_t len;

	if (known) {
		unsigned int i = rng_below(r, ARRAY_SIZE(ioctls));

		nr = ioctls[i].nr;
		t->what = ioctls[i].name;
		fd = slot_pick(r, rng_pct(r, 75) ? pref_kind(nr) : K_ANY, &kind);
	} else {
		switch (rng_below(r, 3)) {
		case 0:
			nr = (uint32_t)rng_next(r);
			break;
		case 1:	/* KVM's type, any number, direction and size */
			nr = _IOC(rng_below(r, 4), KVMIO, rng_below(r, 256),
				  rng_below(r, 1 << 14));
			break;
		default: /* a real one with its direction or size changed */
			nr = ioctls[rng_below(r, ARRAY_SIZE(ioctls))].nr;
			nr ^= rng_pct(r, 50) ? (rng_below(r, 3) + 1UL) << _IOC_DIRSHIFT :
			      rng_below(r, 1 << 14) << _IOC_SIZESHIFT;
			break;
		}
		t->what = "random";
		fd = slot_pick(r, rng_pct(r, 50) ? pref_kind(nr) : K_ANY, &kind);
	}
	if (fd < 0)
		fd = t->kvm;
	if (nr == KVM_CREATE_VM && fd == t->kvm)
		kind = K_SYS;
	if (_IOC_DIR(nr) == _IOC_NONE) {
		arg = io_arg(t, r, nr);
	} else {
		/* For a set ioctl, sometimes start from the get's answer. */
		for (unsigned int i = 0; getset[i].set; i++) {
			if (getset[i].set == nr && rng_pct(r, 60)) {
				const char *w = t->what;

				t->what = "get-for-set";
				xioctl(t, fd, getset[i].get, (uintptr_t)t->scratch);
				memcpy(t->stage, t->scratch, _IOC_SIZE(nr));
				mutate(r, t->stage, _IOC_SIZE(nr), rng_below(r, 4));
				p = rng_pct(r, 85) ? t->scratch : pick_ptr(t, r, _IOC_SIZE(nr));
				place(t, p, _IOC_SIZE(nr));
				t->what = w;
				goto call;
			}
		}
		len = build(t, r, nr, fd);
		p = pick_ptr(t, r, len);
		place(t, p, len);
call:
		arg = (uintptr_t)p;
	}
	{
		long ret = xioctl(t, fd, nr, arg);

		/* New fds from creating ioctls go into the table. */
		if (ret > 2 && (nr == KVM_CREATE_VM || nr == KVM_CREATE_VCPU ||
				nr == KVM_GET_STATS_FD))
			slot_put(r, ret, nr == KVM_CREATE_VM ? K_VM :
				 nr == KVM_CREATE_VCPU ? K_VCPU : K_OTHER);
		if (!ret && nr == KVM_CREATE_DEVICE && p == t->scratch &&
		    !(((struct kvm_create_device *)p)->flags & KVM_CREATE_DEVICE_TEST))
			slot_put(r, ((struct kvm_create_device *)p)->fd, K_DEV);
		put_tmp(t);
	}
}

static uint8_t *region(struct rng *r)
{
	return regions + rng_below(r, NREGIONS) * REGION_SIZE;
}

static void op_map(struct thr *t, struct rng *r)
{
	int fd = slot_pick(r, rng_pct(r, 85) ? K_VCPU : K_ANY, NULL);
	size_t len = rng_pct(r, 80) ? (size_t)run_size :
		     (1 + rng_below(r, REGION_SIZE / PAGE)) * PAGE;
	off_t off = rng_pct(r, 80) ? 0 : rng_below(r, 4) * PAGE;
	int prot = rng_pct(r, 85) ? PROT_READ | PROT_WRITE : PROT_READ;

	if (fd < 0)
		return;
	if (len > REGION_SIZE)
		len = REGION_SIZE;
	count(t);
	mmap(region(r), len, prot, MAP_SHARED | MAP_FIXED, fd, off);
}

static void op_unmap(struct thr *t, struct rng *r)
{
	count(t);
	munmap(region(r), REGION_SIZE);
}

static void op_touch(struct thr *t, struct rng *r)
{
	uint8_t *p = region(r);
	size_t off = rng_below(r, REGION_SIZE), len = 1 + rng_below(r, 64);
	uint64_t sum = 0;

	if (off + len > REGION_SIZE)
		len = REGION_SIZE - off;
	count(t);
	if (rng_pct(r, 60)) {
		probe_read(p + off, rng_pct(r, 20) ? REGION_SIZE - off : len, &sum);
	} else if (rng_pct(r, 50)) {
		/* kvm_run's request fields: immediate_exit, irq window... */
		probe_write(p + rng_below(r, 16), 1, r);
	} else {
		probe_write(p + off, len, r);
	}
}

static void op_pool(struct thr *t, struct rng *r)
{
	uint8_t *p = pool + rng_below(r, NPOOL) * POOL_SIZE;

	count(t);
	switch (rng_below(r, 3)) {
	case 0:
		munmap(p, POOL_SIZE);
		mmap(p, POOL_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		break;
	case 1:
		madvise(p, POOL_SIZE, MADV_DONTNEED);
		break;
	default:
		mprotect(p, POOL_SIZE, rng_pct(r, 50) ? PROT_READ :
			 PROT_READ | PROT_WRITE);
		break;
	}
}

static void run_vcpu(struct thr *t, int vcpu)
{
	t->what = "KVM_RUN";
	xioctl(t, vcpu, KVM_RUN, 0);
}

static void op_run(struct thr *t, struct rng *r)
{
	int fd = slot_pick(r, rng_pct(r, 90) ? K_VCPU : K_ANY, NULL);

	if (fd >= 0)
		run_vcpu(t, fd);
}

/* A tiny guest: random bytes or HLTs in a pool area, run a few times. */
static void op_guest(struct thr *t, struct rng *r)
{
	unsigned int pi = rng_below(r, NPOOL);
	uint8_t *mem = pool + pi * POOL_SIZE;
	struct kvm_userspace_memory_region m = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = POOL_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	int vm, vcpu, n;

	t->what = "KVM_CREATE_VM";
	vm = xioctl(t, t->kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return;
	if (rng_pct(r, 50))
		probe_write(mem + rng_below(r, 256), 1 + rng_below(r, 256), r);
	else if (rng_pct(r, 50))
		probe_write(mem, 1, r);
	t->what = "KVM_SET_USER_MEMORY_REGION";
	xioctl(t, vm, KVM_SET_USER_MEMORY_REGION, (uintptr_t)&m);
	if (rng_pct(r, 20)) {
		t->what = "KVM_CREATE_IRQCHIP";
		xioctl(t, vm, KVM_CREATE_IRQCHIP, 0);
	}
	t->what = "KVM_CREATE_VCPU";
	vcpu = xioctl(t, vm, KVM_CREATE_VCPU, 0);
	if (vcpu >= 0) {
		if (rng_pct(r, 60)) {
			count(t);
			mmap(region(r), run_size, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_FIXED, vcpu, 0);
		}
#if defined(__x86_64__)
		{
			struct kvm_sregs *s = (void *)t->scratch;
			struct kvm_regs *g = (void *)(t->scratch + 4096);

			t->what = "KVM_GET_SREGS";
			if (!xioctl(t, vcpu, KVM_GET_SREGS, (uintptr_t)s)) {
				s->cs.base = 0;
				s->cs.selector = 0;
				t->what = "KVM_SET_SREGS";
				xioctl(t, vcpu, KVM_SET_SREGS, (uintptr_t)s);
			}
			memset(g, 0, sizeof(*g));
			g->rip = rng_below(r, 512);
			g->rflags = 2 | (rng_pct(r, 20) ? 0x100 : 0);
			g->rsp = 0x8000;
			t->what = "KVM_SET_REGS";
			xioctl(t, vcpu, KVM_SET_REGS, (uintptr_t)g);
		}
#endif
		n = 1 + rng_below(r, 4);
		for (int i = 0; i < n; i++)
			run_vcpu(t, vcpu);
	}
	/* Keep some for the other threads to race on. */
	if (rng_pct(r, 40)) {
		slot_put(r, vm, K_VM);
		slot_put(r, vcpu, K_VCPU);
	} else {
		if (vcpu >= 0)
			close(vcpu);
		close(vm);
		count(t);
	}
}

static const struct {
	void (*fn)(struct thr *t, struct rng *r);
	unsigned int weight;
	const char *name;
} ops[] = {
	{ op_open, 2, "open" },
	{ op_create_vm, 5, "create_vm" },
	{ op_create_vcpu, 6, "create_vcpu" },
	{ op_create_device, 2, "create_device" },
	{ op_close, 5, "close" },
	{ op_dup, 4, "dup" },
	{ NULL, 40, "ioctl" },		/* known numbers */
	{ NULL, 8, "ioctl-random" },
	{ op_map, 5, "map" },
	{ op_unmap, 4, "unmap" },
	{ op_touch, 6, "touch" },
	{ op_pool, 2, "pool" },
	{ op_run, 6, "run" },
	{ op_guest, 3, "guest" },
};

static void do_op(struct thr *t, uint64_t k)
{
	unsigned int total = 0, pick, i;
	struct rng r;

	rng_init(&r, t->seed, t->w.id, k);
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		total += ops[i].weight;
	pick = rng_below(&r, total);
	for (i = 0; pick >= ops[i].weight; i++)
		pick -= ops[i].weight;
	worker_begin(&t->w, k, ops[i].name);
	kick_arm(&t->kick, 50, 20);
	if (ops[i].fn)
		ops[i].fn(t, &r);
	else
		op_ioctl(t, &r, !strcmp(ops[i].name, "ioctl"));
	kick_disarm(&t->kick);
	worker_end(&t->w);
}

static void *worker_main(void *arg)
{
	struct thr *t = arg;

	worker_init(&t->w);
	kick_init(&t->kick);
	for (uint64_t k = 0; !t->max_ops || k < t->max_ops; k++) {
		if (now_ns() >= t->deadline)
			break;
		do_op(t, k);
	}
	atomic_store(&t->w.done, 1);
	return NULL;
}

static void *map_or_die(size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		out(1, "%s: mmap: %s\n", PROG, strerror(errno));
		exit(2);
	}
	return p;
}

static void usage(void)
{
	out(2, "usage: %s [-s seed] [-d seconds] [-t threads] [-n ops-per-thread] [-v]\n",
	    PROG);
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t seed = rng_mix(now_ns() ^ getpid()), total = 0, start;
	unsigned int nthreads = 4, seconds = 10, reports, hangs;
	unsigned long long max_ops = 0;
	struct rlimit rl = { 4096, 4096 };
	struct kreport kr;
	int opt;

	while ((opt = getopt(argc, argv, "s:d:t:n:v")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			seconds = strtoul(optarg, NULL, 0);
			break;
		case 't':
			nthreads = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			max_ops = strtoull(optarg, NULL, 0);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	if (!nthreads || nthreads > MAX_THREADS)
		usage();
	setrlimit(RLIMIT_NOFILE, &rl);
	setvbuf(stdout, NULL, _IONBF, 0);
	out(1, "%s: seed %#llx, %u threads, %u s%s (reproduce: %s -s %#llx -t %u -d %u)\n",
	    PROG, (unsigned long long)seed, nthreads, seconds,
	    max_ops ? ", op limit" : "", PROG, (unsigned long long)seed,
	    nthreads, seconds);

	fuzz_signals_init();
	for (int i = 0; i < NSLOTS; i++)
		atomic_store(&slots[i].fd, -1);
	regions = map_or_die(NREGIONS * REGION_SIZE, PROT_NONE, MAP_NORESERVE);
	pool = map_or_die(NPOOL * POOL_SIZE, PROT_READ | PROT_WRITE, 0);
	for (unsigned int i = 0; i < NPOOL; i++)
		memset(pool + i * POOL_SIZE, 0xf4, POOL_SIZE);	/* HLT */

	report_begin(&kr);
	{
		int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

		if (kvm < 0) {
			out(1, "%s: /dev/kvm: %s\n", PROG, strerror(errno));
			out(1, "fuzz: 0 ops, 0 reports\n");
			return 2;
		}
		run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
		if (run_size <= 0 || run_size > (long)REGION_SIZE)
			run_size = 3 * PAGE;
		close(kvm);
	}

	start = now_ns();
	for (unsigned int i = 0; i < nthreads; i++) {
		struct thr *t = &thr[i];
		uint8_t *s;

		t->w.id = i;
		t->seed = seed;
		t->max_ops = max_ops;
		t->deadline = start + seconds * 1000000000ULL;
		t->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		s = map_or_die(SCRATCH_SIZE + 4 * PAGE, PROT_READ | PROT_WRITE, 0);
		t->scratch = s;
		mprotect(s + SCRATCH_SIZE, PAGE, PROT_NONE);		/* guard */
		t->rdonly = s + SCRATCH_SIZE + PAGE;
		mprotect(t->rdonly, PAGE, PROT_READ);
		t->noaccess = s + SCRATCH_SIZE + 2 * PAGE;
		mprotect(t->noaccess, PAGE, PROT_NONE);
		t->stage = map_or_die(SCRATCH_SIZE, PROT_READ | PROT_WRITE, 0);
		if (pthread_create(&t->tid, NULL, worker_main, t)) {
			out(1, "%s: pthread_create failed\n", PROG);
			return 2;
		}
	}
	{
		struct worker *ws[MAX_THREADS];

		for (unsigned int i = 0; i < nthreads; i++)
			ws[i] = &thr[i].w;
		hangs = monitor_workers(ws, nthreads,
					start + (seconds + 90) * 1000000000ULL,
					HANG_MS, PROG, seed);
	}
	for (unsigned int i = 0; i < nthreads; i++) {
		total += atomic_load(&thr[i].w.ops);
		if (atomic_load(&thr[i].w.done))
			pthread_join(thr[i].tid, NULL);
	}
	if (!hangs) {
		/* Drop everything, so that kmemleak sees what was not freed. */
		for (int i = 0; i < NSLOTS; i++) {
			int fd = atomic_exchange(&slots[i].fd, -1);

			if (fd >= 0)
				close(fd);
		}
		munmap(regions, NREGIONS * REGION_SIZE);
		for (unsigned int i = 0; i < nthreads; i++)
			close(thr[i].kvm);
		sleep(1);
	}
	{
		char line[1024];
		size_t n = 0;

		n += snprintf(line, sizeof(line), "ioctl results: ok %llu",
			      (unsigned long long)atomic_load(&results[0]));
		for (int e = 1; e < NERR && n < sizeof(line) - 64; e++)
			if (atomic_load(&results[e]))
				n += snprintf(line + n, sizeof(line) - n, ", %s %llu",
					      strerrorname_np(e) ? strerrorname_np(e) : "other",
					      (unsigned long long)atomic_load(&results[e]));
		out(1, "%s: %s\n", PROG, line);
	}
	reports = report_end(&kr, PROG) + hangs;
	out(1, "%s: %llu ops in %llu ms, seed %#llx\n", PROG,
	    (unsigned long long)total,
	    (unsigned long long)((now_ns() - start) / 1000000),
	    (unsigned long long)seed);
	out(1, "fuzz: %llu ops, %u reports\n", (unsigned long long)total, reports);
	if (hangs)
		_exit(1);
	return reports ? 1 : 0;
}
