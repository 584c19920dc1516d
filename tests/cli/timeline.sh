# The GC/allocation timeline end to end: libhearth recording real
# processes (exact counters, fork, dlopen, marks, SIGKILL), GC logs
# written during the test by a real Go program (GODEBUG=gctrace=1) and by
# the JDK (-Xlog:gc: G1, Parallel, ZGC, Serial, several decoration sets),
# each compared with an independent awk extraction of the same log, the
# trend of a leaking and a steady service, and the SVG (xmllint, headless
# Chromium screenshot in tests/out/).
. tests/cli/lib.sh
LIB=${HEARTH_SAMPLER_LIB:-$BUILD/libhearth.so}
CC=${CC:-cc}
W=$TMP/w
mkdir -p "$W" tests/out

build() { # build OUT SRC
    $CC -O2 -g -o "$1" "$2" -ldl 2>"$TMP/cc.log" || { cat "$TMP/cc.log"; return 1; }
}
build "$TMP/service" tests/workloads/timeline_service.c || not_ok build_service
build "$TMP/exact" tests/workloads/timeline_exact.c || not_ok build_exact
build "$TMP/fork" tests/workloads/timeline_fork.c || not_ok build_fork

# tick_field FILE COLUMN -> the values of COLUMN in every complete tick line,
# found by the column's position in the header (not by our reader).
tick_field() {
    awk -F'\t' -v c="$2" '
        $1 == "column" { n++; if ($2 == c) col = n }
        $1 == "tick" && col { print $(col + 1) }' "$1"
}

