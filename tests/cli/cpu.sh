# The CPU sampler inside real processes (LD_PRELOAD): fairness and totals
# across threads, callers through libc without frame pointers, truncation
# of deep stacks, the API, the dump signal, refusal when the program owns
# SIGPROF, the clocks (perf events, POSIX timers, setitimer) and their
# fallbacks, short bursts on a fixed pace, the CFI unwinder against libgcc's, and
# a 1000 Hz stress run with malloc storms, dlopen/dlclose, fork and thread
# churn whose profiles go tool pprof must read.
. tests/cli/lib.sh
# Under make check the CLI is sanitized but the sampler stays the plain
# build (see heap.sh); the unwinder check links its static twin.
LIB=${HEARTH_SAMPLER_LIB:-$BUILD/libhearth.so}
LIBA=${LIB%.so}.a
SECONDS_STRESS=${HEARTH_STRESS_SECONDS:-20}
CC=${CC:-cc}
W=$TMP/w
mkdir -p "$W"

build() { # build OUT SRC [flags...]
    out=$1
    src=$2
    shift 2
    $CC -O2 -g -fomit-frame-pointer -o "$out" "$src" "$@" 2>"$TMP/cc.log" || { cat "$TMP/cc.log"; return 1; }
}

build "$TMP/work" tests/workloads/cpu_work.c -pthread -ldl || not_ok build_cpu_work
build "$TMP/stress" tests/workloads/stress.c -pthread -ldl || not_ok build_stress
build "$TMP/dlib.so" tests/workloads/cpu_dlib.c -shared -fPIC || not_ok build_dlib
build "$TMP/notimers.so" tests/workloads/cpu_no_timers.c -shared -fPIC || not_ok build_notimers
build "$TMP/noperf.so" tests/workloads/cpu_no_perf.c -shared -fPIC -ldl || not_ok build_noperf
build "$TMP/unwind_check" tests/workloads/cpu_unwind_check.c -I. "$LIBA" \
    -lz -ldwarf -lm -lpthread -ldl || not_ok build_unwind_check

total_cpu() { # total_cpu FILE -> nanoseconds
    "$HEARTH" info "$1" | awk '/^total cpu:/ { print $3 }'
}

