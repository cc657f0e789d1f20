/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nkvm tracepoints: the "nkvm" trace system (tracefs events/nkvm/, perf
 * trace, trace-cmd). virt/kvm/trace.c instantiates them; the call sites
 * are single trace_nkvm_*() lines in the core and the backends.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM nkvm

#if !defined(_NKVM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _NKVM_TRACE_H

#include <linux/tracepoint.h>
#include <linux/kvm.h>

#ifdef CONFIG_X86
#include <asm/svm.h>
#include <uapi/asm/vmx.h>
/*
 * The x86 backends report the hardware exit code, named by its vendor's
 * table: SVM's exit code, or VMX's exit reason (its basic reason named).
 */
#define NKVM_TRACE_SVM_EXIT_NAME(code) __print_symbolic(code, SVM_EXIT_REASONS)
#define NKVM_TRACE_VMX_EXIT_NAME(code) __print_symbolic((code) & 0xffff, VMX_EXIT_REASONS)
#else
#define NKVM_TRACE_SVM_EXIT_NAME(code) "-"
#define NKVM_TRACE_VMX_EXIT_NAME(code) "-"
#endif

TRACE_EVENT(nkvm_entry,
	    TP_PROTO(u32 vcpu_id, u64 rip),
	    TP_ARGS(vcpu_id, rip),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u64, rip)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->rip = rip;),
	    TP_printk("vcpu %u rip 0x%llx", __entry->vcpu_id, __entry->rip)
);

/* vmx: reason is a VMX exit reason, not an SVM exit code. */
TRACE_EVENT(nkvm_exit,
	    TP_PROTO(u32 vcpu_id, bool vmx, u64 reason, u64 rip, u64 info1, u64 info2),
	    TP_ARGS(vcpu_id, vmx, reason, rip, info1, info2),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u8, vmx)
			     __field(u64, reason)
			     __field(u64, rip)
			     __field(u64, info1)
			     __field(u64, info2)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->vmx = vmx;
			   __entry->reason = reason;
			   __entry->rip = rip;
			   __entry->info1 = info1;
			   __entry->info2 = info2;),
	    TP_printk("vcpu %u reason %s (0x%llx) rip 0x%llx info 0x%llx 0x%llx", __entry->vcpu_id,
		      __entry->vmx ? NKVM_TRACE_VMX_EXIT_NAME(__entry->reason) :
				     NKVM_TRACE_SVM_EXIT_NAME(__entry->reason),
		      __entry->reason, __entry->rip,
		      __entry->info1, __entry->info2)
);

/* Each return of KVM_RUN: the kvm_run exit reason, and the ioctl's value. */
TRACE_EVENT(nkvm_userspace_exit,
	    TP_PROTO(u32 vcpu_id, u32 reason, int ret),
	    TP_ARGS(vcpu_id, reason, ret),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u32, reason)
			     __field(int, ret)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->reason = reason;
			   __entry->ret = ret;),
	    TP_printk("vcpu %u reason %s (%u) ret %d", __entry->vcpu_id,
		      __print_symbolic(__entry->reason, { KVM_EXIT_UNKNOWN, "UNKNOWN" },
				       { KVM_EXIT_EXCEPTION, "EXCEPTION" }, { KVM_EXIT_IO, "IO" },
				       { KVM_EXIT_HYPERCALL, "HYPERCALL" },
				       { KVM_EXIT_DEBUG, "DEBUG" }, { KVM_EXIT_HLT, "HLT" },
				       { KVM_EXIT_MMIO, "MMIO" },
				       { KVM_EXIT_IRQ_WINDOW_OPEN, "IRQ_WINDOW_OPEN" },
				       { KVM_EXIT_SHUTDOWN, "SHUTDOWN" },
				       { KVM_EXIT_FAIL_ENTRY, "FAIL_ENTRY" },
				       { KVM_EXIT_INTR, "INTR" }, { KVM_EXIT_SET_TPR, "SET_TPR" },
				       { KVM_EXIT_TPR_ACCESS, "TPR_ACCESS" },
				       { KVM_EXIT_S390_SIEIC, "S390_SIEIC" },
				       { KVM_EXIT_INTERNAL_ERROR, "INTERNAL_ERROR" },
				       { KVM_EXIT_SYSTEM_EVENT, "SYSTEM_EVENT" },
				       { KVM_EXIT_IOAPIC_EOI, "IOAPIC_EOI" },
				       { KVM_EXIT_X86_RDMSR, "X86_RDMSR" },
				       { KVM_EXIT_X86_WRMSR, "X86_WRMSR" }),
		      __entry->reason, __entry->ret)
);