# --- exact heap counters ------------------------------------------------------
rm -f "$W"/*
timeout 30 env HEARTH_OUT="$W/x" HEARTH_TIMELINE_INTERVAL=0.1 HEARTH_DUMP_AT_EXIT=off \
    LD_PRELOAD="$LIB" "$TMP/exact" 0.5 >"$TMP/exact.out" 2>&1
f=$(ls "$W"/x.*.timeline 2>/dev/null | head -n 1)
set -- $(grep '^expect' "$TMP/exact.out")
if [ -n "$f" ] && [ $# -eq 3 ]; then
    # The last tick before the "baseline" mark and the last before "freed"
    # (a tick may land among the allocations, on a loaded machine after a
    # few of them: not one to compare).
    got=$(awk -F'\t' '
        $1 == "event" && $4 == "baseline" { bl = 1 }
        $1 == "event" && $4 == "allocated" { a = 1 }
        $1 == "event" && $4 == "freed" { f = 1 }
        $1 == "tick" && !bl { b0 = $3; o0 = $4 }
        $1 == "tick" && a && !f { b1 = $3; o1 = $4 }
        END { print b1 - b0, o1 - o0 }' "$f")
    if [ "$got" = "$2 $3" ]; then
        ok "exact_counters_equal_malloc_usable_size_of_live_blocks ($got)"
    else
        not_ok exact_counters_equal_malloc_usable_size_of_live_blocks "timeline: $got, expected: $2 $3"
    fi
    back=$(awk -F'\t' '$1 == "event" && $4 == "baseline" { s = 1 } $1 == "tick" && !s { b = $3 }
        $1 == "event" && $4 == "freed" { f = 1 } $1 == "tick" && f && $3 != "" { e = $3 }
        END { print e - b }' "$f")
    if [ "$back" = 0 ]; then ok exact_counters_return_to_baseline_after_free; else not_ok exact_counters_return_to_baseline_after_free "delta $back"; fi
else
    not_ok exact_counters_equal_malloc_usable_size_of_live_blocks "$(cat "$TMP/exact.out")"
fi

# --- fork, dlopen/dlclose -----------------------------------------------------
rm -f "$W"/*
timeout 30 env HEARTH_OUT="$W/f" HEARTH_TIMELINE_INTERVAL=0.1 HEARTH_DUMP_AT_EXIT=off \
    LD_PRELOAD="$LIB" "$TMP/fork" 1 >"$TMP/fork.out" 2>&1
child=$(awk '/^child/ { print $2 }' "$TMP/fork.out")
parent=$(ls "$W" | grep -v "\.$child\.timeline" | grep '\.timeline$' | head -n 1)
if [ -n "$parent" ] && grep -q "$(printf 'event\t[0-9.]*\tfork\tchild=%s' "$child")" "$W/$parent"; then
    ok parent_timeline_records_the_fork_with_the_child_pid
else
    not_ok parent_timeline_records_the_fork_with_the_child_pid "$(cat "$TMP/fork.out"; ls "$W")"
fi
cf="$W/f.$child.timeline"
ppid_in_child=$(awk -F'\t' '$1 == "process" { for (i = 2; i <= NF; i++) if ($i ~ /^ppid=/) print substr($i, 6) }' "$cf" 2>/dev/null)
if [ -f "$cf" ] && [ "$(tick_field "$cf" heap_bytes | wc -l)" -ge 5 ] && [ "$W/f.$ppid_in_child.timeline" = "$W/$parent" ]; then
    ok "child_writes_its_own_timeline_naming_its_parent ($(tick_field "$cf" heap_bytes | wc -l) ticks)"
else
    not_ok child_writes_its_own_timeline_naming_its_parent "$(ls "$W"; cat "$cf" 2>/dev/null | head -3)"
fi
if [ -n "$parent" ] && grep -q "$(printf '\tdlopen\t.*libresolv')" "$W/$parent" &&
    grep -q "$(printf '\tdlclose\t.*libresolv')" "$W/$parent"; then
    ok dlopen_and_dlclose_are_events
else
    not_ok dlopen_and_dlclose_are_events "$(grep event "$W/$parent" 2>/dev/null)"
fi

# --- a leaking and a steady service: the trend ---------------------------------
run_service() { # MODE SECONDS -> $W/MODE.* files, stdout in $TMP/MODE.out
    timeout 60 env HEARTH_OUT="$W/$1" HEARTH_TIMELINE_INTERVAL=0.25 HEARTH_DUMP_AT_EXIT=off \
        LD_PRELOAD="$LIB" "$TMP/service" "$1" "$2" >"$TMP/$1.out" 2>&1
}
rm -f "$W"/*
run_service leak 4
run_service steady 4
# Kept out of $W, which later cases empty.
cp "$W"/leak.*.timeline "$TMP/leak.timeline" 2>/dev/null
cp "$W"/steady.*.timeline "$TMP/steady.timeline" 2>/dev/null
leak_tl=$TMP/leak.timeline
steady_tl=$TMP/steady.timeline
true_rate=$(awk '/^true_rate_bytes_per_s/ { print $2 }' "$TMP/leak.out")
slope() { "$HEARTH" timeline --format text "$1" | awk '/^  fit:/ { for (i = 1; i <= NF; i++) if ($i == "slope") print $(i + 1) }'; }
ls_=$(slope "$leak_tl")
if [ -n "$ls_" ] && [ -n "$true_rate" ] && awk -v s="$ls_" -v t="$true_rate" 'BEGIN { exit !(s > 0 && s >= 0.8 * t && s <= 1.2 * t) }'; then
    ok "leak_slope_within_20_percent_of_true_growth ($ls_ B/s vs $true_rate B/s)"
else
    not_ok leak_slope_within_20_percent_of_true_growth "slope $ls_, true $true_rate"
fi
if "$HEARTH" timeline --format text "$leak_tl" | grep -q "trend: in-use heap grows"; then
    ok leak_verdict_says_grows
else
    not_ok leak_verdict_says_grows "$("$HEARTH" timeline --format text "$leak_tl")"
fi
ss=$(slope "$steady_tl")
if [ -n "$ss" ] && [ -n "$true_rate" ] && awk -v s="$ss" -v t="$true_rate" 'BEGIN { exit !(s < 0.02 * t && s > -0.02 * t) }'; then
    ok "steady_slope_near_zero ($ss B/s, under 2% of the leak's rate)"
else
    not_ok steady_slope_near_zero "slope $ss"
fi
if "$HEARTH" timeline --format text "$steady_tl" | grep -q "trend: in-use heap is flat"; then
    ok steady_verdict_says_flat
else
    not_ok steady_verdict_says_flat "$("$HEARTH" timeline --format text "$steady_tl")"
fi
# The mark's label reaches the file (escaped on the way out, not mangled).
if grep -q "$(printf 'mark\tleak starts <here> & "now"')" "$leak_tl" && grep -q '^mark: 0$' "$TMP/leak.out"; then
    ok hearth_mark_writes_an_event_and_returns_0
else
    not_ok hearth_mark_writes_an_event_and_returns_0 "$(cat "$TMP/leak.out")"
fi

# --- SIGKILL: every completed tick reads back ---------------------------------
rm -f "$W"/k.*
env HEARTH_OUT="$W/k" HEARTH_TIMELINE_INTERVAL=0.1 LD_PRELOAD="$LIB" "$TMP/service" leak 30 >/dev/null 2>&1 &
pid=$!
sleep 2
kill -KILL $pid
wait $pid 2>/dev/null
kf="$W/k.$pid.timeline"
# Complete tick lines, counted without our reader.
lines=$(grep -c "$(printf '^tick\t')" "$kf" 2>/dev/null)
read_ticks=$("$HEARTH" timeline --format csv --records ticks "$kf" 2>&1 | tail -n +2 | wc -l)
if [ -n "$lines" ] && [ "$lines" -ge 12 ] && [ "$read_ticks" = "$lines" ]; then
    ok "sigkill_leaves_a_timeline_with_every_completed_tick ($lines ticks)"
else
    not_ok sigkill_leaves_a_timeline_with_every_completed_tick "lines $lines, read $read_ticks"
fi
# A kill in the middle of a write: the cut line is ignored, the rest reads.
if [ -f "$kf" ]; then
    cp "$kf" "$TMP/cut.timeline"
    printf 'tick\t9.9\t123' >>"$TMP/cut.timeline"
    n=$("$HEARTH" timeline --format csv --records ticks "$TMP/cut.timeline" | tail -n +2 | wc -l)
    if [ "$n" = "$lines" ] && "$HEARTH" timeline --format text "$TMP/cut.timeline" | grep -q "truncated last line ignored"; then
        ok a_truncated_last_line_is_ignored
    else
        not_ok a_truncated_last_line_is_ignored "$n ticks"
    fi
fi

# --- settings --------------------------------------------------------------------
rm -f "$W"/*
timeout 30 env HEARTH_OUT="$W/o" HEARTH_TIMELINE_INTERVAL=off HEARTH_DUMP_AT_EXIT=off \
    LD_PRELOAD="$LIB" "$TMP/service" steady 0.3 >"$TMP/off.out" 2>&1
if ! ls "$W" | grep -q timeline && grep -q '^mark: -1$' "$TMP/off.out"; then
    ok timeline_off_writes_no_file_and_mark_returns_minus_1
else
    not_ok timeline_off_writes_no_file_and_mark_returns_minus_1 "$(ls "$W"; cat "$TMP/off.out")"
fi
timeout 30 env HEARTH_OUT="$W/b" HEARTH_TIMELINE_INTERVAL=fast HEARTH_DUMP_AT_EXIT=off \
    LD_PRELOAD="$LIB" "$TMP/service" steady 0.3 >"$TMP/bad.out" 2>&1
if grep -q "hearth: HEARTH_TIMELINE_INTERVAL=fast: .*using 1" "$TMP/bad.out"; then
    ok bad_interval_is_named_and_the_default_kept
else
    not_ok bad_interval_is_named_and_the_default_kept "$(cat "$TMP/bad.out")"
fi

# --- Go: GODEBUG=gctrace=1 -------------------------------------------------------
GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GO111MODULE=off GOFLAGS= GOPROXY=off GOENV=off GOTOOLCHAIN=local
export GOCACHE GOPATH GO111MODULE GOFLAGS GOPROXY GOENV GOTOOLCHAIN
# Built first: `go run` under GODEBUG would add the compiler's own GCs.
if go build -o "$TMP/gcchurn" tests/go/gcchurn/main.go 2>"$TMP/go.err"; then
    GODEBUG=gctrace=1 "$TMP/gcchurn" 2 2>"$TMP/go.log" >/dev/null
    # Independent extraction: every "gc N @" record, wherever it starts.
    # Split at every character that is not part of a number: gc N @T s P%:
    # a+b+c ms clock, d+e/f/g+h ms cpu, H0->H1->H2 MB, G MB goal, K MB
    # stacks, L MB globals, NP P.
    grep -o 'gc [0-9][0-9]* @.*' "$TMP/go.log" | awk '{
        split($0, f, /[^0-9.]+/)
        forced = ($0 ~ /\(forced\)/)
        printf "%d %.9g %.9g %.9g %.9g %d %d %d %d %d %d %d %d\n", f[2], f[3], f[5], f[6], f[7],
            f[13] * 1048576, f[14] * 1048576, f[15] * 1048576, f[16] * 1048576, f[17] * 1048576,
            f[18] * 1048576, f[19], forced
    }' >"$TMP/go.want"
    "$HEARTH" timeline --format csv "$TMP/go.log" | tail -n +2 | awk -F, '{
        # input,line,id,t_s,kind,pause_ms,stw1,conc,stw2,cpu,pct,before,after,live,goal,cap,stacks,globals,procs,forced
        printf "%d %.9g %.9g %.9g %.9g %d %d %d %d %d %d %d %d\n", $3, $4, $7, $8, $9, $12, $13, $14, $15, $17, $18, $19, $20
    }' >"$TMP/go.got"
    n=$(wc -l <"$TMP/go.want")
    if [ "$n" -ge 10 ] && [ "$(wc -l <"$TMP/go.got")" = "$n" ]; then
        ok "go_gctrace_one_event_per_gc_line ($n)"
    else
        not_ok go_gctrace_one_event_per_gc_line "want $n, got $(wc -l <"$TMP/go.got")"
    fi
    if [ "$n" -ge 10 ] && cmp -s "$TMP/go.want" "$TMP/go.got"; then
        ok go_gctrace_values_equal_the_printed_ones
    else
        not_ok go_gctrace_values_equal_the_printed_ones "$(diff "$TMP/go.want" "$TMP/go.got" | head -5)"
    fi
    if grep -q 'forcing a collection... gc [0-9]* @' "$TMP/go.log" && awk '$13 == 1' "$TMP/go.got" | grep -q .; then
        ok go_gctrace_after_a_partial_line_and_forced_flag
    else
        not_ok go_gctrace_after_a_partial_line_and_forced_flag "$(grep forcing "$TMP/go.log")"
    fi
    other=$(grep -v 'gc [0-9][0-9]* @' "$TMP/go.log" | grep -c .) # blank lines are not counted
    if "$HEARTH" timeline --format text "$TMP/go.log" | grep -q " $other skipped"; then
        ok "go_other_lines_are_skipped_and_counted ($other)"
    else
        not_ok go_other_lines_are_skipped_and_counted "$("$HEARTH" timeline --format text "$TMP/go.log")"
    fi
else
    not_ok go_build_gcchurn "$(cat "$TMP/go.err")"
fi

# --- JVM: -Xlog:gc -----------------------------------------------------------------
if javac -d "$TMP/java" tests/java/GcChurn.java 2>"$TMP/javac.err"; then
    jvm_case() { # NAME JAVA-OPTIONS...
        name=$1
        shift
        java -Xmx64m "$@" -cp "$TMP/java" GcChurn 1.5 >"$TMP/$name.log" 2>&1
        # Independent extraction: lines naming GC(N) with a heap transition.
        awk '/GC\([0-9]+\)/ && /->/ {
            match($0, /GC\([0-9]+\)/); id = substr($0, RSTART + 3, RLENGTH - 4)
            for (i = 1; i <= NF; i++) if ($i ~ /->/) t = i
            split($t, s, "->")
            b = s[1]; a = s[2]; cap = ""
            sub(/\(.*/, "", b)
            if (a ~ /\([0-9.]+[BKMGT]\)/) { cap = a; sub(/.*\(/, "", cap); sub(/\)/, "", cap) }
            sub(/\(.*/, "", a)
            p = (t < NF) ? $(t + 1) : ""
            if (p ~ /ms$/) { sub(/ms$/, "", p) } else if (p ~ /s$/) { sub(/s$/, "", p); p = p * 1000 }
            printf "%d %d %d %s %s\n", id, bytes(b), bytes(a), cap == "" ? "-" : bytes(cap), p == "" ? "-" : sprintf("%.9g", p)
        }
        function bytes(v,   u, m) {
            u = substr(v, length(v)); m = u == "K" ? 1024 : u == "M" ? 1048576 : u == "G" ? 1073741824 : 1
            return sprintf("%d", substr(v, 1, length(v) - 1) * m)
        }' "$TMP/$name.log" >"$TMP/$name.want"
        "$HEARTH" timeline --format csv "$TMP/$name.log" | tail -n +2 | awk -F, '{
            printf "%d %d %d %s %s\n", $3, $12, $13, $16 == "" ? "-" : $16,
                $6 != "" ? sprintf("%.9g", $6) : $8 != "" ? sprintf("%.9g", $8) : "-"
        }' >"$TMP/$name.got"
        n=$(wc -l <"$TMP/$name.want")
        if [ "$n" -ge 5 ] && [ "$(wc -l <"$TMP/$name.got")" = "$n" ]; then
            ok "jvm_${name}_one_event_per_gc_line ($n)"
        else
            not_ok "jvm_${name}_one_event_per_gc_line" "want $n, got $(wc -l <"$TMP/$name.got"); $(head -3 "$TMP/$name.log")"
        fi
        if [ "$n" -ge 5 ] && cmp -s "$TMP/$name.want" "$TMP/$name.got"; then
            ok "jvm_${name}_values_equal_the_printed_ones"
        else
            not_ok "jvm_${name}_values_equal_the_printed_ones" "$(diff "$TMP/$name.want" "$TMP/$name.got" | head -5)"
        fi
    }
    jvm_case g1_default -Xlog:gc
    jvm_case parallel_time_level_tags -XX:+UseParallelGC -Xlog:gc:stdout:time,level,tags
    jvm_case zgc_uptimemillis_pid_tid -XX:+UseZGC -Xlog:gc:stdout:uptimemillis,pid,tid
    jvm_case serial_utctime_uptimenanos -XX:+UseSerialGC -Xlog:gc:stdout:utctime,uptimenanos
    # Times: uptime decorations become the axis, as printed.
    t_want=$(awk '/GC\([0-9]+\).*->/ { s = $0; sub(/^\[/, "", s); sub(/s\].*/, "", s); print s; exit }' "$TMP/g1_default.log")
    t_got=$("$HEARTH" timeline --format csv "$TMP/g1_default.log" | awk -F, 'NR == 2 { print $4 }')
    if [ -n "$t_want" ] && awk -v a="$t_want" -v b="$t_got" 'BEGIN { exit !(a == b) }'; then
        ok "jvm_uptime_decoration_is_the_time ($t_got s)"
    else
        not_ok jvm_uptime_decoration_is_the_time "want $t_want, got $t_got"
    fi
