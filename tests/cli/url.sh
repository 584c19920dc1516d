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
