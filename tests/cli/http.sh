# The /debug/pprof/ endpoints inside a live service (LD_PRELOAD with
# HEARTH_HTTP): go tool pprof reads them and agrees with hearth on the same
# bytes; Go's parameters, statuses and messages; delta and text forms;
# symbol and cmdline; the server's own allocations left out; limits,
# hang-ups, a 50-client load; the token and the loopback-only default.
. tests/cli/lib.sh
LIB=${HEARTH_SAMPLER_LIB:-$BUILD/libhearth.so}
CC=${CC:-cc}
SVC=$TMP/http_service
LOAD=$TMP/http_load
export PPROF_TMPDIR=$TMP/pprof
$CC -O2 -g -Wall -Werror -o "$SVC" tests/workloads/http_service.c -pthread 2>"$TMP/cc.log" || not_ok build_service "$(cat "$TMP/cc.log")"
$CC -O2 -g -Wall -Werror -o "$LOAD" tests/bench/http_load.c -pthread 2>"$TMP/cc.log" || not_ok build_load "$(cat "$TMP/cc.log")"

# start NAME [VAR=VALUE ...] -- ARGS...: runs the service in the background
# under libhearth and waits for its "serving" line; sets PID (of timeout),
# SPID (the service), PORT and URL. PORT stays empty if it never served.
start() {
    name=$1
    shift
    envs=""
    while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
    shift
    # shellcheck disable=SC2086
    timeout 120 env HEARTH_OUT="$TMP/$name" HEARTH_DUMP_AT_EXIT=off HEARTH_HTTP=127.0.0.1:0 $envs LD_PRELOAD="$LIB" \
        "$SVC" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PID=$!
    PORT=""
    SPID=""
    i=0
    while [ $i -lt 100 ]; do
        line=$(grep '^hearth: serving http://' "$TMP/$name.err" 2>/dev/null)
        if [ -n "$line" ]; then
            PORT=$(echo "$line" | sed 's|.*:\([0-9]*\)/debug/pprof/.*|\1|')
            SPID=$(echo "$line" | sed 's|.*(pid \([0-9]*\)).*|\1|')
            break
        fi
        kill -0 $PID 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    URL=http://127.0.0.1:$PORT/debug/pprof
}

# status URL [curl args]: the HTTP status; headers in $TMP/h, body in $TMP/b.
status() {
    u=$1
    shift
    curl -s -m 60 -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' "$@" "$u"
}
header() { tr -d '\r' <"$TMP/h" | awk -v k="$1:" 'tolower($1) == tolower(k) { sub(/^[^:]*: /, ""); print }'; }

# The totals of every sample type, as go tool pprof -raw and hearth see them.
go_totals() {
    go tool pprof -raw "$1" 2>"$TMP/go.err" | awk '
        /^Samples:/ { s = 1; next } /^Locations/ { s = 0 }
        s && /^ *-?[0-9]+( +-?[0-9]+)*: / {
            for (i = 1; i <= NF; i++) {
                v = $i; last = sub(/:$/, "", v); t[i] += v; if (i > n) n = i; if (last) break
            }
        }
        END { for (i = 1; i <= n; i++) printf "%s%.0f", (i > 1 ? " " : ""), t[i]; print "" }'
}
hearth_totals() { "$HEARTH" info "$1" | awk '/^total / { printf "%s%s", (n++ ? " " : ""), $3 } END { print "" }'; }
hearth_total() { "$HEARTH" info "$1" | awk -v t="total $2:" 'index($0, t) == 1 { print $3 }'; }
showing() { grep 'Showing nodes' | sed 's/^ *//'; }

# same_as_go NAME FILE: go tool pprof and hearth agree on totals and on the
# top table's header.
same_as_go() {
    g=$(go_totals "$2")
    h=$(hearth_totals "$2")
    gt=$(go tool pprof -top "$2" 2>/dev/null | showing)
    ht=$("$HEARTH" top "$2" 2>/dev/null | showing)
    if [ -n "$h" ] && [ "$g" = "$h" ] && [ -n "$gt" ] && [ "$gt" = "$ht" ]; then
        ok "$1 (totals $h)"
    else
        not_ok "$1" "go: $g / $gt; hearth: $h / $ht; $(head -3 "$TMP/go.err")"
    fi
}

