/*
 * Mappings and pc -> location ids for the profile builders. The pc table
 * is open addressing sized to twice the pcs the caller expects (the sum of
 * its stacks' depths), so it never fills and never grows while a profile
 * is built; memory follows the stacks kept, which are capped.
 */
#include "pc_locations.h"

#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"

int pc_locations_init(pc_locations *l, profile *p, const procmap *maps, size_t n_maps,
                      const char *main_path, size_t expected_pcs)
{
    memset(l, 0, sizeof *l);
    l->p = p;
    l->maps = maps;
    l->n_maps = n_maps;
    l->cap = 1024;
    while (l->cap < expected_pcs * 2)
        l->cap *= 2;
    l->mapping_ids = calloc(n_maps + 1, sizeof *l->mapping_ids);
    l->keys = calloc(l->cap, sizeof *l->keys);
    l->ids = calloc(l->cap, sizeof *l->ids);
    if (!l->mapping_ids || !l->keys || !l->ids)
        return HEARTH_ENOMEM;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n_maps; i++) {
            bool is_main = main_path && !strcmp(maps[i].path, main_path);
            if (is_main != (pass == 0))
                continue;
            profile_mapping m;
            memset(&m, 0, sizeof m);
            m.memory_start = maps[i].start;
            m.memory_limit = maps[i].end;
            m.file_offset = maps[i].offset;
            m.filename = profile_intern(p, maps[i].path);
            if (m.filename < 0)
                return HEARTH_ENOMEM;
            int64_t id = profile_add_mapping(p, &m);
            if (id < 0)
                return HEARTH_ENOMEM;
            l->mapping_ids[i] = (uint64_t)id;
        }
    }
    return 0;
}

int64_t pc_locations_get(pc_locations *l, uint64_t pc)
{
    size_t i = (size_t)((pc * 0x9e3779b97f4a7c15ull) >> 17) & (l->cap - 1);
    while (l->keys[i] && l->keys[i] != pc + 1)
        i = (i + 1) & (l->cap - 1);
    if (l->keys[i])
        return (int64_t)l->ids[i];
    const procmap *mp = procmaps_find(l->maps, l->n_maps, pc);
    uint64_t mid = mp ? l->mapping_ids[mp - l->maps] : 0;
    int64_t id = profile_add_location(l->p, mid, pc, NULL, 0);
    if (id < 0)
        return id;
    l->keys[i] = pc + 1;
    l->ids[i] = (uint64_t)id;
    return id;
}

void pc_locations_fini(pc_locations *l)
{
    free(l->mapping_ids);
    free(l->keys);
    free(l->ids);
    memset(l, 0, sizeof *l);
}
