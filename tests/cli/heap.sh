# The allocation sampler inside real processes (LD_PRELOAD): stress with
# threads, fork, dlopen and dumps; a burst of dump signals; fork; C++; bad
# settings. Accuracy against known allocations is in heap_accuracy.sh.
. tests/cli/lib.sh
# LD_PRELOAD is set on the workload itself (through env, after timeout):
# a preloaded timeout(1) would write heap profiles of its own.

# The sampler runs inside uninstrumented processes: under make check the
# CLI is the sanitized build, but an allocator interposed by LD_PRELOAD
# cannot share a process with ASan's (make check runs the sampler's
# concurrency under TSan instead), so the plain library is used.
LIB=${HEARTH_SAMPLER_LIB:-$BUILD/libhearth.so}
SECONDS_STRESS=${HEARTH_STRESS_SECONDS:-20}
CC=${CC:-cc}
W=$TMP/w
mkdir -p "$W"

build() { # build OUT SRC [flags...]
    out=$1
    src=$2
    shift 2
    case $src in
    *.cc) c=g++ ;;
    *) c=$CC ;;
    esac
    $c -O2 -g -fomit-frame-pointer -o "$out" "$src" "$@" 2>"$TMP/cc.log" || { cat "$TMP/cc.log"; return 1; }
}

all_valid() { # all_valid PREFIX -> 0 when every PREFIX.* profile decodes
    n=0
    for f in "$1".*.heap.pb.gz; do
        [ -f "$f" ] || return 1
        "$HEARTH" info "$f" >/dev/null 2>"$TMP/info.err" || { cat "$TMP/info.err"; return 1; }
        n=$((n + 1))
    done
    [ "$n" -gt 0 ]
}

total() { # total FILE TYPE -> the integer total of a sample type
    "$HEARTH" info "$1" | awk -v t="total $2:" 'index($0, t) == 1 { print $3 }'
}

build "$TMP/stress" tests/workloads/stress.c -pthread -ldl || not_ok build_stress
build "$TMP/burst" tests/workloads/signal_burst.c || not_ok build_burst
build "$TMP/fork" tests/workloads/fork_alloc.c || not_ok build_fork
build "$TMP/cxx" tests/workloads/cxx_alloc.cc || not_ok build_cxx
build "$TMP/realloc" tests/workloads/realloc_sampled.c || not_ok build_realloc
build "$TMP/growth" tests/workloads/heap_growth.c || not_ok build_growth
build "$TMP/regframes" tests/workloads/registered_frames.c -pthread || not_ok build_registered_frames
build "$TMP/regframes_own" tests/workloads/registered_frames.c -DOWN_MALLOC -pthread ||
    not_ok build_registered_frames_own_malloc

