// SPDX-License-Identifier: GPL-2.0
/*
 * String port I/O: INS and OUTS, with or without REP, in any mode, with
 * DF set or clear. The vendor's exit gives the port, the element size and
 * the direction; the address size, the segment of OUTS and the REP prefix
 * come from the instruction itself (QEMU's SVM reports neither).
 *
 * The exits are those of stock KVM's emulator, which userspace may count
 * on: an OUTS exits once per element, with RSI and RCX already moved on;
 * an INS exits for as many elements as its read-ahead takes at once (at
 * most 1 KiB of data, no more than RCX, and by its own reckoning no more
 * than the bytes left in RDI's page, counted in elements: a quirk kept as
 * it is) and stores them at the next KVM_RUN. Under REP, RIP stays on the
 * instruction until the guest runs it again with RCX 0.
 */
#include <nkvm/iobus.h>

#include <linux/minmax.h>
#include <linux/mm.h>
#include <asm/processor-flags.h>

#include "x86.h"

/* Stock KVM's read-ahead buffer for INS, in bytes. */
#define PIO_READ_AHEAD	1024

static void *pio_data(struct nkvm_x86_vcpu *xv)
{
	return page_address(xv->vcpu.mmap_pages[NKVM_X86_PIO_PAGE]);
}

bool nkvm_x86_complete_pio(struct nkvm_x86_vcpu *xv, struct nkvm_x86_pio *pio)
{
	u64 *rax = &xv->regs.rax;
	u32 val = 0;

	if (!pio->pending)
		return false;
	pio->pending = false;
	if (xv->regs.rip != pio->rip)
		return false;
	if (pio->in) {
		memcpy(&val, pio_data(xv), pio->size);
		/* 8- and 16-bit loads merge; a 32-bit one zero-extends. */
		if (pio->size == 4)
			*rax = val;
		else
			*rax = (*rax & ~GENMASK_ULL(pio->size * 8 - 1, 0)) | val;
	}
	xv->regs.rip = pio->next_rip;
	nkvm_x86_insn_done(xv);
	return true;
}

int nkvm_x86_pio(struct nkvm_x86_vcpu *xv, struct nkvm_x86_pio *pio, bool in,
		 unsigned int size, u16 port, u64 next_rip, bool *done)
{
	struct kvm_run *run = xv->vcpu.run;
	void *data = pio_data(xv);
	int handled;

	pio->in = in;
	pio->size = size;
	pio->rip = xv->regs.rip;
	pio->next_rip = next_rip;
	pio->pending = true;
	if (!in)
		memcpy(data, &xv->regs.rax, size);

	handled = in ? nkvm_io_bus_read(&xv->vcpu, NKVM_PIO_BUS, port, size,
					data) :
		       nkvm_io_bus_write(&xv->vcpu, NKVM_PIO_BUS, port, size,
					 data);
	if (!handled) {
		*done = nkvm_x86_complete_pio(xv, pio);
		return 1;
	}

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = NKVM_X86_PIO_PAGE * PAGE_SIZE;
	*done = !in && port == 0x7e &&
		nkvm_x86_has_quirk(xv, KVM_X86_QUIRK_OUT_7E_INC_RIP) &&
		nkvm_x86_complete_pio(xv, pio);
	return 0;
}

