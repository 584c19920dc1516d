# hearth flame, checked from the outside (run from the project root):
#
#  1. goldens:    every case in tests/golden/flame/cases gives exactly the
#                 bytes of its golden SVG (regenerate with tests/golden/regen.sh
#                 and review the diff);
#  2. structure:  on every fixture and a synthetic 20,000-stack input, each
#                 drawn frame is value/total of the plot wide (0.01 px), sits
#                 inside its parent, siblings never overlap; with --min-width 0
#                 nothing is lost (self + children = value, the self values
#                 add up to data-total);
#  3. flame=fold: for every fixture in $FIXTURES/pprof and each of its sample
#                 types, the tree drawn with --min-width 0 is the one `hearth
#                 fold` describes: same root-to-frame paths, each path's value
#                 the sum of the folded counts under it;
#  4. diff:       two real Go heap profiles (tests/go/leaky: a map leak grows,
#                 a cache is half released): data-b is the base's path total,
#                 red where a frame grew, blue where it shrank, grey where it
#                 stayed, paler for smaller changes; --normalize scales the
#                 base to the input's total;
#  5. hostile:    names, types, units, titles and file names made of markup,
#                 CDATA ends, quotes, entities, control bytes, invalid UTF-8
#                 and non-characters give SVGs that xmllint accepts, with
#                 exactly our one <script> (none with --no-js) and no event
#                 handler attribute;
#  6. units:      counts are shown as plain numbers, not as bytes.
#
# Every SVG made here goes through `xmllint --noout`. The checks of the
# drawing itself are in tests/browser/flamecheck.mjs (node, no packages);
# the interactive script is tested in a browser by tests/cli/browser.sh.
# About 30 s, most of it in the fixture loops.
. tests/cli/lib.sh

