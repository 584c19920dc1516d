# The sampler's own memory inside a real process (LD_PRELOAD): it must not
# change how glibc serves the service's large blocks (a freed large block
# of the sampler's would raise glibc's mmap and trim thresholds for the
# whole process), and its large blocks go back to the system when freed.
# The figures (peak RSS added, the 32 MiB target) are measured by
# tests/bench/run_alloc, not here.
. tests/cli/lib.sh
LIB=${HEARTH_SAMPLER_LIB:-$BUILD/libhearth.so}
CC=${CC:-cc}
W=$TMP/w
mkdir -p "$W"

$CC -O2 -g -o "$TMP/thr" tests/workloads/glibc_thresholds.c -ldl 2>"$TMP/cc.log" ||
    not_ok build_glibc_thresholds "$(cat "$TMP/cc.log")"

# expect_mmapped NAME OUT: every size in OUT was served by mmap.
expect_mmapped() {
    if [ -s "$2" ] && ! grep -qv ' mmapped$' "$2"; then
        ok "$1"
    else
        not_ok "$1" "$(cat "$2")"
    fi
}

"$TMP/thr" >"$TMP/base.out" 2>&1
expect_mmapped glibc_serves_large_blocks_by_mmap_without_sampler "$TMP/base.out"

# At start-up (the timeline's header probe allocates and frees 1 and 4 MiB).
HEARTH_OUT="$W/a" LD_PRELOAD="$LIB" "$TMP/thr" >"$TMP/start.out" 2>&1
expect_mmapped sampler_start_leaves_glibc_mmap_threshold "$TMP/start.out"

# After the unwind-table build (HEARTH_CPU=on builds it at start, reading
# every object's CFI with large scratch arrays) and a heap dump with
# symbolization (large buffers on the caller's thread).
HEARTH_OUT="$W/b" HEARTH_CPU=on HEARTH_ALLOC_RATE=4096 LD_PRELOAD="$LIB" \
    "$TMP/thr" "$W/dump.heap.pb.gz" >"$TMP/dump.out" 2>&1
expect_mmapped unwind_table_and_dump_leave_glibc_mmap_threshold "$TMP/dump.out"
if [ -s "$W/dump.heap.pb.gz" ] && "$HEARTH" info "$W/dump.heap.pb.gz" >/dev/null 2>&1; then
    ok dump_with_sampler_large_blocks_is_valid
else
    not_ok dump_with_sampler_large_blocks_is_valid
fi
# The leaf of every heap sample is libhearth's own malloc: named from its
# dynamic symbol table ([FN] only), not by indexing libhearth's DWARF,
# which took 18 of the 21 ms of an exit dump of sqlite3.
own=$(go tool pprof -raw "$W/dump.heap.pb.gz" 2>&1 | grep -F "$(basename "$LIB")")
case $own in
*"[FN]"*"[FL]"* | *"[FL]"*) not_ok own_frames_named_without_dwarf "$own" ;;
*"[FN]"*) ok own_frames_named_without_dwarf ;;
*) not_ok own_frames_named_without_dwarf "$own" ;;
esac
if go tool pprof -traces "$W/dump.heap.pb.gz" 2>/dev/null | grep -q ' malloc$'; then
    ok heap_sample_leaf_is_malloc
else
    not_ok heap_sample_leaf_is_malloc "$(go tool pprof -traces "$W/dump.heap.pb.gz" 2>&1 | head -12)"
fi
finish