# --- a service with 8 MiB retained and allocating threads -------------------
# One sample per 64 KiB on average: each retained block is sampled with
# probability 0.63, so the estimate of the 8 MiB is within a few percent.
start svc HEARTH_ALLOC_RATE=64K -- 60 --retain 8 --churn --threads 2
if [ -n "$PORT" ]; then ok "serves on the port it was given (127.0.0.1:0 -> $PORT)"; else not_ok serves_on_port_0 "$(cat "$TMP/svc.err")"; fi

s=$(status "$URL/")
if [ "$s" = 200 ] && header Content-Type | grep -q '^text/html' && grep -q "href='heap?debug=1'" "$TMP/b" &&
        grep -q "href='profile?debug=1'" "$TMP/b" && grep -q "http_service" "$TMP/b"; then
    ok index_page_lists_the_profiles
else
    not_ok index_page_lists_the_profiles "$s $(head -c 300 "$TMP/b")"
fi

for kind in heap allocs; do
    s=$(status "$URL/$kind")
    cp "$TMP/b" "$TMP/$kind.pb.gz"
    if [ "$s" = 200 ] && [ "$(header Content-Type)" = application/octet-stream ] &&
            [ "$(header Content-Disposition)" = "attachment; filename=\"$kind\"" ]; then
        ok "${kind}_is_served_as_go_serves_it"
    else
        not_ok "${kind}_is_served_as_go_serves_it" "$s $(cat "$TMP/h")"
    fi
    same_as_go "${kind}_go_tool_pprof_and_hearth_agree" "$TMP/$kind.pb.gz"
done
if "$HEARTH" info "$TMP/allocs.pb.gz" | grep -q 'alloc_space/bytes\*' &&
        "$HEARTH" info "$TMP/heap.pb.gz" | grep -q 'inuse_space/bytes\*'; then
    ok default_types_inuse_space_for_heap_alloc_space_for_allocs
else
    not_ok default_types_inuse_space_for_heap_alloc_space_for_allocs
fi
# The 8 MiB kept by retain_blocks, unsampled.
kept=$("$HEARTH" top "$TMP/heap.pb.gz" --no-headers --sample-index inuse_space --cum -n 50 2>&1 |
    awk '$NF == "retain_blocks" { print $4 }')
# The table prints every value in the unit of its smallest one (pprof's
# -unit=minimum), so one small churn sample turns 7.5 MiB into "7694.73kB":
# read any of the byte units.
case $kept in
*GB) mb=$(awk -v v="${kept%GB}" 'BEGIN { print v * 1024 }') ;;
*MB) mb=${kept%MB} ;;
*kB) mb=$(awk -v v="${kept%kB}" 'BEGIN { print v / 1024 }') ;;
*B) mb=$(awk -v v="${kept%B}" 'BEGIN { print v / 1048576 }') ;;
*) mb=0 ;;
esac
if awk -v m="$mb" 'BEGIN { exit !(m >= 6 && m <= 10) }'; then
    ok "heap_shows_the_retained_8MiB (retain_blocks $kept)"
else
    not_ok heap_shows_the_retained_8MiB "retain_blocks: '$kept'"
fi

# go tool pprof fetching the URLs itself.
for kind in heap allocs; do
    if go tool pprof -raw "$URL/$kind" >"$TMP/raw" 2>"$TMP/go.err" && grep -q "retain_blocks" "$TMP/raw"; then
        ok "go_tool_pprof_reads_the_${kind}_url"
    else
        not_ok "go_tool_pprof_reads_the_${kind}_url" "$(head -5 "$TMP/go.err")"
    fi
done

# Delta over 2 s: only what the churn allocated meanwhile.
s=$(status "$URL/allocs?seconds=2")
cp "$TMP/b" "$TMP/delta.pb.gz"
full=$(hearth_total "$TMP/allocs.pb.gz" alloc_space)
if [ "$s" = 200 ] && [ "$(header Content-Disposition)" = 'attachment; filename="allocs-delta"' ] &&
        "$HEARTH" fold "$TMP/delta.pb.gz" --sample-index alloc_space >"$TMP/delta.folded" &&
        grep -q churn_step "$TMP/delta.folded" && ! grep -q retain_blocks "$TMP/delta.folded"; then
    ok "allocs_delta_has_only_the_interval (churn_step, no retain_blocks)"
else
    not_ok allocs_delta_has_only_the_interval "$s $(head -5 "$TMP/delta.folded")"
