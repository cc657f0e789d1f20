// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's FPU and extended (XSAVE) state, and its XCR0.
 *
 * The state lives in a guest fpstate of the kernel's FPU code
 * (fpu_alloc_guest_fpstate), which x86.c swaps in for the whole of each
 * KVM_RUN with fpu_swap_kvm_fpstate(); between runs it is in memory and the
 * ioctls here read and write it through the kernel's uABI helpers, which
 * also validate what userspace gives (XSTATE_BV, the header's reserved
 * bytes, MXCSR).
 *
 * The hardware does not switch XCR0 on VMRUN/#VMEXIT: the vendor loads
 * the guest's with interrupts off just before entering and the host's
 * straight after the exit, before anything in the host may run XSAVE.
 * A guest may enable x87, SSE and AVX state, as far as the host has them.
 */
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>

#include "x86.h"

/* The state components nkvm lets a guest enable in XCR0. */
#define FPU_XCR0_KNOWN		(XFEATURE_MASK_FP | XFEATURE_MASK_SSE | \
				 XFEATURE_MASK_YMM)
/* The legacy area and the XSAVE header. */
#define FPU_XSAVE_MIN_SIZE	(512 + 64)

/* The host's XCR0, 0 without XSAVE; read at load, then constant. */
u64 nkvm_host_xcr0 __read_mostly;

void nkvm_x86_fpu_setup(void)
{
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		nkvm_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
}

u64 nkvm_x86_supported_xcr0(void)
{
	return nkvm_host_xcr0 & FPU_XCR0_KNOWN;
}

/* The size of a standard-format XSAVE area holding the components of xcr0. */
u32 nkvm_x86_xsave_size(u64 xcr0)
{
	u32 size = FPU_XSAVE_MIN_SIZE, eax, ebx, ecx, edx;
	unsigned int i;

	for (i = 2; i < 64; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		size = max(size, eax + ebx);
	}
	return size;
}

int nkvm_x86_fpu_create(struct nkvm_x86_vcpu *xv)
{
	if (!fpu_alloc_guest_fpstate(&xv->fpu))
		return -ENOMEM;
	xv->xcr0 = XFEATURE_MASK_FP;
	return 0;
}

void nkvm_x86_fpu_destroy(struct nkvm_x86_vcpu *xv)
{
	if (xv->fpu.fpstate)
		fpu_free_guest_fpstate(&xv->fpu);
}

/*
 * A new XCR value from XSETBV or KVM_SET_XCRS: 0 when taken, 1 when the
 * hardware would refuse it (#GP for the guest). Only XCR0 exists; x87
 * state cannot be disabled, AVX needs SSE, and only the components the
 * vCPU's CPUID offers may be enabled.
 */
int nkvm_x86_set_xcr(struct nkvm_x86_vcpu *xv, u32 index, u64 val)
{
	if (index != XCR_XFEATURE_ENABLED_MASK)
		return 1;
	if (!(val & XFEATURE_MASK_FP))
		return 1;
	if ((val & XFEATURE_MASK_YMM) && !(val & XFEATURE_MASK_SSE))
		return 1;
	if (val & ~(xv->xcr0_allowed | XFEATURE_MASK_FP))
		return 1;
	xv->xcr0 = val;
	return 0;
}

/* Vendors, with interrupts disabled: XCR0 around the world switch. */
void nkvm_x86_load_guest_xcr0(struct nkvm_x86_vcpu *xv)
{
	if (nkvm_host_xcr0 && xv->xcr0 != nkvm_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, xv->xcr0);
}

/*
 * XSETBV exits, so XCR0 still holds xv->xcr0 here, except on hardware
 * that does not honour the intercept (QEMU's TCG): there the guest wrote
 * XCR0 itself, and what it wrote is its XCR0 from now on.
 */
void nkvm_x86_load_host_xcr0(struct nkvm_x86_vcpu *xv)
{
	u64 xcr0;

	if (!nkvm_host_xcr0)
		return;
	xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	xv->xcr0 = xcr0;
	if (xcr0 != nkvm_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, nkvm_host_xcr0);
}

static struct fxregs_state *fpu_fxsave(struct nkvm_x86_vcpu *xv)
{
	return &xv->fpu.fpstate->regs.fxsave;
}

/*
 * KVM_GET_FPU / KVM_SET_FPU: the x87 and SSE registers of the legacy
 * area. As stock, MXCSR is neither reported nor set here.
 */
