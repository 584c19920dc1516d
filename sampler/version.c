/*
 * The library's version, so a service (or a person with gdb) can tell which
 * libhearth it has loaded.
 */
#include "hearth.h"

#define STR2(x) #x
#define STR(x) STR2(x)

const char *hearth_version(void)
{
    return STR(HEARTH_VERSION_MAJOR) "." STR(HEARTH_VERSION_MINOR) "." STR(
        HEARTH_VERSION_PATCH);
}
