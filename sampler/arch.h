/*
 * The one place that picks the architecture file. Each arch_<cpu>.h
 * defines the same names (arch_regs, ARCH_DWARF_*, ARCH_REGS_HERE, ...).
 */
#ifndef HEARTH_SAMPLER_ARCH_H
#define HEARTH_SAMPLER_ARCH_H

#if defined(__x86_64__)
#include "arch_x86_64.h"
#else
#error "hearth's unwinder knows x86-64 only: add sampler/arch_<cpu>.h"
#endif

#endif
