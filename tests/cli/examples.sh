# The example services (examples/README.md) make their mistakes, at the
# configured rates, and the controls do not. Everything is measured from
# outside, in /proc/PID (VmRSS, task/, fd/, CPU ticks), under valgrind
# (allocation counts), with binutils (symbols, file:line) and with Go's own
# pprof, never taken from the services' own status lines:
#
#  1. leaky_service --cache-leak grows VmRSS at the --leak-rate (within 25 %);
#     --thread-leak adds --thread-rate threads a second named upstream-watch;
#     --fd-leak adds --fd-rate descriptors a second, all on /dev/urandom;
#     --hot-sort burns several times the CPU of the steady sort;
#     --churn makes 8 mallocs a request more than --pooled.
#  2. steady_service at the same rates keeps VmRSS, threads and fds flat.
#  3. Both pace requests (about --rps a second), print a status line a second
#     while running (line-buffered), stop cleanly on SIGTERM, SIGINT and
#     --duration, and exit 2 with one line on a bad option.
#  4. The binaries: -O2 -g (file:line of cache_insert), the comparator and its
#     caller are functions of their own, no library but libc.
#  5. go_service: its heap grows with the leak and not with -steady,
#     /debug/pprof/heap is a profile `go tool pprof -raw` reads and names the
#     leaking function, GODEBUG=gctrace=1 prints gc lines on stderr.
# The services run side by side for about 5 s; the whole script takes ~10 s.
. tests/cli/lib.sh

EX=$BUILD/examples
LEAKY=$EX/leaky_service
STEADY=$EX/steady_service
GOSVC=$EX/go_service
GOCACHE=$TMP/gocache
GOFLAGS=
GOPROXY=off
GOENV=off
GOTOOLCHAIN=local
PPROF_TMPDIR=$TMP
export GOCACHE GOFLAGS GOPROXY GOENV GOTOOLCHAIN PPROF_TMPDIR

RATE=4194304        # cache bytes a second
THREADS_PER_S=5
FDS_PER_S=20
SORT=2000

for b in "$LEAKY" "$STEADY" "$GOSVC"; do
    [ -x "$b" ] || { not_ok "built_$b (make examples)"; finish; exit 1; }
done

# The long-running services get a --duration of 30 s and are killed on exit,
# so none outlives an interrupted run.
trap 'for f in "$TMP"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; rm -rf "$TMP"' EXIT
MAX=30

# start NAME CMD...: runs CMD in the background, output in $TMP/NAME.out/.err.
start() {
    n=$1
    shift
    "$@" >"$TMP/$n.out" 2>"$TMP/$n.err" &
    echo $! >"$TMP/$n.pid"
}
pid_of() { cat "$TMP/$1.pid"; }

# wait_line FILE PATTERN: waits up to 10 s for an extended-regex line.
wait_line() {
    i=0
    while ! grep -Eq "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 100 ] && return 1
        sleep 0.1
    done
}

