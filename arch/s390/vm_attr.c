// SPDX-License-Identifier: GPL-2.0
/*
 * s390 VM attributes: KVM_SET/GET/HAS_DEVICE_ATTR on the VM fd, the groups
 * of the API's devices/vm document (memory control, the CPU model) and the
 * TOD clock. None of it needs SIE: the attributes are the VM's
 * configuration, which its vCPUs are to be set up from.
 *
 * Each group is a table of attributes; an attribute has a get and a set
 * handler (NULL: that direction does not exist) and may depend on the host
 * (offered). An unknown group or attribute, a missing direction and an
 * attribute the host does not offer all answer ENXIO, as stock; HAS answers
 * 0 exactly for what GET or SET would accept.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpu.h>
#include <asm/css_chars.h>
#include <asm/facility.h>
#include <asm/pgtable.h>
#include <asm/sclp.h>
#include <asm/setup.h>
#include <asm/timex.h>

#include "s390.h"

/* One attribute: the handlers get the user address of its value. */
struct s390_attr {
	u64 attr;
	int (*get)(struct nkvm_s390_vm *svm, void __user *uaddr);
	int (*set)(struct nkvm_s390_vm *svm, void __user *uaddr);
	bool (*offered)(void);		/* by this host; NULL: always */
};

/* ---- facilities ---- */

/*
 * The facilities a guest may have, as the kernel we build against defines
 * them for its KVM (asm/facility-defs.h): FACILITIES_KVM are in a new VM's
 * CPU model when the host has them, FACILITIES_KVM_CPUMODEL may be added
 * by userspace's CPU model. The SIE backend is built to this set.
 */
static const u64 s390_fac_default[] = { FACILITIES_KVM };
static const u64 s390_fac_optional[] = { FACILITIES_KVM_CPUMODEL };

/* Facilities the hypervisor provides whatever the host has. */
#define S390_FAC_STHYI		74	/* emulated */
#define S390_FAC_CZAM		138	/* the guest is never in ESA/390 mode */
#define S390_FAC_TLB_GUEST	147	/* when the host can purge guest TLBs */
#define S390_FAC_AIS		65	/* adapter-interruption suppression */
#define S390_FAC_MULTI_EPOCH	139	/* the TOD clock's epoch index */

static u64 s390_fac_word(const u64 *list, size_t n, unsigned int i)
{
	return i < n ? list[i] : 0;
}

/*
 * The facilities the machine does not leave to the hypervisor reach a
 * guest without it. The SCLP's hmfai holds 2 bits per doubleword of the
 * list (the first doubleword in the top bits): 0-3 of its last three
 * 16-bit quarters are hypervisor-managed, counted from the left.
 */
static u64 s390_fac_unmanaged(unsigned int i)
{
	unsigned int managed = (sclp.hmfai >> (30 - 2 * i)) & 3;

	return managed == 3 ? 0 : GENMASK_ULL(47 - 16 * managed, 0);
}

/*
 * The host's facilities a guest may have: the default ones, and with
 * optional the ones userspace may add; those the hypervisor provides
 * whatever the host has come on top.
 */
static void s390_fac_offer(u64 *list, bool optional)
{
	unsigned int i;
	u64 allowed;

	for (i = 0; i < S390_FAC_WORDS; i++) {
		allowed = s390_fac_word(s390_fac_default,
					ARRAY_SIZE(s390_fac_default), i) |
			  s390_fac_unmanaged(i);
		if (optional)
			allowed |= s390_fac_word(s390_fac_optional,
						 ARRAY_SIZE(s390_fac_optional),
						 i);
		list[i] = stfle_fac_list[i] & allowed;
	}
	__set_facility(S390_FAC_STHYI, list);
	__set_facility(S390_FAC_CZAM, list);
	if (MACHINE_HAS_TLB_GUEST)
		__set_facility(S390_FAC_TLB_GUEST, list);
}

/* The facilities a guest of this host can be given: the facility mask. */
static void s390_fac_mask(u64 *mask)
{
	s390_fac_offer(mask, true);
	if (css_general_characteristics.aiv && test_facility(S390_FAC_AIS))
		__set_facility(S390_FAC_AIS, mask);
}

/* The VM's CPU model has facility nr (in the mask and the list). */
bool s390_vm_has_facility(struct nkvm_s390_vm *svm, unsigned int nr)
{
	u64 mask[S390_FAC_WORDS] = {};

	lockdep_assert_held(&svm->vm.lock);
	s390_fac_mask(mask);
	return __test_facility(nr, mask) &&
	       __test_facility(nr, svm->model.fac_list);
}

/* ---- KVM_S390_VM_MEM_CTRL ---- */

static bool s390_has_cmma(void)
{
	return sclp.has_cmma;
}

