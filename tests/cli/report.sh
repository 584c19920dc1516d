# `hearth report` (render/report*.c): on profiles whose every name is
# hostile (tests/browser/mkreport.mjs), summary.md renders as valid tables
# in GitHub's markdown (cmark-gfm) with every name shown as text;
# index.html loads nothing and shows every chart; every PNG decodes; the
# tar.gz holds exactly the folder. On the leaky example service under
# libhearth, the first suspect is the leaking site and its growth per hour
# is within 20% of the true rate. Bad input: one line, exit 1, nothing
# written. The browser half (Chromium) is tests/browser/report.test.mjs.
. tests/cli/lib.sh

CHECK="python3 tests/tools/report_check.py"
LIBSO=${HEARTH_SAMPLER_LIB:-$BUILD/libhearth.so}

# --- a report of hostile profiles -------------------------------------------
node tests/browser/mkreport.mjs "$TMP/in" || not_ok make_inputs
R=$TMP/out/rep
mkdir -p "$TMP/out"
if "$HEARTH" report "$TMP/in/base.pb" "$TMP/in/latest.pb" "$TMP/in/cpu.pb" "$TMP/in/goroutine.pb" \
        --timeline "$TMP/in/service-gctrace.log" -n 50 -o "$R" >"$TMP/stdout" 2>"$TMP/err"; then
    ok report_of_hostile_profiles
else
    not_ok report_of_hostile_profiles "$(cat "$TMP/err")"
fi
[ -s "$TMP/err" ] && not_ok report_is_quiet "$(cat "$TMP/err")" || ok report_is_quiet

want="cpu-graph.png cpu-graph.svg cpu.png cpu.svg heap-allocs.png heap-allocs.svg heap-graph.png heap-graph.svg heap-growth.png heap-growth.svg heap-inuse.png heap-inuse.svg index.html summary.md threads.png threads.svg timeline.png timeline.svg"
got=$(ls "$R" | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$want" ] && ok report_writes_every_chart_as_svg_and_png || not_ok report_writes_every_chart_as_svg_and_png "got:  $got
want: $want"

# summary.md in GitHub's markdown: tables intact, no name became markup.
cmark-gfm --unsafe -e table "$R/summary.md" >"$TMP/summary.html" 2>"$TMP/err" || not_ok cmark_gfm_renders "$(cat "$TMP/err")"
check summary_md_renders_as_valid_tables_with_every_name_as_text \
    $CHECK md "$R/summary.md" "$TMP/summary.html" "$TMP/in/names.json"
grep -q '^## Leak suspects$' "$R/summary.md" && grep -q '^## Top in-use heap sites$' "$R/summary.md" &&
    grep -q '^## Top CPU functions$' "$R/summary.md" &&
    grep -q '^## Largest groups of identical thread stacks$' "$R/summary.md" &&
    grep -q '^## What was profiled$' "$R/summary.md" &&
    ok summary_has_every_section || not_ok summary_has_every_section "$(grep '^##' "$R/summary.md")"

# The known leak: 50 MiB in one hour, in a stack named to break everything.
line=$($CHECK suspect "$R/summary.md")
site=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).leaker)' "$TMP/in/names.json")
if [ "$line" = "$(printf '%s\t%s' "$site" 52428800)" ]; then
    ok first_suspect_and_rate_of_the_known_leak
else
    not_ok first_suspect_and_rate_of_the_known_leak "got: $line"
fi
grep -qx -- '- Timeline service-gctrace.log: live heap grows 600.0 MiB/h over the whole run (59 min) (R^2 1.00).' "$R/summary.md" &&
    ok timeline_verdict_of_a_go_gc_trace || not_ok timeline_verdict_of_a_go_gc_trace "$(grep -i timeline "$R/summary.md")"
grep -q '| CPU profile duration | 30.0 s |' "$R/summary.md" && grep -q '| Profiles span | 1.00 h (' "$R/summary.md" &&
    ok what_was_profiled_times || not_ok what_was_profiled_times "$(sed -n '/What was profiled/,/^## Inputs/p' "$R/summary.md")"

check index_html_is_self_contained_and_shows_every_chart \
    $CHECK html "$R/index.html" "$R" "$TMP/in/names.json"
