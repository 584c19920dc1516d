# `hearth capture` (render/capture.c) against a Go program serving
# net/http/pprof (tests/go/pprofserver, built here with go build), and
# against examples/leaky_service under libhearth's HEARTH_HTTP: every
# endpoint saved and readable by `go tool pprof`, capture.txt with the
# command line and when each file came, the report in the same folder,
# a second capture compared with the first (--base), progress only on a
# terminal, leak rates within 20% of the truth; and a service that goes
# away halfway: one line naming the URL,
# what was saved kept, exit 1.
. tests/cli/lib.sh

CHECK="python3 tests/tools/report_check.py"
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
if ! go build -o "$TMP/pprofserver" tests/go/pprofserver/main.go 2>"$TMP/err"; then
    not_ok build_go_pprof_server "$(cat "$TMP/err")"
    finish
    exit
fi

# within_20_percent NAME MEASURED TRUE
within_20_percent() {
    if [ -n "$2" ] && awk -v r="$2" -v w="$3" 'BEGIN { d = r - w; if (d < 0) d = -d; exit !(d <= 0.2 * w) }'; then
        ok "$1 ($(awk -v r="$2" -v w="$3" 'BEGIN { printf "%.1f%% of the true rate", 100 * r / w }'))"
    else
        not_ok "$1" "measured $2 B/h, true $3 B/h"
    fi
}

pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
# start NAME ARGS...: runs the server, sets $port and $spid.
start() {
    name=$1
    shift
    "$TMP/pprofserver" "$@" >"$TMP/$name.port" 2>"$TMP/$name.err" &
    spid=$!
    pids="$pids $spid"
    for _ in $(seq 100); do [ -s "$TMP/$name.port" ] && break; sleep 0.05; done
    port=$(cat "$TMP/$name.port")
}

start svc -leak-rate 4194304 -idle 25
URL=http://127.0.0.1:$port
C=$TMP/cap1
if "$HEARTH" capture "$URL" --seconds 1 -o "$C" >"$TMP/out" 2>"$TMP/err"; then
    ok capture_from_go_net_http_pprof
else
    not_ok capture_from_go_net_http_pprof "$(cat "$TMP/err")"
fi
[ -s "$TMP/err" ] || [ -s "$TMP/out" ] && not_ok no_progress_when_stderr_is_not_a_terminal "$(cat "$TMP/out" "$TMP/err")" ||
    ok no_progress_when_stderr_is_not_a_terminal

for f in heap allocs cpu goroutine threadcreate; do
    if go tool pprof -raw "$C/$f.pb.gz" >"$TMP/raw" 2>"$TMP/err" && grep -q '^Samples:' "$TMP/raw"; then
        ok "saved_${f}_reads_in_go_tool_pprof"
    else
        not_ok "saved_${f}_reads_in_go_tool_pprof" "$(cat "$TMP/err")"
    fi
done
[ ! -e "$C/hearth.timeline" ] && ok timeline_404_is_not_an_error || not_ok timeline_404_is_not_an_error

# capture.txt: the service's command line, the URL, and when each file came.
grep -qx "cmdline: $TMP/pprofserver -leak-rate 4194304 -idle 25" "$C/capture.txt" &&
    grep -qx "url: $URL/debug/pprof/" "$C/capture.txt" && grep -qx "host: 127.0.0.1:$port" "$C/capture.txt" &&
    grep -qE '^time: 20[0-9-]+T[0-9:.]+Z$' "$C/capture.txt" &&
    [ "$(grep -cE '^file: (heap|allocs|cpu|goroutine|threadcreate)\.pb\.gz 20[0-9-]+T[0-9:.]+Z$' "$C/capture.txt")" -eq 5 ] &&
    ok capture_txt_has_cmdline_url_and_file_times || not_ok capture_txt_has_cmdline_url_and_file_times "$(cat "$C/capture.txt")"