else
    not_ok javac_gcchurn "$(cat "$TMP/javac.err")"
fi

# --- the SVG ----------------------------------------------------------------------------
svg=tests/out/timeline.svg
if "$HEARTH" timeline "$leak_tl" "$steady_tl" "$TMP/go.log" "$TMP/g1_default.log" -o "$svg" 2>"$TMP/svg.err" &&
    xmllint --noout "$svg" 2>"$TMP/xmllint.err"; then
    ok svg_passes_xmllint
else
    not_ok svg_passes_xmllint "$(cat "$TMP/svg.err" "$TMP/xmllint.err" | head -5)"
fi
if grep -q 'class="legend"' "$svg" && [ "$(grep -c 'class="legend"' "$svg")" = 4 ] &&
    [ "$(grep -c 'class="panel"' "$svg")" = 4 ] && grep -q 'class="bar"' "$svg" &&
    grep -q 'class="saw"' "$svg" && grep -q 'class="fit"' "$svg"; then
    ok svg_has_four_inputs_four_panels_sawtooth_pause_bars_and_trend
else
    not_ok svg_has_four_inputs_four_panels_sawtooth_pause_bars_and_trend "$(grep -c 'class="panel"' "$svg") panels"
fi
if grep -q 'leak starts &lt;here&gt; &amp; &quot;now&quot;' "$svg" && ! grep -q '<here>' "$svg"; then
    ok svg_escapes_event_labels
