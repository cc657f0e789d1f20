// SPDX-License-Identifier: GPL-2.0
/*
 * Privileged and control instructions SIE intercepts and the kernel
 * handles, as on stock: the CPU's identity and model (STIDP, STSI, STFL,
 * STAP), its prefix (SPX, STPX), the clock (SCK, SCKPF, PTFF), the PSW
 * (LPSW, LPSWE, EPSW), control registers (LCTL(G), STCTL(G)), storage
 * keys (ISKE, SSKE, RRBE) and TPROT, TEST BLOCK, the IPTE interlock, and
 * the I/O instructions (cc 3 without KVM_CAP_S390_CSS_SUPPORT, else TPI and
 * TSCH's interrupt part here and the rest for userspace). Facilities the
 * guests here cannot have (runtime instrumentation, guarded storage) are
 * operation exceptions.
 *
 * One table per opcode byte, indexed by the second one.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/ebcdic.h>
#include <asm/facility.h>
#include <asm/lowcore.h>
#include <asm/pgtable.h>
#include <asm/sclp.h>
#include <asm/sysinfo.h>

#include "s390.h"
#include "interrupt.h"
#include "intercept.h"
#include "gaccess.h"

/* A privileged instruction in the problem state. */
static int s390_privileged_op(struct nkvm_s390_vcpu *v)
{
	return s390_inject_pgm_code(v, PGM_PRIVILEGED_OP);
}

#define S390_FAC_SSKE_NQ	14
#define S390_FAC_SSKE_MR_MC	10

/* A PSW the architecture allows (else a specification exception). */
#define PSW_MASK_UNASSIGNED	0xb80800fe7fffffffULL

static bool s390_psw_valid(const psw_t *psw)
{
	u64 amode = psw->mask & (PSW_MASK_EA | PSW_MASK_BA);

	if (psw->mask & PSW_MASK_UNASSIGNED)
		return false;
	if (amode == PSW_MASK_BA && (psw->addr & ~0x7fffffffULL))
		return false;
	if (!amode && (psw->addr & ~0x00ffffffULL))
		return false;
	if (amode == PSW_MASK_EA)
		return false;
	return !(psw->addr & 1);
}

/* A guest access failed: the exception (>0) injected, errors passed on. */
static int s390_access_result(struct nkvm_s390_vcpu *v, int r)
{
	return r > 0 ? s390_inject_prog(v, &v->last_pgm) : r;
}

/*
 * The aligned storage operand of a privileged S- or RSY-format
 * instruction: 0 with *ga and *ar, else the instruction ends here with
 * an exception injected (1) or an error (<0): the handler returns
 * min(r, 0).
 */
static int s390_priv_operand(struct nkvm_s390_vcpu *v, bool rsy,
			     unsigned int align, u64 *ga, u8 *ar)
{
	int r;

	if (s390_problem_state(v)) {
		r = s390_privileged_op(v);
		return r ? r : 1;
	}
	*ga = rsy ? s390_addr_rsy(v, ar) : s390_addr_s(v, ar);
	if (*ga & (align - 1)) {
		r = s390_inject_pgm_code(v, PGM_SPECIFICATION);
		return r ? r : 1;
	}
	return 0;
}

/* ---- identity and model ---- */

static int s390_stidp(struct nkvm_s390_vcpu *v)
{
	struct nkvm_s390_vm *svm = s390_vm_of(v);
	u64 cpuid, ga;
	u8 ar;
	int r;

	r = s390_priv_operand(v, false, 8, &ga, &ar);
	if (r)
		return min(r, 0);
	mutex_lock(&svm->vm.lock);
	cpuid = svm->model.cpuid;
	mutex_unlock(&svm->vm.lock);
	return s390_access_result(v, s390_write_guest(v, ga, ar, &cpuid,
						      sizeof(cpuid)));
}

static int s390_stap(struct nkvm_s390_vcpu *v)
{
	u16 cpu_addr = v->vcpu.vcpu_id;
	u64 ga;
	u8 ar;
	int r;

	r = s390_priv_operand(v, false, 2, &ga, &ar);
	if (r)
		return min(r, 0);
	return s390_access_result(v, s390_write_guest(v, ga, ar, &cpu_addr,
						      sizeof(cpu_addr)));
}