CHECK="node tests/browser/flamecheck.mjs"
GOLDEN=tests/golden/flame
case $HEARTH in /*) ABS_HEARTH=$HEARTH ;; *) ABS_HEARTH=$(pwd)/$HEARTH ;; esac
start=$(date +%s)

for tool in node xmllint go; do
    if ! command -v $tool >/dev/null 2>&1; then
        not_ok "${tool}_installed" "$tool is not on PATH (make deps)"
    fi
done
if [ ! -x "$HEARTH" ]; then
    not_ok hearth_built "no $HEARTH: run make all first"
    finish
    exit
fi

# xml NAME SVG SCRIPTS: the file is well-formed XML (xmllint) and has
# SCRIPTS "<script" strings in all, and as many script elements, and no
# on* attribute anywhere.
xml() {
    if ! _o=$(xmllint --noout "$2" 2>&1); then
        not_ok "$1/xmllint" "$(printf '%s\n' "$_o" | head -n 6)"
        return
    fi
    _n=$(grep -o '<script' "$2" | wc -l)
    _el=$(xmllint --xpath 'concat(count(//*[local-name()="script"]), " ",
        count(//@*[starts-with(translate(local-name(), "ON", "on"), "on")]))' "$2" 2>&1)
    if [ "$_n $_el" = "$3 $3 0" ]; then
        ok "$1/xml"
    else
        not_ok "$1/xml" "\"<script\" strings, script elements, on* attributes: $_n $_el (want $3 $3 0)"
    fi
}

# flame NAME OUT ARGS...: hearth flame ARGS -o OUT; fails the check NAME
# (and returns 1) when hearth does.
flame() {
    _name=$1
    _out=$2
    shift 2
    if "$HEARTH" flame "$@" -o "$_out" >"$TMP/flame.log" 2>&1; then
        return 0
    fi
    not_ok "$_name" "hearth flame $* failed: $(head -n 3 "$TMP/flame.log")"
    return 1
}

# checked NAME ARGS...: node flamecheck.mjs ARGS as one check.
checked() {
    _name=$1
    shift
    if out=$($CHECK "$@" 2>/dev/null); then ok "$_name"; else not_ok "$_name" "$out"; fi
}

# --- 1. goldens -------------------------------------------------------------

mkdir -p "$TMP/golden"
set -f
while read -r out input args; do
    case $out in '' | '#'*) continue ;; esac
    got=$TMP/golden/$out
    # $args is unquoted on purpose: it is zero or more words.
    if ! (cd "$GOLDEN" && "$ABS_HEARTH" flame "$input" $args -o "$got") >"$TMP/flame.log" 2>&1; then
        not_ok "golden/$out" "hearth flame $input $args failed: $(head -n 3 "$TMP/flame.log")"
        continue
    fi
    if cmp -s "$GOLDEN/$out" "$got"; then
        ok "golden/$out"
    else
        not_ok "golden/$out" "$(diff -u "$GOLDEN/$out" "$got" | head -n 16)
(tests/golden/regen.sh rewrites the goldens; review the diff)"
    fi
    case " $args " in *" --no-js "*) js=0 ;; *) js=1 ;; esac
    xml "golden/$out" "$got" $js
    case " $args " in *" --sort size "*) sort=size ;; *) sort=name ;; esac
    checked "golden/$out/structure" struct "$got" --sort $sort
done <"$GOLDEN/cases"
set +f
# The inputs' own trees, exactly.
for f in simple go; do
    s=$TMP/golden/$f-exact.svg
    "$HEARTH" fold "$GOLDEN/$f.folded" >"$TMP/golden/$f.folded" 2>&1 || not_ok "golden/$f.folded/fold" "$(head -n 3 "$TMP/golden/$f.folded")"
    if flame "golden/$f.folded/flame=fold" "$s" "$GOLDEN/$f.folded" --min-width 0; then
        checked "golden/$f.folded/flame=fold" fold "$s" "$TMP/golden/$f.folded"
    fi
done

# --- 2. structure of large graphs -------------------------------------------

# A deterministic synthetic profile: 20,000 stacks 1..40 deep, some 100,000
# distinct paths, so there are many narrow frames (thousands not drawn by
# default), recursion and long names.
awk 'BEGIN {
    srand(7)
    for (i = 0; i < 20000; i++) {
        d = 1 + int(rand() * rand() * 40)
        s = "root"
        for (j = 0; j < d; j++) {
            k = int(rand() * rand() * rand() * 12)
            s = s ";" (k % 5 == 0 ? "pkg/sub.(*Type" j "_" k ").Method_with_a_long_name" : "fn" (j % 9) "_" k)
        }
        printf "%s %d\n", s, 1 + int(rand() * 1000)
    }
}' >"$TMP/large.folded"
mkdir -p "$TMP/large"
structure() {
    name=$1
    input=$2
    shift 2
    s=$TMP/large/$(printf '%s' "$name" | tr -c 'A-Za-z0-9._-' _).svg
    flame "$name" "$s" "$input" "$@" || return
    xml "$name" "$s" 1
    exact=
    sort=name
    case " $* " in *" --min-width 0 "*) exact=--exact ;; esac
    case " $* " in *" --sort size "*) sort=size ;; esac
    checked "$name" struct "$s" --sort $sort $exact
}
structure "structure/synthetic" "$TMP/large.folded"
structure "structure/synthetic/min-width=0" "$TMP/large.folded" --min-width 0
structure "structure/synthetic/inverted,sort=size" "$TMP/large.folded" --inverted --sort size
structure "structure/synthetic/width=400,min-width=2" "$TMP/large.folded" --width 400 --min-width 2
structure "structure/synthetic/reverse" "$TMP/large.folded" --reverse --min-width 0
structure "structure/synthetic/collapse-recursion" "$TMP/large.folded" --collapse-recursion
for f in "$FIXTURES"/pprof/*; do
    [ -f "$f" ] || continue
    structure "structure/${f##*/}" "$f"
