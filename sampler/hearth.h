/*
 * hearth.h — the public interface of libhearth, the in-process sampler.
 *
 * Load it without code changes (LD_PRELOAD=libhearth.so ./service) or link
 * libhearth.a and call these functions. Everything else in the library is
 * hidden so it cannot clash with the service's own symbols.
 */
#ifndef HEARTH_H
#define HEARTH_H

#ifdef __cplusplus
extern "C" {
#endif

#define HEARTH_API __attribute__((visibility("default")))

#define HEARTH_VERSION_MAJOR 0
#define HEARTH_VERSION_MINOR 1
#define HEARTH_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH". Static storage. */
HEARTH_API const char *hearth_version(void);

#ifdef __cplusplus
}
#endif

#endif
