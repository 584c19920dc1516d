# The CLI on bad input and bad usage. For each malformed file (truncated
# gzip, corrupted gzip, corrupted protobuf, folded stacks with a bad line, an
# empty file, a missing file, a directory, a gzip bomb), each of info, top,
# fold and convert must exit exactly 1, print nothing on stdout and exactly
# one stderr line "hearth: FILE: message", and leave no output file (nor a
# temporary one) behind, nor touch an existing one. Bad usage exits 2;
# --help of every command exits 0 and prints its usage on stdout.
. tests/cli/lib.sh

P=$FIXTURES/pprof
OUTDIR=$TMP/out
mkdir -p "$OUTDIR"

# --- the malformed inputs ---

B=$TMP/bad
mkdir -p "$B"
# First 100 of 1836 bytes: the gzip stream stops mid-block.
head -c 100 "$P/pprof_sample.cpu" >"$B/truncated.pb.gz"
# A byte in the middle of the deflate data overwritten.
cp "$P/pprof_sample.cpu" "$B/corrupt.pb.gz"
printf '\377\377\377\377' | dd of="$B/corrupt.pb.gz" bs=1 seek=900 conv=notrunc 2>/dev/null
# Raw protobuf cut inside a field, and raw protobuf with a bad tag.
gzip -dc <"$P/pprof_sample.cpu" >"$TMP/sample.pb"
head -c 1001 "$TMP/sample.pb" >"$B/truncated.pb"
cp "$TMP/sample.pb" "$B/corrupt.pb"
printf '\007' | dd of="$B/corrupt.pb" bs=1 seek=0 conv=notrunc 2>/dev/null
# Folded stacks whose third line has no numeric count.
printf 'main;a 1\r\n\r\nmain;b x\r\n' >"$B/badline.folded"
: >"$B/empty"
mkdir "$B/a-directory"
# 2 GiB of zeros: 32 gzip members of 64 MiB each, about 2 MB on disk.
head -c 67108864 /dev/zero | gzip -9 >"$TMP/member.gz"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 \
    26 27 28 29 30 31 32; do
    cat "$TMP/member.gz"
done >"$B/bomb.pb.gz"
MISSING=$B/does-not-exist.pb.gz

# --- helpers ---

# run OUT ERR ARGS...: runs hearth with ARGS, stdout to OUT, stderr to ERR;
# sets rc.
run() {
    _out=$1
    _err=$2
    shift 2
    "$HEARTH" "$@" >"$_out" 2>"$_err"
    rc=$?
}

# one_line_naming ERR NAME: ERR holds exactly one line, "hearth: NAME: msg"
# with a non-empty message.
one_line_naming() {
    [ "$(wc -l <"$1")" -eq 1 ] || return 1
    _line=$(cat "$1")
    case $_line in
    "hearth: $2: "?*) return 0 ;;
    *) return 1 ;;
    esac
}

# expect_bad NAME FILE CMD [ARGS...]: exit 1, no stdout, one stderr line
# naming FILE.
expect_bad() {
    _name=$1
    _file=$2
    shift 2
    run "$TMP/stdout" "$TMP/stderr" "$@"
    _why=""
    [ "$rc" -eq 1 ] || _why="exit $rc, want 1"
    [ -s "$TMP/stdout" ] && _why="$_why; stdout not empty: $(head -c 200 "$TMP/stdout")"
    one_line_naming "$TMP/stderr" "$_file" ||
        _why="$_why; stderr is not one line \"hearth: $_file: ...\": $(head -c 600 "$TMP/stderr")"
    if [ -z "$_why" ]; then ok "$_name"; else not_ok "$_name" "$_why"; fi
}

# expect_no_output NAME DIR: DIR is empty (no output, no temporary file).
expect_no_output() {
    _left=$(ls -A "$2")
    if [ -z "$_left" ]; then ok "$1"; else not_ok "$1" "left behind: $_left"; fi
}

# --- every command on every malformed input ---

