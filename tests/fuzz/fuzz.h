/*
 * What every fuzz target shares: libFuzzer's entry point, and the check
 * that aborts (libFuzzer's and replay.c's failure signal) with the file,
 * line and condition that failed.
 */
#ifndef HEARTH_TESTS_FUZZ_H
#define HEARTH_TESTS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...)                                                 \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond);         \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif
