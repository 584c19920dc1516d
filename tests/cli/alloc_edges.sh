# The allocator's edge cases under libhearth print what they print
# without it: tests/workloads/alloc_edges.c runs every case (malloc(0),
# huge sizes and overflows, calloc zeroing, realloc to 0 and to SIZE_MAX,
# reallocarray, posix_memalign/aligned_alloc/memalign alignments, valloc,
# pvalloc, malloc_usable_size, free(NULL)) and loops of successful calls
# counting errno changes, once without any preload and then preloaded at
# the default rate, at HEARTH_ALLOC_RATE=1 (every allocation sampled) and
# at rate 1 with a 10 ms timeline, linked with libhearth.a at rate 1, and
# preloaded at rate 1 with the sampler's writes to its own pipe failing;
# each output must equal the plain one line for line.
. tests/cli/lib.sh
# LD_PRELOAD is set on the workload itself (through env, after timeout),
# as in heap.sh.
LIB=${HEARTH_SAMPLER_LIB:-$BUILD/libhearth.so}
CC=${CC:-cc}
W=$TMP/w
mkdir -p "$W"
# The lines alloc_edges.c prints, the last being "done"; change both
# together.
EXPECTED_LINES=128
# Allocations the loops of alloc_edges.c make (main: 200,000 mallocs and
# 100,000 other calls; 4 threads: 4,000 each): at HEARTH_ALLOC_RATE=1 each
# is sampled.
LOOP_ALLOCS=316000

build() { # build OUT SRC
    $CC -O2 -g -Wall -Wextra -o "$1" "$2" -ldl -pthread 2>"$TMP/cc.log" || { cat "$TMP/cc.log"; return 1; }
}
if ! build "$TMP/edges" tests/workloads/alloc_edges.c >"$TMP/build.out" 2>&1 ||
    ! $CC -O2 -g -Wall -Wextra -shared -fPIC -o "$TMP/write_eagain.so" \
        tests/workloads/write_eagain.c >>"$TMP/build.out" 2>&1; then
    not_ok build_alloc_edges "$(cat "$TMP/build.out")"
    finish
    exit
fi

# run NAME [VAR=VALUE...]: the workload without any preload (NAME plain)
# or preloaded with the given settings; stdout in $TMP/NAME.out, stderr in
# $TMP/NAME.err, the exit status in $TMP/NAME.rc, profiles in $W/NAME.*.
run() {
    name=$1
    shift
    if [ "$name" = plain ]; then
        timeout 60 env -u LD_PRELOAD "$TMP/edges" >"$TMP/$name.out" 2>"$TMP/$name.err"
    elif [ "$name" = static ]; then
        timeout 60 env -u LD_PRELOAD HEARTH_OUT="$W/$name" "$@" "$TMP/edges_static" \
            >"$TMP/$name.out" 2>"$TMP/$name.err"
    else
        timeout 60 env HEARTH_OUT="$W/$name" "$@" LD_PRELOAD="${PRE:+$PRE }$LIB" "$TMP/edges" \
            >"$TMP/$name.out" 2>"$TMP/$name.err"
    fi
    echo $? >"$TMP/$name.rc"
}

exits_0() { # exits_0 NAME: one check
    rc=$(cat "$TMP/$1.rc")
    if [ "$rc" = 0 ]; then
        ok "${1}_run_exits_0"
    else
        not_ok "${1}_run_exits_0" "exit $rc; stderr: $(tail -5 "$TMP/$1.err"); last line: $(tail -n 1 "$TMP/$1.out")"
    fi
}

run plain
exits_0 plain
n=$(wc -l <"$TMP/plain.out")
last=$(tail -n 1 "$TMP/plain.out")
if [ "$n" -eq "$EXPECTED_LINES" ] && [ "$last" = "done" ]; then
    ok "plain_run_prints_${EXPECTED_LINES}_lines_ending_in_done"
else
    not_ok "plain_run_prints_${EXPECTED_LINES}_lines_ending_in_done" "$n lines, last: $last"
fi

# same_as_plain NAME: the preloaded output equals the plain one, line
# for line (the diff on failure).
same_as_plain() {
    if d=$(diff "$TMP/plain.out" "$TMP/$1.out"); then
        ok "${1}_output_equals_the_run_without_preload"
    else
        not_ok "${1}_output_equals_the_run_without_preload" "diff plain $1:
$d"
    fi
}

# sampled NAME MIN: the preload was active (a heap profile at exit) and
# counted at least MIN allocations: otherwise a preload that did not load
# would compare equal.
sampled() {
    prof=$(ls "$W/$1".*.heap.pb.gz 2>/dev/null | head -n 1)
    got=$([ -n "$prof" ] && "$HEARTH" info "$prof" 2>/dev/null | awk '/^total alloc_objects:/ { print $3 }')
    if [ -n "$got" ] && [ "$got" -ge "$2" ]; then
        ok "${1}_preload_was_active ($got allocations in its heap profile, at least $2)"
    else
        not_ok "${1}_preload_was_active" "profile '$prof', allocations: '$got' (at least $2); stderr: $(tail -5 "$TMP/$1.err")"
    fi
}

# The default rate (one sample per 512 KiB): the loops allocate ~1.2 GB,
# so some 2,000 samples.
run default
exits_0 default
same_as_plain default
sampled default 100

run rate1 HEARTH_ALLOC_RATE=1
exits_0 rate1
same_as_plain rate1
sampled rate1 $LOOP_ALLOCS

run rate1_timeline HEARTH_ALLOC_RATE=1 HEARTH_TIMELINE_INTERVAL=0.01
exits_0 rate1_timeline
same_as_plain rate1_timeline
sampled rate1_timeline $LOOP_ALLOCS

# The sampler's requests to its dump thread fail as on a full pipe (a
# preload in front of libhearth makes each such write fail with EAGAIN):
# the mallocs that made them still leave errno alone. At rate 1 the loops
# make ~300 such requests (one per 1,024 samples after the first 8,192).
# Linked with libhearth.a instead of preloaded: the hooks are the
# program's own malloc and friends.
# Under make check the sampler stays the plain build (see cpu.sh): its
# static twin, next to the .so.
if $CC -O2 -g -Wall -Wextra -o "$TMP/edges_static" tests/workloads/alloc_edges.c \
    "${LIB%.so}.a" -lz -ldwarf -lm -lpthread -ldl >"$TMP/static.cc" 2>&1; then
    run static HEARTH_ALLOC_RATE=1
    exits_0 static
    same_as_plain static
    sampled static $LOOP_ALLOCS
else
    not_ok build_alloc_edges_with_libhearth_a "$(cat "$TMP/static.cc")"
fi

PRE=$TMP/write_eagain.so run rate1_full_pipe HEARTH_ALLOC_RATE=1
exits_0 rate1_full_pipe
same_as_plain rate1_full_pipe
sampled rate1_full_pipe $LOOP_ALLOCS

finish
