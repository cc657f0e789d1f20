// SPDX-License-Identifier: GPL-2.0
/*
 * The i8254 PIT (KVM_CREATE_PIT2): three counters on ports 0x40-0x42 and
 * the control word on 0x43, with KVM_PIT_SPEAKER_DUMMY port 0x61 too (the
 * speaker data bit and the gate of counter 2). The counters are not
 * stepped: a counter's value follows from the host's monotonic time since
 * its count was loaded, at 1193182 Hz. The state is what
 * KVM_GET/SET_PIT(2) carry, in struct kvm_pit_channel_state.
 *
 * Counter 0 drives IRQ 0: with an in-kernel irqchip (and no HPET legacy
 * mode) an hrtimer expires when its output rises, once in modes 0, 1 and
 * 4, every period in modes 2 and 3. A work item raises and lowers GSI 0.
 * With reinjection (the default) every expiry is owed to the guest: an
 * edge the interrupt controller coalesces (the previous one not yet
 * acknowledged) stays owed and is raised again on a later expiry.
 *
 * Deliberate difference: stock's counter 0 reads as frozen at its initial
 * count while no timer runs (no in-kernel IOAPIC); ours counts.
 */
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <nkvm/iobus.h>

#include "irqchip.h"

#define PIT_FREQ		1193182
#define PIT_BASE		0x40
#define PIT_PORTS		4
#define PIT_SPEAKER_PORT	0x61
/* As stock: the shortest period a periodic counter 0 may have. */
#define PIT_MIN_PERIOD_NS	200000LL

/* Access states of a counter (rw_mode, read_state, write_state). */
enum { RW_LSB = 1, RW_MSB, RW_WORD0, RW_WORD1 };

struct nkvm_pit {
	struct nkvm_x86_vm *xvm;		/* (c) */
	struct nkvm_io_device dev;		/* (c) ports 0x40-0x43 */
	struct nkvm_io_device speaker;		/* (c) port 0x61 */
	struct mutex lock;			/* the fields below */
	struct kvm_pit_channel_state ch[3];
	u32 flags;				/* KVM_PIT_FLAGS_* */
	/* Counter 0's timer: period and kind written while it is stopped. */
	struct hrtimer timer;
	s64 period;
	bool periodic;
	bool reinject;				/* (a) */
	atomic_t pending;			/* expiries owed under reinject */
	struct work_struct expired;
};

static u32 pit_mod(u64 d, u32 n)
{
	u32 rem;

	div_u64_rem(d, n, &rem);
	return rem;
}

static s64 pit_elapsed(struct kvm_pit_channel_state *c)
{
	s64 ns = ktime_get_ns() - c->count_load_time;

	return ns > 0 ? ns : 0;
}

/* Input clock ticks since the count was loaded. */
static u64 pit_ticks(struct kvm_pit_channel_state *c)
{
	return mul_u64_u32_div(pit_elapsed(c), PIT_FREQ, NSEC_PER_SEC);
}

static u32 pit_count(struct kvm_pit_channel_state *c)
{
	u64 d = pit_ticks(c);
	u32 n = c->count ? c->count : 0x10000;

	switch (c->mode) {
	case 0:
	case 1:
	case 4:
	case 5:
		/* Counts on through zero. */
		return (n - d) & 0xffff;
	case 3:
		/* Square wave: counts down by two. */
		return n - pit_mod(2 * d, n);
	default:
		return n - pit_mod(d, n);
	}
}

static int pit_out(struct kvm_pit_channel_state *c)
{
	u64 d = pit_ticks(c);
	u32 n = c->count ? c->count : 0x10000;

	switch (c->mode) {
	case 1:
		return d < n;
	case 2:
		return d && !pit_mod(d, n);
	case 3:
		return pit_mod(d, n) < (n + 1) / 2;
	case 4:
	case 5:
		return d == n;
	default:
		return d >= n;
	}
}

static void pit_stop_timer(struct nkvm_pit *pit)
{
	hrtimer_cancel(&pit->timer);
	cancel_work_sync(&pit->expired);
	pit->period = 0;
}

/* Counter 0 got a new count: (re)start the timer that raises IRQ 0. */
static void pit_start_timer(struct nkvm_pit *pit, u32 count)
{
	struct kvm_pit_channel_state *c = &pit->ch[0];

	pit_stop_timer(pit);
	if (!nkvm_x86_has_irqchip(pit->xvm) ||
	    (pit->flags & KVM_PIT_FLAGS_HPET_LEGACY))
		return;
	switch (c->mode) {
	case 0:
	case 1:
	case 4:
		pit->periodic = false;
		break;
	case 2:
	case 3:
		pit->periodic = true;
		break;
	default:
		return;
	}
	pit->period = mul_u64_u32_div(count, NSEC_PER_SEC, PIT_FREQ);
	if (pit->periodic && pit->period < PIT_MIN_PERIOD_NS)
		pit->period = PIT_MIN_PERIOD_NS;
	atomic_set(&pit->pending, 0);
	hrtimer_start(&pit->timer, ns_to_ktime(c->count_load_time + pit->period),
		      HRTIMER_MODE_ABS);
}