else
    not_ok svg_escapes_event_labels
fi
if grep -q 'in-use heap grows [0-9.]* [KMG]iB/h over the whole run' "$svg"; then
    ok svg_shows_the_verdict
else
    not_ok svg_shows_the_verdict
fi
"$HEARTH" timeline "$leak_tl" "$steady_tl" "$TMP/go.log" "$TMP/g1_default.log" -o "$TMP/again.svg"
if cmp -s "$svg" "$TMP/again.svg"; then ok svg_is_deterministic; else not_ok svg_is_deterministic; fi
"$HEARTH" timeline --no-js "$leak_tl" -o "$TMP/nojs.svg"
if ! grep -q '<script' "$TMP/nojs.svg" && grep -q '<script' "$svg" && grep -q '<title>' "$TMP/nojs.svg"; then
    ok no_js_has_no_script_but_keeps_tooltips
else
    not_ok no_js_has_no_script_but_keeps_tooltips
fi
# Tooltips carry exact values: the first tick's heap in bytes.
first_heap=$(tick_field "$leak_tl" heap_bytes | head -n 1)
if grep -q "($first_heap B)" "$svg" || [ "$first_heap" -lt 1024 ]; then
    ok tooltips_hold_exact_values
else
    not_ok tooltips_hold_exact_values "no ($first_heap B) in the SVG"