/* The first 32 facility bits, at the lowcore's STFL slot. */
static int s390_stfl(struct nkvm_s390_vcpu *v)
{
	u32 fac;

	if (s390_problem_state(v))
		return s390_privileged_op(v);
	fac = s390_vm_of(v)->fac_list[0] >> 32;
	return s390_write_lc(v, offsetof(struct lowcore, stfl_fac_list), &fac,
			     sizeof(fac));
}

/* Level 3: this hypervisor's virtual machine, on top of any others. */
static void s390_stsi_322(struct nkvm_s390_vcpu *v, struct sysinfo_3_2_2 *mem)
{
	int cpus = atomic_read(&v->vcpu.vm->online_vcpus), n;

	if (stsi(mem, 3, 2, 2))
		mem->count = 0;
	if (mem->count < 8)
		mem->count++;
	for (n = mem->count - 1; n > 0; n--)
		memcpy(&mem->vm[n], &mem->vm[n - 1], sizeof(mem->vm[0]));
	memset(&mem->vm[0], 0, sizeof(mem->vm[0]));
	mem->vm[0].cpus_total = cpus;
	mem->vm[0].cpus_configured = cpus;
	mem->vm[0].caf = 1000;
	memcpy(mem->vm[0].name, "KVMguest", 8);
	ASCEBC(mem->vm[0].name, 8);
	memcpy(mem->vm[0].cpi, "KVM/Linux       ", 16);
	ASCEBC(mem->vm[0].cpi, 16);
}

static void s390_stsi_user(struct nkvm_s390_vcpu *v, u64 addr, u8 ar, u8 fc,
			   u8 sel1, u16 sel2)
{
	struct kvm_run *run = v->vcpu.run;

	run->exit_reason = KVM_EXIT_S390_STSI;
	run->s390_stsi.addr = addr;
	run->s390_stsi.ar = ar;
	run->s390_stsi.fc = fc;
	run->s390_stsi.sel1 = sel1;
	run->s390_stsi.sel2 = sel2;
}

/*
 * STSI: levels 1 and 2 are the machine's and the LPAR's (the host's own
 * STSI), level 3 ours; with KVM_CAP_S390_USER_STSI userspace sees each
 * store afterwards (KVM_EXIT_S390_STSI) to amend it. Level 15 (topology)
 * is not offered: cc 3.
 */
static int s390_stsi(struct nkvm_s390_vcpu *v)
{
	u64 *gprs = s390_gprs(v);
	unsigned int fc = (gprs[0] & 0xf0000000) >> 28;
	u8 sel1 = gprs[0] & 0xff;
	u16 sel2 = gprs[1] & 0xffff;
	void *mem;
	u64 ga;
	u8 ar;
	int r;

	if (s390_problem_state(v))
		return s390_privileged_op(v);
	if (fc > 3) {
		s390_set_psw_cc(v, 3);
		return 0;
	}
	if ((gprs[0] & 0x0fffff00) || (gprs[1] & 0xffff0000))
		return s390_inject_pgm_code(v, PGM_SPECIFICATION);
	if (!fc) {
		gprs[0] = 3 << 28;
		s390_set_psw_cc(v, 0);
		return 0;
	}
	ga = s390_addr_s(v, &ar);
	if (ga & 0xfff)
		return s390_inject_pgm_code(v, PGM_SPECIFICATION);
	if (fc == 3 && (sel1 != 2 || sel2 != 2)) {
		s390_set_psw_cc(v, 3);
		return 0;
	}
	mem = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!mem || (fc != 3 && stsi(mem, fc, sel1, sel2))) {
		free_page((unsigned long)mem);
		s390_set_psw_cc(v, 3);
		return 0;
	}
	if (fc == 3)
		s390_stsi_322(v, mem);
	r = s390_write_guest(v, ga, ar, mem, PAGE_SIZE);
	free_page((unsigned long)mem);
	if (r)
		return s390_access_result(v, r);
	s390_set_psw_cc(v, 0);
	gprs[0] = 0;
	if (READ_ONCE(s390_vm_of(v)->user_stsi)) {
		s390_stsi_user(v, ga, ar, fc, sel1, sel2);
		return -EREMOTE;
	}
	return 0;
}