# The report, in the same folder.
S=$C/summary.md
grep -q "| Command line | $TMP/pprofserver -leak-rate 4194304 -idle 25 |" "$S" &&
    grep -q "| Host | 127.0.0.1:$port |" "$S" && grep -Eq '\| CPU profile duration \| 1\.[0-9] s \|' "$S" &&
    ok summary_says_what_was_profiled || not_ok summary_says_what_was_profiled "$(sed -n '/What was profiled/,/^## Inputs/p' "$S")"
# pprof's flat for the CPU table: spinHash is where the time goes.
sed -n '/^## Top CPU functions/,/^## /p' "$S" | grep -q '^| 1 | main.spinHash |' &&
    ok cpu_table_top_function || not_ok cpu_table_top_function "$(sed -n '/^## Top CPU functions/,/^## /p' "$S")"
# 25 goroutines wait in waitForUpstream with a label full of markup.
sed -n '/^## Largest groups/,/^## /p' "$S" | grep -q '^| 25 | n/a | name=upstream\\|watch \\<b\\>\\\*x\\\*\\</b\\> \\`tick\\` \\\[a\\\](b) | main.waitForUpstream |' &&
    ok thread_groups_counted_with_labels || not_ok thread_groups_counted_with_labels "$(sed -n '/^## Largest groups/,/^## /p' "$S")"
