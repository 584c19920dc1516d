# Accuracy of the allocation sampler against known allocations
# (tests/workloads/alloc_sites.c: A keeps 64 MiB, B 32 MiB, C allocates and
# frees 512 MiB, D allocates inside a qsort comparator), built -O2 without
# frame pointers and run under LD_PRELOAD.
#  - at HEARTH_ALLOC_RATE=65536: in-use within 10%, allocated within 5% per
#    site, and hearth top's rows equal go tool pprof -top's;
#  - stacks: main -> a_outer -> a_inner -> fill -> malloc, and through
#    glibc's qsort to the comparator;
#  - at the default rate, RUNS runs: each site's estimate stays within 4.5
#    standard errors of the truth, where the standard error is what Poisson
#    sampling predicts for that site's blocks (sum of n s^2 (1-p)/p with
#    p = 1 - exp(-s/rate)); the mean over all runs, and over the first 20,
#    is within 5%; the observed spread matches the predicted one.
. tests/cli/lib.sh

# The sampler runs inside uninstrumented processes: under make check the
# CLI is the sanitized build, but an allocator interposed by LD_PRELOAD
# cannot share a process with ASan's (make check runs the sampler's
# concurrency under TSan instead), so the plain library is used.
LIB=${HEARTH_SAMPLER_LIB:-$BUILD/libhearth.so}
RUNS=${HEARTH_ACCURACY_RUNS:-100}
W=$TMP/w
mkdir -p "$W"
bin=$TMP/alloc_sites
${CC:-cc} -O2 -g -fomit-frame-pointer -o "$bin" tests/workloads/alloc_sites.c || not_ok build_alloc_sites

# site_sum PROFILE TYPE FRAME: exact sum of TYPE over stacks through FRAME.
site_sum() {
    "$HEARTH" fold --sample-index "$2" "$1" |
        awk -v f="$3" '{ n = split($0, a, " "); s = a[1]; for (i = 2; i < n; i++) s = s " " a[i];
                         if ((";" s ";") ~ (";" f ";")) t += a[n] } END { printf "%d\n", t }'
}

run_once() { # run_once RATE PREFIX -> the profile path
    rm -f "$2".*
    env HEARTH_OUT="$2" HEARTH_ALLOC_RATE="$1" LD_PRELOAD="$LIB" "$bin" >"$2.out" 2>&1 || return 1
    ls "$2".*.heap.pb.gz
}

# Truth per site, from the workload's own block counts.
"$bin" > "$TMP/blocks"
truth() { awk -v s="$1" '$1 == "blocks" && $2 == s { t += $3 * $4 } END { printf "%d\n", t }' "$TMP/blocks"; }
TA=$(truth A); TB=$(truth B); TC=$(truth C)

within() { # within VALUE TRUTH FRACTION -> exit 0 when |v-t| <= f*t
    awk -v v="$1" -v t="$2" -v f="$3" 'BEGIN { d = v - t; if (d < 0) d = -d; exit !(d <= f * t) }'
}
pct() { awk -v v="$1" -v t="$2" 'BEGIN { printf "%+.2f%%", 100 * (v - t) / t }'; }

