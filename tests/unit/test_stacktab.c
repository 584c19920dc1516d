/*
 * The sampler's stack table (sampler/stacktab.c, compiled in here: the
 * unit tests do not link the sampler): a stack and tag intern to one id,
 * other tags of the same call stack get their own records but share its
 * pcs, and a full table or pool drops instead of growing.
 */
#include "../../sampler/stacktab.c"
#include "../test.h"

TEST(stacktab_records_of_one_stack_share_pcs)
{
    stacktab t;
    REQUIRE(stacktab_init(&t, 64, 64) == 0);
    const uintptr_t a[] = {0x1000, 0x2000, 0x3000, 0x4000};
    const uintptr_t b[] = {0x1000, 0x2000, 0x3000, 0x5000};
    uint32_t a0 = stacktab_intern(&t, a, 4, 0);
    uint32_t a7 = stacktab_intern(&t, a, 4, 7);
    uint32_t b0 = stacktab_intern(&t, b, 4, 0);
    REQUIRE(a0 != STACKTAB_FULL && a7 != STACKTAB_FULL && b0 != STACKTAB_FULL);
    CHECK(a0 != a7 && a0 != b0 && a7 != b0);
    /* The same stack and tag again: the same record. */
    CHECK_EQ_INT(stacktab_intern(&t, a, 4, 7), a7);
    CHECK_EQ_INT(stacktab_intern(&t, b, 4, 0), b0);
    /* a's two records point at one copy; b has its own; a prefix of a is
     * another stack. */
    CHECK_EQ_INT(t.meta[a0].pc_offset, t.meta[a7].pc_offset);
    CHECK(t.meta[b0].pc_offset != t.meta[a0].pc_offset);
    CHECK_EQ_INT(t.pcs_used, 8);
    uint32_t a3 = stacktab_intern(&t, a, 3, 0);
    REQUIRE(a3 != STACKTAB_FULL);
    CHECK_EQ_INT(t.meta[a3].depth, 3);
    CHECK_EQ_INT(t.pcs_used, 11);
    CHECK(memcmp(&t.pcs[t.meta[a7].pc_offset], a, sizeof a) == 0);
    CHECK(memcmp(&t.pcs[t.meta[b0].pc_offset], b, sizeof b) == 0);
    stacktab_fini(&t);
}

TEST(stacktab_full_drops)
{
    stacktab t;
    REQUIRE(stacktab_init(&t, 4, 10) == 0);
    uintptr_t s[3] = {0x10, 0x20, 0x30};
    /* Pool of 10 pcs: three stacks of 3 fit, a fourth does not, but
     * another tag of a stored stack needs no pcs and still fits. */
    for (int i = 0; i < 3; i++) {
        s[0] = 0x10 + (uintptr_t)i;
        CHECK(stacktab_intern(&t, s, 3, 0) != STACKTAB_FULL);
    }
    s[0] = 0x99;
    CHECK_EQ_INT(stacktab_intern(&t, s, 3, 0), STACKTAB_FULL);
    s[0] = 0x10;
    CHECK(stacktab_intern(&t, s, 3, 5) != STACKTAB_FULL);
    /* Four records: the table is full whatever the pcs. */
    CHECK_EQ_INT(stacktab_intern(&t, s, 3, 6), STACKTAB_FULL);
    CHECK_EQ_INT(atomic_load(&t.dropped), 2);
    stacktab_fini(&t);
}