static int s390_enable_cmma(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	int r = 0;

	/*
	 * Stock also refuses (EINVAL) when the process backs guests with
	 * 1 MiB pages (KVM_CAP_S390_HPAGE_1M), which nkvm does not offer.
	 */
	mutex_lock(&svm->vm.lock);
	if (svm->vm.created_vcpus)
		r = -EBUSY;
	else
		svm->use_cmma = true;
	mutex_unlock(&svm->vm.lock);
	return r;
}

static int s390_clear_cmma(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	struct mm_struct *mm = svm->vm.mm;
	int r = 0;

	mutex_lock(&svm->vm.lock);
	if (!svm->use_cmma)
		r = -EINVAL;
	else if (mm_has_pgste(mm))
		/*
		 * The usage states live in the page-table extensions of the
		 * VM's process (current's: the core checked the owner).
		 * Without them no state was ever set.
		 */
		s390_reset_cmma(mm);
	mutex_unlock(&svm->vm.lock);
	return r;
}

static int s390_get_mem_limit(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	u64 limit;

	mutex_lock(&svm->vm.lock);
	limit = svm->mem_limit;
	mutex_unlock(&svm->vm.lock);
	return put_user(limit, (u64 __user *)uaddr);
}

/*
 * The guest memory a limit asks for, as the guest page tables cover it: a
 * segment table maps 2 GiB, a region-third table 4 TiB, a region-second
 * table 8 PiB, a region-first table everything (U64_MAX here).
 */
static u64 s390_mem_limit_round(u64 limit)
{
	u64 last = limit - 1;

	if (last < _REGION3_SIZE)
		return _REGION3_SIZE;
	if (last < _REGION2_SIZE)
		return _REGION2_SIZE;
	if (last < _REGION1_SIZE)
		return _REGION1_SIZE;
	return U64_MAX;
}

static int s390_set_mem_limit(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	u64 limit;
	int r = 0;

	/* The EINVAL for user-controlled VMs cannot arise: nkvm has none. */
	if (get_user(limit, (u64 __user *)uaddr))
		return -EFAULT;
	if (limit > svm->max_mem_limit)
		return -E2BIG;
	if (!limit)
		return -EINVAL;

	mutex_lock(&svm->vm.lock);
	if (svm->vm.created_vcpus) {
		r = -EBUSY;
	} else {
		/* prepare_memslot reads it under slots_lock. */
		mutex_lock(&svm->vm.slots_lock);
		svm->mem_limit = min(s390_mem_limit_round(limit),
				     svm->max_mem_limit);
		mutex_unlock(&svm->vm.slots_lock);
	}
	mutex_unlock(&svm->vm.lock);
	return r;
}

static const struct s390_attr s390_mem_attrs[] = {
	{ KVM_S390_VM_MEM_ENABLE_CMMA, NULL, s390_enable_cmma, s390_has_cmma },
	{ KVM_S390_VM_MEM_CLR_CMMA, NULL, s390_clear_cmma, s390_has_cmma },
	{ KVM_S390_VM_MEM_LIMIT_SIZE, s390_get_mem_limit, s390_set_mem_limit },
};

/* ---- KVM_S390_VM_TOD ---- */

#define S390_TOD_BITS		72	/* epoch index and bits 0-63 */
#define S390_TOD_MASK		(((__uint128_t)1 << S390_TOD_BITS) - 1)

/* The host's TOD clock since boot, modulo 2^72. Preemption off. */
static __uint128_t s390_host_tod(void)
{
	__uint128_t now, base;
	union tod_clock clk;

	store_tod_clock_ext(&clk);
	now = clk.eitod;
	base = tod_clock_base.eitod;
	return (now - base) & S390_TOD_MASK;
}

/* The guest's clock now, modulo 2^72. */
static __uint128_t s390_tod_now(struct nkvm_s390_vm *svm)
{
	__uint128_t tod;

	spin_lock(&svm->tod_lock);
	tod = (s390_host_tod() + svm->tod_offset) & S390_TOD_MASK;
	spin_unlock(&svm->tod_lock);
	return tod;
}

/* As GET shows it; vm->lock held (the model decides about the index). */
static void s390_tod_read(struct nkvm_s390_vm *svm,
			  struct kvm_s390_vm_tod_clock *gtod)
{
	__uint128_t tod = s390_tod_now(svm);

	gtod->tod = (u64)tod;
	/* Without the multiple-epoch facility the index reads as 0. */
	gtod->epoch_idx = s390_vm_has_facility(svm, S390_FAC_MULTI_EPOCH) ?
			  (u8)(tod >> 64) : 0;
}

