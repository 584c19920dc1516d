# hearth against Go's own pprof tool, on every fixture in $FIXTURES/pprof and
# on fresh profiles written by Go's runtime/pprof (tests/go/genprofiles):
#
#  a. convert:  `hearth convert F -o X` and `go tool pprof -raw` prints the
#               same for F and X (nothing filtered out of the diff);
#  b. reconvert: converting X again gives the same bytes (determinism);
#  c. top:      for each sample type i, `hearth top` prints exactly what
#               `go tool pprof -top -sample_index=i` prints, plain, with
#               --cum, with --nodefraction 0, and with -n 5;
#  d. fold:     for each sample type, the counts of `hearth fold` add up to the
#               total `hearth info` reports, and the folded stacks equal the
#               ones rebuilt from `go tool pprof -raw` of F. That check is
#               exact and independent of our decoder: -raw prints every
#               sample's integer values and location ids, and every location's
#               address and lines (innermost inlined frame first), as pprof
#               parsed them; the awk below turns that into FORMATS.md's folded
#               text (root first, inlined frames expanded, a frame without a
#               function name written 0x<address>, identical stacks summed,
#               zero totals left out, sorted bytewise). Exact whole stacks
#               imply exact per-leaf (flat) sums, which -top cannot give us
#               exactly: it rounds, and names unsymbolized frames by binary.
#
# Sample types are counted from pprof's -raw header, not from hearth, so a
# file hearth cannot read still gets its checks (and fails them). Go runs
# offline with a private cache and no use of $HOME; the whole script takes
# about 15 s (some 250 go tool pprof runs).
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

# show_diff A B: the first lines of a unified diff, for a failure message.
show_diff() {
    diff -u "$1" "$2" | head -n 12
}

# pprof_out OUT ARGS...: go tool pprof ARGS into OUT; its stderr goes to
# OUT.err. Fails when pprof does.
pprof_out() {
    o=$1
    shift
    go tool pprof -symbolize=none "$@" >"$o" 2>"$o.err"
}

# hearth_out OUT ARGS...: the same for hearth.
hearth_out() {
    o=$1
    shift
    "$HEARTH" "$@" >"$o" 2>"$o.err"
}

# compare NAME EXPECTED_CMD_STATUS EXPECTED GOT GOT_STATUS: one check.
compare() {
    if [ "$2" -ne 0 ]; then
        not_ok "$1" "go tool pprof failed: $(head -n 5 "$3.err")"
    elif [ "$5" -ne 0 ]; then
        not_ok "$1" "hearth failed: $(head -n 5 "$4.err")"
    elif cmp -s "$3" "$4"; then
        ok "$1"
    else
        not_ok "$1" "$(show_diff "$3" "$4")"
    fi
}

# Rebuilds the folded stacks of sample type IDX from `pprof -raw` text.
RAW_TO_FOLDED='
function frame(loc, line) {
    return (line == "" || line == "??") ? addr[loc] : line
}
/^Samples:$/ { sect = "types"; next }
/^Locations$/ { sect = "locs"; next }
/^Mappings$/ { sect = "maps"; next }
sect == "types" { sect = "samples"; next }
sect == "samples" && /^( +-?[0-9]+)+:( |$)/ {
    split($0, parts, ":")
    nv = split(parts[1], vals, " ")
    ns++
    sval[ns] = vals[IDX + 1]
    sub(/^[^:]*: */, "")
    sids[ns] = $0
    next
}
sect == "locs" && /^ *[0-9]+: 0x[0-9a-f]+ / {
    id = $1
    sub(/:$/, "", id)
    addr[id] = $2
    rest = $0
    sub(/^ *[0-9]+: 0x[0-9a-f]+ /, "", rest)
    sub(/^M=[0-9]+ /, "", rest)
    sub(/^\[F\] /, "", rest)
    nl[id] = 0
    cur = id
    if (rest != "") addline(id, rest)
    next
}
sect == "locs" && /^             / {
    rest = $0
    sub(/^             /, "", rest)
    addline(cur, rest)
    next
}
function addline(id, s,    name) {
    name = s
    if (s != "??" && match(s, / [^ ]*:-?[0-9]+ s=-?[0-9]+(\(.*\))?$/))
        name = substr(s, 1, RSTART - 1)
    nl[id]++
    ln[id, nl[id]] = name
}
END {
    for (s = 1; s <= ns; s++) {
        n = split(sids[s], ids, " ")
        stack = ""
        for (k = 1; k <= n; k++) {
            id = ids[k]
            if (nl[id] == 0) {
                stack = addr[id] (stack == "" ? "" : ";" stack)
                continue
            }
            for (j = 1; j <= nl[id]; j++) {
                f = frame(id, ln[id, j])
                stack = f (stack == "" ? "" : ";" stack)
            }
        }
        if (stack == "")
            continue
        total[stack] += sval[s]
    }
    for (st in total)
        if (total[st] != 0)
            printf "%s %.0f\n", st, total[st]
}'