/* STHYI: the hypervisor's view of the machine, from the kernel's own. */
int s390_handle_sthyi(struct nkvm_s390_vcpu *v)
{
	u64 *gprs = s390_gprs(v);
	int r1, r2, cc = 0, r = 0;
	u64 code, addr, rc = 0;
	void *sctns;

	s390_regs_rre(v, &r1, &r2);
	code = gprs[r1];
	addr = gprs[r2];
	if (r1 == r2 || (r1 & 1) || (r2 & 1))
		return s390_inject_pgm_code(v, PGM_SPECIFICATION);
	if (code & 0xffff) {
		cc = 3;
		rc = 4;
		goto out;
	}
	if (addr & ~PAGE_MASK)
		return s390_inject_pgm_code(v, PGM_SPECIFICATION);
	sctns = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!sctns)
		return -ENOMEM;
	cc = sthyi_fill(sctns, &rc);
	if (cc == 0)
		r = s390_write_guest(v, addr, r2, sctns, PAGE_SIZE);
	free_page((unsigned long)sctns);
	if (cc < 0)
		return cc;
	if (r)
		return s390_access_result(v, r);
out:
	gprs[r2 + 1] = rc;
	s390_set_psw_cc(v, cc);
	return 0;
}

/* ---- prefix ---- */

static int s390_spx(struct nkvm_s390_vcpu *v)
{
	u32 prefix;
	u64 ga;
	u8 ar;
	int r;

	r = s390_priv_operand(v, false, 4, &ga, &ar);
	if (r)
		return min(r, 0);
	r = s390_read_guest(v, ga, ar, &prefix, sizeof(prefix));
	if (r)
		return s390_access_result(v, r);
	prefix &= SIE_PREFIX_MASK;
	/* Slots are 1 MiB aligned: the first page tells for both. */
	if (!s390_gpa_valid(v->vcpu.vm, prefix))
		return s390_inject_pgm_code(v, PGM_ADDRESSING);
	s390_set_prefix(v, prefix);
	return 0;
}

static int s390_stpx(struct nkvm_s390_vcpu *v)
{
	u32 prefix = s390_prefix(v);
	u64 ga;
	u8 ar;
	int r;

	r = s390_priv_operand(v, false, 4, &ga, &ar);
	if (r)
		return min(r, 0);
	return s390_access_result(v, s390_write_guest(v, ga, ar, &prefix,
						      sizeof(prefix)));
}

/* ---- the clock ---- */

/* SCK sets the whole VM's clock (its epoch index becomes 0). */
static int s390_sck(struct nkvm_s390_vcpu *v)
{
	struct kvm_s390_vm_tod_clock gtod = {};
	u64 ga;
	u8 ar;
	int r;

	r = s390_priv_operand(v, false, 8, &ga, &ar);
	if (r)
		return min(r, 0);
	r = s390_read_guest(v, ga, ar, &gtod.tod, sizeof(gtod.tod));
	if (r)
		return s390_access_result(v, r);
	s390_set_guest_tod(s390_vm_of(v), &gtod);
	s390_set_psw_cc(v, 0);
	return 0;
}

static int s390_sckpf(struct nkvm_s390_vcpu *v)
{
	u64 r0 = s390_gprs(v)[0];

	if (s390_problem_state(v))
		return s390_privileged_op(v);
	if (r0 & 0xffff0000)
		return s390_inject_pgm_code(v, PGM_SPECIFICATION);
	v->scb->todpr = r0 & 0xffff;
	return 0;
}

/* No PTFF functions are provided: cc 3. */
static int s390_ptff(struct nkvm_s390_vcpu *v)
{
	s390_set_psw_cc(v, 3);
	return 0;
}

/* ---- the PSW ---- */

/* LPSW: an ESA/390-format PSW, widened. */
int s390_handle_lpsw(struct nkvm_s390_vcpu *v)
{
	psw_t *psw = &v->scb->gpsw;
	struct {
		u32 mask;
		u32 addr;
	} old;
	u64 ga;
	u8 ar;
	int r;

	r = s390_priv_operand(v, false, 8, &ga, &ar);
	if (r)
		return min(r, 0);
	r = s390_read_guest(v, ga, ar, &old, sizeof(old));
	if (r)
		return s390_access_result(v, r);
	/* Bit 12 must be one in the short format. */
	if (!(old.mask & 0x00080000))
		return s390_inject_pgm_code(v, PGM_SPECIFICATION);
	psw->mask = (u64)(old.mask & ~0x00080000u) << 32;
	psw->mask |= old.addr & 0x80000000u;	/* basic addressing mode */
	psw->addr = old.addr & 0x7fffffffu;
	if (!s390_psw_valid(psw))
		return s390_inject_pgm_code(v, PGM_SPECIFICATION);
	return 0;
}