fi
dur=$(go tool pprof -raw "$TMP/delta.pb.gz" 2>/dev/null | awk '/^Duration:/ { print $2 }')
case $dur in
2.0* | 1.9*) ok "delta_duration_is_the_interval ($dur)" ;;
*) not_ok delta_duration_is_the_interval "duration '$dur'" ;;
esac
same_as_go delta_go_tool_pprof_and_hearth_agree "$TMP/delta.pb.gz"

# A hang-up cancels a delta: its worker thread is gone at once, not in 30 s.
curl -s -m 1 -o /dev/null "$URL/heap?seconds=30"
sleep 0.5
if ! grep -qx 'hearth-http-w' /proc/"$SPID"/task/*/comm 2>/dev/null; then
    ok a_client_hangup_cancels_a_delta
else
    not_ok a_client_hangup_cancels_a_delta "worker still running"
fi

# cmdline: the arguments joined by NUL bytes.
status "$URL/cmdline" >/dev/null
printf '%s\0%s\0%s\0%s\0%s\0%s\0%s' "$SVC" 60 --retain 8 --churn --threads 2 >"$TMP/cmd.want"
if cmp -s "$TMP/b" "$TMP/cmd.want"; then ok cmdline_is_nul_separated_args; else not_ok cmdline_is_nul_separated_args "$(od -c "$TMP/b" | head -3)"; fi

# symbol: Go's reply format, for GET and POST.
addr=$(go tool pprof -raw "$TMP/heap.pb.gz" 2>/dev/null | awk '$3 ~ /^M=/ && $4 == "retain_blocks" { print $2; exit }')
s=$(status "$URL/symbol")
if [ "$s" = 200 ] && [ "$(cat "$TMP/b")" = "num_symbols: 1" ]; then ok symbol_get_says_num_symbols; else not_ok symbol_get_says_num_symbols "$s $(cat "$TMP/b")"; fi
s=$(status "$URL/symbol" --data-binary "$addr+0x1+bogus")
if [ "$s" = 200 ] && [ -n "$addr" ] && [ "$(sed -n 2p "$TMP/b")" = "$addr retain_blocks" ] && [ "$(wc -l <"$TMP/b")" -eq 2 ]; then
    ok "symbol_post_names_the_pc ($addr)"
else
    not_ok symbol_post_names_the_pc "$s addr=$addr $(cat "$TMP/b")"
fi
s=$(status "$URL/symbol?$addr")
if [ "$s" = 200 ] && [ "$(sed -n 2p "$TMP/b")" = "$addr retain_blocks" ]; then ok symbol_get_with_pcs; else not_ok symbol_get_with_pcs "$s $(cat "$TMP/b")"; fi

# debug=1: runtime/pprof's text, which go tool pprof reads too.
s=$(status "$URL/heap?debug=1")
if [ "$s" = 200 ] && header Content-Type | grep -q '^text/plain' && [ -z "$(header Content-Disposition)" ] &&
        head -1 "$TMP/b" | grep -Eq '^heap profile: [0-9]+: [0-9]+ \[[0-9]+: [0-9]+\] @ heap/2$' &&
        grep -q "	retain_blocks	" "$TMP/b"; then
    ok heap_debug_1_is_go_text
else
    not_ok heap_debug_1_is_go_text "$s $(head -5 "$TMP/b")"
fi

# Go's statuses and messages for bad requests.
while IFS='|' read -r want path body; do
    [ -n "$want" ] || continue
    case $path in
    DELETE*) s=$(status "$URL${path#DELETE }" -X DELETE) ;;
    *) s=$(status "$URL$path") ;;
    esac
    if [ "$s" = "$want" ] && grep -qF -- "$body" "$TMP/b"; then
        ok "status_${want}_for_$path"
    else
        not_ok "status_${want}_for_$path" "got $s: $(head -c 200 "$TMP/b")"
    fi
done <<'EOF'
404|/nope|Unknown profile
404|/../../etc|404 page not found
404|/block|block profile: not collected by hearth
404|/mutex|mutex profile: not collected by hearth
404|/heap/|Unknown profile
400|/heap?seconds=0|invalid value for "seconds" - must be a positive integer
400|/heap?seconds=1x|invalid value for "seconds" - must be a positive integer
400|/allocs?debug=one|invalid value for "debug" - must be an integer
400|/heap?seconds=1&debug=1|seconds and debug params are incompatible
400|/cmdline?seconds=1|"seconds" parameter is not supported for this profile type
400|/heap?seconds=301|exceeds the server's limit of 300 seconds
400|/profile?seconds=-5|invalid value for "seconds" - must be a positive integer
400|/profile?seconds=301|exceeds the server's limit of 300 seconds
405|DELETE /heap|method DELETE not allowed
EOF
status "$URL/nope" >/dev/null
if [ "$(header X-Go-Pprof)" = 1 ]; then ok errors_carry_x_go_pprof; else not_ok errors_carry_x_go_pprof "$(cat "$TMP/h")"; fi
s=$(status "http://127.0.0.1:$PORT/debug/pprof")
if [ "$s" = 301 ] && [ "$(header Location)" = /debug/pprof/ ]; then ok redirect_to_the_index; else not_ok redirect_to_the_index "$s"; fi

# Limits: a body over 64 KiB, a URI over 8 KiB.
head -c 100000 /dev/zero | tr '\0' 'a' >"$TMP/big"
s=$(status "$URL/symbol" --data-binary @"$TMP/big")
if [ "$s" = 413 ]; then ok oversized_body_413; else not_ok oversized_body_413 "$s"; fi
s=$(status "$URL/heap?x=$(head -c 9000 "$TMP/big")")
if [ "$s" = 414 ]; then ok oversized_uri_414; else not_ok oversized_uri_414 "$s"; fi

# Idle connections beyond the limit wait; every one is closed by the idle
# timeout (10 s), and the server answers again afterwards.
"$LOAD" hold "$PORT" 70 14 >"$TMP/hold" 2>&1
closed=$(awk '/^closed / { print $2 }' "$TMP/hold")
s=$(status "$URL/cmdline")
if [ "${closed:-0}" -ge 64 ] && [ "$s" = 200 ]; then
    ok "idle_connections_time_out_and_the_server_recovers ($closed of 70 closed)"
else
    not_ok idle_connections_time_out_and_the_server_recovers "$(cat "$TMP/hold") then $s"
fi

if kill -0 "$SPID" 2>/dev/null; then ok service_alive_after_the_requests; else not_ok service_alive_after_the_requests; fi
kill "$SPID" 2>/dev/null
wait $PID 2>/dev/null

# --- the server's own allocations are not the service's -------------------
# Every allocation sampled; the service is idle, so what the sampler sees
# must not change however much the server works.
start own HEARTH_ALLOC_RATE=1 -- 60 --retain 2
status "$URL/allocs" >/dev/null
cp "$TMP/b" "$TMP/own1.pb.gz"
i=0
while [ $i -lt 10 ]; do
    for p in / heap allocs 'heap?debug=1' cmdline nope 'symbol?0x1'; do
        curl -s -o /dev/null "$URL/$p"
    done
    i=$((i + 1))
done
curl -s -o /dev/null "$URL/heap?seconds=1"
status "$URL/allocs" >/dev/null
cp "$TMP/b" "$TMP/own2.pb.gz"
a1=$(hearth_total "$TMP/own1.pb.gz" alloc_objects)
a2=$(hearth_total "$TMP/own2.pb.gz" alloc_objects)
if [ -n "$a1" ] && [ "$a1" = "$a2" ] &&
        ! go tool pprof -raw "$TMP/own2.pb.gz" 2>/dev/null | grep -Eq 'microhttpd|gnutls|http_server|pprof_endpoints'; then
    ok "server_allocations_are_not_sampled ($a1 = $a2 objects after 72 requests)"
else
    not_ok server_allocations_are_not_sampled "$a1 -> $a2"
fi
# The text form and the protobuf form of one idle heap agree in go tool pprof.
status "$URL/heap?debug=1" >/dev/null
cp "$TMP/b" "$TMP/own.txt"
status "$URL/heap" >/dev/null
cp "$TMP/b" "$TMP/own.pb.gz"
gt=$(go_totals "$TMP/own.txt")
gp=$(go_totals "$TMP/own.pb.gz")
# pprof's text reader keeps only objects/space when alloc equals inuse, as
# it does for Go's own text: then compare the in-use pair.
case $gt in
*\ *\ *\ *) ;;
*) gp=$(echo "$gp" | cut -d' ' -f3-4) ;;
esac
if [ -n "$gp" ] && [ "$gt" = "$gp" ]; then ok "debug_1_text_and_protobuf_totals_agree ($gp)"; else not_ok debug_1_text_and_protobuf_totals_agree "text $gt, proto $gp"; fi
kill "$SPID" 2>/dev/null
wait $PID 2>/dev/null

# --- unsymbolized profiles: go tool pprof names them through /symbol -------
# The check needs retain_blocks in the heap profile. At the default rate
# (512 KiB) each of the 32 blocks of 64 KiB escapes sampling with
# probability exp(-64/512) = 0.88, all 32 with exp(-4) = 1.8%: so sample
# every allocation, which makes the sample certain.
start nosym HEARTH_SYMBOLIZE=off HEARTH_ALLOC_RATE=1 -- 60 --retain 2
if go tool pprof -raw "$URL/heap" >"$TMP/raw" 2>"$TMP/go.err" && grep -q ' retain_blocks' "$TMP/raw"; then
    ok go_tool_pprof_symbolizes_through_the_symbol_endpoint
else
    not_ok go_tool_pprof_symbolizes_through_the_symbol_endpoint "$(head -5 "$TMP/go.err"; grep -A3 Locations "$TMP/raw")"
fi
kill "$SPID" 2>/dev/null
wait $PID 2>/dev/null

# --- load: 50 clients for 10 s while the service works ---------------------
start load -- 40 --retain 4 --churn --threads 1
"$LOAD" "$PORT" 10 50 >"$TMP/load.out" 2>"$TMP/load.err"
rc=$?
after=$(status "$URL/heap")
if [ $rc -eq 0 ] && [ "$after" = 200 ] && kill -0 "$SPID" 2>/dev/null; then
    ok "load_50_clients_10s_every_request_answered ($(awk '/^requests/ { print $2 }' "$TMP/load.out") requests)"
else
    not_ok load_50_clients_10s_every_request_answered "rc $rc, then $after; $(cat "$TMP/load.out"; sort "$TMP/load.err" | uniq -c | head)"
fi
kill -TERM "$SPID" 2>/dev/null
wait $PID 2>/dev/null

# --- the example service: CPU, goroutine, threadcreate, Parca's scrapes ----
LEAKY=$BUILD/examples/leaky_service
[ -x "$LEAKY" ] || make --no-print-directory BUILD="$BUILD" "$LEAKY" >/dev/null 2>&1
SVC_SAVED=$SVC
SVC=$LEAKY
start leaky -- --duration 90 --thread-leak --thread-rate 4 --hot-sort --cache-leak
SVC=$SVC_SAVED
[ -n "$PORT" ] || not_ok leaky_service_serves "$(cat "$TMP/leaky.err")"
sleep 2
# A second CPU profile while one runs: 429 at once.
curl -s -m 30 -o "$TMP/cpu.pb.gz" -D "$TMP/cpu.h" -w '%{http_code}' "$URL/profile?seconds=2" >"$TMP/cpu.st" &
cpid=$!
sleep 0.5
s=$(status "$URL/profile?seconds=1")
if [ "$s" = 429 ] && grep -q "another CPU profile" "$TMP/b"; then ok second_cpu_profile_429; else not_ok second_cpu_profile_429 "$s $(cat "$TMP/b")"; fi
wait $cpid
if [ "$(cat "$TMP/cpu.st")" = 200 ] && grep -q 'filename="profile"' "$TMP/cpu.h" &&
        "$HEARTH" top "$TMP/cpu.pb.gz" 2>/dev/null | grep -q 'compare_orders_by_user\|__vfscanf_internal\|sort_orders'; then
    ok cpu_profile_of_2s_shows_the_hot_sort
else
    not_ok cpu_profile_of_2s_shows_the_hot_sort "$(cat "$TMP/cpu.st"); $("$HEARTH" top "$TMP/cpu.pb.gz" 2>&1 | head -12)"
fi
same_as_go cpu_go_tool_pprof_and_hearth_agree "$TMP/cpu.pb.gz"
dur=$(go tool pprof -raw "$TMP/cpu.pb.gz" 2>/dev/null | awk '/^Duration:/ { print $2 }')
case $dur in
2.[0-2]* | 1.9*) ok "cpu_profile_lasts_the_seconds_asked ($dur)" ;;
*) not_ok cpu_profile_lasts_the_seconds_asked "duration '$dur'" ;;
esac
if go tool pprof -raw "$URL/profile?seconds=2" >"$TMP/raw" 2>"$TMP/go.err" && grep -q 'cpu/nanoseconds' "$TMP/raw"; then
    ok go_tool_pprof_reads_the_profile_url
else
    not_ok go_tool_pprof_reads_the_profile_url "$(head -5 "$TMP/go.err")"
fi
# A hang-up ends the CPU profile: the next one starts at once.
curl -s -m 1 -o /dev/null "$URL/profile?seconds=60"
sleep 0.3
s=$(status "$URL/profile?seconds=1")
if [ "$s" = 200 ]; then ok a_client_hangup_cancels_a_cpu_profile; else not_ok a_client_hangup_cancels_a_cpu_profile "$s $(cat "$TMP/b")"; fi

# The leaked threads: the right stack, and as many as /proc lists.
leaked() { grep -lx upstream-watch /proc/"$SPID"/task/*/comm 2>/dev/null | wc -l; }
before=$(leaked)
s=$(status "$URL/goroutine")
after=$(leaked)
cp "$TMP/b" "$TMP/goroutine.pb.gz"
"$HEARTH" fold "$TMP/goroutine.pb.gz" >"$TMP/g.folded" 2>&1
stuck=$(awk '/watch_upstream_forever;/ && /pthread_cond_wait/ { n += $NF } END { print n + 0 }' "$TMP/g.folded")
named=$(go tool pprof -raw "$TMP/goroutine.pb.gz" 2>/dev/null | grep -c 'thread:\[upstream-watch\]')
if [ "$s" = 200 ] && [ "$before" -ge 4 ] && [ "$stuck" -ge "$before" ] && [ "$stuck" -le "$after" ] && [ "$named" -ge 1 ]; then
    ok "goroutine_shows_the_leaked_threads ($stuck stuck in watch_upstream_forever; /proc: $before..$after)"