long nkvm_x86_get_fpu(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	const struct fxregs_state *fx = fpu_fxsave(xv);
	struct kvm_fpu f;

	BUILD_BUG_ON(sizeof(f.fpr) != sizeof(fx->st_space));
	BUILD_BUG_ON(sizeof(f.xmm) != sizeof(fx->xmm_space));

	memset(&f, 0, sizeof(f));
	memcpy(f.fpr, fx->st_space, sizeof(f.fpr));
	f.fcw = fx->cwd;
	f.fsw = fx->swd;
	f.ftwx = fx->twd;
	f.last_opcode = fx->fop;
	f.last_ip = fx->rip;
	f.last_dp = fx->rdp;
	memcpy(f.xmm, fx->xmm_space, sizeof(f.xmm));
	return copy_to_user(argp, &f, sizeof(f)) ? -EFAULT : 0;
}

long nkvm_x86_set_fpu(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct fxregs_state *fx = fpu_fxsave(xv);
	struct kvm_fpu f;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	memcpy(fx->st_space, f.fpr, sizeof(f.fpr));
	fx->cwd = f.fcw;
	fx->swd = f.fsw;
	fx->twd = f.ftwx;
	fx->fop = f.last_opcode;
	fx->rip = f.last_ip;
	fx->rdp = f.last_dp;
	memcpy(fx->xmm_space, f.xmm, sizeof(f.xmm));
	/* Restore the legacy area as written, not the components' init state. */
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		xv->fpu.fpstate->regs.xsave.header.xfeatures |= XFEATURE_MASK_FPSSE;
	return 0;
}

/* XSAVE uABI buffer of size bytes with the components the guest may use. */
static long fpu_get_xsave(struct nkvm_x86_vcpu *xv, void __user *argp,
			  unsigned int size)
{
	void *buf;
	long r = 0;

	buf = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&xv->fpu, buf, size,
				       xv->xcr0_allowed | XFEATURE_MASK_FPSSE, 0);
	if (copy_to_user(argp, buf, size))
		r = -EFAULT;
	kfree(buf);
	return r;
}

long nkvm_x86_get_xsave(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	/* A larger state only fits KVM_GET_XSAVE2. */
	if (xv->fpu.uabi_size > sizeof(struct kvm_xsave))
		return -EINVAL;
	return fpu_get_xsave(xv, argp, sizeof(struct kvm_xsave));
}

long nkvm_x86_get_xsave2(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	return fpu_get_xsave(xv, argp, xv->fpu.uabi_size);
}

/* The buffer size KVM_GET_XSAVE2 needs (KVM_CAP_XSAVE2). */
u32 nkvm_x86_xsave2_size(void)
{
	return max_t(u32, nkvm_x86_xsave_size(nkvm_x86_supported_xcr0()),
		     sizeof(struct kvm_xsave));
}

long nkvm_x86_set_xsave(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	union fpregs_state *state;
	u32 pkru = 0;	/* PKRU is never a supported component here */
	long r;

	state = memdup_user(argp, xv->fpu.uabi_size);
	if (IS_ERR(state))
		return PTR_ERR(state);
	/* Components the guest's XFD disables must stay in their init state. */
	state->xsave.header.xfeatures &= ~xv->fpu.fpstate->xfd;
	r = fpu_copy_uabi_to_guest_fpstate(&xv->fpu, state,
					   nkvm_x86_supported_xcr0(), &pkru);
	kfree(state);
	return r;
}

/* KVM_GET_XCRS / KVM_SET_XCRS: XCR0 only, and only with host XSAVE. */
long nkvm_x86_get_xcrs(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_xcrs *x;
	long r = 0;

	x = kzalloc(sizeof(*x), GFP_KERNEL_ACCOUNT);
	if (!x)
		return -ENOMEM;
	if (boot_cpu_has(X86_FEATURE_XSAVE)) {
		x->nr_xcrs = 1;
		x->xcrs[0].xcr = XCR_XFEATURE_ENABLED_MASK;
		x->xcrs[0].value = xv->xcr0;
	}
	if (copy_to_user(argp, x, sizeof(*x)))
		r = -EFAULT;
	kfree(x);
	return r;
}

long nkvm_x86_set_xcrs(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_xcrs *x;
	long r = 0;
	u32 i;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return -EINVAL;
	x = memdup_user(argp, sizeof(*x));
	if (IS_ERR(x))
		return PTR_ERR(x);
	if (x->nr_xcrs > KVM_MAX_XCRS || x->flags) {
		r = -EINVAL;
		goto out;
	}
	/* As stock: the first entry for XCR0 counts, others are ignored. */
	for (i = 0; i < x->nr_xcrs; i++) {
		if (x->xcrs[i].xcr != XCR_XFEATURE_ENABLED_MASK)
			continue;
		if (nkvm_x86_set_xcr(xv, x->xcrs[i].xcr, x->xcrs[i].value))
			r = -EINVAL;
		break;
	}
out:
	kfree(x);
	return r;
}