static int s390_lpswe(struct nkvm_s390_vcpu *v)
{
	psw_t new;
	u64 ga;
	u8 ar;
	int r;

	r = s390_priv_operand(v, false, 8, &ga, &ar);
	if (r)
		return min(r, 0);
	r = s390_read_guest(v, ga, ar, &new, sizeof(new));
	if (r)
		return s390_access_result(v, r);
	v->scb->gpsw = new;
	if (!s390_psw_valid(&new))
		return s390_inject_pgm_code(v, PGM_SPECIFICATION);
	return 0;
}

static int s390_epsw(struct nkvm_s390_vcpu *v)
{
	u64 *gprs = s390_gprs(v), mask = v->scb->gpsw.mask;
	int r1, r2;

	s390_regs_rre(v, &r1, &r2);
	gprs[r1] = (gprs[r1] & 0xffffffff00000000ULL) | (mask >> 32);
	if (r2)
		gprs[r2] = (gprs[r2] & 0xffffffff00000000ULL) | (u32)mask;
	return 0;
}

/* ---- control registers ---- */

/* r1 to r3, wrapping after 15. */
static unsigned int s390_nr_regs(int r1, int r3)
{
	return ((r3 - r1) & 0xf) + 1;
}

int s390_handle_lctl(struct nkvm_s390_vcpu *v)
{
	unsigned int i, n;
	u32 vals[16];
	int r1, r3, r;
	u64 ga;
	u8 ar;

	s390_regs_rs(v, &r1, &r3);
	r = s390_priv_operand(v, false, 4, &ga, &ar);
	if (r)
		return min(r, 0);
	n = s390_nr_regs(r1, r3);
	r = s390_read_guest(v, ga, ar, vals, n * sizeof(u32));
	if (r)
		return s390_access_result(v, r);
	for (i = 0; i < n; i++) {
		u64 *cr = &v->scb->gcr[(r1 + i) & 0xf];

		*cr = (*cr & 0xffffffff00000000ULL) | vals[i];
	}
	v->scb->ihcpu = 0xffff;
	return 0;
}

int s390_handle_stctl(struct nkvm_s390_vcpu *v)
{
	unsigned int i, n;
	u32 vals[16];
	int r1, r3, r;
	u64 ga;
	u8 ar;

	s390_regs_rs(v, &r1, &r3);
	r = s390_priv_operand(v, false, 4, &ga, &ar);
	if (r)
		return min(r, 0);
	n = s390_nr_regs(r1, r3);
	for (i = 0; i < n; i++)
		vals[i] = v->scb->gcr[(r1 + i) & 0xf];
	return s390_access_result(v, s390_write_guest(v, ga, ar, vals,
						      n * sizeof(u32)));
}

static int s390_lctlg(struct nkvm_s390_vcpu *v)
{
	unsigned int i, n;
	u64 vals[16], ga;
	int r1, r3, r;
	u8 ar;

	s390_regs_rs(v, &r1, &r3);
	r = s390_priv_operand(v, true, 8, &ga, &ar);
	if (r)
		return min(r, 0);
	n = s390_nr_regs(r1, r3);
	r = s390_read_guest(v, ga, ar, vals, n * sizeof(u64));
	if (r)
		return s390_access_result(v, r);
	for (i = 0; i < n; i++)
		v->scb->gcr[(r1 + i) & 0xf] = vals[i];
	v->scb->ihcpu = 0xffff;
	return 0;
}