/* Load count (0 meaning 0x10000) into a counter; it starts counting now. */
static void pit_load(struct nkvm_pit *pit, int i, u32 count)
{
	struct kvm_pit_channel_state *c = &pit->ch[i];

	if (!count)
		count = 0x10000;
	c->count = count;
	c->count_load_time = ktime_get_ns();
	if (i == 0)
		pit_start_timer(pit, count);
}

static enum hrtimer_restart pit_timer_fn(struct hrtimer *t)
{
	struct nkvm_pit *pit = container_of(t, struct nkvm_pit, timer);

	if (READ_ONCE(pit->reinject))
		atomic_inc(&pit->pending);
	schedule_work(&pit->expired);
	if (!pit->periodic)
		return HRTIMER_NORESTART;
	hrtimer_add_expires_ns(t, pit->period);
	return HRTIMER_RESTART;
}

static void pit_expired(struct work_struct *work)
{
	struct nkvm_pit *pit = container_of(work, struct nkvm_pit, expired);
	bool reinject = READ_ONCE(pit->reinject);
	int r;

	if (reinject && atomic_read(&pit->pending) <= 0)
		return;
	r = nkvm_x86_set_irq(pit->xvm, 0, 1);
	nkvm_x86_set_irq(pit->xvm, 0, 0);
	if (reinject && r > 0)
		atomic_dec_if_positive(&pit->pending);
}

static void pit_latch_count(struct kvm_pit_channel_state *c)
{
	if (c->count_latched)
		return;
	c->latched_count = pit_count(c);
	c->count_latched = c->rw_mode;
}

static void pit_latch_status(struct kvm_pit_channel_state *c)
{
	if (c->status_latched)
		return;
	/* Output, access, mode, BCD; NULL COUNT is never reported. */
	c->status = (pit_out(c) << 7) | (c->rw_mode << 4) | (c->mode << 1) |
		    c->bcd;
	c->status_latched = 1;
}

static void pit_control(struct nkvm_pit *pit, u8 val)
{
	struct kvm_pit_channel_state *c;
	unsigned int i, sel = val >> 6;
	u8 access = (val >> 4) & 3;

	if (sel == 3) {
		/* Read-back: bits 1-3 select counters; 5 count, 4 status. */
		for (i = 0; i < 3; i++) {
			if (!(val & (2 << i)))
				continue;
			if (!(val & 0x20))
				pit_latch_count(&pit->ch[i]);
			if (!(val & 0x10))
				pit_latch_status(&pit->ch[i]);
		}
		return;
	}
	c = &pit->ch[sel];
	if (!access) {
		pit_latch_count(c);
		return;
	}
	c->rw_mode = access;
	c->read_state = access;
	c->write_state = access;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;		/* 6 and 7 are modes 2 and 3 */
	c->bcd = val & 1;
}

static void pit_write_count(struct nkvm_pit *pit, int i, u8 val)
{
	struct kvm_pit_channel_state *c = &pit->ch[i];

	switch (c->write_state) {
	case RW_MSB:
		pit_load(pit, i, val << 8);
		break;
	case RW_WORD0:
		c->write_latch = val;
		c->write_state = RW_WORD1;
		break;
	case RW_WORD1:
		pit_load(pit, i, c->write_latch | (val << 8));
		c->write_state = RW_WORD0;
		break;
	default:
		pit_load(pit, i, val);
		break;
	}
}

static u8 pit_read_count(struct kvm_pit_channel_state *c)
{
	u8 ret;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->count_latched) {
		switch (c->count_latched) {
		case RW_MSB:
			ret = c->latched_count >> 8;
			c->count_latched = 0;
			break;
		case RW_WORD0:
			ret = c->latched_count & 0xff;
			c->count_latched = RW_MSB;
			break;
		default:
			ret = c->latched_count & 0xff;
			c->count_latched = 0;
			break;
		}
		return ret;
	}
	switch (c->read_state) {
	case RW_MSB:
		return pit_count(c) >> 8;
	case RW_WORD0:
		c->read_state = RW_WORD1;
		return pit_count(c) & 0xff;
	case RW_WORD1:
		c->read_state = RW_WORD0;
		return pit_count(c) >> 8;
	default:
		return pit_count(c) & 0xff;
	}
}