# check_profile F NAME: every check above for one profile.
check_profile() {
    f=$1
    n=$2
    d=$TMP/out/$n
    mkdir -p "$d"

    # a. convert, and pprof sees the same profile.
    pprof_out "$d/raw.want" -raw "$f"
    ws=$?
    if hearth_out "$d/convert" convert "$f" -o "$d/x.pb.gz"; then
        pprof_out "$d/raw.got" -raw "$d/x.pb.gz"
        gs=$?
        if [ "$gs" -ne 0 ]; then
            not_ok "$n/convert_raw_equal" "go tool pprof cannot read the converted file: $(head -n 5 "$d/raw.got.err")"
        else
            compare "$n/convert_raw_equal" "$ws" "$d/raw.want" "$d/raw.got" 0
        fi
    else
        not_ok "$n/convert_raw_equal" "hearth convert failed: $(head -n 5 "$d/convert.err")"
    fi

    # b. converting the converted file gives the same bytes.
    if [ ! -f "$d/x.pb.gz" ]; then
        not_ok "$n/reconvert_identical" "no converted file"
    elif ! hearth_out "$d/convert2" convert "$d/x.pb.gz" -o "$d/x2.pb.gz"; then
        not_ok "$n/reconvert_identical" "hearth convert failed: $(head -n 5 "$d/convert2.err")"
    elif cmp -s "$d/x.pb.gz" "$d/x2.pb.gz"; then
        ok "$n/reconvert_identical"
    else
        not_ok "$n/reconvert_identical" "$(cmp "$d/x.pb.gz" "$d/x2.pb.gz" 2>&1)"
    fi

    if [ "$ws" -ne 0 ]; then
        not_ok "$n/pprof_reads_fixture" "$(head -n 5 "$d/raw.want.err")"
        return
    fi
    types=$(sed -n '/^Samples:$/{n;p;q;}' "$d/raw.want")
    hearth_out "$d/info" info "$f"
    is=$?
    i=0
    set -f
    for t in $types; do
        t=${t%"[dflt]"}
        # c. top, four ways.
        for v in plain cum nodefraction0 nodecount5; do
            case $v in
            plain) pa=; ha= ;;
            cum) pa=-cum; ha=--cum ;;
            nodefraction0) pa=-nodefraction=0; ha="--nodefraction 0" ;;
            nodecount5) pa=-nodecount=5; ha="-n 5" ;;
            esac
            pprof_out "$d/top$i$v.want" -top -sample_index=$i $pa "$f"
            ps=$?
            # $ha is unquoted on purpose: it is zero, one or two words.
            hearth_out "$d/top$i$v.got" top --sample-index $i $ha "$f"
            compare "$n/top_sample_index=$i($t)_$v" "$ps" "$d/top$i$v.want" "$d/top$i$v.got" $?
        done

        # d. fold: totals against info, stacks against pprof -raw.
        hearth_out "$d/fold$i" fold --sample-index $i "$f"
        fs=$?
        if [ "$fs" -ne 0 ] || [ "$is" -ne 0 ]; then
            not_ok "$n/fold_total=info($t)" "hearth failed: $(cat "$d/fold$i.err" "$d/info.err" | head -n 5)"
        else
            sum=$(awk '{ s += $NF } END { printf "%.0f\n", s }' "$d/fold$i")
            want=$(grep '^total ' "$d/info" | sed -n "$((i + 1))p" |
                sed 's/.*: \(-\{0,1\}[0-9][0-9]*\) (.*/\1/')
            if [ "$sum" = "$want" ]; then
                ok "$n/fold_total=info($t)"
            else
                not_ok "$n/fold_total=info($t)" "fold sums to $sum, info says $want"
            fi
        fi
        awk -v IDX=$i "$RAW_TO_FOLDED" "$d/raw.want" | LC_ALL=C sort >"$d/fold$i.want"
        compare "$n/fold_stacks=pprof_raw($t)" 0 "$d/fold$i.want" "$d/fold$i" "$fs"
        i=$((i + 1))
    done
    set +f
    [ "$i" -gt 0 ] || not_ok "$n/has_sample_types" "pprof -raw shows no sample types"
}

start=$(date +%s)
if ! command -v go >/dev/null 2>&1; then
    not_ok go_toolchain_installed "go is not on PATH"
    finish
    exit
fi

mkdir -p "$TMP/go" "$TMP/out"
if go run tests/go/genprofiles/main.go "$TMP/go" >"$TMP/genprofiles.log" 2>&1; then
    ok genprofiles_runs
else
    not_ok genprofiles_runs "$(tail -n 10 "$TMP/genprofiles.log")"
fi
for p in cpu heap allocs goroutine; do
    if [ -s "$TMP/go/$p.pb.gz" ]; then ok "genprofiles_writes_$p"; else not_ok "genprofiles_writes_$p"; fi
done

for f in "$FIXTURES"/pprof/* "$TMP"/go/*.pb.gz; do
    [ -f "$f" ] || continue
    case $f in
    "$TMP"/*) n=go_${f##*/} ;;
    *) n=${f##*/} ;;
    esac
    check_profile "$f" "$n"
done
echo "took $(($(date +%s) - start)) s"
finish
