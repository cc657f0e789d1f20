// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock: the paravirtual clock. The VM's clock counts nanoseconds as
 * the host's boot time plus kvmclock_offset (zero when the VM is created,
 * moved by KVM_SET_CLOCK). A guest that writes the system-time MSR gets a
 * pvclock_vcpu_time_info in its memory: a (guest TSC, clock) pair and the
 * scale from TSC ticks to nanoseconds, rewritten before the next entry
 * whenever something asks for it (the MSR, KVM_SET_CLOCK, a new guest TSC
 * offset or rate, KVMCLOCK_CTRL). The wall-clock MSR writes once the
 * host's real time at clock zero.
 *
 * The host TSC counts as stable when it is invariant and the kernel has
 * not declared it unstable: then the structure carries
 * PVCLOCK_TSC_STABLE_BIT and KVM_GET_CLOCK reports the host TSC and real
 * time its value belongs to (stock ties both to its "master clock").
 */
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/pvclock-abi.h>
#include <asm/tsc.h>

#include "x86.h"

#define KVMCLOCK_MSR_WALL_OLD	0x11
#define KVMCLOCK_MSR_TIME_OLD	0x12
#define KVMCLOCK_MSR_WALL	0x4b564d00
#define KVMCLOCK_MSR_TIME	0x4b564d01
#define KVMCLOCK_ENABLE		1ULL

/* CPUID 0x40000001 EAX: CLOCKSOURCE, CLOCKSOURCE2, CLOCKSOURCE_STABLE_BIT. */
#define KVMCLOCK_FEATURES	(BIT(0) | BIT(3) | BIT(24))

#define KVMCLOCK_VALID_FLAGS	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
				 KVM_CLOCK_HOST_TSC)

const u32 nkvm_x86_kvmclock_msrs[4] = {
	KVMCLOCK_MSR_WALL_OLD, KVMCLOCK_MSR_TIME_OLD, KVMCLOCK_MSR_WALL,
	KVMCLOCK_MSR_TIME,
};

u32 nkvm_x86_kvm_features(void)
{
	return KVMCLOCK_FEATURES;
}

u32 nkvm_x86_clock_flags(void)
{
	return KVMCLOCK_VALID_FLAGS;
}

static bool kvmclock_tsc_stable(void)
{
	return boot_cpu_has(X86_FEATURE_CONSTANT_TSC) &&
	       boot_cpu_has(X86_FEATURE_NONSTOP_TSC) && !check_tsc_unstable();
}

/* The host TSC and boot time (and real time), read as one instant. */
static void kvmclock_now(u64 *tsc, u64 *boot_ns, u64 *real_ns)
{
	unsigned long flags;

	local_irq_save(flags);
	*tsc = rdtsc_ordered();
	*boot_ns = ktime_get_boottime_ns();
	if (real_ns)
		*real_ns = ktime_get_real_ns();
	local_irq_restore(flags);
}

void nkvm_x86_kvmclock_vm_init(struct nkvm_x86_vm *xvm)
{
	xvm->kvmclock_offset = -(s64)ktime_get_boottime_ns();
}

void nkvm_x86_kvmclock_reset(struct nkvm_x86_vcpu *xv)
{
	memset(&xv->clock, 0, sizeof(xv->clock));
}

static u64 kvmclock_ns(struct nkvm_x86_vm *xvm, u64 boot_ns)
{
	return boot_ns + READ_ONCE(xvm->kvmclock_offset);
}

/*
 * ns = ((ticks << shift) * mul) >> 32, shifting right for a negative
 * shift: mul lies in [2^31, 2^32) for precision.
 */
static void kvmclock_scale(u64 hz, s8 *shift, u32 *mul)
{
	u64 base = hz, scaled = NSEC_PER_SEC;
	int s = 0;

	while (base > 2 * scaled) {
		scaled <<= 1;
		s--;
	}
	while (base <= scaled) {
		base <<= 1;
		s++;
	}
	*shift = s;
	*mul = (u32)mul_u64_u64_div_u64(scaled, 1ULL << 32, base);
}

/*
 * Rewrite the vCPU's pvclock_vcpu_time_info: an odd version while the
 * fields change, then the next even one. A GUEST_STOPPED flag stays until
 * the guest clears it.
 */
void nkvm_x86_kvmclock_update(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_x86_vm *xvm = to_x86_vm(xv->vcpu.vm);
	struct pvclock_vcpu_time_info pv;
	u64 gpa, tsc, boot;
	u32 version;
	u8 stopped;

	/* Requests made from here on are for a later update. */
	if (!xchg(&xv->clock.update, false))
		return;
	if (!(xv->clock.msr & KVMCLOCK_ENABLE) || !xv->tsc_khz)
		return;
	gpa = xv->clock.msr & ~KVMCLOCK_ENABLE;
	if (nkvm_read_guest(&xvm->vm, gpa, &pv, sizeof(pv)))
		return;
	version = (pv.version + 1) | 1;
	stopped = pv.flags & PVCLOCK_GUEST_STOPPED;
	if (nkvm_write_guest(&xvm->vm, gpa, &version, sizeof(version)))
		return;
	/* The odd version is visible before any field changes. */
	smp_wmb();

	memset(&pv, 0, sizeof(pv));
	pv.version = version;
	kvmclock_now(&tsc, &boot, NULL);
	pv.tsc_timestamp = tsc + xv->tsc_offset;
	pv.system_time = kvmclock_ns(xvm, boot);
	kvmclock_scale(xv->tsc_khz * 1000ULL, &pv.tsc_shift,
		       &pv.tsc_to_system_mul);
	pv.flags = stopped;
	if (xv->clock.stop)
		pv.flags |= PVCLOCK_GUEST_STOPPED;
	xv->clock.stop = false;
	/* As stock: the old MSR's guests never see the stable bit. */
	if (kvmclock_tsc_stable() && !xv->clock.old_msr)
		pv.flags |= PVCLOCK_TSC_STABLE_BIT;
	if (nkvm_write_guest(&xvm->vm, gpa, &pv, sizeof(pv)))
		return;
	/* The fields are visible before the even version. */
	smp_wmb();
	version++;
	nkvm_write_guest(&xvm->vm, gpa, &version, sizeof(version));
}