static int s390_stctg(struct nkvm_s390_vcpu *v)
{
	unsigned int i, n;
	u64 vals[16], ga;
	int r1, r3, r;
	u8 ar;

	s390_regs_rs(v, &r1, &r3);
	r = s390_priv_operand(v, true, 8, &ga, &ar);
	if (r)
		return min(r, 0);
	n = s390_nr_regs(r1, r3);
	for (i = 0; i < n; i++)
		vals[i] = v->scb->gcr[(r1 + i) & 0xf];
	return s390_access_result(v, s390_write_guest(v, ga, ar, vals,
						      n * sizeof(u64)));
}

/* ---- storage keys ---- */

/*
 * The first key instruction makes the guest's keys real. With the
 * storage-key facility SIE then interprets them: the instruction runs
 * again (1). Without it they stay intercepted and are done here (0).
 */
static int s390_skey_setup(struct nkvm_s390_vcpu *v)
{
	int r = s390_skeys_enable(v);

	if (r)
		return r;
	if (sclp.has_skey) {
		s390_retry_instr(v);
		return 1;
	}
	return 0;
}

/* The user address of the page a key instruction's r2 names. */
static unsigned long s390_skey_hva(struct nkvm_s390_vcpu *v, int r2)
{
	u64 ra = s390_logical_to_effective(v, s390_gprs(v)[r2] & PAGE_MASK);

	return s390_gpa_to_hva(v->vcpu.vm, s390_real_to_abs(v, ra));
}

/*
 * Run op on the page at hva, faulting it in when it is not mapped: op's
 * value, or PGM_ADDRESSING when it cannot be mapped.
 */
static int s390_skey_op(unsigned long hva,
			int (*op)(struct mm_struct *mm, unsigned long hva,
				  void *arg),
			void *arg)
{
	struct mm_struct *mm = current->mm;
	bool unlocked;
	int r;

	for (;;) {
		mmap_read_lock(mm);
		r = op(mm, hva, arg);
		if (r < 0) {
			unlocked = false;
			if (!fixup_user_fault(mm, hva, FAULT_FLAG_WRITE,
					      &unlocked))
				r = -EAGAIN;
		}
		mmap_read_unlock(mm);
		if (r != -EAGAIN)
			return r == -EFAULT ? PGM_ADDRESSING : r;
	}
}

static int s390_iske_op(struct mm_struct *mm, unsigned long hva, void *arg)
{
	return get_guest_storage_key(mm, hva, arg);
}

static int s390_iske(struct nkvm_s390_vcpu *v)
{
	unsigned long hva;
	int r1, r2, r;
	u8 key;

	if (s390_problem_state(v))
		return s390_privileged_op(v);
	r = s390_skey_setup(v);
	if (r)
		return r > 0 ? 0 : r;
	s390_regs_rre(v, &r1, &r2);
	hva = s390_skey_hva(v, r2);
	if (!hva)
		return s390_inject_pgm_code(v, PGM_ADDRESSING);
	r = s390_skey_op(hva, s390_iske_op, &key);
	if (r)
		return r > 0 ? s390_inject_pgm_code(v, r) : r;
	s390_gprs(v)[r1] = (s390_gprs(v)[r1] & ~0xffULL) | key;
	return 0;
}

static int s390_rrbe_op(struct mm_struct *mm, unsigned long hva, void *arg)
{
	int r = reset_guest_reference_bit(mm, hva);

	if (r >= 0)
		*(int *)arg = r;
	return r < 0 ? r : 0;
}

static int s390_rrbe(struct nkvm_s390_vcpu *v)
{
	unsigned long hva;
	int r1, r2, r, cc = 0;

	if (s390_problem_state(v))
		return s390_privileged_op(v);
	r = s390_skey_setup(v);
	if (r)
		return r > 0 ? 0 : r;
	s390_regs_rre(v, &r1, &r2);
	hva = s390_skey_hva(v, r2);
	if (!hva)
		return s390_inject_pgm_code(v, PGM_ADDRESSING);
	r = s390_skey_op(hva, s390_rrbe_op, &cc);
	if (r)
		return r > 0 ? s390_inject_pgm_code(v, r) : r;
	s390_set_psw_cc(v, cc);
	return 0;
}

#define SSKE_NQ		0x8
#define SSKE_MR		0x4
#define SSKE_MC		0x2

struct s390_sske {
	u8 key, old, m3;
	int cc;
};