for rate in 1 524288; do
    rm -f "$W"/*
    start=$(date +%s)
    if timeout $((SECONDS_STRESS + 60)) env HEARTH_OUT="$W/s" HEARTH_ALLOC_RATE=$rate \
            LD_PRELOAD="$LIB" "$TMP/stress" "$SECONDS_STRESS" 8 libm.so.6 \
            >"$TMP/stress.out" 2>&1; then
        ok "stress_rate_${rate}_runs_${SECONDS_STRESS}s_without_crash_or_hang"
    else
        not_ok "stress_rate_${rate}_runs_${SECONDS_STRESS}s_without_crash_or_hang" "$(tail -5 "$TMP/stress.out")"
    fi
    if all_valid "$W/s"; then
        ok "stress_rate_${rate}_profiles_are_valid ($(ls "$W" | wc -l) files, $(($(date +%s) - start)) s)"
    else
        not_ok "stress_rate_${rate}_profiles_are_valid"
    fi
    # Comments name dropped samples and any allocation by our own unwinder.
    last=$(ls -t "$W"/s.*.heap.pb.gz 2>/dev/null | head -1)
    if [ -n "$last" ] && ! "$HEARTH" info "$last" | grep -q "unwinder allocated"; then
        ok "stress_rate_${rate}_unwinder_never_allocates"
    else
        not_ok "stress_rate_${rate}_unwinder_never_allocates" "$("$HEARTH" info "$last" 2>&1 | grep comment)"
    fi
done

# 100 dump signals in a burst: coalesced, every file valid, no hang.
rm -f "$W"/*
HEARTH_OUT="$W/b" LD_PRELOAD="$LIB" "$TMP/burst" 3 >/dev/null 2>"$TMP/burst.err" &
pid=$!
sleep 0.5
i=0
while [ $i -lt 100 ]; do kill -USR2 $pid 2>/dev/null; i=$((i + 1)); done
if wait $pid; then ok signal_burst_process_exits_normally; else not_ok signal_burst_process_exits_normally "$(cat "$TMP/burst.err")"; fi
n=$(ls "$W" | grep -c 'heap.pb.gz$')
if all_valid "$W/b" && [ "$n" -ge 2 ]; then
    ok "signal_burst_gives_valid_coalesced_dumps ($n files)"
else
    not_ok signal_burst_gives_valid_coalesced_dumps "$n files"
fi
if ls "$W" | grep -q '\.tmp$'; then not_ok no_temporary_files_left; else ok no_temporary_files_left; fi

# Periodic dumps: every 0.5 s for 3 s, plus the one at exit.
rm -f "$W"/*
if timeout 60 env HEARTH_OUT="$W/i" HEARTH_DUMP_INTERVAL=0.5 LD_PRELOAD="$LIB" "$TMP/burst" 3 >/dev/null 2>&1 &&
        all_valid "$W/i"; then
    n=$(ls "$W" | grep -c 'heap.pb.gz$')
    if [ "$n" -ge 3 ] && [ "$n" -le 9 ]; then ok "interval_dumps ($n files in 3 s at 0.5 s)"; else not_ok interval_dumps "$n files"; fi
else
    not_ok interval_dumps "no valid profiles: $(ls "$W")"
fi

# fork: parent and child each write their own profile at exit.
rm -f "$W"/*
if timeout 60 env HEARTH_OUT="$W/f" HEARTH_ALLOC_RATE=65536 LD_PRELOAD="$LIB" "$TMP/fork" >"$TMP/fork.out" 2>&1; then
    ok fork_program_runs
else
    not_ok fork_program_runs "$(cat "$TMP/fork.out")"
fi
parent=$(sed -n 's/.*parent \([0-9]*\),.*/\1/p' "$TMP/fork.out")
child=$(sed -n 's/.*child \([0-9]*\) done.*/\1/p' "$TMP/fork.out")
pf=$W/f.$parent.1.heap.pb.gz
cf=$W/f.$child.1.heap.pb.gz
if [ -f "$pf" ] && [ -f "$cf" ]; then
    pi=$(total "$pf" inuse_space)
    ci=$(total "$cf" inuse_space)
    # parent keeps 16 MiB; the child 16 MiB inherited + 8 MiB of its own.
    if [ "$pi" -gt 14000000 ] && [ "$pi" -lt 19500000 ] && [ "$ci" -gt 21500000 ] && [ "$ci" -lt 29000000 ]; then
        ok "fork_parent_and_child_profiles_are_right (parent $pi, child $ci bytes in use)"
    else
        not_ok fork_parent_and_child_profiles_are_right "parent $pi, child $ci"
    fi
else
    not_ok fork_parent_and_child_profiles_are_right "missing $pf or $cf: $(ls "$W")"
fi

# fork: a dump signal sent to the child is served by the child's own dump
# thread (started by its fork handler), in a file named with the child's
# pid and holding the child's heap.
rm -f "$W"/*
timeout 60 env HEARTH_OUT="$W/g" HEARTH_ALLOC_RATE=65536 HEARTH_DUMP_AT_EXIT=off LD_PRELOAD="$LIB" \
    "$TMP/fork" signal >"$TMP/forksig.out" 2>&1
rc=$?
child=$(sed -n 's/.*child \([0-9]*\) done.*/\1/p' "$TMP/forksig.out")
cf=$W/g.$child.1.heap.pb.gz
if [ "$rc" = 0 ] && [ -n "$child" ] && [ -f "$cf" ]; then
    ci=$(total "$cf" inuse_space)
    if [ "$ci" -gt 21500000 ] && [ "$ci" -lt 29000000 ]; then
        ok "fork_child_dumps_on_its_own_signal ($ci bytes in use)"
    else
        not_ok fork_child_dumps_on_its_own_signal "child $ci bytes in use"
    fi