TRACE_EVENT(nkvm_pio,
	    TP_PROTO(u32 vcpu_id, bool in, u16 port, u8 size, bool string),
	    TP_ARGS(vcpu_id, in, port, size, string),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(bool, in)
			     __field(u16, port)
			     __field(u8, size)
			     __field(bool, string)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->in = in;
			   __entry->port = port;
			   __entry->size = size;
			   __entry->string = string;),
	    TP_printk("vcpu %u %s%s port 0x%x size %u", __entry->vcpu_id,
		      __entry->in ? "in" : "out", __entry->string ? "s" : "", __entry->port,
		      __entry->size)
);

TRACE_EVENT(nkvm_mmio,
	    TP_PROTO(u32 vcpu_id, bool write, u64 gpa, u32 len),
	    TP_ARGS(vcpu_id, write, gpa, len),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(bool, write)
			     __field(u64, gpa)
			     __field(u32, len)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->write = write;
			   __entry->gpa = gpa;
			   __entry->len = len;),
	    TP_printk("vcpu %u %s gpa 0x%llx len %u", __entry->vcpu_id,
		      __entry->write ? "write" : "read", __entry->gpa, __entry->len)
);

/* @info: vector in bits 7:0, type in 10:8, valid in 31 (the x86 layout). */
TRACE_EVENT_CONDITION(nkvm_inject,
		      TP_PROTO(u32 vcpu_id, u32 info, u32 error),
		      TP_ARGS(vcpu_id, info, error),
		      TP_CONDITION(info & BIT(31)),
		      TP_STRUCT__entry(__field(u32, vcpu_id)
				       __field(u32, info)
				       __field(u32, error)),
		      TP_fast_assign(__entry->vcpu_id = vcpu_id;
				     __entry->info = info;
				     __entry->error = error;),
		      TP_printk("vcpu %u %s vector %u error 0x%x", __entry->vcpu_id,
				__print_symbolic((__entry->info >> 8) & 7, { 0, "INTR" },
						 { 2, "NMI" }, { 3, "EXCEPTION" }, { 4, "SOFT" }),
				__entry->info & 0xff, __entry->error)
);

TRACE_EVENT(nkvm_page_fault,
	    TP_PROTO(u32 vcpu_id, u64 gpa, u64 error, int ret),
	    TP_ARGS(vcpu_id, gpa, error, ret),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u64, gpa)
			     __field(u64, error)
			     __field(int, ret)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->gpa = gpa;
			   __entry->error = error;
			   __entry->ret = ret;),
	    TP_printk("vcpu %u gpa 0x%llx error 0x%llx ret %d", __entry->vcpu_id, __entry->gpa,
		      __entry->error, __entry->ret)
);

TRACE_EVENT(nkvm_hypercall,
	    TP_PROTO(u32 vcpu_id, u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, long ret),
	    TP_ARGS(vcpu_id, nr, a0, a1, a2, a3, ret),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u64, nr)
			     __field(u64, a0)
			     __field(u64, a1)
			     __field(u64, a2)
			     __field(u64, a3)
			     __field(long, ret)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->nr = nr;
			   __entry->a0 = a0;
			   __entry->a1 = a1;
			   __entry->a2 = a2;
			   __entry->a3 = a3;
			   __entry->ret = ret;),
	    TP_printk("vcpu %u nr %llu a0 0x%llx a1 0x%llx a2 0x%llx a3 0x%llx ret %ld",
		      __entry->vcpu_id, __entry->nr, __entry->a0, __entry->a1, __entry->a2,
		      __entry->a3, __entry->ret)
);

#endif /* _NKVM_TRACE_H */

/*
 * An out-of-tree module's trace header is read again by define_trace.h
 * through TRACE_INCLUDE_PATH/TRACE_INCLUDE_FILE.h: "nkvm/trace.h", found
 * through the module's -I$(src)/include. Outside the header guard, so the
 * multi-read passes see it too.
 */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH nkvm
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