/*
 * The wall clock at gpa: the host's real time when the VM's clock read
 * zero, under the same odd/even version protocol.
 */
static void kvmclock_write_wall(struct nkvm_x86_vm *xvm, u64 gpa)
{
	struct pvclock_wall_clock wc;
	u64 tsc, boot, real, epoch;
	u32 version;

	if (nkvm_read_guest(&xvm->vm, gpa, &version, sizeof(version)))
		return;
	version = (version + 1) | 1;
	if (nkvm_write_guest(&xvm->vm, gpa, &version, sizeof(version)))
		return;
	/* The odd version is visible before any field changes. */
	smp_wmb();
	kvmclock_now(&tsc, &boot, &real);
	epoch = real - kvmclock_ns(xvm, boot);
	wc.version = version;
	wc.nsec = do_div(epoch, NSEC_PER_SEC);
	wc.sec = (u32)epoch;
	if (nkvm_write_guest(&xvm->vm, gpa, &wc, sizeof(wc)))
		return;
	/* The fields are visible before the even version. */
	smp_wmb();
	version++;
	nkvm_write_guest(&xvm->vm, gpa, &version, sizeof(version));
}

bool nkvm_x86_is_kvmclock_msr(u32 index)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nkvm_x86_kvmclock_msrs); i++)
		if (nkvm_x86_kvmclock_msrs[i] == index)
			return true;
	return false;
}

int nkvm_x86_kvmclock_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data)
{
	switch (index) {
	case KVMCLOCK_MSR_WALL_OLD:
	case KVMCLOCK_MSR_WALL:
		*data = READ_ONCE(to_x86_vm(xv->vcpu.vm)->wall_clock);
		return 0;
	case KVMCLOCK_MSR_TIME_OLD:
	case KVMCLOCK_MSR_TIME:
		*data = xv->clock.msr;
		return 0;
	}
	return 1;
}

/* Any value is accepted, as stock: a bad address just writes nothing. */
int nkvm_x86_kvmclock_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 data,
			      bool host)
{
	struct nkvm_x86_vm *xvm = to_x86_vm(xv->vcpu.vm);

	switch (index) {
	case KVMCLOCK_MSR_WALL_OLD:
	case KVMCLOCK_MSR_WALL:
		WRITE_ONCE(xvm->wall_clock, data);
		kvmclock_write_wall(xvm, data);
		return 0;
	case KVMCLOCK_MSR_TIME_OLD:
	case KVMCLOCK_MSR_TIME:
		xv->clock.msr = data;
		if (!host)
			xv->clock.old_msr = index == KVMCLOCK_MSR_TIME_OLD;
		nkvm_x86_kvmclock_request(xv);
		return 0;
	}
	return 1;
}

/* KVM_KVMCLOCK_CTRL: tell the guest it was paused (its watchdogs). */
long nkvm_x86_kvmclock_ctrl(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	if (!(xv->clock.msr & KVMCLOCK_ENABLE))
		return -EINVAL;
	xv->clock.stop = true;
	nkvm_x86_kvmclock_request(xv);
	return 0;
}

static long kvmclock_get(struct nkvm_x86_vm *xvm, void __user *argp)
{
	struct kvm_clock_data data;
	u64 tsc, boot, real;

	memset(&data, 0, sizeof(data));
	kvmclock_now(&tsc, &boot, &real);
	data.clock = kvmclock_ns(xvm, boot);
	if (kvmclock_tsc_stable()) {
		data.flags = KVMCLOCK_VALID_FLAGS;
		data.realtime = real;
		data.host_tsc = tsc;
	}
	return copy_to_user(argp, &data, sizeof(data)) ? -EFAULT : 0;
}

/*
 * KVM_SET_CLOCK: only KVM_CLOCK_REALTIME has a meaning (the time that
 * passed since data.realtime is added, never taken away); the other
 * flags KVM_GET_CLOCK reports are accepted and ignored, as stock.
 */
static long kvmclock_set(struct nkvm_x86_vm *xvm, void __user *argp)
{
	struct kvm_clock_data data;
	struct nkvm_vcpu *vcpu;
	u64 tsc, boot, real;
	unsigned long i;

	if (copy_from_user(&data, argp, sizeof(data)))
		return -EFAULT;
	if (data.flags & ~KVMCLOCK_VALID_FLAGS)
		return -EINVAL;
	kvmclock_now(&tsc, &boot, &real);
	if ((data.flags & KVM_CLOCK_REALTIME) && real > data.realtime)
		data.clock += real - data.realtime;
	WRITE_ONCE(xvm->kvmclock_offset, data.clock - boot);
	xa_for_each(&xvm->vm.vcpus, i, vcpu)
		nkvm_x86_kvmclock_request(to_x86_vcpu(vcpu));
	return 0;
}

long nkvm_x86_clock_ioctl(struct nkvm_x86_vm *xvm, unsigned int ioctl,
			  unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_CLOCK:
		return kvmclock_get(xvm, (void __user *)arg);
	case KVM_SET_CLOCK:
		return kvmclock_set(xvm, (void __user *)arg);
	}
	return -ENOIOCTLCMD;
}