/* Set the guest's clock: every vCPU sees it from its next SIE entry. */
void s390_set_guest_tod(struct nkvm_s390_vm *svm,
			const struct kvm_s390_vm_tod_clock *gtod)
{
	__uint128_t want = ((__uint128_t)gtod->epoch_idx << 64) | gtod->tod;

	spin_lock(&svm->tod_lock);
	svm->tod_offset = (want - s390_host_tod()) & S390_TOD_MASK;
	spin_unlock(&svm->tod_lock);
}

/*
 * The state description's epoch (and epoch index): what SIE adds to the
 * host's TOD clock, whose value since boot is the clock minus
 * tod_clock_base. Computed at each entry, so that a clock steered by the
 * host (tod_clock_base moves with it) needs no notifier.
 */
void s390_epoch(struct nkvm_s390_vm *svm, u64 *epoch, u8 *epdx)
{
	__uint128_t e;

	spin_lock(&svm->tod_lock);
	e = (svm->tod_offset - tod_clock_base.eitod) & S390_TOD_MASK;
	spin_unlock(&svm->tod_lock);
	*epoch = (u64)e;
	*epdx = (u8)(e >> 64);
}

static int s390_get_tod_ext(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	struct kvm_s390_vm_tod_clock gtod;

	memset(&gtod, 0, sizeof(gtod));
	mutex_lock(&svm->vm.lock);
	s390_tod_read(svm, &gtod);
	mutex_unlock(&svm->vm.lock);
	return copy_to_user(uaddr, &gtod, sizeof(gtod)) ? -EFAULT : 0;
}

static int s390_set_tod_ext(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	struct kvm_s390_vm_tod_clock gtod;
	int r = 0;

	if (copy_from_user(&gtod, uaddr, sizeof(gtod)))
		return -EFAULT;
	mutex_lock(&svm->vm.lock);
	if (gtod.epoch_idx &&
	    !s390_vm_has_facility(svm, S390_FAC_MULTI_EPOCH))
		r = -EINVAL;
	else
		s390_set_guest_tod(svm, &gtod);
	mutex_unlock(&svm->vm.lock);
	return r;
}

/* The old one-byte extension: always 0, as stock. */
static int s390_get_tod_high(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	return put_user((u8)0, (u8 __user *)uaddr);
}

static int s390_set_tod_high(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	u8 high;

	if (get_user(high, (u8 __user *)uaddr))
		return -EFAULT;
	return high ? -EINVAL : 0;
}

static int s390_get_tod_low(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	struct kvm_s390_vm_tod_clock gtod;

	mutex_lock(&svm->vm.lock);
	s390_tod_read(svm, &gtod);
	mutex_unlock(&svm->vm.lock);
	return put_user(gtod.tod, (u64 __user *)uaddr);
}

/* Bits 0-63; the epoch index becomes 0, as stock. */
static int s390_set_tod_low(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	struct kvm_s390_vm_tod_clock gtod = {};

	if (get_user(gtod.tod, (u64 __user *)uaddr))
		return -EFAULT;
	s390_set_guest_tod(svm, &gtod);
	return 0;
}

static const struct s390_attr s390_tod_attrs[] = {
	{ KVM_S390_VM_TOD_LOW, s390_get_tod_low, s390_set_tod_low },
	{ KVM_S390_VM_TOD_HIGH, s390_get_tod_high, s390_set_tod_high },
	{ KVM_S390_VM_TOD_EXT, s390_get_tod_ext, s390_set_tod_ext },
};

/* ---- KVM_S390_VM_CPU_MODEL ---- */

static u64 s390_host_cpuid(void)
{
	union {
		struct cpuid id;
		u64 raw;
	} cpu;

	get_cpu_id(&cpu.id);
	return cpu.raw;
}

/* Copy a structure built for GET out to userspace and free it. */
static int s390_copy_out(void __user *uaddr, void *buf, size_t len)
{
	int r = copy_to_user(uaddr, buf, len) ? -EFAULT : 0;

	kfree(buf);
	return r;
}

static int s390_get_machine(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	struct kvm_s390_vm_cpu_machine *mach;

	mach = kzalloc(sizeof(*mach), GFP_KERNEL_ACCOUNT);
	if (!mach)
		return -ENOMEM;
	mach->cpuid = s390_host_cpuid();
	mach->ibc = sclp.ibc;
	s390_fac_mask(mach->fac_mask);
	memcpy(mach->fac_list, stfle_fac_list, sizeof(stfle_fac_list));
	return s390_copy_out(uaddr, mach, sizeof(*mach));
}

static int s390_get_processor(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	struct kvm_s390_vm_cpu_processor *proc;

	BUILD_BUG_ON(sizeof(proc->fac_list) != sizeof(svm->model.fac_list));
	proc = kzalloc(sizeof(*proc), GFP_KERNEL_ACCOUNT);
	if (!proc)
		return -ENOMEM;
	mutex_lock(&svm->vm.lock);
	proc->cpuid = svm->model.cpuid;
	proc->ibc = svm->model.ibc;
	memcpy(proc->fac_list, svm->model.fac_list, sizeof(proc->fac_list));
	mutex_unlock(&svm->vm.lock);
	return s390_copy_out(uaddr, proc, sizeof(*proc));
}

