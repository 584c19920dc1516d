# Inputs given as http:// URLs (render/fetch.c): the same results as from
# the file, the HTTP status and the server's first line on failure, the
# input limit applied to downloads, a bearer token from HEARTH_HTTP_TOKEN,
# and nothing written when the download fails.
. tests/cli/lib.sh

FIX=$FIXTURES/pprof
mkdir -p "$TMP/www"
cp "$FIX/parca_query_profile1.pb.gz" "$TMP/www/p.pb.gz"
"$HEARTH" fold "$FIX/parca_query_profile1.pb.gz" >"$TMP/www/p.folded"
python3 tests/tools/static_server.py "$TMP/www" s3cret >"$TMP/port" 2>"$TMP/server.err" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$TMP/port")

# Same results as from the files, for pprof and folded input.
for f in p.pb.gz p.folded; do
    "$HEARTH" top "$TMP/www/$f" >"$TMP/file.top" 2>&1
    if "$HEARTH" top "$URL/$f" >"$TMP/url.top" 2>"$TMP/url.err" &&
            cmp -s "$TMP/file.top" "$TMP/url.top" && [ -s "$TMP/url.top" ]; then
        ok "top_of_url_equals_top_of_file ($f)"
    else
        not_ok "top_of_url_equals_top_of_file ($f)" "$(cat "$TMP/url.err"; diff "$TMP/file.top" "$TMP/url.top" | head)"
    fi
done
"$HEARTH" fold "$TMP/www/p.pb.gz" >"$TMP/file.fold"
if "$HEARTH" fold "$URL/p.pb.gz" >"$TMP/url.fold" && cmp -s "$TMP/file.fold" "$TMP/url.fold"; then
    ok fold_of_url_equals_fold_of_file
else
    not_ok fold_of_url_equals_fold_of_file
fi
if "$HEARTH" flame "$URL/p.pb.gz" -o "$TMP/u.svg" 2>"$TMP/err" && xmllint --noout "$TMP/u.svg"; then
    ok flame_of_url
else
    not_ok flame_of_url "$(cat "$TMP/err")"
fi

# fails CMD_NAME EXPECTED_REGEX ARGS...: exit 1, exactly one stderr line that
# names the URL and matches, and no output file left behind.
fails() {
    name=$1 want=$2
    shift 2
    rm -f "$TMP/out.svg"
    "$HEARTH" "$@" >"$TMP/out" 2>"$TMP/err"
    st=$?
    lines=$(wc -l <"$TMP/err")
    if [ "$st" -eq 1 ] && [ "$lines" -eq 1 ] && grep -Eq "$want" "$TMP/err" && [ ! -e "$TMP/out.svg" ] &&
            [ -z "$(ls "$TMP" | grep '\.tmp\.')" ]; then
        ok "$name ($(cat "$TMP/err"))"
    else
        not_ok "$name" "exit $st, $lines lines: $(cat "$TMP/err")"
    fi
}
fails http_404_names_url_status_and_reason "^hearth: $URL/missing.pb.gz: HTTP status 404: 404 page not found\$" \
    flame "$URL/missing.pb.gz" -o "$TMP/out.svg"
fails http_500_first_line_only "^hearth: $URL/status/500: HTTP status 500: server says no\$" \
    top "$URL/status/500"
fails download_over_the_input_limit "^hearth: $URL/p.pb.gz: download exceeds the limit of 1000 bytes" \
    top --max-input 1000 "$URL/p.pb.gz"
# A port nothing listens on: the server's own port, after it is gone, is
# racy; port 1 on loopback is refused without privileges.
fails connection_refused_names_url "^hearth: http://127.0.0.1:1/x.pb.gz: .*(refused|connect)" \
    flame "http://127.0.0.1:1/x.pb.gz" -o "$TMP/out.svg"
fails not_a_profile_from_url "^hearth: $URL/status/200: " top "$URL/status/200"

# An error page is not downloaded whole: its status is the message, even
# when its body is over the input limit.
fails http_404_with_a_large_body_gives_the_status "^hearth: $URL/big404/100000: HTTP status 404: not here x+\$" \
    top --max-input 1000 "$URL/big404/100000"

