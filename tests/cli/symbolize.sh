# `hearth symbolize` end to end. tests/workloads/symtest.c is built here and
# run with --profile: it captures real stacks (backtrace(3)) through
# noinline functions, an always_inline chain and libc, and writes them as an
# unsymbolized pprof profile with its /proc/self/maps mappings and build
# IDs, plus each address's ELF address ("ADDRESS VADDR FILE"). Then:
#
#  a. symbolize: exit 0, one stderr line "symbolized N of N locations", and
#     every location's lines, as `go tool pprof -symbolize=none -raw` reads
#     them (pprof must not symbolize on its own), equal `addr2line -f -i` of
#     its ELF address, inline chain included; -top shows the names; the
#     mappings say [FN][FL][LN][IN]; symbolizing again changes nothing.
#  b. --no-dwarf: names only, no line numbers, mapping flags [FN] only.
#  c. binaries: a stripped --binary with the build ID wins and leaves the
#     executable's locations unsymbolized (no flags); a stripped -rdynamic
#     build gives .dynsym names without lines; a --binary with the same name
#     but another build ID is refused; the right one under another name is
#     found by build ID.
#  d. errors: missing input or --binary, a --binary that is not ELF or is
#     truncated: exit 1, one line "hearth: FILE: message", no output file;
#     bad usage exits 2; --help exits 0.
. tests/cli/lib.sh

GOCACHE=$TMP/gocache
GOPATH=$TMP/gopath
GO111MODULE=off
GOFLAGS=
GOPROXY=off
GOENV=off
GOTOOLCHAIN=local
PPROF_TMPDIR=$TMP
export GOCACHE GOPATH GO111MODULE GOFLAGS GOPROXY GOENV GOTOOLCHAIN PPROF_TMPDIR

SRC=tests/workloads/symtest.c

# raw_lines PROFILE: "ADDRESS function file:line" per line of every
# location, from pprof's own reading of the file, innermost first.
raw_lines() {
    go tool pprof -symbolize=none -raw "$1" 2>/dev/null | awk '
        /^Locations/ { on = 1; next }
        /^Mappings/ { on = 0 }
        !on { next }
        $1 ~ /^[0-9]+:$/ { addr = $2; if (NF < 5) next; print addr, $4, $5; next }
        NF >= 2 { print addr, $1, $2 }'
}

# expected_lines ADDRS: the same from addr2line, for each "ADDRESS VADDR FILE".
expected_lines() {
    for f in $(awk '{ print $3 }' "$1" | sort -u); do
        awk -v f="$f" '$3 == f { print $2 }' "$1" >"$TMP/vaddrs"
        addr2line -a -f -i -e "$f" <"$TMP/vaddrs" | awk -v f="$f" -v addrs="$1" '
            BEGIN {
                while ((getline line < addrs) > 0) {
                    split(line, w, " ")
                    if (w[3] == f) { v = w[2]; sub(/^0x0*/, "0x", v); pc[v] = w[1] }
                }
            }
            /^0x[0-9a-f]+$/ && length($0) == 18 { v = $0; sub(/^0x0*/, "0x", v); cur = pc[v]; half = 0; next }
            !half { fn = $0; half = 1; next }
            {
                loc = $0
                sub(/ \(discriminator [0-9]+\)$/, "", loc)
                if (loc == "??:?") loc = ":0"
                sub(/:\?$/, ":0", loc)
                print cur, fn, loc
                half = 0
            }'
    done
}

# one_error NAME STATUS OUT -- CMD...: CMD exits STATUS with exactly one
# stderr line starting "hearth: " and leaves OUT absent.
one_error() {
    name=$1 want=$2 out=$3
    shift 4
    "$@" >"$TMP/err.out" 2>"$TMP/err.txt"
    st=$?
    lines=$(wc -l <"$TMP/err.txt")
    if [ "$st" -eq "$want" ] && [ "$lines" -eq 1 ] && grep -q '^hearth: ' "$TMP/err.txt" &&
        [ ! -e "$out" ] && [ ! -s "$TMP/err.out" ]; then
        ok "$name"
    else
        not_ok "$name" "exit $st, $lines stderr lines: $(cat "$TMP/err.txt")"
    fi
}

if ! cc -O2 -g -o "$TMP/symtest" "$SRC" || ! "$TMP/symtest" --profile "$TMP/raw.pb"; then
    not_ok "build and run the workload"
    finish
    exit 1
fi
n_addrs=$(wc -l <"$TMP/raw.pb.addrs")

# --- a. symbolize, against addr2line ---

"$HEARTH" symbolize "$TMP/raw.pb" -o "$TMP/sym.pb.gz" 2>"$TMP/sym.err"
st=$?
if [ "$st" -eq 0 ] && [ "$(cat "$TMP/sym.err")" = "hearth symbolize: symbolized $n_addrs of $n_addrs locations" ]; then
    ok "symbolize exits 0 with a one-line summary"
else
    not_ok "symbolize exits 0 with a one-line summary" "exit $st: $(cat "$TMP/sym.err")"
fi