fi
rm -f tests/out/timeline.png
timeout 60 chromium --headless --no-sandbox --disable-gpu --screenshot=tests/out/timeline.png \
    --window-size=1200,900 "file://$(pwd)/$svg" >/dev/null 2>&1
if [ -s tests/out/timeline.png ]; then ok headless_chromium_screenshot_saved; else not_ok headless_chromium_screenshot_saved; fi

# --- bad input ------------------------------------------------------------------------------
printf 'hearth-timeline\t1\ncolumn\tt\tseconds\tx\ncolumn\theap_bytes\tbytes\tx\ntick\t1.0\t5\t6\n' >"$TMP/bad.timeline"
rm -f "$TMP/bad.svg"
"$HEARTH" timeline "$TMP/bad.timeline" -o "$TMP/bad.svg" 2>"$TMP/bad.err"
rc=$?
if [ "$rc" = 1 ] && grep -q "bad.timeline: line 4: tick has 3 values, the header names 2" "$TMP/bad.err" && [ ! -e "$TMP/bad.svg" ]; then
    ok bad_tick_is_one_line_naming_file_and_line_exit_1_no_output
else
    not_ok bad_tick_is_one_line_naming_file_and_line_exit_1_no_output "rc $rc: $(cat "$TMP/bad.err")"