# --- rate 65536 ---
p=$(run_once 65536 "$W/r64k") || not_ok run_at_64k
for site in A:a_outer B:b_outer; do
    s=${site%%:*}; f=${site#*:}
    t=$(truth "$s")
    v=$(site_sum "$p" inuse_space "$f")
    if within "$v" "$t" 0.10; then ok "rate64k_inuse_site_$s ($(pct "$v" "$t"))"; else not_ok "rate64k_inuse_site_$s" "$v vs $t"; fi
done
for site in A:a_outer B:b_outer C:c_outer; do
    s=${site%%:*}; f=${site#*:}
    t=$(truth "$s")
    v=$(site_sum "$p" alloc_space "$f")
    if within "$v" "$t" 0.05; then ok "rate64k_alloc_site_$s ($(pct "$v" "$t"))"; else not_ok "rate64k_alloc_site_$s" "$v vs $t"; fi
done
c_inuse=$(site_sum "$p" inuse_space c_outer)
if [ "$c_inuse" -lt $((TC / 100)) ]; then ok "rate64k_freed_site_C_is_not_in_use ($c_inuse bytes)"; else not_ok rate64k_freed_site_C_is_not_in_use "$c_inuse"; fi

for type in inuse_space alloc_space; do
    "$HEARTH" top --nodefraction 0 --sample-index "$type" "$p" | grep -E ' (a_outer|b_outer|c_outer|d_compare|fill|malloc)$' > "$TMP/h.top"
    PPROF_TMPDIR=$TMP go tool pprof -top -nodefraction=0 -sample_index="$type" "$p" 2>/dev/null |
        grep -E ' (a_outer|b_outer|c_outer|d_compare|fill|malloc)$' > "$TMP/g.top"
    if [ -s "$TMP/h.top" ] && cmp -s "$TMP/h.top" "$TMP/g.top"; then
        ok "hearth_top_equals_pprof_top_$type ($(wc -l < "$TMP/h.top") rows)"
    else
        not_ok "hearth_top_equals_pprof_top_$type" "$(diff "$TMP/h.top" "$TMP/g.top" | head -8)"
    fi
done

# --- stacks ---
if "$HEARTH" fold --sample-index alloc_space "$p" | grep -q ';main;a_outer;a_inner;fill;malloc [0-9]*$'; then
    ok stack_main_a_outer_a_inner_fill_malloc
else
    not_ok stack_main_a_outer_a_inner_fill_malloc "$("$HEARTH" fold --sample-index alloc_space "$p" | grep a_inner | head -2)"
fi
if "$HEARTH" fold --sample-index alloc_space "$p" | grep -Eq ';main;d_sort;[^ ]*qsort[^ ]*;.*d_compare;malloc [0-9]+$'; then
    ok stack_through_glibc_qsort_to_the_comparator
else
    not_ok stack_through_glibc_qsort_to_the_comparator "$("$HEARTH" fold --sample-index alloc_space "$p" | grep d_compare | head -2)"
fi

# The same stacks through the CFI table. Allocation sampling asks for the
# table only once 8,192 walks were libgcc's (heap_sampler.c), so the run
# above walked with libgcc (each thread's first 32) and libunwind; a CPU
# profile builds the table at start, and every allocation stack is then
# walked through it.
q=$(env HEARTH_CPU=on HEARTH_OUT="$W/t" HEARTH_ALLOC_RATE=65536 LD_PRELOAD="$LIB" "$bin" >/dev/null 2>&1 &&
    ls "$W"/t.*.heap.pb.gz) || not_ok run_with_unwind_table
"$HEARTH" fold --sample-index alloc_space "$q" > "$TMP/t.fold" 2>&1
if grep -q ';main;a_outer;a_inner;fill;malloc [0-9]*$' "$TMP/t.fold" &&
    grep -Eq ';main;d_sort;[^ ]*qsort[^ ]*;.*d_compare;malloc [0-9]+$' "$TMP/t.fold"; then
    ok stacks_through_the_unwind_table_malloc_leaf_and_qsort_comparator
else
    not_ok stacks_through_the_unwind_table_malloc_leaf_and_qsort_comparator "$(grep -E 'a_inner|d_compare' "$TMP/t.fold" | head -3)"
fi
if within "$(site_sum "$q" alloc_space c_outer)" "$TC" 0.05; then
    ok "unwind_table_run_alloc_site_C ($(pct "$(site_sum "$q" alloc_space c_outer)" "$TC"))"
else
    not_ok unwind_table_run_alloc_site_C "$(site_sum "$q" alloc_space c_outer) vs $TC"
fi

# Which unwinder took the stacks, from the profile's comment
# "allocation stacks: N walked, T through the unwind table, U by
# libunwind, G by libgcc".
walks() { # walks PROFILE -> "N T U G"
    "$HEARTH" info "$1" 2>/dev/null |
        sed -n 's/.*allocation stacks: \([0-9]*\) walked, \([0-9]*\) through the unwind table, \([0-9]*\) by libunwind, \([0-9]*\) by libgcc.*/\1 \2 \3 \4/p'
}
set -- $(walks "$q")
if [ "${1:-0}" -gt 0 ] && [ "${2:-0}" = "$1" ]; then
    ok "cpu_profile_run_walks_every_allocation_stack_through_the_table ($2 of $1)"
else
    not_ok cpu_profile_run_walks_every_allocation_stack_through_the_table "$(walks "$q")"
fi
# Which unwinder takes the walks (heap_sampler.c): with libunwind
# serving one long thread, a thread's first 32 walks by libgcc, the rest
# by libunwind, none through the table; after a dlclose (which retires
# libunwind's cache) the table is built once 8,192 walks were libgcc's and
# takes the walks after; short-lived threads of 8 samples each never set
# up libunwind's cache (~100 us a thread), and the table, built after
# their first 8,192 walks, serves the threads after them.
loop=$TMP/alloc_loop
${CC:-cc} -O2 -g -fomit-frame-pointer -o "$loop" tests/workloads/alloc_loop.c -ldl -lpthread ||
    not_ok build_alloc_loop
for mode in libunwind dlclose threads; do
    arg=$mode; [ "$mode" = libunwind ] && arg=
    rm -f "$W"/l.*
    env HEARTH_OUT="$W/l" HEARTH_ALLOC_RATE=1 LD_PRELOAD="$LIB" "$loop" 600 $arg >/dev/null 2>"$TMP/loop.err"
    set -- $(walks "$(ls "$W"/l.*.heap.pb.gz 2>/dev/null | head -1)")
    if [ "$mode" = libunwind ] && [ "${1:-0}" -gt 20000 ] && [ "${2:-x}" = 0 ] &&
        [ "${3:-0}" -gt 20000 ] && [ "${4:-0}" -ge 1 ] && [ "${4:-0}" -le 64 ]; then
        ok "libunwind_serving_no_table_past_8192_samples ($1 walks: $2 table, $3 libunwind, $4 libgcc)"
    elif [ "$mode" = dlclose ] && [ "${1:-0}" -gt 20000 ] && [ "${2:-0}" -gt 0 ]; then
        ok "libunwind_retired_table_built_after_8192_samples ($2 of $1 walks through it)"
    elif [ "$mode" = threads ] && [ "${3:-x}" = 0 ] && [ "${4:-0}" -ge 8192 ] && [ "${2:-0}" -gt 0 ]; then
        ok "short_lived_threads_never_set_up_libunwind_then_share_the_table ($1 walks: $4 libgcc, $2 table)"
    else
        not_ok "unwinder_choice_$mode" "walks: ${1:-none} ${2:-} ${3:-} ${4:-} $(cat "$TMP/loop.err")"
    fi
done

# --- default rate, RUNS runs ---
rate=524288
se() { # se SITE -> predicted standard error in bytes
    awk -v s="$1" -v r="$rate" '$1 == "blocks" && $2 == s { z = $3; q = 1 - exp(-z / r); v += $4 * z * z * (1 - q) / q }
                                END { printf "%.0f\n", sqrt(v) }' "$TMP/blocks"
}
: > "$TMP/runs"
i=0
while [ $i -lt "$RUNS" ]; do
    q=$(run_once $rate "$W/d") || { not_ok "default_rate_run_$i"; break; }
    echo "$(site_sum "$q" inuse_space a_outer) $(site_sum "$q" inuse_space b_outer) $(site_sum "$q" alloc_space c_outer)" >> "$TMP/runs"
    i=$((i + 1))
done
col=1
for s in A B C; do
    t=$(truth $s)
    e=$(se $s)
    awk -v c=$col -v t="$t" -v e="$e" '
        { v = $c; n++; sum += v; sq += (v - t) ^ 2; if (n <= 20) sum20 += v
          z = (v - t) / e; if (z < 0) z = -z; if (z > zmax) zmax = z }
        END { printf "%d %.6f %.6f %.3f %.3f\n", n, sum / n / t - 1, sum20 / (n < 20 ? n : 20) / t - 1, zmax, sqrt(sq / n) / e }' \
        "$TMP/runs" > "$TMP/stat"
    read n mean mean20 zmax ratio < "$TMP/stat"
    what="site $s: $n runs, predicted SE $(awk -v e="$e" -v t="$t" 'BEGIN { printf "%.1f%%", 100 * e / t }'), mean $(awk -v m="$mean" 'BEGIN { printf "%+.2f%%", 100 * m }'), first 20 $(awk -v m="$mean20" 'BEGIN { printf "%+.2f%%", 100 * m }'), worst run ${zmax} SE, spread ${ratio}x predicted"
    if awk -v m="$mean" -v m20="$mean20" 'BEGIN { exit !((m < 0.05 && m > -0.05) && (m20 < 0.05 && m20 > -0.05)) }'; then
        ok "default_rate_mean_within_5pct ($what)"
    else
        not_ok "default_rate_mean_within_5pct" "$what"
    fi
    if awk -v z="$zmax" -v r="$ratio" 'BEGIN { exit !(z <= 4.5 && r > 0.6 && r < 1.5) }'; then
        ok "default_rate_runs_within_poisson_spread ($what)"
    else
        not_ok "default_rate_runs_within_poisson_spread" "$what"
    fi
    col=$((col + 1))
done
finish