/*
 * The IBC userspace asks for, within the range the host offers (SCLP: the
 * lowest level in bits 27-16, the newest in bits 11-0). 0, or a host
 * without IBC, keeps the current one.
 */
static u16 s390_ibc(u16 cur, u16 want)
{
	u16 lowest = (sclp.ibc >> 16) & 0xfff, newest = sclp.ibc & 0xfff;

	if (!lowest || !want)
		return cur;
	if (want > newest)
		return newest;
	return max(want, lowest);
}

static int s390_set_processor(struct nkvm_s390_vm *svm, void __user *uaddr)
{
	struct kvm_s390_vm_cpu_processor *proc;
	int r = 0;

	proc = kmalloc(sizeof(*proc), GFP_KERNEL_ACCOUNT);
	if (!proc)
		return -ENOMEM;
	/* As stock: the whole model is refused once a vCPU exists. */
	mutex_lock(&svm->vm.lock);
	if (svm->vm.created_vcpus) {
		r = -EBUSY;
	} else if (copy_from_user(proc, uaddr, sizeof(*proc))) {
		r = -EFAULT;
	} else {
		/* Not checked against the machine: the API leaves it to us. */
		svm->model.cpuid = proc->cpuid;
		svm->model.ibc = s390_ibc(svm->model.ibc, proc->ibc);
		memcpy(svm->model.fac_list, proc->fac_list,
		       sizeof(svm->model.fac_list));
	}
	mutex_unlock(&svm->vm.lock);
	kfree(proc);
	return r;
}

static const struct s390_attr s390_cpu_model_attrs[] = {
	{ KVM_S390_VM_CPU_PROCESSOR, s390_get_processor, s390_set_processor },
	{ KVM_S390_VM_CPU_MACHINE, s390_get_machine, NULL },
};

/* ---- dispatch ---- */

static const struct {
	u32 group;
	const struct s390_attr *attrs;
	unsigned int nr;
} s390_attr_groups[] = {
	{ KVM_S390_VM_MEM_CTRL, s390_mem_attrs, ARRAY_SIZE(s390_mem_attrs) },
	{ KVM_S390_VM_TOD, s390_tod_attrs, ARRAY_SIZE(s390_tod_attrs) },
	{ KVM_S390_VM_CPU_MODEL, s390_cpu_model_attrs,
	  ARRAY_SIZE(s390_cpu_model_attrs) },
};

static const struct s390_attr *s390_find_attr(u32 group, u64 attr)
{
	unsigned int g, i;

	for (g = 0; g < ARRAY_SIZE(s390_attr_groups); g++) {
		if (s390_attr_groups[g].group != group)
			continue;
		for (i = 0; i < s390_attr_groups[g].nr; i++)
			if (s390_attr_groups[g].attrs[i].attr == attr)
				return &s390_attr_groups[g].attrs[i];
	}
	return NULL;
}

int s390_vm_attr(struct nkvm_vm *vm, unsigned int ioctl,
		 struct kvm_device_attr *attr)
{
	const struct s390_attr *a = s390_find_attr(attr->group, attr->attr);
	struct nkvm_s390_vm *svm = to_s390_vm(vm);
	void __user *uaddr = u64_to_user_ptr(attr->addr);

	if (!a || (a->offered && !a->offered()))
		return -ENXIO;
	switch (ioctl) {
	case KVM_SET_DEVICE_ATTR:
		return a->set ? a->set(svm, uaddr) : -ENXIO;
	case KVM_GET_DEVICE_ATTR:
		return a->get ? a->get(svm, uaddr) : -ENXIO;
	}
	return 0;
}

/* A new VM: the host's CPU model, the machine's memory limit, its clock. */
void s390_vm_attr_init(struct nkvm_s390_vm *svm)
{
	/* A guest CPU reports version 0xff: it runs under a hypervisor. */
	svm->model.cpuid = s390_host_cpuid() | (0xffULL << 56);
	svm->model.ibc = sclp.ibc & 0xfff;
	s390_fac_offer(svm->model.fac_list, false);

	svm->max_mem_limit = TASK_SIZE_MAX;
	if (sclp.hamax != U64_MAX)
		svm->max_mem_limit = min_t(u64, TASK_SIZE_MAX, sclp.hamax + 1);
	svm->mem_limit = svm->max_mem_limit;

	/* The guest's clock starts as the host's. */
	svm->tod_offset = tod_clock_base.eitod;
}