fi
printf 'hearth-timeline\t7\n' >"$TMP/new.timeline"
if ! "$HEARTH" timeline "$TMP/new.timeline" -o "$TMP/new.svg" 2>"$TMP/new.err" && grep -q "version 7 is newer" "$TMP/new.err"; then
    ok newer_version_is_refused_by_name
else
    not_ok newer_version_is_refused_by_name "$(cat "$TMP/new.err")"
fi
echo "just some text" >"$TMP/text.log"
"$HEARTH" timeline "$TMP/text.log" -o "$TMP/text.svg" 2>"$TMP/text.err"
if [ $? = 1 ] && grep -q "text.log: neither a hearth timeline" "$TMP/text.err"; then
    ok unknown_input_is_exit_1
else
    not_ok unknown_input_is_exit_1 "$(cat "$TMP/text.err")"
fi
"$HEARTH" timeline --fit-window soon "$leak_tl" >/dev/null 2>"$TMP/usage.err"
if [ $? = 2 ]; then ok bad_option_is_exit_2; else not_ok bad_option_is_exit_2; fi
# A window: the last second only.
if "$HEARTH" timeline --format text --fit-window 1s "$leak_tl" | grep -q "over the last 1.0 s"; then
    ok fit_window_limits_the_fit
else
    not_ok fit_window_limits_the_fit "$("$HEARTH" timeline --format text --fit-window 1s "$leak_tl")"
fi

# A CPU profile of the whole run (HEARTH_CPU=1) shows as cpu_start at the
# start and cpu_stop naming the file it wrote; heap dumps name theirs.
mkdir -p "$W/cpu"
timeout 60 env HEARTH_OUT="$W/cpu/c" HEARTH_CPU=1 HEARTH_TIMELINE_INTERVAL=0.2 \
    LD_PRELOAD="$LIB" "$TMP/service" leak 1 >/dev/null 2>&1
tl=$(ls "$W"/cpu/c.*.timeline 2>/dev/null | head -1)
cpu=$(ls "$W"/cpu/c.*.cpu.pb.gz 2>/dev/null | head -1)
heap=$(ls "$W"/cpu/c.*.heap.pb.gz 2>/dev/null | head -1)
start=$(awk -F'\t' '$1 == "event" && $3 == "cpu_start" { print $4 }' "$tl" 2>/dev/null)
stop=$(awk -F'\t' '$1 == "event" && $3 == "cpu_stop" { print $4 }' "$tl" 2>/dev/null)
hd=$(awk -F'\t' '$1 == "event" && $3 == "heap_dump" { print $4 }' "$tl" 2>/dev/null)
if [ -n "$cpu" ] && [ "$start" = HEARTH_CPU ] && [ "$stop" = "$cpu" ] && [ "$hd" = "$heap" ]; then
    ok "cpu_profile_and_heap_dump_events_name_their_files"
else
    not_ok cpu_profile_and_heap_dump_events_name_their_files "start '$start', stop '$stop' (file '$cpu'), heap '$hd' (file '$heap')"
fi

finish
