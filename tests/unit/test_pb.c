/*
 * Protobuf wire format: varints at every length, both packed and unpacked
 * repeated fields, unknown fields skipped, and each failure with its offset.
 */
#include "../../formats/pb.h"
#include "../test.h"

static int read_one(const uint8_t *b, size_t n, uint64_t *v, pb_reader *r)
{
    pb_reader_init(r, b, n);
    return pb_read_varint(r, v);
}

TEST(test_pb__varints_roundtrip_at_every_length)
{
    uint64_t cases[] = {0, 1, 127, 128, 300, 16383, 16384, (1ull << 35) - 1,
                        1ull << 56, UINT64_MAX, (uint64_t)-1ll, (uint64_t)INT64_MIN};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pb_writer w;
        pb_writer_init(&w);
        pb_put_varint(&w, cases[i]);
        REQUIRE(!w.oom);
        CHECK_EQ_INT(w.len, pb_varint_size(cases[i]));
        uint64_t v = 0;
        pb_reader r;
        CHECK_EQ_INT(read_one(w.buf, w.len, &v, &r), 0);
        CHECK(v == cases[i]);
        CHECK(pb_eof(&r));
        pb_writer_fini(&w);
    }
}

TEST(test_pb__negative_int64_takes_ten_bytes)
{
    pb_writer w;
    pb_writer_init(&w);
    pb_put_int64(&w, 1, -1);
    CHECK_EQ_INT(w.len, 11); /* tag + 10 */
    pb_writer_fini(&w);
}

TEST(test_pb__truncated_varint_reports_its_start_offset)
{
    uint8_t b[] = {0x08, 0x96};
    pb_reader r;
    uint64_t v;
    pb_reader_init(&r, b, sizeof b);
    uint32_t f;
    int wire;
    REQUIRE(pb_read_tag(&r, &f, &wire) == 0);
    CHECK(pb_read_varint(&r, &v) < 0);
    CHECK_EQ_INT(r.err, PB_ERR_TRUNC_VARINT);
    CHECK_EQ_INT(r.err_offset, 1);
    CHECK_EQ_STR(pb_strerror(r.err), "truncated varint");
}

TEST(test_pb__eleven_byte_varint_is_rejected)
{
    uint8_t b[11];
    memset(b, 0xff, 10);
    b[10] = 0x01;
    pb_reader r;
    uint64_t v;
    CHECK(read_one(b, sizeof b, &v, &r) < 0);
    CHECK_EQ_INT(r.err, PB_ERR_LONG_VARINT);
    /* A tenth byte above 1 would overflow 64 bits. */
    uint8_t c[10];
    memset(c, 0xff, 9);
    c[9] = 0x02;
    CHECK(read_one(c, sizeof c, &v, &r) < 0);
    CHECK_EQ_INT(r.err, PB_ERR_LONG_VARINT);
}

TEST(test_pb__length_past_the_end_is_rejected)
{
    uint8_t b[] = {0x12, 0x05, 'a', 'b'};
    pb_reader r;
    pb_reader_init(&r, b, sizeof b);
    uint32_t f;
    int wire;
    REQUIRE(pb_read_tag(&r, &f, &wire) == 0);
    CHECK_EQ_INT(f, 2);
    CHECK_EQ_INT(wire, PB_LEN);
    const uint8_t *d;
    size_t n;
    CHECK(pb_read_len(&r, &d, &n) < 0);
    CHECK_EQ_INT(r.err, PB_ERR_TRUNC);
    CHECK_EQ_INT(r.err_offset, 1);
}

TEST(test_pb__groups_and_field_zero_are_rejected)
{
    uint8_t group[] = {0x0b}; /* field 1, wire 3 */
    uint8_t zero[] = {0x00};
    pb_reader r;
    uint32_t f;
    int wire;
    pb_reader_init(&r, group, 1);
    CHECK(pb_read_tag(&r, &f, &wire) < 0);
    CHECK_EQ_INT(r.err, PB_ERR_WIRE);
    pb_reader_init(&r, zero, 1);
    CHECK(pb_read_tag(&r, &f, &wire) < 0);
    CHECK_EQ_INT(r.err, PB_ERR_FIELD_ZERO);
}

TEST(test_pb__skip_handles_every_wire_type)
{
    pb_writer w;
    pb_writer_init(&w);
    pb_put_tag(&w, 1, PB_VARINT);
    pb_put_varint(&w, 300);
    pb_put_tag(&w, 2, PB_FIXED64);
    for (int i = 0; i < 8; i++)
        pb_put_varint(&w, 0);
    pb_put_tag(&w, 3, PB_FIXED32);
    for (int i = 0; i < 4; i++)
        pb_put_varint(&w, 0);
    pb_put_bytes(&w, 4, "hello", 5);
    pb_put_tag(&w, 5, PB_VARINT);
    pb_put_varint(&w, 7);
    REQUIRE(!w.oom);
    pb_reader r;
    pb_reader_init(&r, w.buf, w.len);
    uint32_t f;
    int wire;
    for (int i = 0; i < 4; i++) {
        REQUIRE(pb_read_tag(&r, &f, &wire) == 0);
        CHECK_EQ_INT(f, (uint32_t)i + 1);
        CHECK_EQ_INT(pb_skip(&r, wire), 0);
    }
    REQUIRE(pb_read_tag(&r, &f, &wire) == 0);
    uint64_t v;
    CHECK_EQ_INT(pb_read_varint(&r, &v), 0);
    CHECK_EQ_INT(v, 7);
    CHECK(pb_eof(&r));
    /* A fixed64 with only 3 bytes left fails. */
    uint8_t short64[] = {0x09, 1, 2, 3};
    pb_reader_init(&r, short64, sizeof short64);
    REQUIRE(pb_read_tag(&r, &f, &wire) == 0);
    CHECK(pb_skip(&r, wire) < 0);
    pb_writer_fini(&w);
}

TEST(test_pb__nested_messages_longer_than_127_bytes_get_a_two_byte_length)
{
    pb_writer w;
    pb_writer_init(&w);
    size_t m = pb_begin(&w, 2);
    char big[200];
    memset(big, 'x', sizeof big);
    pb_put_bytes(&w, 1, big, sizeof big);
    pb_end(&w, m);
    REQUIRE(!w.oom);
    pb_reader r;
    pb_reader_init(&r, w.buf, w.len);
    uint32_t f;
    int wire;
    REQUIRE(pb_read_tag(&r, &f, &wire) == 0);
    const uint8_t *d;
    size_t n;
    REQUIRE(pb_read_len(&r, &d, &n) == 0);
    CHECK_EQ_INT(n, 203); /* tag + 2-byte length + 200 */
    CHECK(pb_eof(&r));
    pb_writer_fini(&w);
}

TEST(test_pb__packed_fields_encode_as_one_length_delimited_run)
{
    uint64_t v[] = {1, 300, 5};
    pb_writer w;
    pb_writer_init(&w);
    pb_put_packed_u64(&w, 1, v, 3);
    uint8_t want[] = {0x0a, 0x04, 0x01, 0xac, 0x02, 0x05};
    CHECK_EQ_INT(w.len, sizeof want);
    CHECK(memcmp(w.buf, want, sizeof want) == 0);
    pb_writer_fini(&w);
}