raw_lines "$TMP/raw.pb" >"$TMP/before.txt"
if [ ! -s "$TMP/before.txt" ]; then
    ok "the workload's profile holds only addresses"
else
    not_ok "the workload's profile holds only addresses" "$(head -n 3 "$TMP/before.txt")"
fi

raw_lines "$TMP/sym.pb.gz" | sort >"$TMP/got.txt"
expected_lines "$TMP/raw.pb.addrs" | sort >"$TMP/want.txt"
if [ -s "$TMP/want.txt" ] && cmp -s "$TMP/got.txt" "$TMP/want.txt"; then
    ok "every location's frames equal addr2line -f -i ($(wc -l <"$TMP/want.txt") lines)"
else
    not_ok "every location's frames equal addr2line -f -i" "$(diff "$TMP/want.txt" "$TMP/got.txt" | head -n 12)"
fi

if grep -q ' leaf_inline .*symtest.c:' "$TMP/got.txt" && grep -q ' mid_inline .*symtest.c:' "$TMP/got.txt"; then
    ok "the always_inline chain appears as inlined frames"
else
    not_ok "the always_inline chain appears as inlined frames" "$(head -n 20 "$TMP/got.txt")"
fi

go tool pprof -symbolize=none -top "$TMP/sym.pb.gz" >"$TMP/top.txt" 2>/dev/null
missing=""
for fn in symtest_record outer_noinline noinline_a noinline_b static_helper check_value main \
    __libc_start_call_main "leaf_inline (inline)" "mid_inline (inline)"; do
    grep -q " $fn\$" "$TMP/top.txt" || missing="$missing [$fn]"
done
if [ -z "$missing" ]; then ok "go tool pprof -top names every function"; else not_ok "go tool pprof -top names every function" "missing:$missing"; fi

flags=$(go tool pprof -symbolize=none -raw "$TMP/sym.pb.gz" 2>/dev/null | sed -n '/^Mappings/,$p' | grep -c '\[FN\]\[FL\]\[LN\]\[IN\]$')
n_maps=$(go tool pprof -symbolize=none -raw "$TMP/raw.pb" 2>/dev/null | sed -n '/^Mappings/,$p' | grep -c '^[0-9]*: ')
if [ "$flags" -eq "$n_maps" ] && [ "$n_maps" -ge 2 ]; then
    ok "every mapping says functions, files, lines and inline frames"
else
    not_ok "every mapping says functions, files, lines and inline frames" "$flags of $n_maps"
fi

"$HEARTH" symbolize "$TMP/sym.pb.gz" -o "$TMP/again.pb.gz" 2>"$TMP/again.err"
if cmp -s "$TMP/sym.pb.gz" "$TMP/again.pb.gz" && grep -q "symbolized 0 of 0 locations" "$TMP/again.err"; then
    ok "symbolizing twice changes nothing"
else
    not_ok "symbolizing twice changes nothing" "$(cat "$TMP/again.err")"
fi

# --- b. --no-dwarf ---

"$HEARTH" symbolize --no-dwarf "$TMP/raw.pb" -o "$TMP/nodwarf.pb.gz" 2>/dev/null
raw_lines "$TMP/nodwarf.pb.gz" >"$TMP/nodwarf.txt"
if [ "$(wc -l <"$TMP/nodwarf.txt")" -eq "$n_addrs" ] && ! grep -qv ':0$' "$TMP/nodwarf.txt" &&
    grep -q ' outer_noinline ' "$TMP/nodwarf.txt" && ! grep -q ' leaf_inline ' "$TMP/nodwarf.txt"; then
    ok "--no-dwarf gives one named frame per location and no lines"
else
    not_ok "--no-dwarf gives one named frame per location and no lines" "$(head -n 5 "$TMP/nodwarf.txt")"
fi
if go tool pprof -symbolize=none -raw "$TMP/nodwarf.pb.gz" 2>/dev/null | sed -n '/^Mappings/,$p' |
    grep '^[0-9]*: ' | grep -q -e '\[LN\]' -e '\[IN\]'; then
    not_ok "--no-dwarf claims no line numbers or inline frames"
else
    ok "--no-dwarf claims no line numbers or inline frames"
fi

# --- c. which binary ---

mkdir -p "$TMP/stripped" "$TMP/other" "$TMP/moved"
strip -o "$TMP/stripped/symtest" "$TMP/symtest"
"$HEARTH" symbolize "$TMP/raw.pb" --binary "$TMP/stripped/symtest" -o "$TMP/s.pb.gz" 2>/dev/null
raw_lines "$TMP/s.pb.gz" >"$TMP/s.txt"
exe_map=$(go tool pprof -symbolize=none -raw "$TMP/s.pb.gz" 2>/dev/null | sed -n '/^Mappings/,$p' | grep " $TMP/symtest ")
if ! grep -q symtest.c "$TMP/s.txt" && grep -q ' __libc_start_call_main ' "$TMP/s.txt" &&
    [ -n "$exe_map" ] && ! echo "$exe_map" | grep -q '\['; then
    ok "a stripped --binary with the build ID is used and claims nothing"