else
    not_ok goroutine_shows_the_leaked_threads "status $s, stuck $stuck, /proc $before..$after; $(head -5 "$TMP/g.folded")"
fi
same_as_go goroutine_go_tool_pprof_and_hearth_agree "$TMP/goroutine.pb.gz"
s=$(status "$URL/goroutine?debug=1")
if [ "$s" = 200 ] && head -1 "$TMP/b" | grep -Eq '^goroutine profile: total [0-9]+$' &&
        grep -q '^# labels: {"thread":"upstream-watch"}$' "$TMP/b" && grep -q '	watch_upstream_forever	' "$TMP/b"; then
    ok goroutine_debug_1_is_go_text
else
    not_ok goroutine_debug_1_is_go_text "$s $(head -8 "$TMP/b")"
fi
s=$(status "$URL/goroutine?debug=2")
if [ "$s" = 200 ] && grep -Eq '^thread [0-9]+ \[upstream-watch\]:$' "$TMP/b" && grep -q '^watch_upstream_forever$' "$TMP/b"; then
    ok goroutine_debug_2_dumps_every_thread
else
    not_ok goroutine_debug_2_dumps_every_thread "$s $(head -8 "$TMP/b")"
fi
before=$(leaked)
s=$(status "$URL/threadcreate")
after=$(leaked)
cp "$TMP/b" "$TMP/threadcreate.pb.gz"
"$HEARTH" fold "$TMP/threadcreate.pb.gz" >"$TMP/t.folded" 2>&1
made=$(awk '/;worker_main;leaky_handle;start_upstream_watch [0-9]+$/ { n += $NF } END { print n + 0 }' "$TMP/t.folded")
if [ "$s" = 200 ] && [ "$made" -ge "$before" ] && [ "$made" -le "$after" ] && [ "$made" -ge 4 ]; then
    ok "threadcreate_shows_who_created_them ($made by start_upstream_watch)"
