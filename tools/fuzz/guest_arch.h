/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What guest_fuzz needs from an architecture (guest_<arch>.c): the guest's
 * memory layout and memslots, the modes it can start a vCPU in, and a
 * generator of guest code. guest_fuzz.c itself knows no instruction set.
 */
#ifndef NKVM_GUEST_ARCH_H
#define NKVM_GUEST_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "guest.h"

struct gcase {
	struct rng *r;
	struct rng *extra;	/* for set-up choices added later (keeps r's cases) */
	struct guest *g;
	uint8_t *mem;		/* host view of guest RAM at GPA 0 */
	unsigned int mode;	/* index into mode_names */
	bool random_bytes;	/* code: random bytes, else generated */
	size_t code_len;	/* set by prepare() */
	bool verbose;
};

struct guest_arch {
	const char *name;
	unsigned int nmodes;
	const char *const *mode_names;
	size_t mem_size;	/* bytes of host memory behind the memslots */
	/* Memslots for the VM (g->vm); false (errno set) on failure. */
	bool (*set_slots)(struct gcase *c);
	/* Fill guest memory: tables, stubs, the code of the case. */
	void (*prepare)(struct gcase *c);
	/* Registers for the mode (vCPU created); false (errno set) on failure. */
	bool (*enter)(struct gcase *c);
	/* Optional: VM set-up (in-kernel devices), before the vCPU exists. */
	void (*vm_setup)(struct gcase *c);
	/* Optional: vCPU set-up such as CPUID, done before enter(). */
	void (*vcpu_setup)(struct gcase *c);
	/* Offset of the code in mem, for -v dumps. */
	uint64_t code_gpa;
};

extern const struct guest_arch guest_arch;

#endif