int nkvm_x86_string_pio(struct nkvm_x86_vcpu *xv,
			const struct kvm_sregs *sregs,
			struct nkvm_x86_strio *st, bool in,
			unsigned int size, u16 port)
{
	struct kvm_run *run = xv->vcpu.run;
	struct kvm_regs *regs = &xv->regs;
	bool df = regs->rflags & X86_EFLAGS_DF;
	struct nkvm_x86_insn insn;
	unsigned int in_page, n;
	u64 next_rip, count, la;
	int seg;

	/* 6c/6d INS, 6e/6f OUTS: the direction must be the exit's. */
	if (nkvm_x86_decode_prefixes(xv, sregs, &insn) ||
	    (insn.opcode & ~3) != 0x6c || !(insn.opcode & 2) != in) {
		nkvm_x86_emulation_failure(xv, &insn, 0);
		return 0;
	}
	next_rip = nkvm_x86_insn_next_rip(&insn);
	count = insn.rep ? nkvm_x86_str_mask(insn.adsz, regs->rcx) : 1;
	if (!count) {
		regs->rip = next_rip;
		return 1;
	}

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.data_offset = NKVM_X86_PIO_PAGE * PAGE_SIZE;

	if (!in) {
		/* One element from seg:rSI (DS unless overridden). */
		seg = insn.seg >= 0 ? insn.seg : NKVM_SEG_DS;
		la = nkvm_x86_str_linear(sregs, insn.mode64, insn.adsz, seg,
					 regs->rsi);
		if (nkvm_x86_read_linear(xv, sregs, insn.mode64, la,
					 pio_data(xv), size)) {
			nkvm_x86_emulation_failure(xv, &insn, 0);
			return 0;
		}
		run->io.count = 1;
		nkvm_x86_str_add(insn.adsz, &regs->rsi,
				 df ? -(s64)size : size);
		if (insn.rep)
			nkvm_x86_str_add(insn.adsz, &regs->rcx, -1);
		else
			regs->rip = next_rip;
		return 0;
	}

	in_page = df ? offset_in_page(regs->rdi) :
		       PAGE_SIZE - offset_in_page(regs->rdi);
	n = min3((u64)in_page, (u64)(PIO_READ_AHEAD / size), count);
	n = max(n, 1U);
	memset(pio_data(xv), 0, n * size);
	run->io.count = n;

	st->pending = true;
	st->rep = insn.rep;
	st->mode64 = insn.mode64;
	st->size = size;
	st->adsz = insn.adsz;
	st->count = n;
	st->rip = insn.rip;
	st->next_rip = next_rip;
	return 0;
}

bool nkvm_x86_complete_string_pio(struct nkvm_x86_vcpu *xv,
				  const struct kvm_sregs *sregs,
				  struct nkvm_x86_strio *st)
{
	struct kvm_regs *regs = &xv->regs;
	bool df = regs->rflags & X86_EFLAGS_DF;
	unsigned int i, len = st->count * st->size;
	u64 mask = nkvm_x86_str_mask(st->adsz, ~0ULL);
	const u8 *data = pio_data(xv);
	u64 la;

	st->pending = false;
	/* Userspace moved RIP meanwhile: the instruction is abandoned. */
	if (regs->rip != st->rip)
		return false;
	/*
	 * As stock's emulator, which goes on from the registers as they are
	 * now: if userspace lowered RCX, only that many elements are stored.
	 */
	if (st->rep) {
		u64 left = nkvm_x86_str_mask(st->adsz, regs->rcx);

		if (left < st->count) {
			st->count = left;
			len = st->count * st->size;
		}
		if (!st->count)
			return true;
	}

	la = nkvm_x86_str_linear(sregs, st->mode64, st->adsz, NKVM_SEG_ES,
				 regs->rdi);
	if (!df && (regs->rdi & mask) + len - 1 <= mask) {
		/* Upwards without wrapping: one block. */
		if (nkvm_x86_write_linear(xv, sregs, st->mode64, la, data, len))
			pr_debug("nkvm: INS to %#llx dropped\n", la);
		nkvm_x86_str_add(st->adsz, &regs->rdi, len);
	} else {
		for (i = 0; i < st->count; i++) {
			la = nkvm_x86_str_linear(sregs, st->mode64, st->adsz,
						 NKVM_SEG_ES, regs->rdi);
			if (nkvm_x86_write_linear(xv, sregs, st->mode64, la,
						  data + i * st->size,
						  st->size))
				pr_debug("nkvm: INS to %#llx dropped\n", la);
			nkvm_x86_str_add(st->adsz, &regs->rdi,
					 df ? -(s64)st->size : st->size);
		}
	}
	if (st->rep)
		nkvm_x86_str_add(st->adsz, &regs->rcx, -(s64)st->count);
	else
		regs->rip = st->next_rip;
	return true;
}