static int pit_write(struct nkvm_io_device *dev, struct nkvm_vcpu *vcpu,
		     u64 addr, unsigned int len, const void *val)
{
	struct nkvm_pit *pit = container_of(dev, struct nkvm_pit, dev);
	u8 v = *(const u8 *)val;
	unsigned int port = addr - PIT_BASE;

	if (addr < PIT_BASE || port >= PIT_PORTS)
		return -EOPNOTSUPP;
	mutex_lock(&pit->lock);
	if (port == 3)
		pit_control(pit, v);
	else
		pit_write_count(pit, port, v);
	mutex_unlock(&pit->lock);
	return 0;
}

static int pit_read(struct nkvm_io_device *dev, struct nkvm_vcpu *vcpu,
		    u64 addr, unsigned int len, void *val)
{
	struct nkvm_pit *pit = container_of(dev, struct nkvm_pit, dev);
	unsigned int port = addr - PIT_BASE;

	if (addr < PIT_BASE || port >= PIT_PORTS)
		return -EOPNOTSUPP;
	memset(val, 0, len);
	if (port == 3)
		return 0;	/* the control word cannot be read */
	mutex_lock(&pit->lock);
	*(u8 *)val = pit_read_count(&pit->ch[port]);
	mutex_unlock(&pit->lock);
	return 0;
}

/* Counter 2's gate; a rising edge restarts counting in modes 1, 2, 3, 5. */
static void pit_set_gate(struct kvm_pit_channel_state *c, u8 gate)
{
	switch (c->mode) {
	case 1:
	case 2:
	case 3:
	case 5:
		if (c->gate < gate)
			c->count_load_time = ktime_get_ns();
		break;
	}
	c->gate = gate;
}

/* Port 0x61: bit 0 gate 2, bit 1 speaker data, 4 refresh toggle, 5 out 2. */
static int speaker_write(struct nkvm_io_device *dev, struct nkvm_vcpu *vcpu,
			 u64 addr, unsigned int len, const void *val)
{
	struct nkvm_pit *pit = container_of(dev, struct nkvm_pit, speaker);
	u8 v = *(const u8 *)val;

	if (addr != PIT_SPEAKER_PORT)
		return -EOPNOTSUPP;
	mutex_lock(&pit->lock);
	if (v & 2)
		pit->flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	else
		pit->flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	pit_set_gate(&pit->ch[2], v & 1);
	mutex_unlock(&pit->lock);
	return 0;
}

static int speaker_read(struct nkvm_io_device *dev, struct nkvm_vcpu *vcpu,
			u64 addr, unsigned int len, void *val)
{
	struct nkvm_pit *pit = container_of(dev, struct nkvm_pit, speaker);
	u8 refresh = (ktime_get_ns() >> 14) & 1;
	u8 v;

	if (addr != PIT_SPEAKER_PORT)
		return -EOPNOTSUPP;
	mutex_lock(&pit->lock);
	v = (!!(pit->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON) << 1) |
	    (pit->ch[2].gate & 1) | (pit_out(&pit->ch[2]) << 5) |
	    (refresh << 4);
	mutex_unlock(&pit->lock);
	memset(val, 0, len);
	*(u8 *)val = v;
	return 0;
}

static const struct nkvm_io_device_ops pit_ops = {
	.read = pit_read,
	.write = pit_write,
};

static const struct nkvm_io_device_ops speaker_ops = {
	.read = speaker_read,
	.write = speaker_write,
};

/* As stock after creation: no mode (0xff), count 0x10000, gate 2 low. */
static void pit_reset(struct nkvm_pit *pit)
{
	int i;

	pit->flags = 0;
	for (i = 0; i < 3; i++) {
		memset(&pit->ch[i], 0, sizeof(pit->ch[i]));
		pit->ch[i].mode = 0xff;
		pit->ch[i].gate = i != 2;
		pit_load(pit, i, 0);
	}
}

static struct nkvm_pit *pit_get(struct nkvm_x86_vm *xvm)
{
	/* Pairs with the release in pit_create(). */
	return smp_load_acquire(&xvm->pit);
}