else
    not_ok threadcreate_shows_who_created_them "status $s, $made, /proc $before..$after; $(cat "$TMP/t.folded")"
fi
same_as_go threadcreate_go_tool_pprof_and_hearth_agree "$TMP/threadcreate.pb.gz"
for kind in goroutine threadcreate heap allocs; do
    if go tool pprof -raw "$URL/$kind" >"$TMP/raw" 2>"$TMP/go.err" && grep -q "$kind\|space" "$TMP/raw"; then
        ok "go_tool_pprof_reads_the_example_services_$kind"
    else
        not_ok "go_tool_pprof_reads_the_example_services_$kind" "$(head -5 "$TMP/go.err")"
    fi
done

# Parca's default scrape set, all at once: valid profiles or documented 404s.
scrapes=""
for t in allocs block goroutine mutex 'profile?seconds=10'; do
    f=$TMP/parca_$(echo "$t" | tr -c 'a-z\n' _)
    curl -s -m 30 -o "$f" -w '%{http_code}' "$URL/$t" >"$f.st" &
    scrapes="$scrapes $!"
done
for c in $scrapes; do wait "$c"; done
for t in allocs block goroutine mutex 'profile?seconds=10'; do
    f=$TMP/parca_$(echo "$t" | tr -c 'a-z\n' _)
    st=$(cat "$f.st" 2>/dev/null)
    case $t in
    block | mutex)
        if [ "$st" = 404 ] && grep -q "not collected by hearth" "$f"; then ok "parca_$t: documented 404"; else not_ok "parca_$t" "$st $(cat "$f")"; fi
        ;;
    *)
        if [ "$st" = 200 ] && go tool pprof -raw "$f" >/dev/null 2>&1 && [ "$("$HEARTH" info "$f" | awk '/^samples:/ { print $2 }')" -gt 0 ]; then
            ok "parca_$t: valid profile with samples"
        else
            not_ok "parca_$t" "$st $("$HEARTH" info "$f" 2>&1 | head -3)"
        fi
        ;;
    esac