static int s390_sske_op(struct mm_struct *mm, unsigned long hva, void *arg)
{
	struct s390_sske *s = arg;
	int r;

	r = cond_set_guest_storage_key(mm, hva, s->key, &s->old,
				       s->m3 & SSKE_NQ, s->m3 & SSKE_MR,
				       s->m3 & SSKE_MC);
	if (r >= 0)
		s->cc = r;
	return r < 0 ? r : 0;
}

/* SSKE of one 4 KiB frame (the multiple-block form is not offered). */
static int s390_sske(struct nkvm_s390_vcpu *v)
{
	struct nkvm_s390_vm *svm = s390_vm_of(v);
	struct s390_sske s = { .m3 = v->scb->ipb >> 28 };
	unsigned long hva;
	int r1, r2, r;

	if (s390_problem_state(v))
		return s390_privileged_op(v);
	r = s390_skey_setup(v);
	if (r)
		return r > 0 ? 0 : r;
	mutex_lock(&svm->vm.lock);
	if (!s390_vm_has_facility(svm, S390_FAC_SSKE_MR_MC))
		s.m3 &= ~(SSKE_MC | SSKE_MR);
	if (!s390_vm_has_facility(svm, S390_FAC_SSKE_NQ))
		s.m3 &= ~SSKE_NQ;
	mutex_unlock(&svm->vm.lock);
	s.m3 &= SSKE_NQ | SSKE_MR | SSKE_MC;

	s390_regs_rre(v, &r1, &r2);
	s.key = s390_gprs(v)[r1] & 0xfe;
	hva = s390_skey_hva(v, r2);
	if (!hva)
		return s390_inject_pgm_code(v, PGM_ADDRESSING);
	r = s390_skey_op(hva, s390_sske_op, &s);
	if (r)
		return r > 0 ? s390_inject_pgm_code(v, r) : r;
	if (s.m3 & (SSKE_MC | SSKE_MR)) {
		s390_set_psw_cc(v, s.cc);
		s390_gprs(v)[r1] = (s390_gprs(v)[r1] & ~0xff00ULL) |
				   (u64)s.old << 8;
	}
	return 0;
}

/*
 * TPROT: what an access with the operand's key may do at the first
 * operand: cc 0 fetch and store, 1 fetch only, 2 neither, 3 no
 * translation. Addressing and translation-specification exceptions are
 * the guest's.
 */
static int s390_tprot(struct nkvm_s390_vcpu *v)
{
	u64 addr, op2, gpa;
	int r, cc;
	u8 ar, key;

	if (s390_problem_state(v))
		return s390_privileged_op(v);
	s390_addr_sse(v, &addr, &op2, &ar, NULL);
	key = (op2 & 0xf0) >> 4;
	r = s390_translate(v, addr, ar, &gpa, S390_GACC_STORE, key);
	if (r == PGM_PROTECTION)
		r = s390_translate(v, addr, ar, &gpa, S390_GACC_FETCH, key) ?:
		    -ENOENT;
	if (r < 0 && r != -ENOENT)
		return r;
	switch (r) {
	case 0:
		cc = 0;
		break;
	case -ENOENT:	/* fetch only */
		cc = 1;
		break;
	case PGM_PROTECTION:
		cc = 2;
		break;
	case PGM_ADDRESSING:
	case PGM_TRANSLATION_SPEC:
		return s390_inject_pgm_code(v, r);
	default:
		cc = 3;
	}
	s390_set_psw_cc(v, cc);
	return 0;
}

/* TEST BLOCK: the frame is cleared (no storage errors here). */
static int s390_tb(struct nkvm_s390_vcpu *v)
{
	static const u8 zero[256];
	unsigned int off;
	int r1, r2;
	u64 ra, gpa;

	if (s390_problem_state(v))
		return s390_privileged_op(v);
	s390_regs_rre(v, &r1, &r2);
	ra = s390_logical_to_effective(v, s390_gprs(v)[r2] & PAGE_MASK);
	if (s390_check_low_prot_real(v, ra))
		return s390_inject_prog(v, &v->last_pgm);
	gpa = s390_real_to_abs(v, ra);
	if (!s390_gpa_valid(v->vcpu.vm, gpa))
		return s390_inject_pgm_code(v, PGM_ADDRESSING);
	for (off = 0; off < PAGE_SIZE; off += sizeof(zero))
		if (nkvm_write_guest(v->vcpu.vm, gpa + off, zero,
				     sizeof(zero)))
			return -EFAULT;
	s390_set_psw_cc(v, 0);
	s390_gprs(v)[0] = 0;
	return 0;
}

