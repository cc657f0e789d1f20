// SPDX-License-Identifier: GPL-2.0
/*
 * nkvm: the one object that instantiates the nkvm tracepoints
 * (include/nkvm/trace.h).
 */
#define CREATE_TRACE_POINTS
#include <nkvm/trace.h>
