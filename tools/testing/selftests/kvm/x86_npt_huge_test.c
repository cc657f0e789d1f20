// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory backed by 2 MiB hugetlb pages is mapped with 2 MiB nested
 * page table entries (the VM's pages_2m statistic says so), and those stay
 * coherent with the host: after MADV_DONTNEED drops one huge page the
 * guest sees the new (zeroed, then host-written) page and pages_2m goes
 * down; once dirty logging is turned on the guest's writes are logged
 * page by page and no 2 MiB mapping is left.
 *
 * A 64-bit guest (the lib's identity map of 4 MiB) loops: read the byte
 * at DATA_GPA and OUT it to port 0x10, write 0x77 to WRITE_GPA, OUT to
 * port 0x11. Skipped when the kernel gives no hugetlb pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "test.h"
#include "guest.h"

#define NR_CHECKS	9

#if defined(__x86_64__)

#define MEM_SIZE	(4 * MiB)
#define CODE_GPA	0x1000
#define DATA_GPA	0x201000
#define WRITE_GPA	0x202000
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

asm(".pushsection .rodata\n"
    ".code64\n"
    "huge_guest:\n"
    "	movb 0x201000, %al\n"
    "	out %al, $0x10\n"
    "	movb $0x77, 0x202000\n"
    "	out %al, $0x11\n"
    "	jmp huge_guest\n"
    "huge_guest_end:\n"
    ".popsection\n");
extern const uint8_t huge_guest[], huge_guest_end[];

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static bool write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fprintf(f, "%ld\n", v) > 0;
	return !fclose(f) && ok;
}

/* The VM's pages_2m, or -1 when it cannot be read. */
static long pages_2m(int stats_fd)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t dsize;
	uint64_t v;
	char *descs;
	long r = -1;
	unsigned int i;

	if (pread(stats_fd, &h, sizeof(h), 0) != sizeof(h))
		return -1;
	dsize = sizeof(*d) + h.name_size;
	descs = malloc(dsize * h.num_desc);
	if (!descs)
		return -1;
	if (pread(stats_fd, descs, dsize * h.num_desc, h.desc_offset) !=
	    (ssize_t)(dsize * h.num_desc))
		goto out;
	for (i = 0; i < h.num_desc; i++) {
		d = (struct kvm_stats_desc *)(descs + i * dsize);
		if (strcmp(d->name, "pages_2m"))
			continue;
		if (pread(stats_fd, &v, sizeof(v), h.data_offset + d->offset) ==
		    sizeof(v))
			r = v;
		break;
	}
out:
	free(descs);
	return r;
}

/* One round of the guest loop: the byte it read (-1: it did not run). */
static int guest_round(struct guest *g)
{
	int v = guest_out_byte(g);

	if (v < 0 || guest_out_byte(g) < 0 || g->run->io.port != 0x11)
		return -1;
	return v;
}

static bool set_slot_flags(struct guest *g, void *mem, __u32 flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = 0, .flags = flags, .guest_phys_addr = 0,
		.memory_size = MEM_SIZE, .userspace_addr = (uintptr_t)mem,
	};

	return !ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static void run_test(uint8_t *mem)
{
	uint64_t bitmap[MEM_SIZE / 4096 / 64];
	struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = bitmap };
	long p0, p1, p2;
	struct guest g;
	int stats, v;

	memcpy(mem + CODE_GPA, huge_guest, huge_guest_end - huge_guest);
	guest_create(&g, open_kvm());
	guest_set_slot(&g, 0, 0, mem, MEM_SIZE, 0);
	guest_add_vcpu(&g);
	if (!guest_flat_mode(&g, mem, true, CODE_GPA, 0))
		tap_bail("long mode: %m");
	stats = ioctl(g.vm, KVM_GET_STATS_FD, 0);
	if (stats < 0)
		tap_bail("KVM_GET_STATS_FD: %m");

	mem[DATA_GPA] = 0x11;
	v = guest_round(&g);
	tap_ok(v == 0x11 && mem[WRITE_GPA] == 0x77,
	       "the guest reads and writes hugetlb-backed memory (read %#x)",
	       v);
	p0 = pages_2m(stats);
	tap_ok(p0 >= 1, "pages_2m counts the 2 MiB mappings (%ld)", p0);

	/* Drop the second huge page: the guest must not keep the old one. */
	if (madvise(mem + 2 * MiB, 2 * MiB, MADV_DONTNEED))
		tap_bail("MADV_DONTNEED: %m");
	p1 = pages_2m(stats);
	tap_ok(p1 >= 0 && p1 < p0, "MADV_DONTNEED drops a 2 MiB mapping (%ld -> %ld)",
	       p0, p1);
	tap_ok(mem[DATA_GPA] == 0 && mem[WRITE_GPA] == 0,
	       "the host sees a fresh zeroed huge page");
	mem[DATA_GPA] = 0x22;
	v = guest_round(&g);
	tap_ok(v == 0x22 && mem[WRITE_GPA] == 0x77,
	       "the guest sees the host's new page, the host the guest's write (read %#x)",
	       v);
	p2 = pages_2m(stats);
	tap_ok(p2 == p0, "the page is mapped with 2 MiB again (%ld)", p2);

	/* Dirty logging: every write must be logged, so no 2 MiB mapping. */
	if (!set_slot_flags(&g, mem, KVM_MEM_LOG_DIRTY_PAGES) ||
	    ioctl(g.vm, KVM_GET_DIRTY_LOG, &log))
		tap_bail("dirty logging on: %m");
	mem[WRITE_GPA] = 0;
	mem[DATA_GPA] = 0x33;
	v = guest_round(&g);
	tap_ok(v == 0x33 && mem[WRITE_GPA] == 0x77,
	       "with dirty logging the guest still runs (read %#x)", v);
	memset(bitmap, 0, sizeof(bitmap));
	if (ioctl(g.vm, KVM_GET_DIRTY_LOG, &log))
		tap_bail("KVM_GET_DIRTY_LOG: %m");
	tap_ok((bitmap[(WRITE_GPA >> 12) / 64] >> ((WRITE_GPA >> 12) % 64)) & 1,
	       "the guest's write through a former 2 MiB mapping is logged");
	p2 = pages_2m(stats);
	tap_ok(p2 == 0, "no 2 MiB mapping while logging (%ld)", p2);

	close(stats);
	close(g.kvm);
	guest_destroy(&g);
}

int main(void)
{
	long old;
	uint8_t *mem;
	int i;

	tap_plan(NR_CHECKS);
	old = read_long(NR_HUGEPAGES);
	/* Two for us and a spare; what others use they keep. */
	if (old < 0 || !write_long(NR_HUGEPAGES, old + 3)) {
		for (i = 0; i < NR_CHECKS; i++)
			tap_skip("no hugetlb pages", "2 MiB nested mappings");
		return tap_finish();
	}
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (mem == MAP_FAILED) {
		for (i = 0; i < NR_CHECKS; i++)
			tap_skip("no hugetlb pages", "2 MiB nested mappings");
	} else {
		run_test(mem);
		munmap(mem, MEM_SIZE);
	}
	write_long(NR_HUGEPAGES, old);
	return tap_finish();
}

#else
int main(void)
{
	tap_plan(1);
	tap_skip("x86 only", "2 MiB nested mappings");
	return tap_finish();
}
#endif