done
for f in parca_parca_alloc_objects.pb.gz parca_query_profile-with-labels.pb.gz pprof_cppbench.cpu_no_samples_type; do
    [ -f "$FIXTURES/pprof/$f" ] || continue
    structure "structure/$f/inverted" "$FIXTURES/pprof/$f" --inverted
    structure "structure/$f/sort=size" "$FIXTURES/pprof/$f" --sort size
    structure "structure/$f/width=300" "$FIXTURES/pprof/$f" --width 300
    structure "structure/$f/reverse" "$FIXTURES/pprof/$f" --reverse
done

# --- 3. flame = fold, every fixture and sample type -------------------------

mkdir -p "$TMP/fold"
nfix=0
for f in "$FIXTURES"/pprof/*; do
    [ -f "$f" ] || continue
    nfix=$((nfix + 1))
    n=${f##*/}
    types=$("$HEARTH" info "$f" 2>/dev/null | sed -n 's/^sample types: *//p' | sed 's/ *(\* = default)$//')
    if [ -z "$types" ]; then
        not_ok "flame=fold/$n/info" "hearth info $f shows no sample types"
        continue
    fi
    i=0
    set -f
    for t in $types; do
        d=$TMP/fold/$n.$i
        label="flame=fold/$n/$i(${t%\*})"
        if ! "$HEARTH" fold --sample-index $i "$f" >"$d.folded" 2>"$d.err"; then
            not_ok "$label" "hearth fold failed: $(head -n 3 "$d.err")"
        elif flame "$label" "$d.svg" "$f" --sample-index $i --min-width 0; then
            xml "$label" "$d.svg" 1
            checked "$label" fold "$d.svg" "$d.folded"
            checked "$label/exact" struct "$d.svg" --exact
        fi
        i=$((i + 1))
    done
    set +f
done
[ "$nfix" -gt 0 ] || not_ok "fixtures_found" "no files in $FIXTURES/pprof"

# Negative values (delta profiles): frames are still nested and never wider
# than their parent.
node tests/browser/mkpprof.mjs negative "$TMP/negative.pb"
if flame "negative_values/structure" "$TMP/negative.svg" "$TMP/negative.pb" --min-width 0; then
    checked "negative_values/structure" struct "$TMP/negative.svg"
fi

# --- 4. differential, on real Go heap profiles -------------------------------