# snap NAME: one line "ms rss_kb threads fds cpu_ticks" of the running service.
snap() {
    p=$(pid_of "$1")
    ms=$(date +%s%3N)
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status")
    thr=$(ls "/proc/$p/task" | wc -l)
    fds=$(ls "/proc/$p/fd" | wc -l)
    # Fields after "(comm) ": state is 1, utime 12, stime 13.
    cpu=$(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')
    echo "$ms $rss $thr $fds $cpu"
}

# delta NAME FIELD: field (2 rss, 3 threads, 4 fds, 5 cpu) of snapshot b minus a.
delta() {
    awk -v f="$2" 'NR == 1 { a = $f } NR == 2 { print $f - a }' "$TMP/$1.a" "$TMP/$1.b"
}
# seconds NAME: time between the two snapshots.
seconds() {
    awk 'NR == 1 { a = $1 } NR == 2 { printf "%.3f\n", ($1 - a) / 1000 }' "$TMP/$1.a" "$TMP/$1.b"
}

# within NAME GOT LO HI: passes when LO <= GOT <= HI (numbers, awk).
within() {
    if awk -v g="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(g >= lo && g <= hi) }'; then
        ok "$1 ($2 in [$3, $4])"
    else
        not_ok "$1" "measured $2, expected between $3 and $4"
    fi
}

# 1-3. Everything runs side by side; valgrind counts the allocations.
start cache "$LEAKY" --duration $MAX --cache-leak --leak-rate $RATE
start thread "$LEAKY" --duration $MAX --thread-leak --thread-rate $THREADS_PER_S
start fd "$LEAKY" --duration $MAX --fd-leak --fd-rate $FDS_PER_S
start sort "$LEAKY" --duration $MAX --hot-sort --sort-size $SORT
start steady "$STEADY" --duration $MAX --leak-rate $RATE --thread-rate $THREADS_PER_S --fd-rate $FDS_PER_S \
    --sort-size $SORT --cache-max 1M
start goleak env GODEBUG=gctrace=1 "$GOSVC" -duration $MAX -addr 127.0.0.1:0 -leak-rate $RATE
start gosteady env GODEBUG=gctrace=1 "$GOSVC" -duration $MAX -addr 127.0.0.1:0 -leak-rate $RATE -steady
start churn valgrind --tool=memcheck "$LEAKY" --churn --rps 50 --duration 2
start pooled valgrind --tool=memcheck "$LEAKY" --pooled --rps 50 --duration 2

LIVE="cache thread fd sort steady goleak gosteady"
for n in $LIVE; do
    wait_line "$TMP/$n.out" ': t=1s ' ||
        not_ok "${n}_prints_a_status_line_within_1s" "$(cat "$TMP/$n.out" "$TMP/$n.err" | head -n 8)"
done
# names X: the thread names of the thread-leak service and the files of the
# fd-leak service, one a line, into $TMP/thread.comm.X and $TMP/fd.links.X.
names() {
    cat /proc/"$(pid_of thread)"/task/*/comm >"$TMP/thread.comm.$1"
    for l in /proc/"$(pid_of fd)"/fd/*; do readlink "$l"; done >"$TMP/fd.links.$1"
}
for n in $LIVE; do snap $n >"$TMP/$n.a"; done
names a
sleep 3
for n in $LIVE; do snap $n >"$TMP/$n.b"; done
names b

# The Go heap profile, while the leak runs.
addr=$(sed -n 's|^go_service: pprof on http://\([^/]*\)/debug/pprof/$|\1|p' "$TMP/goleak.out")
if curl -sf -o "$TMP/heap.pb.gz" "http://$addr/debug/pprof/heap" &&
        go tool pprof -raw "$TMP/heap.pb.gz" >"$TMP/heap.raw" 2>"$TMP/heap.err"; then
    ok "go_heap_profile_over_http_reads_in_go_tool_pprof"
else
    not_ok "go_heap_profile_over_http_reads_in_go_tool_pprof" "addr '$addr': $(head -n 3 "$TMP/heap.err" 2>/dev/null)"
fi
if grep -q 'inuse_space/bytes' "$TMP/heap.raw" 2>/dev/null && grep -q 'main.leakyCacheInsert' "$TMP/heap.raw"; then
    ok "go_heap_profile_has_inuse_space_and_names_leakyCacheInsert"
else
    not_ok "go_heap_profile_has_inuse_space_and_names_leakyCacheInsert" "$(head -n 5 "$TMP/heap.raw" 2>/dev/null)"
fi

# Stop them: SIGINT for one of each kind, SIGTERM for the rest.
for n in $LIVE; do
    case $n in thread | gosteady) sig=INT ;; *) sig=TERM ;; esac
    kill -$sig "$(pid_of $n)"
    wait "$(pid_of $n)"
    rc=$?
    if [ $rc -eq 0 ] && grep -Eq "^[a-z_]+: stopped \(SIG$sig\) after " "$TMP/$n.out"; then
        ok "${n}_stops_cleanly_on_SIG$sig"
    else
        not_ok "${n}_stops_cleanly_on_SIG$sig" "exit $rc; $(tail -n 2 "$TMP/$n.out")"
    fi
done
wait

# 1. The mistakes, at their rates.
s=$(seconds cache)
within cache_leak_grows_rss_at_the_leak_rate_bytes_per_s \
    "$(awk -v d="$(delta cache 2)" -v s="$s" 'BEGIN { printf "%.0f\n", d * 1024 / s }')" \
    $((RATE * 3 / 4)) $((RATE * 5 / 4))
s=$(seconds thread)
within thread_leak_adds_thread_rate_threads_per_s \
    "$(awk -v d="$(delta thread 3)" -v s="$s" 'BEGIN { printf "%.2f\n", d / s }')" \
    "$(awk -v r=$THREADS_PER_S 'BEGIN { print r * 0.75 }')" "$(awk -v r=$THREADS_PER_S 'BEGIN { print r * 1.25 }')"
s=$(seconds fd)
within fd_leak_adds_fd_rate_fds_per_s \
    "$(awk -v d="$(delta fd 4)" -v s="$s" 'BEGIN { printf "%.2f\n", d / s }')" \
    "$(awk -v r=$FDS_PER_S 'BEGIN { print r * 0.75 }')" "$(awk -v r=$FDS_PER_S 'BEGIN { print r * 1.25 }')"
# Every thread started between the snapshots is named upstream-watch (but
# one just started may not have its name yet); every descriptor opened is
# /dev/urandom.
# grown FILE PATTERN: "ADDED MATCHING" between FILE.a and FILE.b.
grown() {
    echo "$(($(wc -l <"$1.b") - $(wc -l <"$1.a"))) $(($(grep -c "$2" "$1.b") - $(grep -c "$2" "$1.a")))"
}
set -- $(grown "$TMP/thread.comm" '^upstream-watch$')
within new_threads_are_named_upstream_watch "$2" $(($1 > 1 ? $1 - 1 : 1)) "$1"
set -- $(grown "$TMP/fd.links" '^/dev/urandom$')
within new_fds_are_dev_urandom "$2" $(($1 > 0 ? $1 : 1)) "$1"
hot=$(delta sort 5)
cold=$(delta steady 5)
within hot_sort_costs_over_5x_the_cpu_of_the_steady_service \
    "$(awk -v h="$hot" -v c="$cold" 'BEGIN { printf "%.1f\n", h / (c > 0 ? c : 1) }')" 5 1000000

allocs() { sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$TMP/$1.err" | tr -d ,; }
reqs() { sed -n 's/.*stopped (duration) after .*: requests=\([0-9]*\) .*/\1/p' "$TMP/$1.out"; }
churn=$(allocs churn)
pooled=$(allocs pooled)
nreq=$(reqs churn)
if [ -n "$churn" ] && [ -n "$pooled" ] && [ -n "$nreq" ] && [ "$nreq" -gt 0 ]; then
    within churn_makes_8_mallocs_a_request_more_than_pooled \
        "$(awk -v c="$churn" -v p="$pooled" -v n="$nreq" 'BEGIN { printf "%.2f\n", (c - p) / n }')" 7.5 9
else
    not_ok churn_makes_8_mallocs_a_request_more_than_pooled "$(tail -n 3 "$TMP/churn.err" "$TMP/pooled.err" "$TMP/churn.out")"
fi

# 2. The control stays flat (warm after 1 s: the 1 MiB cache fills in 0.25 s).
within steady_rss_grows_under_a_tenth_of_the_leak \
    "$(delta steady 2)" -1000000 $((RATE * 3 / 10 / 1024))
within steady_threads_stay_flat "$(delta steady 3)" 0 0
# (/dev/urandom is open for an instant per request id: one may show.)
within steady_fds_stay_flat "$(delta steady 4)" -1 1

# 3. Pace and status lines: about --rps (100) requests a second.
for n in cache steady; do
    r=$(sed -n 's/^[a-z_]*: t=3s requests=\([0-9]*\) .*/\1/p' "$TMP/$n.out")
    within "${n}_handles_about_100_requests_a_second" "${r:-0}" 280 310
    if grep -Eq '^[a-z_]+: t=2s requests=[0-9]+ cache_bytes=[0-9]+ threads=[0-9]+ fds=[0-9]+ rss_kb=[0-9]+$' "$TMP/$n.out"; then
        ok "${n}_status_line_has_every_field"
    else
        not_ok "${n}_status_line_has_every_field" "$(head -n 8 "$TMP/$n.out")"
    fi
done

t0=$(date +%s%3N)
timeout 10 "$LEAKY" --cache-leak --duration 1.5 >"$TMP/dur.out" 2>&1
rc=$?
t1=$(date +%s%3N)
if [ $rc -eq 0 ] && grep -q 'stopped (duration) after 1.5 s' "$TMP/dur.out" &&
        [ "$(grep -c ': t=[0-9]*s ' "$TMP/dur.out")" -eq 1 ] && [ $((t1 - t0)) -lt 3000 ]; then
    ok "duration_1.5_exits_0_after_1.5s ($((t1 - t0)) ms)"
else
    not_ok "duration_1.5_exits_0_after_1.5s" "exit $rc after $((t1 - t0)) ms: $(tail -n 3 "$TMP/dur.out")"
fi

# bad_option NAME CMD...: exit 2, one line on stderr, nothing on stdout.
bad_option() {
    n=$1
    shift
    "$@" >"$TMP/bad.out" 2>"$TMP/bad.err"
    rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/bad.err")" -eq 1 ] && [ ! -s "$TMP/bad.out" ]; then
        ok "bad_option_$n"
    else
        not_ok "bad_option_$n" "exit $rc; $(cat "$TMP/bad.err" "$TMP/bad.out" | head -n 4)"
    fi
}
bad_option leaky_unknown "$LEAKY" --nope
bad_option leaky_missing_value "$LEAKY" --duration
bad_option leaky_bad_size "$LEAKY" --leak-rate 3X
bad_option leaky_negative_duration "$LEAKY" --duration -1
bad_option leaky_zero_rps "$LEAKY" --rps 0
bad_option leaky_churn_and_pooled "$LEAKY" --churn --pooled
bad_option leaky_flag_with_value "$LEAKY" --all=1
bad_option steady_takes_no_mistake_flag "$STEADY" --cache-leak
bad_option steady_positional "$STEADY" extra
bad_option go_unknown "$GOSVC" -nope
bad_option go_bad_size "$GOSVC" -leak-rate 1Q
bad_option go_negative_duration "$GOSVC" -duration -1

# 4. The binaries.
for b in "$LEAKY" "$STEADY"; do
    needed=$(readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    case " $needed" in
    *hearth* | "") not_ok "${b##*/}_links_only_libc" "NEEDED: $needed" ;;
    *)
        if echo "$needed" | tr ' ' '\n' | grep -v '^$' | grep -Evq '^(libc|libpthread|libm)\.so\.[0-9]+$'; then
            not_ok "${b##*/}_links_only_libc" "NEEDED: $needed"
        else
            ok "${b##*/}_links_only_libc ($needed)"
        fi
        ;;
    esac
    a=$(nm "$b" | awk '$3 == "cache_insert" { print $1 }')
    where=$(addr2line -e "$b" "0x$a" 2>&1)
    case $where in
    */examples/${b##*/}.c:[0-9]*) ok "${b##*/}_cache_insert_symbolizes_to_file_line ($where)" ;;
    *) not_ok "${b##*/}_cache_insert_symbolizes_to_file_line" "cache_insert at '$a': $where" ;;
    esac