else
    not_ok fork_child_dumps_on_its_own_signal "exit status $rc; $(cat "$TMP/forksig.out"); $(ls "$W")"
fi

# fork: the sampler's fork handlers touch only the memory they use. The
# child counts its page faults from fork() to its return (its counts
# start at zero). Without libhearth: ~10; with it: ~70 (copy-on-write of
# the pages the handlers write, and the two threads the child starts);
# when the child read the whole thread registry (1.3 MB) it took ~400,
# +0.3 ms a fork. The limit is the difference, over the best of three.
fork_faults() { # fork_faults [LD_PRELOAD] -> the least of three children's faults
    best=
    for _i in 1 2 3; do
        _f=$(timeout 60 env HEARTH_OUT="$W/k" ${1:+LD_PRELOAD="$1"} "$TMP/fork" faults 2>&1 |
            sed -n 's/^fork_alloc: child page faults \([0-9]*\)$/\1/p')
        [ -n "$_f" ] || { echo "none"; return; }
        if [ -z "$best" ] || [ "$_f" -lt "$best" ]; then best=$_f; fi
    done
    echo "$best"
}
rm -f "$W"/*
base_faults=$(fork_faults)
our_faults=$(fork_faults "$LIB")
case "$base_faults $our_faults" in
*none*) not_ok fork_child_touches_little_memory "no count: base $base_faults, with libhearth $our_faults" ;;
*)
    if [ $((our_faults - base_faults)) -lt 150 ]; then
        ok "fork_child_touches_little_memory ($base_faults page faults without libhearth, $our_faults with)"
    else
        not_ok fork_child_touches_little_memory "$base_faults page faults without libhearth, $our_faults with"
    fi
    ;;
esac

# C++: new, new[] and containers go through the sampler (~48 MB allocated).
rm -f "$W"/*
if timeout 60 env HEARTH_OUT="$W/c" HEARTH_ALLOC_RATE=65536 LD_PRELOAD="$LIB" "$TMP/cxx" >/dev/null 2>&1 &&
        all_valid "$W/c"; then
    a=$(total "$W"/c.*.heap.pb.gz alloc_space)
    if [ "$a" -gt 42000000 ] && [ "$a" -lt 56000000 ]; then
        ok "cxx_allocations_are_sampled ($a bytes)"
    else
        not_ok cxx_allocations_are_sampled "$a bytes allocated"
    fi
else
    not_ok cxx_allocations_are_sampled "no valid profile"
fi

# A malloc made by libgcc's unwinder under its own lock (frames registered
# as a JIT does, then a walk in a fresh thread, whose first samples would
# walk with libgcc): sampled at rate 1, it must not wait for that lock.
rm -f "$W"/*
timeout 20 env HEARTH_OUT="$W/r" HEARTH_ALLOC_RATE=1 LD_PRELOAD="$LIB" "$TMP/regframes" \
    >"$TMP/regframes.out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q '^walked [1-9]' "$TMP/regframes.out" && all_valid "$W/r"; then
    ok "malloc_under_libgcc_unwinder_lock_does_not_hang ($(cat "$TMP/regframes.out"))"
else
    not_ok malloc_under_libgcc_unwinder_lock_does_not_hang "exit status $rc (124: timed out); $(cat "$TMP/regframes.out")"
fi

# The same, with the program's own malloc in front of libhearth's, starting
# a thread when libgcc calls it under its lock: libhearth's pthread_create
# hook walks the creating stack there, and must not walk with libgcc.
rm -f "$W"/*
timeout 20 env HEARTH_OUT="$W/o" LD_PRELOAD="$LIB" "$TMP/regframes_own" >"$TMP/regframes_own.out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q '^walked [1-9]' "$TMP/regframes_own.out"; then
    ok "pthread_create_under_libgcc_unwinder_lock_does_not_hang ($(cat "$TMP/regframes_own.out"))"
else
    not_ok pthread_create_under_libgcc_unwinder_lock_does_not_hang "exit status $rc (124: timed out); $(cat "$TMP/regframes_own.out")"
fi

# realloc of sampled blocks (every block sampled): growing one moves its
# weight from the malloc's stack to the realloc's, a failed realloc leaves
# it (and its later free finds it), realloc(p, 0) frees it. Exact bytes from the folded in-use stacks.
rm -f "$W"/*
if env HEARTH_OUT="$W/r" HEARTH_ALLOC_RATE=1 LD_PRELOAD="$LIB" "$TMP/realloc" >"$TMP/realloc.out" 2>&1 &&
        all_valid "$W/r"; then
    for f in "$W"/r.*.heap.pb.gz; do :; done
    inuse=$("$HEARTH" fold "$f" --sample-index inuse_space 2>&1 | awk '
        /;first_alloc;malloc / { a += $NF } /;grow_site;realloc / { g += $NF }
        /_site;/ && !/;grow_site;realloc / { other += $NF }
        END { printf "%d %d %d", a, g, other }')
    allocd=$("$HEARTH" fold "$f" --sample-index alloc_space 2>&1 | awk '
        /;first_alloc;malloc / { a += $NF } END { printf "%d", a }')
    # In use: first_alloc's 2,000 (the failed realloc's) and 4,096 bytes;
    # grow_site's 300,000; nothing else under a *_site frame. Allocated at
    # first_alloc: 1,000 + 2,000 + 2,500 + 3,000 + 4,096.
    if [ "$inuse $allocd" = "6096 300000 0 12596" ]; then
        ok "realloc_moves_sampled_weight_and_failed_realloc_keeps_it ($inuse $allocd)"
    else
        not_ok realloc_moves_sampled_weight_and_failed_realloc_keeps_it \
            "in use first_alloc, grow_site, other sites; allocated first_alloc: $inuse $allocd; want 6096 300000 0 12596"
    fi
else
    not_ok realloc_moves_sampled_weight_and_failed_realloc_keeps_it "$(tail -3 "$TMP/realloc.out")"
fi

# Symbolization at dump time: by default lines and inlined frames come from
# DWARF inside the binaries (the test program's), and system libraries whose
# DWARF sits in a separate debug file get names from its symbol table only;
# HEARTH_SYMBOLIZE=full reads that DWARF too.
libc_line() { # libc_line PROFILE -> "FUNC FILE:LINE" of __libc_start_call_main
    go tool pprof -raw -symbolize=none "$1" 2>/dev/null |
        awk '/^Locations/ { on = 1 } on && $4 == "__libc_start_call_main" { print $4, $5; exit }'
}
main_line() { # main_line PROFILE -> "FILE:LINE" of the first location in main
    go tool pprof -raw -symbolize=none "$1" 2>/dev/null |
        awk '/^Locations/ { on = 1 } on && $4 == "main" { print $5; exit }'
}
for level in on full; do
    rm -f "$W"/*
    if timeout 60 env HEARTH_OUT="$W/s" HEARTH_SYMBOLIZE=$level LD_PRELOAD="$LIB" "$TMP/fork" >/dev/null 2>&1 &&
            all_valid "$W/s"; then
        f=$(ls "$W"/s.*.heap.pb.gz | head -1)
        eval "libc_$level=\$(libc_line \"\$f\")"
        eval "main_$level=\$(main_line \"\$f\")"
    fi
done
case "$main_on|$main_full" in
*fork_alloc.c:[1-9]*\|*fork_alloc.c:[1-9]*) ok "symbolize_main_binary_lines_at_both_levels ($main_on)" ;;
*) not_ok symbolize_main_binary_lines_at_both_levels "on: '$main_on', full: '$main_full'" ;;
esac
case "$libc_on" in
"__libc_start_call_main "*:0) ok "symbolize_default_names_libc_without_debug_file_lines ($libc_on)" ;;
*) not_ok symbolize_default_names_libc_without_debug_file_lines "'$libc_on'" ;;
esac
case "$libc_full" in
"__libc_start_call_main "*libc-start.c:[1-9]*) ok "symbolize_full_reads_libc_debug_file_lines ($libc_full)" ;;
*) not_ok symbolize_full_reads_libc_debug_file_lines "'$libc_full'" ;;
esac

# HEARTH_DUMP_GROWTH: a heap that grows by 8 MiB every 100 ms to 160 MiB,
# ticks every 50 ms, a dump each 30 MiB of growth: at 32, 64, 96, 128 and
# 160 MiB, in-use rising from one to the next, each named in the timeline.
# A late tick that sees two steps at once moves the later thresholds up by
# a step and leaves 4 dumps, the last at 136 MiB; so 4 or 5, the last at
# least 125 MiB at grow_site (sampled at 64 KiB: within a few percent).
rm -f "$W"/*
timeout 60 env HEARTH_OUT="$W/gr" HEARTH_ALLOC_RATE=65536 HEARTH_TIMELINE_INTERVAL=0.05 \
    HEARTH_DUMP_GROWTH=30M HEARTH_DUMP_AT_EXIT=off LD_PRELOAD="$LIB" "$TMP/growth" 20 8 100 \
    >"$TMP/growth.out" 2>&1
rc=$?
gpid=$(ls "$W" | sed -n 's/^gr\.\([0-9]*\)\.timeline$/\1/p')
n_growth=0
prev_inuse=0
rising=true
last_site=
for k in 1 2 3 4 5 6 7 8 9; do
    f=$W/gr.$gpid.$k.heap.pb.gz
    [ -f "$f" ] || break
    n_growth=$k
    last_site=$f
    inuse=$(total "$f" inuse_space)
    [ "${inuse:-0}" -gt "$prev_inuse" ] || rising=false
    prev_inuse=${inuse:-0}
    grep -q "heap_dump	$f\$" "$W/gr.$gpid.timeline" || rising=false
done
[ "$(ls "$W" | grep -c 'heap.pb.gz$')" = "$n_growth" ] || rising=false
site_mib=0
if [ -n "$last_site" ]; then
    site_mib=$("$HEARTH" top --no-headers "$last_site" |
        awk '$NF == "grow_site" { v = $4; sub(/MB$/, "", v); printf "%d", v }')
fi
if [ "$rc" = 0 ] && [ "$n_growth" -ge 4 ] && [ "$n_growth" -le 5 ] && $rising &&
    [ "${site_mib:-0}" -ge 125 ] && [ "${site_mib:-0}" -le 185 ]; then
    ok "dump_growth_writes_a_profile_per_30M_of_growth ($n_growth dumps, last ${site_mib}MB at grow_site)"
else
    not_ok dump_growth_writes_a_profile_per_30M_of_growth \
        "rc=$rc, $n_growth dumps, rising=$rising, last ${site_mib}MB at grow_site; $(cat "$TMP/growth.out"); $(ls "$W" | tr '\n' ' ')"
fi

# Growth is the service's: 40 MiB at once (one growth dump at 16 MiB
# steps), then the dump signal, with HEARTH_SYMBOLIZE=full: the signal's
# CPU profile builds the unwind table and its heap dump reads libc's
# debug file, and the dump thread's heap peaks ~30 MiB higher for a
# while (the timeline's heap column shows it; it must, or this checks
# nothing). Counted as growth, that made a third dump.
rm -f "$W"/*
timeout 60 env HEARTH_OUT="$W/gs" HEARTH_TIMELINE_INTERVAL=0.05 HEARTH_DUMP_GROWTH=16M \
    HEARTH_SYMBOLIZE=full HEARTH_DUMP_AT_EXIT=off LD_PRELOAD="$LIB" "$TMP/growth" 1 40 500 signal \
    >"$TMP/growth_sig.out" 2>&1
rc=$?
n_heap=$(ls "$W" | grep -c 'heap.pb.gz$')
n_events=$(cat "$W"/gs.*.timeline | grep -c '^event	[0-9.]*	heap_dump	')
own_peak=$(awk '$1 == "tick" && $3 > m { m = $3 } END { printf "%d", m / 1048576 }' "$W"/gs.*.timeline)
if [ "$rc" = 0 ] && [ "$n_heap" = 2 ] && [ "$n_events" = 2 ] && [ "${own_peak:-0}" -ge 58 ]; then
    ok "dump_growth_leaves_out_the_samplers_own_memory (2 dumps; heap peaked at ${own_peak} MiB)"
else
    not_ok dump_growth_leaves_out_the_samplers_own_memory \
        "rc=$rc, $n_heap heap dumps, $n_events heap_dump events, heap peaked at ${own_peak} MiB (needs >= 58); $(ls "$W" | tr '\n' ' ')"
fi

# The same heap without HEARTH_DUMP_GROWTH writes nothing; with the
# timeline off (its ticks are what watch the heap) or allocation sampling
# off (no profile to write), the setting is refused with one line and
# nothing is written either.
rm -f "$W"/*
timeout 60 env HEARTH_OUT="$W/gn" HEARTH_TIMELINE_INTERVAL=0.05 HEARTH_DUMP_AT_EXIT=off \
    LD_PRELOAD="$LIB" "$TMP/growth" 5 8 50 >/dev/null 2>&1
rc1=$?
timeout 60 env HEARTH_OUT="$W/go" HEARTH_TIMELINE_INTERVAL=off HEARTH_DUMP_GROWTH=8M \
    HEARTH_DUMP_AT_EXIT=off LD_PRELOAD="$LIB" "$TMP/growth" 5 8 50 >/dev/null 2>"$TMP/growth_off.err"
rc2=$?
timeout 60 env HEARTH_OUT="$W/gz" HEARTH_ALLOC_RATE=0 HEARTH_TIMELINE_INTERVAL=0.05 HEARTH_DUMP_GROWTH=8M \
    HEARTH_DUMP_AT_EXIT=off LD_PRELOAD="$LIB" "$TMP/growth" 5 8 50 >/dev/null 2>"$TMP/growth_rate0.err"
rc3=$?
if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ "$rc3" = 0 ] && [ -z "$(ls "$W"/*.heap.pb.gz 2>/dev/null)" ] &&
    [ "$(grep -c '^hearth: HEARTH_DUMP_GROWTH=8M: the timeline is off' "$TMP/growth_off.err")" = 1 ] &&
    [ "$(grep -c '^hearth: HEARTH_DUMP_GROWTH=8M: allocation sampling is off' "$TMP/growth_rate0.err")" = 1 ]; then
    ok dump_growth_off_writes_nothing_and_needs_the_timeline_and_sampling
else
    not_ok dump_growth_off_writes_nothing_and_needs_the_timeline_and_sampling \
        "rc=$rc1/$rc2/$rc3, $(ls "$W"); $(cat "$TMP/growth_off.err" "$TMP/growth_rate0.err")"
fi

# Bad settings: one line each on stderr, defaults kept, the service runs.
rm -f "$W"/*
HEARTH_OUT="$W/x" HEARTH_ALLOC_RATE=lots HEARTH_SIGNAL=SIGBOGUS HEARTH_MAX_DEPTH=0 \
    HEARTH_DUMP_INTERVAL=-3 HEARTH_SYMBOLIZE=maybe HEARTH_DUMP_GROWTH=512k \
    LD_PRELOAD="$LIB" "$TMP/fork" >/dev/null 2>"$TMP/bad.err"
rc=$?
lines=$(grep -c '^hearth: HEARTH_' "$TMP/bad.err")
if [ $rc -eq 0 ] && [ "$lines" -eq 6 ] && all_valid "$W/x"; then
    ok bad_settings_warn_once_each_and_keep_defaults
else
    not_ok bad_settings_warn_once_each_and_keep_defaults "rc=$rc, $(cat "$TMP/bad.err")"
fi
finish
