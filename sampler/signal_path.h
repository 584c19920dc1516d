/*
 * Marks the functions a CPU sample runs through (the SIGPROF handler, the
 * ring claim, the unwinder and the table lookups). GCC places hot
 * functions in .text.hot, which the linker gathers in one place, so a
 * sample executes from one or two code pages instead of four spread over
 * the library: at 100 Hz each sample starts with the code cold in cache
 * and in the TLB, and every extra page is a page walk (BENCHMARKS.md,
 * "CPU sampler").
 */
#ifndef HEARTH_SAMPLER_SIGNAL_PATH_H
#define HEARTH_SAMPLER_SIGNAL_PATH_H

#define SIGNAL_PATH __attribute__((hot))

#endif