GOCACHE=$TMP/gocache
GOPATH=$TMP/gopath
GO111MODULE=off
GOFLAGS=
GOPROXY=off
GOENV=off
GOTOOLCHAIN=local
export GOCACHE GOPATH GO111MODULE GOFLAGS GOPROXY GOENV GOTOOLCHAIN
G=$TMP/leaky
mkdir -p "$G"
if go run tests/go/leaky/main.go "$G/before.pb.gz" "$G/after.pb.gz" >"$G/log" 2>&1 &&
    [ -s "$G/before.pb.gz" ] && [ -s "$G/after.pb.gz" ]; then
    ok "diff/leaky_writes_two_heap_profiles"
    for t in inuse_space inuse_objects alloc_space alloc_objects; do
        "$HEARTH" fold --sample-index $t "$G/after.pb.gz" >"$G/after.$t" 2>&1 || not_ok "diff/$t/fold" "$(head -n 3 "$G/after.$t")"
        "$HEARTH" fold --sample-index $t "$G/before.pb.gz" >"$G/before.$t" 2>&1 || not_ok "diff/$t/fold" "$(head -n 3 "$G/before.$t")"
        if flame "diff/$t" "$G/$t.svg" "$G/after.pb.gz" --base "$G/before.pb.gz" --sample-index $t --min-width 0; then
            xml "diff/$t" "$G/$t.svg" 1
            checked "diff/$t/base_and_colors" fold "$G/$t.svg" "$G/after.$t" --base "$G/before.$t"
            checked "diff/$t/structure" struct "$G/$t.svg" --exact
        fi
        if flame "diff/$t/normalize" "$G/$t.n.svg" "$G/after.pb.gz" --base "$G/before.pb.gz" --sample-index $t --min-width 0 --normalize; then
            xml "diff/$t/normalize" "$G/$t.n.svg" 1
            checked "diff/$t/normalize/base_scaled" fold "$G/$t.n.svg" "$G/after.$t" --base "$G/before.$t" --normalize
        fi
    done
    # The story the profiles tell, frame by frame (in-use space).
    fill_of() {
        awk -v want="$2" '
            prev && /fill="rgb\(/ { sub(/.*fill="rgb\(/, ""); sub(/\).*/, ""); print; exit }
            { prev = ($0 ~ ("<title>" want "$")) }' "$1"
    }
    for want in "main.leakInto grew 255,40,40" "main.cacheFill shrank blue" "main.steadyHold same 235,235,235"; do
        set -- $want
        c=$(fill_of "$G/inuse_space.svg" "$1")
        case $2/$c in
        grew/255,*) [ "$c" = "$3" ] ;;      # the largest growth: the strongest red
        shrank/*,255) [ "${c%%,*}" -lt 255 ] ;;
        same/*) [ "$c" = "$3" ] ;;
        *) false ;;
        esac && ok "diff/inuse_space/$1_$2" || not_ok "diff/inuse_space/$1_$2" "fill rgb($c)"
    done
else
    not_ok "diff/leaky_writes_two_heap_profiles" "$(tail -n 10 "$G/log")"
fi

# --- 5. hostile names ---------------------------------------------------------

H=$TMP/hostile
mkdir -p "$H"
# The folded golden's input, with the script on.
if flame "hostile/folded" "$H/folded.svg" "$GOLDEN/hostile.folded"; then
    xml "hostile/folded" "$H/folded.svg" 1
    $CHECK names "$H/folded.svg" >"$H/folded.names"
    for name in '<script>alert(1)</script>' ']]><script>alert(2)</script><![CDATA[' "\"quoted'" \
        '</title></g><svg onload=alert(3)>' '&amp &lt &#x3c &#60 &'; do
        if grep -qxF -- "$name" "$H/folded.names"; then
            ok "hostile/folded/name_kept_as_text:$name"
        else
            not_ok "hostile/folded/name_kept_as_text:$name" "names: $(head -c 600 "$H/folded.names")"
        fi
    done
fi
# pprof, where names can hold any byte: every control byte, DEL, C1, bad
# UTF-8, U+FFFE/U+FFFF, markup in function, file, mapping, type and unit
# names; the input's file name (in the subtitle) and the title hostile too.
hp="$H/in<img src=x onerror=alert(6)>&'\"]]>.pb"
node tests/browser/mkpprof.mjs hostile "$hp"
cp "$hp" "$H/base.pb"
for args in "" "--palette module" "--granularity lines" "--granularity filefunctions" \
    "--granularity addresses" "--sample-index 0" "--inverted --sort size" "--no-js" \
    "--base $H/base.pb" "--focus alert --palette module"; do
    label="hostile/pprof/$(printf %s "${args:-default}" | sed "s|$H/||")"
    s=$H/out.svg
    # $args is unquoted on purpose: it is zero or more words.
    flame "$label" "$s" "$hp" $args --title '<script>alert(7)</script>]]>&' || continue
    case $args in *--no-js*) js=0 ;; *) js=1 ;; esac
    xml "$label" "$s" $js
    case $args in *"--sort size"*) sort=size ;; *) sort=name ;; esac
    checked "$label/structure" struct "$s" --sort $sort
done
# A hostile output file name.
if flame "hostile/output_name" "$H/o<script>'\"&.svg" "$GOLDEN/simple.folded"; then
    xml "hostile/output_name" "$H/o<script>'\"&.svg" 1
fi
# Folded stacks with control bytes in names (as perf output can have) draw
# like any other name, the bytes replaced.
printf 'main;ctl[\001\002\003\010\013\014\016\037\177] 2\nmain;ok 1\n' >"$H/control.folded"
if flame "hostile/folded_control_bytes" "$H/control.svg" "$H/control.folded"; then
    xml "hostile/folded_control_bytes" "$H/control.svg" 1
    checked "hostile/folded_control_bytes/structure" struct "$H/control.svg"
fi

# --- 6. units -------------------------------------------------------------------

# Folded input counts samples: 25 of them, not 25 bytes.
if flame "units/count_is_a_number" "$TMP/count.svg" "$GOLDEN/simple.folded"; then
    line=$(sed -n '/<title>all$/{n;p;q;}' "$TMP/count.svg")
    case $line in
    "25 (100.00%), self 0<"*) ok "units/count_is_a_number" ;;
    *) not_ok "units/count_is_a_number" "root title: $line" ;;
    esac
fi
# And the script's controls only when there is a script.
for js in "" --no-js; do
    flame "ids/${js:-js}" "$TMP/ids.svg" "$GOLDEN/simple.folded" $js || continue
    got=
    for id in title subtitle details frames unzoom search matched; do
        got="$got $id=$(grep -c "id=\"$id\"" "$TMP/ids.svg")"
    done
    if [ -z "$js" ]; then want=" title=1 subtitle=1 details=1 frames=1 unzoom=1 search=1 matched=1"
    else want=" title=1 subtitle=1 details=1 frames=1 unzoom=0 search=0 matched=0"; fi
    [ "$got" = "$want" ] && ok "ids/${js:-js}" || not_ok "ids/${js:-js}" "got$got"
done

# The module palette's legend grows with the frames drawn, not with their
# square: 4 times the frames, each of a module of its own, costs about 4
# times the CPU (it was 16 times: a 0.8 MB file took 15 s). Best of three
# runs each, in user CPU seconds.
python3 - "$HEARTH" "$TMP/modules" >"$TMP/modules.out" 2>&1 <<'EOF'
import os, resource, subprocess, sys
hearth, d = sys.argv[1], sys.argv[2]
os.makedirs(d, exist_ok=True)
def cpu(lines):
    f = '%s/m%d.folded' % (d, lines)
    with open(f, 'w') as out:
        for i in range(lines):
            out.write(';'.join('m%d_%d' % (i, k) for k in range(20)) + ' 1\n')
    best = None
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        subprocess.run([hearth, 'flame', f, '--palette', 'module', '-o', f + '.svg'],
                       check=True)
        t = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
        best = t if best is None else min(best, t)
    return best
small, large = cpu(1500), cpu(6000)
print('1500 lines %.3f s, 6000 lines %.3f s, ratio %.1f' % (small, large, large / max(small, 1e-3)))
sys.exit(0 if large < 9 * max(small, 0.02) else 1)
EOF
if [ $? -eq 0 ]; then
    ok "palette/module_legend_grows_linearly"
else
    not_ok "palette/module_legend_grows_linearly" "$(tail -n 2 "$TMP/modules.out")"
fi

# The output goes through a temporary file created with O_EXCL: symlinks
# planted at the names the process would pick (exec keeps the shell's pid;
# with and without the counter) are neither followed nor clobbered.
mkdir -p "$TMP/excl"
printf 'keep' >"$TMP/excl/victim"
if sh -c 'ln -s "$2/victim" "$2/out.svg.tmp.$$.0" && ln -s "$2/victim" "$2/out.svg.tmp.$$" &&
          exec "$1" flame "$3" -o "$2/out.svg"' \
    sh "$HEARTH" "$TMP/excl" "$GOLDEN/simple.folded" 2>"$TMP/excl/err" &&
    [ "$(cat "$TMP/excl/victim")" = keep ] && grep -q '<svg' "$TMP/excl/out.svg"; then
    ok "output/temp_file_exclusive"
else
    not_ok "output/temp_file_exclusive" "victim: $(cat "$TMP/excl/victim"); $(head -n 3 "$TMP/excl/err")"
fi

echo "took $(($(date +%s) - start)) s"
finish