static long pit_create(struct nkvm_x86_vm *xvm, u32 flags)
{
	struct nkvm_vm *vm = &xvm->vm;
	struct nkvm_pit *pit;
	long r;

	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (xvm->pit)
		goto out;
	r = -ENOMEM;
	pit = kzalloc(sizeof(*pit), GFP_KERNEL_ACCOUNT);
	if (!pit)
		goto out;
	pit->xvm = xvm;
	mutex_init(&pit->lock);
	hrtimer_init(&pit->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	pit->timer.function = pit_timer_fn;
	INIT_WORK(&pit->expired, pit_expired);
	pit->reinject = true;
	pit->dev.ops = &pit_ops;
	pit->speaker.ops = &speaker_ops;
	mutex_lock(&pit->lock);
	pit_reset(pit);
	mutex_unlock(&pit->lock);

	mutex_lock(&vm->slots_lock);
	r = nkvm_io_bus_register(vm, NKVM_PIO_BUS, PIT_BASE, PIT_PORTS,
				 &pit->dev);
	if (!r && (flags & KVM_PIT_SPEAKER_DUMMY)) {
		r = nkvm_io_bus_register(vm, NKVM_PIO_BUS, PIT_SPEAKER_PORT, 1,
					 &pit->speaker);
		if (r)
			nkvm_io_bus_unregister(vm, NKVM_PIO_BUS, &pit->dev);
	}
	mutex_unlock(&vm->slots_lock);
	if (r) {
		pit_stop_timer(pit);
		kfree(pit);
		goto out;
	}
	/* Complete before the ioctls see it (pit_get()). */
	smp_store_release(&xvm->pit, pit);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/* VM teardown: the vCPUs are gone; before the irqchip goes. */
void nkvm_x86_pit_destroy(struct nkvm_x86_vm *xvm)
{
	struct nkvm_pit *pit = xvm->pit;

	if (!pit)
		return;
	pit_stop_timer(pit);
	kfree(pit);
	xvm->pit = NULL;
}

static long pit_get_state(struct nkvm_pit *pit, void __user *argp, bool v2)
{
	struct kvm_pit_state2 ps;

	memset(&ps, 0, sizeof(ps));
	mutex_lock(&pit->lock);
	memcpy(ps.channels, pit->ch, sizeof(ps.channels));
	ps.flags = pit->flags;
	mutex_unlock(&pit->lock);
	if (copy_to_user(argp, &ps, v2 ? sizeof(ps) :
			 sizeof(struct kvm_pit_state)))
		return -EFAULT;
	return 0;
}

/*
 * As stock: the state is taken as given (no check), and every counter
 * starts counting its count from now.
 */
static long pit_set_state(struct nkvm_pit *pit, void __user *argp, bool v2)
{
	struct kvm_pit_state2 ps;
	int i;

	if (copy_from_user(&ps, argp, v2 ? sizeof(ps) :
			   sizeof(struct kvm_pit_state)))
		return -EFAULT;
	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	memcpy(pit->ch, ps.channels, sizeof(pit->ch));
	if (v2)
		pit->flags = ps.flags;
	for (i = 0; i < 3; i++)
		pit_load(pit, i, pit->ch[i].count);
	mutex_unlock(&pit->lock);
	return 0;
}

static long pit_reinject(struct nkvm_pit *pit, void __user *argp)
{
	struct kvm_reinject_control rc;

	if (copy_from_user(&rc, argp, sizeof(rc)))
		return -EFAULT;
	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	WRITE_ONCE(pit->reinject, !!rc.pit_reinject);
	atomic_set(&pit->pending, 0);
	mutex_unlock(&pit->lock);
	return 0;
}

/* The PIT's VM ioctls; -ENOIOCTLCMD for the others. */
long nkvm_x86_pit_ioctl(struct nkvm_x86_vm *xvm, unsigned int ioctl,
			unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	struct kvm_pit_config cfg;
	struct kvm_pit_state2 ps;
	struct nkvm_pit *pit = pit_get(xvm);

	switch (ioctl) {
	case KVM_CREATE_PIT:
		return pit_create(xvm, KVM_PIT_SPEAKER_DUMMY);
	case KVM_CREATE_PIT2:
		if (copy_from_user(&cfg, argp, sizeof(cfg)))
			return -EFAULT;
		return pit_create(xvm, cfg.flags);
	case KVM_GET_PIT2:
		return pit ? pit_get_state(pit, argp, true) : -ENXIO;
	/* As stock, these read their argument before looking for the PIT. */
	case KVM_GET_PIT:
		if (copy_from_user(&ps, argp, sizeof(struct kvm_pit_state)))
			return -EFAULT;
		return pit ? pit_get_state(pit, argp, false) : -ENXIO;
	case KVM_SET_PIT:
		return pit_set_state(pit, argp, false);
	case KVM_SET_PIT2:
		return pit_set_state(pit, argp, true);
	case KVM_REINJECT_CONTROL:
		return pit_reinject(pit, argp);
	}
	return -ENOIOCTLCMD;
}