/*
 * The guest's IPTE (and CSP, IDTE...) waits while the IPTE interlock is
 * held (gaccess.c walking its tables): it runs again.
 */
static int s390_ipte_interlock(struct nkvm_s390_vcpu *v)
{
	if (s390_problem_state(v))
		return s390_privileged_op(v);
	cond_resched();
	s390_retry_instr(v);
	return 0;
}

/* ---- I/O instructions ---- */

/* The top pending I/O interrupt for the ISCs of CR6, taken off its queue. */
static struct s390_float_irq *s390_take_io(struct nkvm_s390_vcpu *v,
					   u64 cr6, u32 schid)
{
	struct s390_float_irqs *flt = &s390_vm_of(v)->flt;
	struct s390_float_irq *fi, *found = NULL;
	unsigned int isc;

	spin_lock(&flt->lock);
	for (isc = 0; isc < S390_ISCS && !found; isc++) {
		if (!(cr6 & BIT_ULL(31 - isc)))
			continue;
		list_for_each_entry(fi, &flt->lists[S390_FLIST_IO0 + isc],
				    node) {
			if (schid && (fi->io.subchannel_id != schid >> 16 ||
				      fi->io.subchannel_nr != (u16)schid))
				continue;
			list_del(&fi->node);
			flt->nr_io--;
			if (list_empty(&flt->lists[S390_FLIST_IO0 + isc]))
				__clear_bit(S390_IRQ_IO_ISC0 - isc,
					    &flt->pending);
			found = fi;
			break;
		}
	}
	spin_unlock(&flt->lock);
	return found;
}

/* TPI: an I/O interruption code, in storage or in the lowcore. */
static int s390_tpi(struct nkvm_s390_vcpu *v)
{
	struct s390_float_irq *fi;
	u32 code[3];
	u64 ga;
	u8 ar;
	int r;

	ga = s390_addr_s(v, &ar);
	if (ga & 3)
		return s390_inject_pgm_code(v, PGM_SPECIFICATION);
	fi = s390_take_io(v, v->scb->gcr[6], 0);
	if (!fi) {
		s390_set_psw_cc(v, 0);
		return 0;
	}
	code[0] = fi->io.subchannel_id << 16 | fi->io.subchannel_nr;
	code[1] = fi->io.io_int_parm;
	code[2] = fi->io.io_int_word;
	if (ga)
		r = s390_write_guest(v, ga, ar, code, 8);
	else
		r = s390_write_lc(v, offsetof(struct lowcore, subchannel_id),
				  code, sizeof(code)) ? -EFAULT : 0;
	if (r) {
		/* Not taken after all: it stays pending. */
		if (s390_inject_float(s390_vm_of(v), fi))
			kfree(fi);
		return s390_access_result(v, r);
	}
	kfree(fi);
	s390_set_psw_cc(v, 1);
	return 0;
}

/* TSCH: the subchannel's pending interrupt is dequeued, for userspace. */
static int s390_tsch(struct nkvm_s390_vcpu *v)
{
	struct kvm_run *run = v->vcpu.run;
	struct s390_float_irq *fi = NULL;
	u64 schid = s390_gprs(v)[1];

	if (schid)
		fi = s390_take_io(v, 0xffULL << 24, schid);
	run->exit_reason = KVM_EXIT_S390_TSCH;
	run->s390_tsch.dequeued = !!fi;
	if (fi) {
		run->s390_tsch.subchannel_id = fi->io.subchannel_id;
		run->s390_tsch.subchannel_nr = fi->io.subchannel_nr;
		run->s390_tsch.io_int_parm = fi->io.io_int_parm;
		run->s390_tsch.io_int_word = fi->io.io_int_word;
	}
	run->s390_tsch.ipb = v->scb->ipb;
	kfree(fi);
	return -EREMOTE;
}