else
    not_ok "a stripped --binary with the build ID is used and claims nothing" "$exe_map"
fi

if cc -O2 -g -rdynamic -o "$TMP/rd" "$SRC" && "$TMP/rd" --profile "$TMP/rd.pb" &&
    strip -o "$TMP/stripped/rd" "$TMP/rd"; then
    "$HEARTH" symbolize "$TMP/rd.pb" --binary "$TMP/stripped/rd" -o "$TMP/rd.pb.gz" 2>/dev/null
    rd_map=$(go tool pprof -symbolize=none -raw "$TMP/rd.pb.gz" 2>/dev/null | sed -n '/^Mappings/,$p' | grep " $TMP/rd ")
    raw_lines "$TMP/rd.pb.gz" | grep -v libc >"$TMP/rd.txt"
    if grep -q ' outer_noinline :0$' "$TMP/rd.txt" && grep -q ' symtest_record :0$' "$TMP/rd.txt" &&
        ! grep -q symtest.c "$TMP/rd.txt" && echo "$rd_map" | grep -q '\[FN\]$'; then
        ok "a stripped -rdynamic binary gives .dynsym names without lines"
    else
        not_ok "a stripped -rdynamic binary gives .dynsym names without lines" "$rd_map $(head -n 5 "$TMP/rd.txt")"
    fi
else
    not_ok "a stripped -rdynamic binary gives .dynsym names without lines" "cannot build"
fi

# The workload's own file moves away; a same-named binary with another
# build ID must not stand in for it, the moved one is found by build ID.
cc -O1 -g -o "$TMP/other/symtest" "$SRC"
mv "$TMP/symtest" "$TMP/moved/renamed"
"$HEARTH" symbolize "$TMP/raw.pb" --binary "$TMP/other/symtest" -o "$TMP/o.pb.gz" 2>/dev/null
raw_lines "$TMP/o.pb.gz" >"$TMP/o.txt"
if ! grep -q symtest.c "$TMP/o.txt" && grep -q ' __libc_start_call_main ' "$TMP/o.txt"; then
    ok "a --binary with the same name but another build ID is refused"
else
    not_ok "a --binary with the same name but another build ID is refused"
fi
"$HEARTH" symbolize "$TMP/raw.pb" --binary "$TMP/other/symtest" --binary "$TMP/moved/renamed" \
    -o "$TMP/m.pb.gz" 2>/dev/null
raw_lines "$TMP/m.pb.gz" | sort >"$TMP/m.txt"
if cmp -s "$TMP/m.txt" "$TMP/want.txt"; then
    ok "a --binary under another name is matched by build ID"
else
    not_ok "a --binary under another name is matched by build ID" "$(diff "$TMP/want.txt" "$TMP/m.txt" | head -n 5)"
fi

# --- d. errors and usage ---

head -c 3000 "$TMP/moved/renamed" >"$TMP/truncated"
one_error "a missing input is one error line, exit 1" 1 "$TMP/e1.pb.gz" -- \
    "$HEARTH" symbolize "$TMP/nope.pb" -o "$TMP/e1.pb.gz"
one_error "a missing --binary is one error line, exit 1" 1 "$TMP/e2.pb.gz" -- \
    "$HEARTH" symbolize "$TMP/raw.pb" --binary "$TMP/nope" -o "$TMP/e2.pb.gz"
one_error "a --binary that is not ELF is one error line, exit 1" 1 "$TMP/e3.pb.gz" -- \
    "$HEARTH" symbolize "$TMP/raw.pb" --binary "$TMP/raw.pb" -o "$TMP/e3.pb.gz"
one_error "a truncated --binary is one error line, exit 1" 1 "$TMP/e4.pb.gz" -- \
    "$HEARTH" symbolize "$TMP/raw.pb" --binary "$TMP/truncated" -o "$TMP/e4.pb.gz"
if grep -q "^hearth: $TMP/truncated: .*past the end of the file" "$TMP/err.txt"; then
    ok "the truncated binary's message says what is wrong"
else
    not_ok "the truncated binary's message says what is wrong" "$(cat "$TMP/err.txt")"
fi

"$HEARTH" symbolize "$TMP/raw.pb" >/dev/null 2>&1
st=$?
if [ "$st" -eq 2 ]; then ok "no -o is a usage error (exit 2)"; else not_ok "no -o is a usage error (exit 2)" "exit $st"; fi
"$HEARTH" symbolize --frobnicate "$TMP/raw.pb" -o "$TMP/x" >/dev/null 2>&1; st=$?
if [ "$st" -eq 2 ] && [ ! -e "$TMP/x" ]; then ok "an unknown option is a usage error (exit 2)"; else not_ok "an unknown option is a usage error (exit 2)" "exit $st"; fi
if "$HEARTH" symbolize --help 2>/dev/null | grep -q '^usage: hearth symbolize'; then
    ok "--help prints the usage on stdout, exit 0"
else
    not_ok "--help prints the usage on stdout, exit 0"
fi

finish