# A password in a URL is sent (curl: Basic auth) but never written into
# what hearth makes: the report names the URL without it.
AUTH_URL=http://alice:pw4711@127.0.0.1:$(cat "$TMP/port")
# A URL with no path names its host in a flame graph's subtitle.
cp "$FIX/parca_query_profile1.pb.gz" "$TMP/www/index"
if "$HEARTH" flame "$AUTH_URL" -o "$TMP/auth.svg" 2>"$TMP/err" && grep -q "127.0.0.1:$(cat "$TMP/port")" "$TMP/auth.svg" &&
    ! grep -q pw4711 "$TMP/auth.svg"; then
    ok flame_leaves_the_urls_password_out
else
    not_ok flame_leaves_the_urls_password_out "$(cat "$TMP/err"; grep -o '.\{20\}pw4711.\{20\}' "$TMP/auth.svg")"
fi
if "$HEARTH" report "$AUTH_URL/p.pb.gz" -o "$TMP/rep" 2>"$TMP/err" &&
    grep -q "127.0.0.1:$(cat "$TMP/port")/p.pb.gz" "$TMP/rep/summary.md" &&
    ! grep -rq pw4711 "$TMP/rep" && ! gzip -dc "$TMP/rep.tar.gz" | grep -aq pw4711; then
    ok report_leaves_the_urls_password_out
else
    not_ok report_leaves_the_urls_password_out "$(cat "$TMP/err"; grep -rl pw4711 "$TMP/rep")"
fi

# capture against a service whose "/" handler answers every path with 200
# and a page (Go's http.HandleFunc("/", ...)) besides net/http/pprof's
# endpoints, from a base URL with a
# password and a query: the profiles it serves are kept, the page where
# the timeline would be is skipped, no password is written down, the
# query is not part of the endpoints' URLs, and a 2 MiB command line is
# cut so that the report can read capture.txt.
mkdir -p "$TMP/www2"
for e in heap allocs goroutine threadcreate; do cp "$FIX/parca_query_profile1.pb.gz" "$TMP/www2/$e"; done
# A command line of 2 MiB (capture.txt is read with a 1 MiB limit).
python3 -c 'import sys; sys.stdout.write("service\0--port\08080\0" + "a" * (2 << 20))' >"$TMP/www2/cmdline"
python3 tests/tools/static_server.py "$TMP/www2" s3cret catchall >"$TMP/port2" 2>"$TMP/server2.err" &
server2=$!
trap 'kill $server $server2 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -s "$TMP/port2" ] && break; sleep 0.1; done
CA_URL=http://alice:pw4711@127.0.0.1:$(cat "$TMP/port2")
"$HEARTH" capture "$CA_URL/?next=/debug/pprof" --seconds 0 --no-png -o "$TMP/cap" >/dev/null 2>"$TMP/err"
st=$?
if [ $st -eq 0 ] && [ -s "$TMP/cap/heap.pb.gz" ] && [ ! -e "$TMP/cap/hearth.timeline" ] &&
    [ -s "$TMP/cap/summary.md" ] && ! grep -rq pw4711 "$TMP/cap" "$TMP/err" &&
    [ "$(wc -c <"$TMP/cap/capture.txt")" -lt 100000 ] && grep -q '^cmdline: service --port 8080 aaa' "$TMP/cap/capture.txt" &&
    grep -q "^url: http://127.0.0.1:$(cat "$TMP/port2")/debug/pprof/\$" "$TMP/cap/capture.txt"; then
    ok capture_skips_a_catch_all_page_and_writes_no_password
else
    not_ok capture_skips_a_catch_all_page_and_writes_no_password \
        "exit $st: $(cat "$TMP/err"); $(ls "$TMP/cap"); $(head -n 3 "$TMP/cap/capture.txt")"
fi

# A service protected by a token: refused without it, served with it.
fails token_missing_gives_401 "^hearth: $URL/secret/p.pb.gz: HTTP status 401: missing or wrong token\$" \
    top "$URL/secret/p.pb.gz"
"$HEARTH" top "$TMP/www/p.pb.gz" >"$TMP/pb.top"
if HEARTH_HTTP_TOKEN=s3cret "$HEARTH" top "$URL/secret/p.pb.gz" >"$TMP/tok.top" 2>"$TMP/err" &&
        cmp -s "$TMP/tok.top" "$TMP/pb.top"; then
    ok token_from_environment_is_sent
else
    not_ok token_from_environment_is_sent "$(cat "$TMP/err")"
fi
finish