done
for f in compare_orders_by_user sort_orders cache_insert watch_upstream_forever read_request_id parse_request_churn; do
    if nm "$LEAKY" | grep -Eq "^[0-9a-f]+ [tT] $f\$"; then
        ok "leaky_has_function_$f"
    else
        not_ok "leaky_has_function_$f" "not a symbol of its own (inlined?)"
    fi
done

# 5. Go: the leak shows in RSS, the steady map does not; gctrace on stderr.
within go_leak_grows_rss_by_at_least_half_the_leak_rate \
    "$(awk -v d="$(delta goleak 2)" -v s="$(seconds goleak)" 'BEGIN { printf "%.0f\n", d * 1024 / s }')" \
    $((RATE / 2)) $((RATE * 4))
within go_steady_rss_grows_under_a_quarter_of_the_leak_rate \
    "$(awk -v d="$(delta gosteady 2)" -v s="$(seconds gosteady)" 'BEGIN { printf "%.0f\n", d * 1024 / s }')" \
    -100000000 $((RATE / 4))
for n in goleak gosteady; do
    g=$(grep -Ec '^gc [0-9]+ @[0-9.]+s [0-9]+%: .* MB goal' "$TMP/$n.err")
    within "${n}_prints_gctrace_lines_on_stderr" "$g" 2 100000
done

finish