one() { # one PATTERN -> the single file matching it
    set -- $1
    [ $# -eq 1 ] && [ -f "$1" ] && echo "$1"
}

# Two threads burning 5 s of CPU each: 50% +/- 5% of the samples each
# (per-thread timers; a process-wide ITIMER_PROF would be biased), and
# about 10 s of CPU in all.
rm -f "$W"/*
timeout 120 env HEARTH_OUT="$W/t" HEARTH_CPU=1 LD_PRELOAD="$LIB" "$TMP/work" threads 2 5 \
    >/dev/null 2>"$TMP/t.err"
f=$(one "$W/t.*.cpu.pb.gz")
if [ -n "$f" ] && go tool pprof -tags "$f" >"$TMP/tags" 2>"$TMP/tags.err"; then
    shares=$(awk '/: burn-[01]$/ { gsub(/[(%):]/, "", $2); print $2 }' "$TMP/tags" | tr '\n' ' ')
    if echo "$shares" | awk '{ exit !(NF == 2 && $1 >= 45 && $1 <= 55 && $2 >= 45 && $2 <= 55) }'; then
        ok "two_equal_threads_get_half_the_samples_each ($shares%)"
    else
        not_ok two_equal_threads_get_half_the_samples_each "$(cat "$TMP/tags" "$TMP/t.err")"
    fi
else
    not_ok two_equal_threads_get_half_the_samples_each "no profile: $(ls "$W") $(cat "$TMP/t.err" "$TMP/tags.err" 2>/dev/null)"
fi

# Two busy threads for 2 s: about 4 s of CPU (+/- 10%).
rm -f "$W"/*
timeout 60 env HEARTH_OUT="$W/b" HEARTH_CPU=1 LD_PRELOAD="$LIB" "$TMP/work" threads 2 2 >/dev/null 2>&1
f=$(one "$W/b.*.cpu.pb.gz")
ns=$([ -n "$f" ] && total_cpu "$f")
if [ -n "$ns" ] && [ "$ns" -ge 3600000000 ] && [ "$ns" -le 4400000000 ]; then
    ok "two_busy_threads_for_2s_show_4s_of_cpu ($ns ns)"
else
    not_ok two_busy_threads_for_2s_show_4s_of_cpu "total cpu ${ns:-none}"
fi

# A service's pattern: two threads woken every 8 ms that each burn 2 ms,
# the first half in pulse_first and the second in pulse_second. Kernel
# POSIX CPU timers are checked only at the tick, so with them the samples
# fall at one phase of the burst (all in one function, or none at all);
# the perf task-clock clock must count the threads' CPU time in full
# (+/- 10%) and split it by where it went: each function and each thread
# 50% +/- 15% (about 400 samples).
bursts_check() { # bursts_check NAME FILE OUT -> ok/not_ok
    name=$1 f=$2 out=$3
    want=$(awk '/^cpu / { printf "%.0f", $2 * 1e9 }' "$out")
    ns=$([ -n "$f" ] && total_cpu "$f")
    split=$([ -n "$f" ] && "$HEARTH" fold --sample-index samples "$f" |
        awk '{ n = $NF; all += n
               if ($0 ~ /;pulse_first;/) a += n; if ($0 ~ /;pulse_second;/) b += n }
             END { printf "%d %d %d", a, b, all }')
    tags=$([ -n "$f" ] && go tool pprof -tags "$f" 2>&1 |
        awk '/: pulse-[01]$/ { gsub(/[(%):]/, "", $2); print $2 }' | tr '\n' ' ')
    if [ -n "$ns" ] && [ -n "$want" ] && awk -v n="$ns" -v w="$want" -v s="$split" -v t="$tags" 'BEGIN {
            split(s, x, " "); split(t, y, " ")
            exit !(w > 0 && n >= 0.9 * w && n <= 1.1 * w && x[1] + x[2] > 0 &&
                   x[1] >= 0.35 * (x[1] + x[2]) && x[1] <= 0.65 * (x[1] + x[2]) &&
                   y[1] >= 35 && y[1] <= 65 && y[2] >= 35 && y[2] <= 65) }'; then
        ok "$name ($ns of $want ns; pulse_first, pulse_second, all: $split; threads $tags%)"
    else
        not_ok "$name" "total ${ns:-none} of ${want:-none} ns; first second all: $split; threads: $tags; $(cat "$out")"
    fi
}
rm -f "$W"/*
timeout 60 env HEARTH_OUT="$W/p" HEARTH_CPU=1 LD_PRELOAD="$LIB" "$TMP/work" bursts 2 8 2 8 \
    >"$TMP/p.out" 2>"$TMP/p.err"
f=$(one "$W/p.*.cpu.pb.gz")
bursts_check short_bursts_are_counted_in_full_and_in_proportion "$f" "$TMP/p.out"
if [ -n "$f" ] && "$HEARTH" info "$f" | grep -q "comment: .*CPU clock: [1-9][0-9]* threads on perf task-clock events (user and system time), 0 on POSIX"; then
    ok "profile_names_its_clock ($("$HEARTH" info "$f" | grep -o 'CPU clock: [^(]*'))"
else
    not_ok profile_names_its_clock "$([ -n "$f" ] && "$HEARTH" info "$f")"
fi

# Where the kernel refuses kernel time (perf_event_paranoid 2, not
# privileged), the events count user time: still in full for work that
# stays in user mode, and the profile says so.
rm -f "$W"/*
timeout 60 env HEARTH_OUT="$W/k" HEARTH_CPU=1 HEARTH_TEST_NO_PERF=kernel \
    LD_PRELOAD="$TMP/noperf.so:$LIB" "$TMP/work" threads 2 2 >/dev/null 2>"$TMP/k.err"
f=$(one "$W/k.*.cpu.pb.gz")
ns=$([ -n "$f" ] && total_cpu "$f")
if [ -n "$ns" ] && [ "$ns" -ge 3000000000 ] && [ "$ns" -le 4400000000 ] && [ ! -s "$TMP/k.err" ] &&
        "$HEARTH" info "$f" | grep -q "comment: .*perf task-clock events (user time only"; then
    ok "user_time_only_where_kernel_time_is_refused ($ns ns)"
else
    not_ok user_time_only_where_kernel_time_is_refused "${ns:-none} ns: $(cat "$TMP/k.err"; [ -n "$f" ] && "$HEARTH" info "$f")"
fi

# No perf events at all (paranoid 3, seccomp): POSIX CPU timers, one
# stderr line and a comment that say so, and busy threads still counted.
rm -f "$W"/*
timeout 60 env HEARTH_OUT="$W/x" HEARTH_CPU=1 HEARTH_TEST_NO_PERF=all \
    LD_PRELOAD="$TMP/noperf.so:$LIB" "$TMP/work" threads 2 2 >/dev/null 2>"$TMP/x.err"
f=$(one "$W/x.*.cpu.pb.gz")
ns=$([ -n "$f" ] && total_cpu "$f")
if [ -n "$ns" ] && [ "$ns" -ge 3600000000 ] && [ "$ns" -le 4400000000 ] &&
        [ "$(wc -l <"$TMP/x.err")" -eq 1 ] && grep -q "perf task-clock events are unavailable" "$TMP/x.err" &&
        "$HEARTH" info "$f" | grep -q "comment: .*CPU clock: 0 threads on perf.*, [1-9][0-9]* on POSIX"; then
    ok "falls_back_to_posix_timers_and_says_so ($ns ns; $(cat "$TMP/x.err" | cut -c1-60)...)"
else
    not_ok falls_back_to_posix_timers_and_says_so "${ns:-none} ns: $(cat "$TMP/x.err"; [ -n "$f" ] && "$HEARTH" info "$f")"
fi

# The comparator of glibc's qsort in an -O2 -fomit-frame-pointer binary:
# >= 95% of its samples carry main -> sort_things -> qsort... -> cmp.
rm -f "$W"/*
timeout 60 env HEARTH_OUT="$W/q" HEARTH_CPU=1 HEARTH_CPU_HZ=1000 LD_PRELOAD="$LIB" "$TMP/work" qsort 3 >/dev/null 2>&1
f=$(one "$W/q.*.cpu.pb.gz")
if [ -n "$f" ] && "$HEARTH" fold --sample-index samples "$f" >"$TMP/q.folded"; then
    # Between sort_things and cmp only libc's sort: qsort and msort frames.
    res=$(awk '{ n = $NF; s = $0; sub(/ [0-9]+$/, "", s)
                 if (s !~ /;cmp$/) next
                 all += n
                 if (s ~ /(^|;)main;sort_things;[^;]*qsort[^;]*(;[^;]*msort[^;]*)*;cmp$/) good += n }
               END { printf "%.0f %.0f", good, all }' "$TMP/q.folded")
    good=${res% *}
    all=${res#* }
    if [ "$all" -gt 0 ] && [ $((good * 100)) -ge $((all * 95)) ]; then
        ok "qsort_comparator_samples_carry_full_chain ($good of $all samples)"
    else
        not_ok qsort_comparator_samples_carry_full_chain "$good of $all: $(sort -t' ' -k2 -nr "$TMP/q.folded" | head -5)"
    fi
else
    not_ok qsort_comparator_samples_carry_full_chain "no profile"
fi

# The same profile reports the handler's own cost, timed in CPU cycles and
# converted by a rate measured over the session: a broken conversion shows
# as 0.01 us (no rate) or as milliseconds.
line=$([ -n "$f" ] && "$HEARTH" info "$f" | grep -m1 'signal handler median')
us=$(echo "$line" | sed -n 's/.*median \([0-9.]*\) us per sample.*/\1/p')
depth=$(echo "$line" | sed -n 's/.*median stack depth \([0-9]*\) frames.*/\1/p')
if [ -n "$us" ] && awk -v u="$us" -v d="${depth:-0}" 'BEGIN { exit !(u >= 0.05 && u <= 200 && d >= 5) }'; then
    ok "handler_cost_is_reported_in_microseconds ($us us, $depth frames)"
else
    not_ok handler_cost_is_reported_in_microseconds "${line:-no comment}"
fi

# 10,000 frames deep: samples end in [truncated] at HEARTH_MAX_DEPTH; no crash.
rm -f "$W"/*
if timeout 60 env HEARTH_OUT="$W/d" HEARTH_CPU=1 HEARTH_CPU_HZ=500 LD_PRELOAD="$LIB" \
        "$TMP/work" deep 10000 1 >/dev/null 2>"$TMP/d.err"; then
    f=$(one "$W/d.*.cpu.pb.gz")
    if [ -n "$f" ] && "$HEARTH" fold "$f" >"$TMP/d.folded" &&
            awk '/;burn [0-9]+$/ { n++; split($1, a, ";"); if (a[1] != "[truncated]" || length(a) != 129) bad++ }
                 END { exit !(n > 0 && bad == 0) }' "$TMP/d.folded"; then
        ok "deep_recursion_ends_in_truncated_frame"
    else
        not_ok deep_recursion_ends_in_truncated_frame "$(cut -c1-200 "$TMP/d.folded" | head -3)"
    fi
else
    not_ok deep_recursion_ends_in_truncated_frame "exit status: $(cat "$TMP/d.err")"
fi

# The API: start, a refused second start, stop to a path, a refused stop.
rm -f "$W"/*
if timeout 60 env HEARTH_OUT="$W/a" LD_PRELOAD="$LIB" "$TMP/work" api "$W/api.pb.gz" 2>"$TMP/a.err" &&
        grep -q "already running" "$TMP/a.err" && "$HEARTH" info "$W/api.pb.gz" >"$TMP/a.info" &&
        grep -q "samples/count cpu/nanoseconds" "$TMP/a.info" && grep -q "period:        cpu/nanoseconds 10000000" "$TMP/a.info"; then
    ok api_start_stop_and_refused_second_start
else
    not_ok api_start_stop_and_refused_second_start "$(cat "$TMP/a.err" "$TMP/a.info" 2>/dev/null)"
fi

# The dump signal starts a HEARTH_CPU_SECONDS profile, written when it ends.
rm -f "$W"/*
HEARTH_OUT="$W/s" HEARTH_CPU_SECONDS=1 HEARTH_ALLOC_RATE=0 LD_PRELOAD="$LIB" "$TMP/work" threads 1 4 \
    >/dev/null 2>&1 &
pid=$!
sleep 0.5
kill -USR2 $pid
sleep 2.5
f=$(one "$W/s.$pid.*.cpu.pb.gz")
wait $pid
if [ -n "$f" ] && "$HEARTH" info "$f" >"$TMP/s.info"; then
    d=$(awk '/^duration:/ { sub(/s$/, "", $2); print $2 }' "$TMP/s.info")
    if awk -v d="$d" 'BEGIN { exit !(d >= 0.9 && d <= 2.0) }'; then
        ok "dump_signal_writes_a_timed_cpu_profile (${d}s)"
    else
        not_ok dump_signal_writes_a_timed_cpu_profile "duration $d"
    fi
else
    not_ok dump_signal_writes_a_timed_cpu_profile "files: $(ls "$W")"
fi

# A program that owns SIGPROF and ITIMER_PROF: the dump signal's CPU
# profile is refused with one line, and the program's profiling still works.
rm -f "$W"/*
HEARTH_OUT="$W/p" LD_PRELOAD="$LIB" "$TMP/work" sigprof 2 >"$TMP/p.out" 2>"$TMP/p.err" &
pid=$!
sleep 0.5
kill -USR2 $pid
wait $pid
rc=$?
own=$(sed -n 's/^own signals //p' "$TMP/p.out")
if [ $rc -eq 0 ] && [ "$(grep -c 'SIGPROF' "$TMP/p.err")" -eq 1 ] && [ "$(wc -l <"$TMP/p.err")" -eq 1 ] &&
        [ "${own:-0}" -gt 100 ] && ! ls "$W" | grep -q cpu.pb.gz; then
    ok "refuses_when_program_uses_sigprof ($(cat "$TMP/p.err"))"
else
    not_ok refuses_when_program_uses_sigprof "rc=$rc own=$own: $(cat "$TMP/p.err")"
fi

# Neither perf events nor per-thread timers: setitimer drives sampling,
# the profile says so in its comments.
rm -f "$W"/*
timeout 60 env HEARTH_OUT="$W/n" HEARTH_CPU=1 HEARTH_TEST_NO_PERF=all \
    LD_PRELOAD="$TMP/noperf.so:$TMP/notimers.so:$LIB" "$TMP/work" threads 1 1 \
    >/dev/null 2>"$TMP/n.err"
f=$(one "$W/n.*.cpu.pb.gz")
ns=$([ -n "$f" ] && total_cpu "$f")
if [ -n "$f" ] && "$HEARTH" info "$f" | grep -q "comment: .*setitimer(ITIMER_PROF)" &&
        [ "${ns:-0}" -ge 800000000 ]; then
    ok "falls_back_to_setitimer_and_says_so ($ns ns)"
else
    not_ok falls_back_to_setitimer_and_says_so "$(cat "$TMP/n.err"; [ -n "$f" ] && "$HEARTH" info "$f")"
fi

# The CFI walker against libgcc's unwinder, frame for frame, from normal
# code and from a signal handler, through libc's qsort.
if HEARTH_OUT="$W/u" HEARTH_DUMP_AT_EXIT=off "$TMP/unwind_check" "$TMP/dlib.so" >"$TMP/u.out" 2>&1; then
    ok "cfi_unwinder_matches_libgcc ($(tail -1 "$TMP/u.out"))"
else
    not_ok cfi_unwinder_matches_libgcc "$(tail -5 "$TMP/u.out")"
fi

# Events take a descriptor per thread, never more than half the limit:
# with 32 descriptors and 16 busy threads some threads get POSIX timers,
# every thread is still counted, and the program keeps descriptors free.
rm -f "$W"/*
(ulimit -n 32 && timeout 60 env HEARTH_OUT="$W/d" HEARTH_CPU=1 LD_PRELOAD="$LIB" \
    "$TMP/work" threads 16 0.1 >/dev/null 2>"$TMP/d.err")
f=$(one "$W/d.*.cpu.pb.gz")
ns=$([ -n "$f" ] && total_cpu "$f")
clocks=$([ -n "$f" ] && "$HEARTH" info "$f" | grep -o 'CPU clock: [0-9]* threads on perf.*, [0-9]* on POSIX')
if [ -n "$ns" ] && [ "$ns" -ge 1300000000 ] && [ "$ns" -le 1900000000 ] && [ ! -s "$TMP/d.err" ] &&
        echo "$clocks" | grep -q "CPU clock: [1-9][0-9]* threads.*, [1-9][0-9]* on POSIX"; then
    ok "perf_events_leave_half_the_descriptors_free ($ns ns; $clocks)"
else
    not_ok perf_events_leave_half_the_descriptors_free "${ns:-none} ns; $clocks; $(cat "$TMP/d.err")"
fi

# A service that closes every descriptor (daemonizing) while a profile
# runs and opens its own files under the same numbers: stopping the
# profile must not close them, and the timeline (whose descriptor is gone
# too) must not write into them; it stops with one line on stderr.
rm -f "$W"/*
mkdir -p "$TMP/dfiles"
if timeout 60 env HEARTH_OUT="$W/g" LD_PRELOAD="$LIB" \
        "$TMP/work" daemon "$W/g.pb.gz" "$TMP/dfiles" >"$TMP/g.out" 2>"$TMP/g.err" &&
        "$HEARTH" info "$W/g.pb.gz" >/dev/null &&
        [ "$(cat "$TMP/dfiles"/f* | sort | uniq -c | awk '{ print $1, $2 }')" = "16 kept" ] &&
        [ "$(wc -l <"$TMP/g.err")" -eq 1 ] && grep -q "closed the timeline's descriptor" "$TMP/g.err"; then
    ok "a_daemonizing_service_keeps_its_own_descriptors"
else
    not_ok a_daemonizing_service_keeps_its_own_descriptors "$(cat "$TMP/g.out" "$TMP/g.err"; head -c 300 "$TMP/dfiles"/f*)"
fi

# HEARTH_CPU_TIMER picks the first clock tried; no stderr line for a
# clock that was asked for.
for t in posix itimer; do
    rm -f "$W"/*
    timeout 60 env HEARTH_OUT="$W/c" HEARTH_CPU=1 HEARTH_CPU_TIMER=$t LD_PRELOAD="$LIB" \
        "$TMP/work" threads 1 1 >/dev/null 2>"$TMP/c.err"
    f=$(one "$W/c.*.cpu.pb.gz")
    case $t in
    posix) want="CPU clock: 0 threads on perf.*, [1-9][0-9]* on POSIX" ;;
    itimer) want="CPU clock: setitimer" ;;
    esac
    ns=$([ -n "$f" ] && total_cpu "$f")
    if [ -n "$f" ] && "$HEARTH" info "$f" | grep -q "comment: .*$want" && [ ! -s "$TMP/c.err" ] &&
            [ "${ns:-0}" -ge 800000000 ]; then
        ok "cpu_timer_${t}_is_used_when_asked ($ns ns)"
    else
        not_ok "cpu_timer_${t}_is_used_when_asked" "$(cat "$TMP/c.err"; [ -n "$f" ] && "$HEARTH" info "$f")"
    fi
done

# Bad settings: one line each, defaults kept.
HEARTH_OUT="$W/x" HEARTH_CPU=maybe HEARTH_CPU_HZ=5000 HEARTH_CPU_SECONDS=-1 HEARTH_CPU_TIMER=sundial \
    LD_PRELOAD="$LIB" "$TMP/work" threads 1 0.1 >/dev/null 2>"$TMP/x.err"
if [ "$(grep -c '^hearth: HEARTH_CPU' "$TMP/x.err")" -eq 4 ]; then
    ok bad_cpu_settings_warn_once_each
else
    not_ok bad_cpu_settings_warn_once_each "$(cat "$TMP/x.err")"
fi

# Stress at 1000 Hz: malloc storm on 8 threads, thread churn, dlopen and
# dlclose of a library that burns CPU as it loads, fork, heap dumps by
# signal and API. No crash, no hang, profiles that go tool pprof reads.
rm -f "$W"/*
start=$(date +%s)
if timeout $((SECONDS_STRESS + 60)) env HEARTH_OUT="$W/z" HEARTH_CPU=1 HEARTH_CPU_HZ=1000 \
        LD_PRELOAD="$LIB" "$TMP/stress" "$SECONDS_STRESS" 8 "$TMP/dlib.so" >"$TMP/z.out" 2>&1; then
    ok "stress_1000hz_runs_${SECONDS_STRESS}s_without_crash_or_hang ($(($(date +%s) - start)) s)"
else
    not_ok "stress_1000hz_runs_${SECONDS_STRESS}s_without_crash_or_hang" "$(tail -5 "$TMP/z.out")"
fi
f=$(one "$W/z.*.cpu.pb.gz")
if [ -n "$f" ] && go tool pprof -top "$f" >"$TMP/z.top" 2>&1 && grep -q 'churn' "$TMP/z.top" &&
        [ "$(total_cpu "$f")" -gt 1000000000 ]; then
    ok "stress_cpu_profile_reads_in_go_tool_pprof ($(total_cpu "$f") ns)"
else
    not_ok stress_cpu_profile_reads_in_go_tool_pprof "$(ls "$W" | grep cpu; head -20 "$TMP/z.top" 2>/dev/null)"
fi
bad=0
n=0
for h in "$W"/z.*.heap.pb.gz; do
    [ -f "$h" ] || continue
    n=$((n + 1))
    go tool pprof -top "$h" >/dev/null 2>&1 || bad=$((bad + 1))
done
if [ "$n" -gt 0 ] && [ "$bad" -eq 0 ]; then
    ok "stress_heap_profiles_read_in_go_tool_pprof ($n files)"
else
    not_ok stress_heap_profiles_read_in_go_tool_pprof "$bad of $n unreadable"
fi
finish