done
if kill -0 "$SPID" 2>/dev/null; then ok example_service_alive_after_profiling; else not_ok example_service_alive_after_profiling; fi
kill "$SPID" 2>/dev/null
wait $PID 2>/dev/null

# --- the token, and the loopback-only default --------------------------------
start tok HEARTH_HTTP=0.0.0.0:0 HEARTH_HTTP_TOKEN=s3cret-t0ken -- 60
if grep -q '^hearth: serving http://0.0.0.0:' "$TMP/tok.err"; then ok non_loopback_with_token_serves; else not_ok non_loopback_with_token_serves "$(cat "$TMP/tok.err")"; fi
for auth in "" "Bearer wrong" "Bearer s3cret-t0ke" "Bearer s3cret-t0kenX" "Basic s3cret-t0ken" "s3cret-t0ken"; do
    if [ -n "$auth" ]; then s=$(status "$URL/cmdline" -H "Authorization: $auth"); else s=$(status "$URL/cmdline"); fi
    if [ "$s" = 401 ] && header WWW-Authenticate | grep -q Bearer; then
        ok "token_refuses '${auth:-no header}'"
    else
        not_ok "token_refuses '${auth:-no header}'" "$s"
    fi
done
s=$(status "$URL/heap" -H "Authorization: Bearer s3cret-t0ken")
s2=$(status "$URL/cmdline" -H "authorization: bearer s3cret-t0ken")
if [ "$s" = 200 ] && [ "$s2" = 200 ]; then ok token_accepted; else not_ok token_accepted "$s $s2"; fi
if "$LOAD" "$PORT" 3 10 s3cret-t0ken >"$TMP/tload.out" 2>&1; then ok load_with_token; else not_ok load_with_token "$(cat "$TMP/tload.out")"; fi
kill "$SPID" 2>/dev/null
wait $PID 2>/dev/null

