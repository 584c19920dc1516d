/*
 * The SIGPROF handler and the state it shares with the session code.
 */
#ifndef HEARTH_SAMPLER_CPU_HANDLER_H
#define HEARTH_SAMPLER_CPU_HANDLER_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "cpu_ring.h"

typedef struct cpu_shared {
    cpu_ring ring;             /* mapped once by the first session */
    _Atomic uint32_t gen;      /* the running session's number, 0 = none;
                                  written by the session code (release) */
    _Atomic int in_handler;    /* handlers between entry and exit */
    _Atomic uint64_t dropped;  /* periods lost to a full ring */
} cpu_shared;

/* Written by cpu_control.c (ring at the first start, gen at each start and
 * stop); read by the handler. */
extern cpu_shared cpu_g;

/* Runs in signal context. The SA_SIGINFO handler for SIGPROF. */
void cpu_handler(int sig, siginfo_t *si, void *uc);

#endif