static int s390_io_inst(struct nkvm_s390_vcpu *v)
{
	if (s390_problem_state(v))
		return s390_privileged_op(v);
	if (!READ_ONCE(s390_vm_of(v)->css_support)) {
		/* No channel subsystem: the guest sees none. */
		s390_set_psw_cc(v, 3);
		return 0;
	}
	if (v->scb->ipa == 0xb236)
		return s390_tpi(v);
	if (v->scb->ipa == 0xb235)
		return s390_tsch(v);
	return -EOPNOTSUPP;
}

/* ---- facilities the guests cannot have ---- */

static int s390_operation_exc(struct nkvm_s390_vcpu *v)
{
	return s390_inject_pgm_code(v, PGM_OPERATION);
}

/* Runtime instrumentation (0xaa00-0xaa04): not offered. */
int s390_handle_aa(struct nkvm_s390_vcpu *v)
{
	if ((v->scb->ipa & 0xf) <= 4)
		return s390_operation_exc(v);
	return -EOPNOTSUPP;
}

/* Guarded storage (LGG, LLGFSG): not offered. */
int s390_handle_e3(struct nkvm_s390_vcpu *v)
{
	u8 code = v->scb->ipb & 0xff;

	if (code == 0x49 || code == 0x4d)
		return s390_operation_exc(v);
	return -EOPNOTSUPP;
}

/* ESSA without CMMA, PFMF: not offered (EDAT-1 guests get no PFMF). */
static int s390_essa(struct nkvm_s390_vcpu *v)
{
	return s390_operation_exc(v);
}

/* ---- the tables ---- */

static const s390_handler_t s390_b2_handlers[256] = {
	[0x02] = s390_stidp,
	[0x04] = s390_sck,
	[0x10] = s390_spx,
	[0x11] = s390_stpx,
	[0x12] = s390_stap,
	[0x21] = s390_ipte_interlock,
	[0x29] = s390_iske,
	[0x2a] = s390_rrbe,
	[0x2b] = s390_sske,
	[0x2c] = s390_tb,
	[0x30 ... 0x3c] = s390_io_inst,
	[0x50] = s390_ipte_interlock,
	[0x56] = s390_handle_sthyi,
	[0x5f] = s390_io_inst,
	[0x74] = s390_io_inst,
	[0x76] = s390_io_inst,
	[0x7d] = s390_stsi,
	[0xb1] = s390_stfl,
	[0xb2] = s390_lpswe,
};

static const s390_handler_t s390_b9_handlers[256] = {
	[0x8a] = s390_ipte_interlock,
	[0x8d] = s390_epsw,
	[0x8e] = s390_ipte_interlock,
	[0x8f] = s390_ipte_interlock,
	[0xab] = s390_essa,
};

static const s390_handler_t s390_eb_handlers[256] = {
	[0x25] = s390_stctg,
	[0x2f] = s390_lctlg,
	[0x60 ... 0x62] = s390_operation_exc,	/* runtime instrumentation */
	[0x71] = s390_operation_exc,		/* LPSWEY: facility 193 */
};

static const s390_handler_t s390_e5_handlers[256] = {
	[0x01] = s390_tprot,
};

static const s390_handler_t s390_01_handlers[256] = {
	[0x04] = s390_ptff,
	[0x07] = s390_sckpf,
};

static int s390_dispatch(const s390_handler_t *table, u8 op,
			 struct nkvm_s390_vcpu *v)
{
	return table[op] ? table[op](v) : -EOPNOTSUPP;
}

int s390_handle_b2(struct nkvm_s390_vcpu *v)
{
	return s390_dispatch(s390_b2_handlers, v->scb->ipa & 0xff, v);
}

int s390_handle_b9(struct nkvm_s390_vcpu *v)
{
	return s390_dispatch(s390_b9_handlers, v->scb->ipa & 0xff, v);
}

/* RSY instructions: the opcode's second byte is the last of ipb. */
int s390_handle_eb(struct nkvm_s390_vcpu *v)
{
	return s390_dispatch(s390_eb_handlers, v->scb->ipb & 0xff, v);
}

int s390_handle_e5(struct nkvm_s390_vcpu *v)
{
	return s390_dispatch(s390_e5_handlers, v->scb->ipa & 0xff, v);
}

int s390_handle_01(struct nkvm_s390_vcpu *v)
{
	return s390_dispatch(s390_01_handlers, v->scb->ipa & 0xff, v);
}