check every_png_decodes $CHECK png "$R"/*.png
if xmllint --noout "$R"/*.svg 2>"$TMP/err"; then ok svgs_are_xml; else not_ok svgs_are_xml "$(cat "$TMP/err")"; fi

# The archive holds exactly the folder, byte for byte.
if tar tzf "$R.tar.gz" >"$TMP/list" 2>"$TMP/err"; then
    (cd "$TMP/out" && find rep -type f | sort) >"$TMP/files"
    grep -v '/$' "$TMP/list" | sort >"$TMP/listed"
    mkdir -p "$TMP/x"
    if cmp -s "$TMP/files" "$TMP/listed" && grep -qx 'rep/' "$TMP/list" &&
            tar xzf "$R.tar.gz" -C "$TMP/x" && diff -r "$R" "$TMP/x/rep" >"$TMP/err" 2>&1; then
        ok tarball_lists_and_unpacks_to_the_folder
    else
        not_ok tarball_lists_and_unpacks_to_the_folder "$(diff "$TMP/files" "$TMP/listed"; cat "$TMP/err")"
    fi
else
    not_ok tarball_lists_and_unpacks_to_the_folder "$(cat "$TMP/err")"
fi
gzip -t "$R.tar.gz" && ok tarball_is_valid_gzip || not_ok tarball_is_valid_gzip

# A second report into the same folder replaces the files and removes the
# charts it no longer draws (no CPU profile now), but nothing else; no
# temp files.
echo "my notes" >"$R/notes.txt"
if "$HEARTH" report "$TMP/in/latest.pb" -o "$R" 2>"$TMP/err" && [ -z "$(ls "$TMP/out" "$R" | grep '\.tmp\.')" ] &&
        ! grep -q '^## Leak suspects' "$R/summary.md" && grep -q 'One heap profile only' "$R/summary.md" &&
        [ "$(ls "$R" | tr '\n' ' ')" = "heap-allocs.png heap-allocs.svg heap-graph.png heap-graph.svg heap-inuse.png heap-inuse.svg index.html notes.txt summary.md " ] &&
        tar tzf "$R.tar.gz" | grep -qx rep/notes.txt && ! tar tzf "$R.tar.gz" | grep -q cpu; then
    ok report_again_into_the_same_folder_drops_stale_charts
else
    not_ok report_again_into_the_same_folder_drops_stale_charts "$(cat "$TMP/err"; ls "$R")"
fi

# Values and times at the ends of int64: a report, not a wrap-around.
if "$HEARTH" report "$TMP/in/extreme-base.pb" "$TMP/in/extreme-latest.pb" -o "$TMP/out/extreme" 2>"$TMP/err" &&
        [ ! -s "$TMP/err" ] && grep -q '^| 1 | a |' "$TMP/out/extreme/summary.md"; then
    ok extreme_values_saturate
else
    not_ok extreme_values_saturate "$(cat "$TMP/err"; sed -n '/Leak suspects/,/^## Top/p' "$TMP/out/extreme/summary.md" 2>/dev/null)"
fi

# --- bad input: one line naming the file and position, exit 1, nothing written
head -c 300 "$TMP/in/latest.pb" >"$TMP/in/cut.pb"
"$HEARTH" report "$TMP/in/base.pb" "$TMP/in/cut.pb" -o "$TMP/out/bad" >"$TMP/out/stdout" 2>"$TMP/err"
st=$?
if [ $st -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "^hearth: $TMP/in/cut.pb: .*offset" "$TMP/err" &&
        [ ! -e "$TMP/out/bad" ] && [ ! -e "$TMP/out/bad.tar.gz" ]; then
    ok bad_input_one_line_exit_1_nothing_written
else
    not_ok bad_input_one_line_exit_1_nothing_written "exit $st: $(cat "$TMP/err"); $(ls "$TMP/out")"
fi
"$HEARTH" report "$TMP/in/latest.pb" --base "$TMP/in/cpu.pb" -o "$TMP/out/bad" 2>"$TMP/err"
st=$?
[ $st -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q 'cpu.pb: --base: no heap profile' "$TMP/err" &&
    [ ! -e "$TMP/out/bad" ] && ok base_must_be_a_heap_profile || not_ok base_must_be_a_heap_profile "exit $st: $(cat "$TMP/err")"
"$HEARTH" report -o "$TMP/out/bad" >/dev/null 2>&1
[ $? -eq 2 ] && ok no_inputs_is_usage || not_ok no_inputs_is_usage
mkdir -p "$TMP/in/none"
"$HEARTH" report "$TMP/in/none" -o "$TMP/out/bad" 2>"$TMP/err"
st=$?
[ $st -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "^hearth: $TMP/in/none: no profiles" "$TMP/err" &&
    [ ! -e "$TMP/out/bad" ] && ok empty_folder_is_named || not_ok empty_folder_is_named "exit $st: $(cat "$TMP/err")"
: >"$TMP/out/afile"
"$HEARTH" report "$TMP/in/latest.pb" -o "$TMP/out/afile" 2>"$TMP/err"
st=$?
[ $st -eq 1 ] && [ "$(cat "$TMP/err")" = "hearth: $TMP/out/afile: exists and is not a folder" ] &&
    [ ! -s "$TMP/out/afile" ] && [ ! -e "$TMP/out/afile.tar.gz" ] && ok output_that_is_a_file_is_named ||
    not_ok output_that_is_a_file_is_named "exit $st: $(cat "$TMP/err")"
"$HEARTH" report "$TMP/in/latest.pb" >/dev/null 2>&1
[ $? -eq 2 ] && ok no_output_is_usage || not_ok no_output_is_usage

# --- the leak of the leaky example service, under libhearth ----------------
# examples/leaky_service with every mistake on puts RATE bytes a second into
# a cache that never evicts (cache_insert); two heap dumps (SIGUSR2) 5 s
# apart; 32 KiB sampling gives about 600 samples of the leak in between, a
# few percent of spread. Its timeline (a tick every 0.25 s) goes in too.
RATE=4194304
LEAKY=$BUILD/examples/leaky_service
[ -x "$LEAKY" ] || not_ok leaky_service_built "no $LEAKY: make examples"
mkdir -p "$TMP/dumps"
LD_PRELOAD=$LIBSO HEARTH_OUT=$TMP/dumps/h HEARTH_ALLOC_RATE=32768 HEARTH_DUMP_AT_EXIT=off \
    HEARTH_TIMELINE_INTERVAL=0.25 "$LEAKY" --all --leak-rate $RATE >"$TMP/leak.out" 2>/dev/null &
pid=$!
for _ in $(seq 50); do grep -q 't=1s' "$TMP/leak.out" && break; sleep 0.1; done
dump() { # waits for dump number $1
    kill -USR2 $pid
    for _ in $(seq 100); do [ -e "$TMP/dumps/h.$pid.$1.heap.pb.gz" ] && return 0; sleep 0.05; done
    return 1
}
dump 1 && sleep 5 && dump 2 || not_ok two_heap_dumps "$(ls "$TMP/dumps")"
kill $pid 2>/dev/null
wait $pid 2>/dev/null
if "$HEARTH" report "$TMP/dumps"/h.$pid.*.heap.pb.gz --timeline "$TMP/dumps/h.$pid.timeline" \
        -o "$TMP/leakrep" 2>"$TMP/err"; then
    line=$($CHECK suspect "$TMP/leakrep/summary.md")
    site=${line%%	*}
    rate=${line#*	}
    want=$((RATE * 3600))
    if [ "$site" = cache_insert ]; then
        ok "first_suspect_is_the_leaking_site ($site)"
    else
        not_ok first_suspect_is_the_leaking_site "$line"
    fi
    # |rate - want| <= 20% of want
    if [ -n "$rate" ] && awk -v r="$rate" -v w="$want" 'BEGIN { d = r - w; if (d < 0) d = -d; exit !(d <= 0.2 * w) }'; then
        ok "growth_rate_within_20_percent ($(awk -v r="$rate" -v w="$want" 'BEGIN { printf "%.1f%% of the true rate", 100 * r / w }'))"
    else
        not_ok growth_rate_within_20_percent "measured $rate B/h, true $want B/h"
    fi
    grep -qF "| PID | $pid |" "$TMP/leakrep/summary.md" &&
        grep -qF "| Binary | $(cd "$(dirname "$LEAKY")" && pwd)/leaky\_service |" "$TMP/leakrep/summary.md" &&
        ok what_was_profiled_pid_and_binary || not_ok what_was_profiled_pid_and_binary "$(sed -n '/What was profiled/,/^## Inputs/p' "$TMP/leakrep/summary.md")"
    # The timeline's fitted verdict among the findings, and its chart.
    grep -q "^- Timeline h\.$pid\.timeline: in-use heap grows [0-9.]* GiB/h over the whole run" "$TMP/leakrep/summary.md" &&
        [ -s "$TMP/leakrep/timeline.svg" ] && [ -s "$TMP/leakrep/timeline.png" ] &&
        $CHECK png "$TMP/leakrep/timeline.png" >/dev/null &&
        ok timeline_verdict_and_chart || not_ok timeline_verdict_and_chart "$(sed -n '/^## Findings/,/^## What/p' "$TMP/leakrep/summary.md"; ls "$TMP/leakrep")"
else
    not_ok report_of_live_dumps "$(cat "$TMP/err")"
fi

# --- a CPU profile from libhearth: the hot comparator ----------------------
# leaky_service --hot-sort spends its CPU time sorting with a comparator
# that sscanf's its keys; HEARTH_CPU=1 writes the whole run's CPU profile
# at exit. By cum, compare_orders_by_user carries most of it.
mkdir -p "$TMP/cpu"
HEARTH_CPU=1 LD_PRELOAD=$LIBSO HEARTH_OUT=$TMP/cpu/h "$LEAKY" --hot-sort --duration 3 >/dev/null 2>"$TMP/err"
if "$HEARTH" report "$TMP/cpu"/h.*.pb.gz -n 20 -o "$TMP/cpurep" 2>>"$TMP/err"; then
    row=$(sed -n '/^## Top CPU functions by cumulative time/,/^## /p' "$TMP/cpurep/summary.md" |
        grep '| compare\\_orders\\_by\\_user |')
    pct=$(printf '%s' "$row" | awk -F'|' '{ gsub(/[ %]/, "", $7); print $7 }')
    if [ -n "$pct" ] && awk -v p="$pct" 'BEGIN { exit !(p >= 50) }' && [ -s "$TMP/cpurep/cpu.svg" ]; then
        ok "cpu_table_by_cum_shows_the_hot_comparator ($pct%)"
    else
        not_ok cpu_table_by_cum_shows_the_hot_comparator "$(sed -n '/^## Top CPU/,/^## Charts/p' "$TMP/cpurep/summary.md")"
    fi
else
    not_ok cpu_table_by_cum_shows_the_hot_comparator "$(cat "$TMP/err")"
fi
finish