for f in "$B/truncated.pb.gz" "$B/corrupt.pb.gz" "$B/truncated.pb" \
    "$B/corrupt.pb" "$B/badline.folded" "$B/empty" "$MISSING" \
    "$B/a-directory"; do
    n=${f##*/}
    expect_bad "info $n" "$f" info "$f"
    expect_bad "top $n" "$f" top "$f"
    expect_bad "fold $n" "$f" fold "$f"
    rm -rf "$OUTDIR"
    mkdir "$OUTDIR"
    expect_bad "fold -o $n" "$f" fold "$f" -o "$OUTDIR/out.folded"
    expect_no_output "fold -o $n leaves nothing" "$OUTDIR"
    expect_bad "convert $n" "$f" convert "$f" -o "$OUTDIR/out.pb.gz"
    expect_no_output "convert $n leaves nothing" "$OUTDIR"
    expect_bad "convert --to folded $n" "$f" convert "$f" --to folded -o "$OUTDIR/out.folded"
    expect_no_output "convert --to folded $n leaves nothing" "$OUTDIR"
done

# The bomb under a 64 MiB limit, for every command: fast, and the same path
# as the default limit.
f=$B/bomb.pb.gz
for c in info top fold; do
    expect_bad "$c bomb.pb.gz --max-input 64M" "$f" "$c" --max-input 64M "$f"
done
rm -rf "$OUTDIR"
mkdir "$OUTDIR"
expect_bad "convert bomb.pb.gz --max-input 64M" "$f" convert --max-input 64M "$f" -o "$OUTDIR/out.pb.gz"
expect_no_output "convert bomb.pb.gz leaves nothing" "$OUTDIR"
if grep -q "exceeds the limit of 67108864 bytes" "$TMP/stderr"; then
    ok "bomb message names the limit"
else
    not_ok "bomb message names the limit" "$(cat "$TMP/stderr")"
fi
# And once under the default 1 GiB limit (inflates 1 GiB: a few seconds).
expect_bad "info bomb.pb.gz (default limit)" "$f" info "$f"
if grep -q "exceeds the limit of 1073741824 bytes" "$TMP/stderr"; then
    ok "bomb message names the default limit"
else
    not_ok "bomb message names the default limit" "$(cat "$TMP/stderr")"
fi

# Messages say what is wrong and where.
run "$TMP/stdout" "$TMP/stderr" info "$B/badline.folded"
if grep -q ": line 3: " "$TMP/stderr"; then ok "folded error names line 3"; else
    not_ok "folded error names line 3" "$(cat "$TMP/stderr")"; fi
for n in truncated.pb.gz corrupt.pb.gz truncated.pb corrupt.pb; do
    run "$TMP/stdout" "$TMP/stderr" info "$B/$n"
    if grep -q "offset [0-9]" "$TMP/stderr"; then ok "$n error names an offset"; else
        not_ok "$n error names an offset" "$(cat "$TMP/stderr")"; fi
done

# Profile text reaches a terminal without control characters: an escape
# sequence in a name would move the cursor, clear the screen or retitle
# the window of whoever reads the table or the error.
printf 'main;\033]0;title\007\033[2J;red\033[31m 10\nmain;cr\rFAKE\302\233x\377 5\n' >"$B/ansi.folded"
python3 -c 'import sys; sys.stdout.write("a;b 1\n" * 200000 + "x \033]0;PWNED\007\033[2J\n")' \
    >"$B/ansi_late.folded"
cat >"$TMP/noctl.py" <<'EOF'
import re, sys
data = open(sys.argv[1], 'rb').read()
lines = int(sys.argv[2]) if len(sys.argv) > 2 else 0
bad = re.findall(rb'[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]', data)
text = data.decode('utf-8')  # fails on a byte that is not UTF-8
if bad or (lines and data.count(b'\n') != lines):
    sys.exit('control bytes %r, %d lines' % (bad[:4], data.count(b'\n')))
EOF
# tests/browser/mkpprof.mjs's hostile profile has them in its binary's name.
node tests/browser/mkpprof.mjs hostile "$B/hostile.pb"
for c in "top ansi.folded" "top hostile.pb" "info hostile.pb"; do
    run "$TMP/stdout" "$TMP/stderr" ${c% *} "$B/${c#* }"
    if [ "$rc" -eq 0 ] && python3 "$TMP/noctl.py" "$TMP/stdout" 2>"$TMP/why" &&
        { [ "$c" != "top ansi.folded" ] || grep -qF "$(printf 'cr\357\277\275FAKE\357\277\275x\357\277\275')" "$TMP/stdout"; }; then
        ok "$c: names without control characters"
    else
        not_ok "$c: names without control characters" "exit $rc: $(cat "$TMP/why" "$TMP/stderr")"
    fi
done
run "$TMP/stdout" "$TMP/stderr" info "$B/ansi_late.folded"
if [ "$rc" -eq 1 ] && python3 "$TMP/noctl.py" "$TMP/stderr" 1 2>"$TMP/why" &&
    grep -q ': line 200001: ' "$TMP/stderr"; then
    ok "an error quoting a bad line has no control characters"
else
    not_ok "an error quoting a bad line has no control characters" "exit $rc: $(cat "$TMP/why")"
fi

# stdin is named <stdin>.
run "$TMP/stdout" "$TMP/stderr" info - <"$B/empty"
if [ "$rc" -eq 1 ] && one_line_naming "$TMP/stderr" "<stdin>"; then ok "info - (empty stdin)"; else
    not_ok "info - (empty stdin)" "exit $rc: $(cat "$TMP/stderr")"; fi
run "$TMP/stdout" "$TMP/stderr" top - <"$B/truncated.pb.gz"
if [ "$rc" -eq 1 ] && one_line_naming "$TMP/stderr" "<stdin>"; then ok "top - (truncated stdin)"; else
    not_ok "top - (truncated stdin)" "exit $rc: $(cat "$TMP/stderr")"; fi

# A failed convert leaves an existing OUT as it was.
rm -rf "$OUTDIR"
mkdir "$OUTDIR"
printf 'old\n' >"$OUTDIR/keep.pb.gz"
run "$TMP/stdout" "$TMP/stderr" convert "$B/corrupt.pb.gz" -o "$OUTDIR/keep.pb.gz"
if [ "$rc" -eq 1 ] && [ "$(cat "$OUTDIR/keep.pb.gz")" = old ] &&
    [ "$(ls -A "$OUTDIR")" = keep.pb.gz ]; then
    ok "failed convert keeps the existing OUT"
else
    not_ok "failed convert keeps the existing OUT" "exit $rc; dir: $(ls -A "$OUTDIR")"
fi

# An output that cannot be created: exit 1, one line naming OUT.
run "$TMP/stdout" "$TMP/stderr" convert "$P/pprof_sample.cpu" -o "$TMP/no/such/dir/out.pb.gz"
if [ "$rc" -eq 1 ] && one_line_naming "$TMP/stderr" "$TMP/no/such/dir/out.pb.gz"; then
    ok "convert to an impossible OUT"
else
    not_ok "convert to an impossible OUT" "exit $rc: $(cat "$TMP/stderr")"
fi

# Controls: the same commands succeed on good input and leave only OUT.
rm -rf "$OUTDIR"
mkdir "$OUTDIR"
check "info good input" "$HEARTH" info "$P/pprof_sample.cpu"
check "convert good input" "$HEARTH" convert "$P/pprof_sample.cpu" -o "$OUTDIR/good.pb.gz"
if [ "$(ls -A "$OUTDIR")" = good.pb.gz ]; then ok "convert leaves only OUT"; else
    not_ok "convert leaves only OUT" "$(ls -A "$OUTDIR")"; fi

# --- valid edge inputs: accepted, exit 0, nothing on stderr ---

E=$TMP/edge
mkdir -p "$E"
printf '\n  \r\n\t\n' >"$E/blank.folded"            # no samples at all
printf 'main;a 0\nmain;b 0\n' >"$E/zeros.folded"    # only zero counts
# Two stacks that each fit in int64 but whose sum does not.
printf 'main;a 9223372036854775807\nmain;b 1\n' >"$E/huge.folded"
for f in "$E/blank.folded" "$E/zeros.folded" "$E/huge.folded"; do
    n=${f##*/}
    for c in info top fold; do
        run "$TMP/stdout" "$TMP/stderr" "$c" "$f"
        if [ "$rc" -eq 0 ] && [ ! -s "$TMP/stderr" ]; then ok "$c $n"; else
            not_ok "$c $n" "exit $rc: $(head -c 600 "$TMP/stderr")"; fi
    done
    rm -rf "$OUTDIR"
    mkdir "$OUTDIR"
    run "$TMP/stdout" "$TMP/stderr" convert "$f" -o "$OUTDIR/o.pb.gz"
    if [ "$rc" -eq 0 ] && [ ! -s "$TMP/stderr" ] && [ "$(ls -A "$OUTDIR")" = o.pb.gz ]; then
        ok "convert $n"
    else
        not_ok "convert $n" "exit $rc: $(head -c 600 "$TMP/stderr"); dir: $(ls -A "$OUTDIR")"
    fi
done
# A total past 2^63-1 must not wrap around to a negative number.
run "$TMP/stdout" "$TMP/stderr" top "$E/huge.folded"
if grep -q -- "-[0-9]" "$TMP/stdout"; then
    not_ok "top huge.folded: no negative totals" "$(head -n 5 "$TMP/stdout")"
else
    ok "top huge.folded: no negative totals"
fi

# --- usage ---

# expect_usage NAME ARGS...: exit 2, nothing on stdout, something on stderr.
expect_usage() {
    _name=$1
    shift
    run "$TMP/stdout" "$TMP/stderr" "$@"
    if [ "$rc" -eq 2 ] && [ ! -s "$TMP/stdout" ] && [ -s "$TMP/stderr" ]; then
        ok "$_name"
    else
        not_ok "$_name" "exit $rc, want 2; stdout $(wc -c <"$TMP/stdout") bytes; stderr: $(head -c 300 "$TMP/stderr")"
    fi
}

G=$P/pprof_sample.cpu
rm -rf "$OUTDIR"
mkdir "$OUTDIR"
expect_usage "no command"
expect_usage "unknown command" frobnicate "$G"
expect_usage "unknown option before the command" --bogus info "$G"
for c in info top fold convert; do
    # convert needs -o to get as far as its other checks; the path has no
    # spaces (mktemp), so $o splits into the two words it should.
    o=
    [ "$c" = convert ] && o="-o $OUTDIR/x"
    expect_usage "$c unknown option" "$c" --bogus "$G" $o
    expect_usage "$c no file" "$c" $o
    expect_usage "$c two files" "$c" "$G" "$G" $o
    expect_usage "$c --max-input missing argument" "$c" "$G" $o --max-input
    expect_usage "$c --max-input not a size" "$c" --max-input lots "$G" $o
done
# Every command that reads input takes --max-input and says the same thing
# about a bad one.
for c in info top fold convert flame graph timeline report symbolize capture; do
    run "$TMP/stdout" "$TMP/stderr" "$c" --max-input lots "$G"
    want="hearth $c: --max-input: \"lots\" is not a size"
    if [ "$rc" -eq 2 ] && [ "$(cat "$TMP/stderr")" = "$want" ]; then
        ok "$c --max-input lots: one line naming the option"
    else
        not_ok "$c --max-input lots: one line naming the option" "exit $rc; stderr: $(head -c 300 "$TMP/stderr")"
    fi
done
expect_usage "top -n missing argument" top "$G" -n
expect_usage "top -n not a count" top -n many "$G"
expect_usage "top --sample-index missing argument" top "$G" --sample-index
expect_usage "top --granularity unknown" top --granularity atoms "$G"
expect_usage "top --nodefraction out of range" top --nodefraction 2 "$G"
expect_usage "fold -o missing argument" fold "$G" -o
expect_usage "convert without -o" convert "$G"
expect_usage "convert -o missing argument" convert "$G" -o
expect_usage "convert --to unknown" convert --to svg "$G" -o "$OUTDIR/x"
expect_no_output "usage errors leave nothing" "$OUTDIR"

# --help: exit 0, usage on stdout, nothing on stderr.
expect_help() {
    _name=$1
    _want=$2
    shift 2
    run "$TMP/stdout" "$TMP/stderr" "$@"
    if [ "$rc" -eq 0 ] && [ ! -s "$TMP/stderr" ] &&
        head -n 1 "$TMP/stdout" | grep -q "^usage: $_want"; then
        ok "$_name"
    else
        not_ok "$_name" "exit $rc; stdout: $(head -n 2 "$TMP/stdout"); stderr: $(head -c 300 "$TMP/stderr")"
    fi
}

expect_help "hearth --help" "hearth COMMAND" --help
expect_help "hearth -h" "hearth COMMAND" -h
expect_help "hearth help" "hearth COMMAND" help
for c in info top fold convert; do
    expect_help "$c --help" "hearth $c" "$c" --help
    expect_help "$c -h" "hearth $c" "$c" -h
    expect_help "$c --help after a file" "hearth $c" "$c" "$G" --help
done

finish
