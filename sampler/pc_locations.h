/*
 * The part every sampled profile shares: the process's executable
 * mappings as the profile's Mapping table (main binary first, as pprof
 * expects) and one Location per distinct pc, with its mapping. Used by the
 * heap and CPU profile builders on the dump thread.
 */
#ifndef HEARTH_SAMPLER_PC_LOCATIONS_H
#define HEARTH_SAMPLER_PC_LOCATIONS_H

#include <stddef.h>
#include <stdint.h>

#include "../formats/procmaps.h"
#include "../formats/profile.h"

typedef struct pc_locations {
    profile *p;
    const procmap *maps;
    size_t n_maps;
    uint64_t *mapping_ids; /* per map */
    uint64_t *keys;        /* pc + 1, 0 = empty */
    uint64_t *ids;         /* location id per key */
    size_t cap;
} pc_locations;

/* Adds maps to p as mappings (main_path's first) and sizes the pc table for
 * about expected_pcs pcs. Returns 0 or HEARTH_ENOMEM. */
int pc_locations_init(pc_locations *l, profile *p, const procmap *maps, size_t n_maps,
                      const char *main_path, size_t expected_pcs);

/* The location id of pc, added on first use; negative on ENOMEM. */
int64_t pc_locations_get(pc_locations *l, uint64_t pc);

void pc_locations_fini(pc_locations *l);

#endif
