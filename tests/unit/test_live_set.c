/*
 * The sampler's live-sample set (sampler/live_set.c, compiled in here: the
 * unit tests do not link the sampler): sizes round-trip exactly below
 * 2 GiB and in 4 KiB units above, removal returns what insertion stored,
 * the filter in front lets unsampled addresses out and sampled ones in,
 * and the entry stays 16 bytes.
 */
#include "../../sampler/live_set.c"
#include "../test.h"

TEST(live_set_entry_is_16_bytes)
{
    CHECK_EQ_INT(sizeof(live_entry), 16);
}

TEST(live_set_sizes_round_trip)
{
    static const uint64_t exact[] = {0, 1, 16, 4096, 1000003, LIVE_SIZE_BIG - 1};
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        CHECK_EQ_INT(live_size_kept(exact[i]), exact[i]);
    /* 2 GiB and more: whole 4 KiB units, never more than asked, and what
     * is kept round-trips unchanged. */
    static const uint64_t big[] = {LIVE_SIZE_BIG, (5ull << 30) + 123, (1ull << 40) + 4097};
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
        uint64_t k = live_size_kept(big[i]);
        CHECK(k <= big[i] && big[i] - k < 4096 && k % 4096 == 0);
        CHECK_EQ_INT(live_size_kept(k), k);
    }
    /* Beyond 8 TiB the size saturates instead of wrapping. */
    CHECK(live_size_kept(1ull << 50) >= (8ull << 40) - 8192);
}

TEST(live_set_insert_remove)
{
    live_set s;
    REQUIRE(live_set_init(&s, 1024) == 0);
    uint32_t stack;
    uint64_t size;
    CHECK(!live_set_remove(&s, 0x10000, &stack, &size));
    CHECK(live_set_insert(&s, 0x10000, 7, 4096));
    CHECK(live_set_insert(&s, 0x20010, 9, (6ull << 30) + 5));
    CHECK_EQ_INT(atomic_load(&s.count), 2);
    /* The filter counts by 4 KiB page: the sampled blocks' pages are
     * marked, a page with none is not. */
    CHECK_EQ_INT(atomic_load(&s.filter[live_filter_index(0x10000)]), 1);
    CHECK_EQ_INT(atomic_load(&s.filter[live_filter_index(0x10ff0)]), 1);
    CHECK_EQ_INT(atomic_load(&s.filter[live_filter_index(0x11000)]), 0);
    /* A neighbour never sampled is not found. */
    CHECK(!live_set_remove(&s, 0x10010, &stack, &size));
    REQUIRE(live_set_remove(&s, 0x20010, &stack, &size));
    CHECK_EQ_INT(stack, 9);
    CHECK_EQ_INT(size, live_size_kept((6ull << 30) + 5));
    REQUIRE(live_set_remove(&s, 0x10000, &stack, &size));
    CHECK_EQ_INT(stack, 7);
    CHECK_EQ_INT(size, 4096);
    /* Removed once, gone: a second free of the address finds nothing. */
    CHECK(!live_set_remove(&s, 0x10000, &stack, &size));
    CHECK_EQ_INT(atomic_load(&s.count), 0);
    live_set_fini(&s);
}

TEST(live_set_many_entries_and_filter)
{
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 14) == 0);
    uint32_t stack;
    uint64_t size;
    /* 4,000 blocks 48 bytes apart, as a heap hands them out. */
    for (uint32_t i = 0; i < 4000; i++)
        REQUIRE(live_set_insert(&s, 0x7f0000000000u + 48u * i, i, i + 1));
    size_t kept = 0;
    for (uint32_t i = 0; i < 4000; i += 2) {
        REQUIRE(live_set_remove(&s, 0x7f0000000000u + 48u * i, &stack, &size));
        CHECK_EQ_INT(stack, i);
        CHECK_EQ_INT(size, i + 1);
    }
    for (uint32_t i = 1; i < 4000; i += 2)
        kept += live_set_remove(&s, 0x7f0000000000u + 48u * i, &stack, &size) && stack == i;
    CHECK_EQ_INT(kept, 2000);
    CHECK_EQ_INT(atomic_load(&s.count), 0);
    /* Every counter is back at zero, so frees stop at the filter again. */
    size_t nonzero = 0;
    for (size_t i = 0; i < ((size_t)1 << LIVE_FILTER_BITS); i++)
        nonzero += atomic_load(&s.filter[i]) != 0;
    CHECK_EQ_INT(nonzero, 0);
    live_set_fini(&s);
}

/* Pages of the slot table that are mapped (mincore), of n_pages. */
static size_t resident_pages(const live_set *s, size_t n_pages)
{
    unsigned char vec[256];
    if (n_pages > sizeof vec || mincore(s->slots, n_pages * 4096, vec) != 0)
        return SIZE_MAX;
    size_t n = 0;
    for (size_t i = 0; i < n_pages; i++)
        n += vec[i] & 1;
    return n;
}

TEST(live_set_lookups_leave_untouched_pages_alone)
{
    /* 16,384 slots: 64 pages. One sampled block, then lookups of 2,000
     * blocks never sampled (the case of a free whose page holds a sampled
     * block): each lands on a random slot, and a lookup that reads a page
     * no insert ever wrote would map it (the zero page, which the first
     * insert there must then copy, flushing the other CPUs' TLBs). */
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 14) == 0);
    size_t pages = ((size_t)1 << 14) * sizeof(live_entry) / 4096;
    CHECK_EQ_INT(resident_pages(&s, pages), 0);
    REQUIRE(live_set_insert(&s, 0x5550000010u, 3, 64));
    size_t after_insert = resident_pages(&s, pages);
    CHECK(after_insert >= 1 && after_insert <= 2);
    uint32_t stack;
    uint64_t size;
    for (uint32_t i = 1; i <= 2000; i++)
        CHECK(!live_set_remove_slow(&s, 0x5550000010u + 16u * i, &stack, &size));
    CHECK_EQ_INT(resident_pages(&s, pages), after_insert);
    /* Blocks inserted on many pages are all found again. */
    for (uint32_t i = 1; i <= 2000; i++)
        REQUIRE(live_set_insert(&s, 0x6660000000u + 4096u * i, i, i));
    CHECK(resident_pages(&s, pages) > after_insert);
    size_t found = 0;
    for (uint32_t i = 1; i <= 2000; i++)
        found += live_set_remove_slow(&s, 0x6660000000u + 4096u * i, &stack, &size) && stack == i;
    CHECK_EQ_INT(found, 2000);
    REQUIRE(live_set_remove_slow(&s, 0x5550000010u, &stack, &size));
    CHECK_EQ_INT(stack, 3);
    live_set_fini(&s);
}