# Refused without a token: one line, no server, the service runs to its end.
port=$((20000 + $$ % 20000))
for addr in "0.0.0.0:$port" ":$port" "[::]:$port"; do
    rm -f "$TMP/ref.out"
    timeout 30 env HEARTH_OUT="$TMP/ref" HEARTH_DUMP_AT_EXIT=off HEARTH_HTTP="$addr" LD_PRELOAD="$LIB" "$SVC" 1.5 \
        >"$TMP/ref.out" 2>"$TMP/ref.err" &
    rp=$!
    sleep 0.7
    curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/debug/pprof/"
    crc=$?
    wait $rp
    rc=$?
    if [ $rc -eq 0 ] && [ $crc -eq 7 ] && grep -q '^ops ' "$TMP/ref.out" && [ "$(wc -l <"$TMP/ref.err")" -eq 1 ] &&
            grep -qF "HEARTH_HTTP=$addr: not a loopback address and HEARTH_HTTP_TOKEN is not set; the HTTP server is off" "$TMP/ref.err"; then
        ok "non_loopback_without_token_refused ($addr)"
    else
        not_ok "non_loopback_without_token_refused ($addr)" "rc $rc, curl $crc: $(cat "$TMP/ref.err")"
    fi
done

# Bad addresses: one line each, the service runs on.
for addr in nonsense example.com:6060 127.0.0.1:70000 '[::1' 127.0.0.1:; do
    if timeout 30 env HEARTH_OUT="$TMP/bad" HEARTH_DUMP_AT_EXIT=off HEARTH_HTTP="$addr" LD_PRELOAD="$LIB" "$SVC" 0.2 \
            >"$TMP/bad.out" 2>"$TMP/bad.err" && [ "$(wc -l <"$TMP/bad.err")" -eq 1 ] &&
            grep -q "^hearth: HEARTH_HTTP=.*the HTTP server is off$" "$TMP/bad.err"; then
        ok "bad_address_one_line ($addr: $(cut -d: -f3- "$TMP/bad.err" | cut -d';' -f1))"
    else
        not_ok "bad_address_one_line ($addr)" "$(cat "$TMP/bad.err")"
    fi