grep -q 'Threads created over the process' "$S" && ok threadcreate_in_findings || not_ok threadcreate_in_findings
check capture_index_html_is_self_contained $CHECK html "$C/index.html" "$C"
check capture_pngs_decode $CHECK png "$C"/*.png
tar tzf "$C.tar.gz" >"$TMP/list" 2>&1 && grep -qx 'cap1/heap.pb.gz' "$TMP/list" && grep -qx 'cap1/capture.txt' "$TMP/list" &&
    grep -qx 'cap1/index.html' "$TMP/list" && ok tarball_has_profiles_and_report || not_ok tarball_has_profiles_and_report "$(cat "$TMP/list")"

# The report also takes URLs, like every command.
"$HEARTH" report "$URL/debug/pprof/heap" "$URL/debug/pprof/goroutine" -o "$TMP/urlrep" 2>"$TMP/err" &&
    grep -q "^## Largest groups of identical thread stacks" "$TMP/urlrep/summary.md" &&
    grep -qF "| $URL/debug/pprof/heap | heap |" "$TMP/urlrep/summary.md" &&
    ok report_of_urls || not_ok report_of_urls "$(cat "$TMP/err")"

# A second capture a few seconds later, against the first: the leak shows.
sleep 2
C2=$TMP/cap2
if "$HEARTH" capture "$URL" --seconds 0 --base "$C" -o "$C2" 2>"$TMP/err"; then
    line=$($CHECK suspect "$C2/summary.md")
    case $line in
    "main.leakRequest	"*) ok "capture_with_base_finds_the_leak ($line B/h)" ;;
    *) not_ok capture_with_base_finds_the_leak "$line" ;;
    esac
    within_20_percent go_leak_rate_within_20_percent "${line#*	}" $((4194304 * 3600))
    grep -q '| 25 | +0 | name=' "$C2/summary.md" && ok thread_change_against_base || not_ok thread_change_against_base "$(sed -n '/^## Largest groups/,/^## /p' "$C2/summary.md")"
    [ ! -e "$C2/cpu.pb.gz" ] && ok seconds_0_takes_no_cpu_profile || not_ok seconds_0_takes_no_cpu_profile
else
    not_ok capture_with_base_finds_the_leak "$(cat "$TMP/err")"
fi

# Progress on a terminal (script(1) gives the command one).
script -qec "$HEARTH capture $URL --seconds 1 -o $TMP/cap3" /dev/null >"$TMP/tty" 2>&1
grep -q "capture: $URL/debug/pprof/heap?gc=1" "$TMP/tty" && grep -q "capture: report in $TMP/cap3/index.html" "$TMP/tty" &&
    ok progress_on_a_terminal || not_ok progress_on_a_terminal "$(cat "$TMP/tty")"

# --- the same from libhearth ----------------------------------------------
# examples/leaky_service with every mistake, under libhearth serving
# /debug/pprof/ (HEARTH_HTTP, any free port) and recording its timeline:
# a capture, then a second one against it a few seconds later.
LEAKY=$BUILD/examples/leaky_service
LIBSO=${HEARTH_SAMPLER_LIB:-$BUILD/libhearth.so}
LD_PRELOAD=$LIBSO HEARTH_HTTP=127.0.0.1:0 HEARTH_ALLOC_RATE=32768 HEARTH_TIMELINE_INTERVAL=0.25 \
    HEARTH_OUT=$TMP/lh HEARTH_DUMP_AT_EXIT=off "$LEAKY" --all --leak-rate 4194304 >/dev/null 2>"$TMP/leaky.err" &
lpid=$!
pids="$pids $lpid"
for _ in $(seq 100); do grep -q 'serving http' "$TMP/leaky.err" && break; sleep 0.05; done
LURL=$(sed -n 's|^hearth: serving \(http://127.0.0.1:[0-9]*\)/debug/pprof/ .*|\1|p' "$TMP/leaky.err")
H1=$TMP/hearth1
if "$HEARTH" capture "$LURL" --seconds 1 -o "$H1" 2>"$TMP/err"; then
    ok capture_from_libhearth
else
    not_ok capture_from_libhearth "$(cat "$TMP/err" "$TMP/leaky.err")"
fi
kept=$(ls "$H1" | grep -e '\.pb\.gz$' -e '\.timeline$' -e capture.txt | tr '\n' ' ')
[ "$kept" = "allocs.pb.gz capture.txt cpu.pb.gz goroutine.pb.gz heap.pb.gz hearth.timeline threadcreate.pb.gz " ] &&
    ok libhearth_serves_every_endpoint_and_the_timeline || not_ok libhearth_serves_every_endpoint_and_the_timeline "$kept"
grep -qx "cmdline: $LEAKY --all --leak-rate 4194304" "$H1/capture.txt" &&
    ok libhearth_cmdline_in_capture_txt || not_ok libhearth_cmdline_in_capture_txt "$(cat "$H1/capture.txt")"
sleep 3
H2=$TMP/hearth2
if "$HEARTH" capture "$LURL" --seconds 0 --base "$H1" -o "$H2" 2>"$TMP/err"; then
    S=$H2/summary.md
    line=$($CHECK suspect "$S")
    [ "${line%%	*}" = cache_insert ] && ok "libhearth_capture_finds_the_leak ($line B/h)" ||
        not_ok libhearth_capture_finds_the_leak "$line"
    within_20_percent libhearth_leak_rate_within_20_percent "${line#*	}" $((4194304 * 3600))
    # Leaked threads: the group named by libhearth's thread label grew.
    sed -n '/^## Largest groups/,/^## /p' "$S" | grep -Eq '^\| [0-9]+ \| \+[1-9][0-9]* \| thread=upstream-watch \| watch\\_upstream\\_forever \|' &&
        grep -q "^- Threads: [0-9]* in hearth1/goroutine.pb.gz, [0-9]* in goroutine.pb.gz (+[1-9]" "$S" &&
        ok libhearth_thread_groups_and_their_growth || not_ok libhearth_thread_groups_and_their_growth "$(grep Threads "$S"; sed -n '/^## Largest groups/,/^## /p' "$S")"
    grep -q '^- Timeline hearth.timeline: in-use heap grows' "$S" && [ -s "$H2/timeline.svg" ] &&
        ok libhearth_timeline_in_the_report || not_ok libhearth_timeline_in_the_report "$(grep -i timeline "$S")"
else
    not_ok libhearth_capture_finds_the_leak "$(cat "$TMP/err")"
fi
kill $lpid 2>/dev/null

# --- a service that goes away halfway --------------------------------------
# It exits when asked for the CPU profile: heap, allocs, goroutine and
# threadcreate are saved by then.
start dies -exit-on /debug/pprof/profile
D=$TMP/dies
"$HEARTH" capture "http://127.0.0.1:$port/" --seconds 2 -o "$D" >"$TMP/out" 2>"$TMP/err"
st=$?
if [ $st -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] &&
        grep -q "^hearth: http://127.0.0.1:$port/debug/pprof/profile?seconds=2: .*; kept in $D: heap.pb.gz, allocs.pb.gz, goroutine.pb.gz, threadcreate.pb.gz\$" "$TMP/err"; then
    ok "service_gone_halfway_one_line_naming_the_url ($(cat "$TMP/err"))"
else
    not_ok service_gone_halfway_one_line_naming_the_url "exit $st: $(cat "$TMP/err")"
fi
kept=$(ls "$D" | tr '\n' ' ')
[ "$kept" = "allocs.pb.gz capture.txt goroutine.pb.gz heap.pb.gz threadcreate.pb.gz " ] &&
    "$HEARTH" info "$D/heap.pb.gz" >/dev/null 2>&1 && [ "$(grep -c '^file: ' "$D/capture.txt")" -eq 4 ] &&
    [ ! -e "$D.tar.gz" ] && ok what_was_saved_is_kept_and_whole || not_ok what_was_saved_is_kept_and_whole "$kept"
# What was kept still makes a report.
"$HEARTH" report "$D" -o "$TMP/dies-report" 2>"$TMP/err" && grep -q '^## Top in-use heap sites' "$TMP/dies-report/summary.md" &&
    ok report_of_what_was_kept || not_ok report_of_what_was_kept "$(cat "$TMP/err")"

# Killed during the CPU profile: the same.
start killed
K=$TMP/killed
"$HEARTH" capture "http://127.0.0.1:$port" --seconds 5 -o "$K" >"$TMP/out" 2>"$TMP/err" &
cap=$!
for _ in $(seq 100); do grep -q '^file: threadcreate' "$K/capture.txt" 2>/dev/null && break; sleep 0.05; done
sleep 0.3
kill -9 $spid
wait $cap
st=$?
[ $st -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "^hearth: http://127.0.0.1:$port/debug/pprof/profile?seconds=5: .*kept in $K: heap.pb.gz" "$TMP/err" &&
    [ -s "$K/heap.pb.gz" ] && [ -z "$(ls "$K" | grep -e '\.tmp\.' -e cpu)" ] &&
    ok service_killed_during_cpu_profile || not_ok service_killed_during_cpu_profile "exit $st: $(cat "$TMP/err"); $(ls "$K")"

# Nothing listening: the URL in the error, nothing kept.
"$HEARTH" capture http://127.0.0.1:1 --seconds 1 -o "$TMP/none" 2>"$TMP/err"
st=$?
[ $st -eq 1 ] && grep -q "^hearth: http://127.0.0.1:1/debug/pprof/cmdline: .*; kept in $TMP/none: nothing\$" "$TMP/err" &&
    ok nothing_listening || not_ok nothing_listening "exit $st: $(cat "$TMP/err")"
# Another capture's files would mix with this one's: a new or empty folder.
"$HEARTH" capture http://127.0.0.1:1 -o "$C" 2>"$TMP/err"
st=$?
[ $st -eq 1 ] && grep -qx "hearth: $C: the folder is not empty; capture into a new one" "$TMP/err" &&
    ok capture_refuses_a_folder_in_use || not_ok capture_refuses_a_folder_in_use "exit $st: $(cat "$TMP/err")"
"$HEARTH" capture not-a-url -o "$TMP/x" 2>/dev/null
[ $? -eq 1 ] && ok capture_needs_a_url || not_ok capture_needs_a_url
finish