done

# A busy port: one line, the service runs on.
start busy1 -- 10
p1=$PORT
pid1=$PID
spid1=$SPID
if timeout 30 env HEARTH_OUT="$TMP/bad" HEARTH_DUMP_AT_EXIT=off HEARTH_HTTP="127.0.0.1:$p1" LD_PRELOAD="$LIB" "$SVC" 0.2 \
        >"$TMP/bad.out" 2>"$TMP/bad.err" && grep -q "cannot listen: Address already in use; the HTTP server is off" "$TMP/bad.err"; then
    ok busy_port_one_line
else
    not_ok busy_port_one_line "$(cat "$TMP/bad.err")"
fi
kill "$spid1" 2>/dev/null
wait "$pid1" 2>/dev/null

# libmicrohttpd is loaded only when HEARTH_HTTP is set.
timeout 30 env HEARTH_OUT="$TMP/plain" HEARTH_DUMP_AT_EXIT=off LD_PRELOAD="$LIB" "$SVC" 3 >"$TMP/plain.out" 2>&1 &
pp=$!
sleep 1
plain_pid=$(pgrep -P $pp | head -1)
if [ -n "$plain_pid" ] && grep -q libhearth /proc/"$plain_pid"/maps && ! grep -q libmicrohttpd /proc/"$plain_pid"/maps; then
    ok libmicrohttpd_not_loaded_without_HEARTH_HTTP
else
    not_ok libmicrohttpd_not_loaded_without_HEARTH_HTTP "pid '$plain_pid'"
fi
wait $pp
start loaded -- 5
if [ -n "$SPID" ] && grep -q libmicrohttpd /proc/"$SPID"/maps; then ok libmicrohttpd_loaded_with_HEARTH_HTTP; else not_ok libmicrohttpd_loaded_with_HEARTH_HTTP; fi
kill "$SPID" 2>/dev/null
wait $PID 2>/dev/null

# /debug/hearth/timeline: the timeline recorded so far, which `hearth
# timeline` reads (also straight from the URL); 404 with the timeline off.
start timeline HEARTH_TIMELINE_INTERVAL=0.2 -- 5
sleep 1.5
st=$(status "http://127.0.0.1:$PORT/debug/hearth/timeline")
tf=$(ls "$TMP"/timeline.*.timeline 2>/dev/null | head -1)
ticks=$(grep -c '^tick' "$TMP/b")
if [ "$st" = 200 ] && [ "$ticks" -ge 3 ] && [ -n "$tf" ] && head -c "$(wc -c <"$TMP/b")" "$tf" | cmp -s - "$TMP/b" &&
        "$HEARTH" timeline --format text "http://127.0.0.1:$PORT/debug/hearth/timeline" >"$TMP/tl.txt" 2>&1; then
    ok "timeline_endpoint_serves_the_file_so_far ($ticks ticks)"
else
    not_ok timeline_endpoint_serves_the_file_so_far "status $st, $ticks ticks, file '$tf': $(head -3 "$TMP/tl.txt" 2>/dev/null)"
fi
kill "$SPID" 2>/dev/null
wait $PID 2>/dev/null
start notimeline HEARTH_TIMELINE_INTERVAL=0 -- 3
st=$(status "http://127.0.0.1:$PORT/debug/hearth/timeline")
if [ "$st" = 404 ] && grep -q "no timeline is being recorded" "$TMP/b"; then
    ok timeline_endpoint_404_when_off
else
    not_ok timeline_endpoint_404_when_off "status $st: $(cat "$TMP/b")"
fi
kill "$SPID" 2>/dev/null
wait $PID 2>/dev/null

finish
