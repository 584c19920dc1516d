# `hearth graph` against `go tool pprof -dot` (Go 1.19), and its safety:
#
#  a. pprof:    for every fixture in $FIXTURES/pprof and every profile Go's
#               runtime/pprof writes in this test (tests/go/genprofiles),
#               for every sample type, with default options: the nodes
#               drawn (by full name) with their flat and cum values, the
#               edges with their weights and their inline and dotted
#               (residual) marks, the tags drawn under nodes, and the legend
#               lines equal pprof's. Both DOTs are parsed by the script
#               below, so the comparison does not depend on node numbering.
#               The same for --nodecount, --granularity, the filters, --tag
#               and --base on a few of them.
#  b. hostile:  a profile whose function names, file names, binary name,
#               labels and comments hold quotes, backslashes, markup,
#               entities, control bytes, invalid UTF-8 and Graphviz escapes
#               gives DOT that Graphviz's own parser reads (`dot -Tcanon`)
#               and SVG that `xmllint --noout` accepts, and every name
#               reads back unchanged (control bytes and bad UTF-8 as
#               U+FFFD).
#  c. valgrind: no leak and no error from our code on SVG, PNG and DOT
#               renders (tests/valgrind/graphviz.supp lists the libraries'
#               own leaks).
#  d. output:   formats by option and by file name; bad input, bad options
#               and unwritable outputs exit 1 or 2 with one line naming the
#               file and leave no file behind.
#  e. browser:  in headless Chromium the SVG's wheel zooms about the mouse
#               and a drag pans; with --no-js nothing moves.
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

# Reads two DOT files as pprof writes them (one statement a line) into one
# sorted line per node, edge, tag and legend line, with names unescaped,
# and compares them. pprof's closing legend line (a link to its
# documentation) is left out: hearth does not print it.
cat >"$TMP/dotparse.py" <<'EOF'
import re, sys

def unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            n = s[i + 1]
            out.append({'l': '\n', 'n': '\n', '"': '"', '\\': '\\'}.get(n, '\\' + n))
            i += 2
        else:
            out.append(c)
            i += 1
    # Graphviz decodes entities in labels; hearth writes "&" as "&amp;".
    return ''.join(out).replace('&amp;', '&')

def untip(s):
    # hearth writes a backslash in a tooltip four times (Graphviz reads
    # tooltips twice), pprof twice.
    return unescape(s).replace('\\\\', '\\')

def attrs(s):
    return {m.group(1): m.group(2) for m in
            re.finditer(r'(\w+) ?= ?"((?:[^"\\]|\\.)*)"', s)}

node_re = re.compile(r'^(N\d+) \[(.*)\]$')
tag_re = re.compile(r'^(N+\d+(?:_\d+)+) \[(.*)\]$')
edge_re = re.compile(r'^(N+[\d_]+) -> (N+[\d_]+) \[(.*)\]$')
def canon(path):
    names, out, tags, tag_edges = {}, [], {}, []
    for line in open(path, encoding='utf-8', errors='replace'):
        line = line.rstrip('\n')
        if line.startswith('subgraph cluster_L'):
            label = attrs(line).get('label', '')
            for l in unescape(label).split('\n'):
                if l and not l.startswith('See https://'):
                    out.append('legend\t' + l)
            continue
        m = edge_re.match(line)
        if m:
            src, dst, a = m.group(1), m.group(2), attrs(m.group(3))
            if '_' in dst:
                tag_edges.append((src, dst, a))
                continue
            label = unescape(a['label']).strip()
            inline = label.endswith('(inline)')
            weight = label.split('\n')[0].strip()
            out.append('edge\t%s\t%s\t%s%s%s' % (names[src], names[dst], weight,
                       '\tinline' if inline else '',
                       '\tdotted' if a.get('style') == 'dotted' else ''))
            continue
        m = tag_re.match(line)
        if m:
            tags[m.group(1)] = unescape(attrs(m.group(2))['label'])
            continue
        m = node_re.match(line)
        if m:
            a = attrs(m.group(2))
            tip = untip(a['tooltip'])
            name = tip[:tip.rindex(' (')]
            names[m.group(1)] = name
            label = unescape(a['label'])
            last = label.split('\n')[-2:]
            if last[-1].startswith('of ') or ' of ' in last[-1]:
                cum = last[-1].split('of ', 1)[1].split(' (')[0]
                flat = last[-1].split(' of ')[0] if ' of ' in last[-1] else last[0].split(' (')[0]
            else:
                flat = cum = last[-1].split(' (')[0]
            out.append('node\t%s\tflat=%s\tcum=%s' % (name, flat, cum))
    for src, dst, a in tag_edges:
        path = []
        d = dst
        while d not in names:
            path.insert(0, tags.get(d, '?'))
            d = d.rsplit('_', 1)[0]
            if d.startswith('NN'):
                d = d[1:]
        out.append('tag\t%s\t%s\t%s%s' % (names[d], ' / '.join(path), unescape(a['label']).strip(),
                   '\tdotted' if a.get('style') == 'dotted' else ''))
    return sorted(out)

# Prints the first differences and exits 1 when the two graphs differ.
want, got = canon(sys.argv[1]), canon(sys.argv[2])
if not any(l.startswith(('node', 'legend')) for l in want):
    print('pprof drew nothing the parser understood')
    sys.exit(1)
if want != got:
    import difflib
    print('\n'.join(list(difflib.unified_diff(want, got, 'pprof', 'hearth', lineterm=''))[:14]))
    sys.exit(1)
EOF

# cmp_pprof NAME FILE PPROF_ARGS HEARTH_ARGS: one comparison.
cmp_pprof() {
    n=$1 f=$2 pa=$3 ha=$4
    d=$TMP/cmp/$n
    mkdir -p "$d"
    # Arguments are split on purpose: each is zero or more words.
    if ! go tool pprof -symbolize=none $pa -dot "$f" >"$d/p.dot" 2>"$d/p.err"; then
        not_ok "$n" "go tool pprof failed: $(head -n 3 "$d/p.err")"
        return
    fi
    if ! "$HEARTH" graph $ha --format dot "$f" >"$d/h.dot" 2>"$d/h.err"; then
        not_ok "$n" "hearth graph failed: $(head -n 3 "$d/h.err")"
        return
    fi
    if python3 "$TMP/dotparse.py" "$d/p.dot" "$d/h.dot" >"$d/diff" 2>&1; then
        ok "$n"
    else
        not_ok "$n" "$(head -n 14 "$d/diff")"
    fi
}

# sample_types FILE: pprof's sample types (-raw), the default marked.
sample_types() {
    go tool pprof -symbolize=none -raw "$1" 2>/dev/null | sed -n '/^Samples:$/{n;p;q;}'
}

start=$(date +%s)
mkdir -p "$TMP/go" "$TMP/cmp"
if go run tests/go/genprofiles/main.go "$TMP/go" >"$TMP/genprofiles.log" 2>&1; then
    ok genprofiles_runs
else
    not_ok genprofiles_runs "$(tail -n 10 "$TMP/genprofiles.log")"
fi

# a. Every fixture and Go profile, every sample type, default options.
for f in "$FIXTURES"/pprof/* "$TMP"/go/*.pb.gz; do
    [ -f "$f" ] || continue
    case $f in
    "$TMP"/*) n=go_${f##*/} ;;
    *) n=${f##*/} ;;
    esac
    cmp_pprof "$n/default" "$f" "" ""
    types=$(sample_types "$f")
    [ -n "$types" ] || not_ok "$n/has_sample_types" "pprof -raw shows none"
    i=0
    for t in $types; do
        # The default type was compared just above.
        case $t in
        *"[dflt]") ;;
        *) cmp_pprof "$n/sample_index=$i" "$f" "-sample_index=$i" "--sample-index $i" ;;
        esac
        i=$((i + 1))
    done
done

# Options, on a CPU profile with inlined frames, a labelled profile, and
# Go heap profiles (numeric "bytes" tags under the nodes).
P=$FIXTURES/pprof
G=$TMP/go
cmp_pprof opt/nodecount "$P/pprof_sample.cpu" "-nodecount=10" "-n 10"
cmp_pprof opt/nodecount_heap "$G/heap.pb.gz" "-nodecount=12 -sample_index=1" "-n 12 --sample-index 1"
cmp_pprof opt/all_nodes "$P/parca_query_fib.pb.gz" "-nodefraction=0 -edgefraction=0 -nodecount=0" \
    "--nodefraction 0 --edgefraction 0 -n 0"
cmp_pprof opt/fractions "$G/cpu.pb.gz" "-nodefraction=0.05 -edgefraction=0.02" \
    "--nodefraction 0.05 --edgefraction 0.02"
for gran in lines files addresses filefunctions; do
    cmp_pprof "opt/granularity=$gran" "$G/cpu.pb.gz" "-$gran" "--granularity $gran"
    cmp_pprof "opt/granularity=$gran(fixture)" "$P/pprof_sample.cpu" "-$gran" "--granularity $gran"
done
cmp_pprof opt/focus "$G/cpu.pb.gz" "-focus=hash" "--focus hash"
cmp_pprof opt/ignore_hide "$G/allocs.pb.gz" "-ignore=sort -hide=runtime" "--ignore sort --hide runtime"
cmp_pprof opt/show_from "$P/parca_query_profile1.pb.gz" "-show_from=runtime" "--show-from runtime"
cmp_pprof opt/labels "$P/parca_query_profile-with-labels.pb.gz" "" ""
cmp_pprof opt/tag "$G/cpu.pb.gz" "-tagfocus=phase=sort" "--tag phase=sort"
cmp_pprof opt/base_go "$G/allocs.pb.gz" "-base=$G/heap.pb.gz" "--base $G/heap.pb.gz"
cmp_pprof opt/base_cpu "$P/parca_query_profile1.pb.gz" "-base=$P/parca_query_fib.pb.gz" \
    "--base $P/parca_query_fib.pb.gz"
cmp_pprof opt/base_heap "$P/parca_query_alloc_space_delta.pb.gz" \
    "-base=$P/parca_parca_alloc_objects.pb.gz -sample_index=1" \
    "--base $P/parca_parca_alloc_objects.pb.gz --sample-index 1"
cmp_pprof opt/base_nodecount "$P/parca_query_fib.pb.gz" "-base=$P/parca_query_profile1.pb.gz -nodecount=20" \
    "--base $P/parca_query_profile1.pb.gz -n 20"

# The change from a base is colored: red where a node grew, green where it
# shrank, as pprof's dotColor.
"$HEARTH" graph --format dot --base "$P/parca_query_fib.pb.gz" "$P/parca_query_profile1.pb.gz" \
    >"$TMP/diff.dot" 2>&1
if grep -q 'color="#01b200"' "$TMP/diff.dot" && ! grep -q 'color="#b20000"' "$TMP/diff.dot"; then
    ok base_colors_shrinking_green
else
    not_ok base_colors_shrinking_green "$(grep -o 'color="#[0-9a-f]*"' "$TMP/diff.dot" | sort | uniq -c | head)"
fi

# b. Hostile names. The profile is written by hand (protobuf wire format),
# so every string field can hold anything.
cat >"$TMP/mkhostile.py" <<'EOF'
import sys
def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7f
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)
def field(n, v):
    if isinstance(v, bytes):
        return varint(n << 3 | 2) + varint(len(v)) + v
    return varint(n << 3) + varint(v)
strings = [b'']
def s(x):
    if isinstance(x, str):
        x = x.encode('utf-8', 'surrogateescape')
    if x not in strings:
        strings.append(x)
    return strings.index(x)
names = [
    '<script>alert(1)</script>', 'q"uote\\back\\', '&amp; &foo; &#0; ]]> -- <!--',
    'ctl\x01\x1b\x7fend', 'bad\udcff\udcfeutf8', 'new\nline', 'tab\there',
    'ns::Cl<T>::m"x"', '\\N \\G \\L \\l \\E', 'x' * 300, 'ünïcødé ✓',
    'github.com/a/b.(*T).m"<&>"',
]
prof = b''
prof += field(1, field(1, s('samples')) + field(2, s('count')))
prof += field(3, field(1, 1) + field(2, 0x1000) + field(3, 0x2000) +
              field(5, s('/opt/"evil"&<bin>--\x01')))
for i, n in enumerate(names):
    prof += field(5, field(1, i + 1) + field(2, s(n)) + field(3, s(n)) +
                  field(4, s('/src/"dir"&<x>/f%d\\.c' % i)))
    prof += field(4, field(1, i + 1) + field(2, 1) + field(3, 0x1100 + i) +
                  field(4, field(1, i + 1) + field(2, 10 + i)))
for i in range(len(names)):
    stack = b''.join(field(1, (i + k) % len(names) + 1) for k in range(3))
    label = field(3, field(1, s('k"<&>')) + field(2, s('v\\n"&lt;%d\x02' % (i % 2))))
    num = field(3, field(1, s('bytes')) + field(3, 1024 * (i + 1)))
    prof += field(2, stack + field(2, 100 + i) + label + num)
prof += field(13, s('comment "<&>" \\l'))
for x in strings:
    prof += field(6, x)
sys.stdout.buffer.write(prof)
print('\n'.join(n for n in names), file=sys.stderr)
EOF
H=$TMP/hostile
mkdir -p "$H"
python3 "$TMP/mkhostile.py" >"$H/p.pb" 2>"$H/names.txt"
for gran in functions lines; do
    if "$HEARTH" graph --granularity $gran --nodefraction 0 --format dot -o "$H/$gran.dot" "$H/p.pb" 2>"$H/err"; then
        if dot -Tcanon "$H/$gran.dot" >/dev/null 2>"$H/dot.err" && [ ! -s "$H/dot.err" ]; then
            ok "hostile/$gran/dot_parses"
        else
            not_ok "hostile/$gran/dot_parses" "$(head -n 3 "$H/dot.err")"
        fi
    else
        not_ok "hostile/$gran/dot_parses" "$(cat "$H/err")"
    fi
    if "$HEARTH" graph --granularity $gran --nodefraction 0 -o "$H/$gran.svg" "$H/p.pb" 2>"$H/err" &&
        xmllint --noout "$H/$gran.svg" 2>"$H/xml.err"; then
        ok "hostile/$gran/svg_is_xml"
    else
        not_ok "hostile/$gran/svg_is_xml" "$(cat "$H/err" "$H/xml.err" | head -n 5)"
    fi
done
# Every function name reads back from the DOT and from the SVG's tooltips.
if python3 - "$H/functions.dot" "$H/functions.svg" <<'EOF' >"$H/names.out" 2>&1; then
import re, sys, xml.etree.ElementTree as ET
names = [
    '<script>alert(1)</script>', 'q"uote\\back\\', '&amp; &foo; &#0; ]]> -- <!--',
    'ctl\ufffd\ufffd\ufffdend', 'bad\ufffd\ufffdutf8', 'new\nline', 'tab\there',
    'ns::Cl<T>::m"x"', '\\N \\G \\L \\l \\E', 'x' * 300, 'ünïcødé ✓',
    'github.com/a/b.(*T).m"<&>"',
]
dot = open(sys.argv[1], encoding='utf-8').read()
tips = set()
for m in re.finditer(r'tooltip="((?:[^"\\]|\\.)*) \([^()]*\)"', dot):
    s, out, i = m.group(1), [], 0
    while i < len(s):
        if s[i] == '\\':
            out.append({'l': '\n', '"': '"', '\\': '\\'}[s[i + 1]])
            i += 2
        else:
            out.append(s[i])
            i += 1
    tips.add(''.join(out).replace('\\\\', '\\').replace('&amp;', '&'))
svg_tips = set()
for el in ET.parse(sys.argv[2]).iter():
    t = el.get('{http://www.w3.org/1999/xlink}title')
    if t:
        svg_tips.add(t.rsplit(' (', 1)[0])
# XML turns a tab in an attribute into a space; Graphviz writes a newline
# in a tooltip as a newline.
bad = [n for n in names if n not in tips] + \
      ['svg:' + n for n in names if n.replace('\t', ' ') not in svg_tips]
if bad:
    print('missing: %r' % bad[:4])
    print('dot has: %r' % sorted(tips)[:6])
    print('svg has: %r' % sorted(svg_tips)[:6])
    sys.exit(1)
EOF
    ok hostile/names_read_back
else
    not_ok hostile/names_read_back "$(head -n 5 "$H/names.out")"
fi
if grep -q '<script>' "$H/functions.svg"; then
    not_ok hostile/no_raw_markup_in_svg "$(grep -n '<script>' "$H/functions.svg" | head -n 2)"
else
    ok hostile/no_raw_markup_in_svg
fi

# A sample type whose unit is hostile (units.c shows a unit it does not
# know as written, inside every value), and names of 100,000 characters
# and 200 long comments (Graphviz reads no quoted string over 16 KiB, and
# librsvg's time grows with the square of a text line's length: the
# report's PNG never ended).
cat >"$TMP/mkunit.py" <<'EOF'
import sys
exec(open(sys.argv[1]).read().split('strings = [')[0])
strings = [b'']
def s(x):
    x = x.encode()
    if x not in strings:
        strings.append(x)
    return strings.index(x)
# argv[2]: the unit of one sample type, or "heap" for Go's four.
types = [('space', sys.argv[2])]
if sys.argv[2] == 'heap':
    types = [('alloc_objects', 'count'), ('alloc_space', 'bytes'),
             ('inuse_objects', 'count'), ('inuse_space', 'bytes')]
prof = b''.join(field(1, field(1, s(t)) + field(2, s(u))) for t, u in types)
prof += field(3, field(1, 1) + field(2, 0x1000) + field(3, 0x2000) + field(5, s('/bin/x')))
for i, n in enumerate(['main', 'f' * 100000, 'g::' * 30000 + 'h']):
    prof += field(5, field(1, i + 1) + field(2, s(n)) + field(3, s(n)) +
                  field(4, s('/src/' + 'd' * 50000 + '.c')))
    prof += field(4, field(1, i + 1) + field(2, 1) + field(3, 0x1100 + i) +
                  field(4, field(1, i + 1) + field(2, 10)))
for leaf, v in ((2, 100), (3, 50)):
    prof += field(2, field(1, leaf) + field(1, 1) + b''.join(field(2, v) for _ in types))
# 200 comments of 200 characters: a legend line each.
prof += b''.join(field(13, s('comment %d ' % i + 'c' * 190)) for i in range(200))
for x in strings:
    prof += field(6, x)
sys.stdout.buffer.write(prof)
EOF
python3 "$TMP/mkunit.py" "$TMP/mkhostile.py" 'u" URL="javascript:alert(1)" target="_top\' >"$H/unit.pb"
python3 "$TMP/mkunit.py" "$TMP/mkhostile.py" heap >"$H/long.pb"
if "$HEARTH" graph --format dot -o "$H/unit.dot" "$H/unit.pb" 2>"$H/err" &&
    dot -Tcanon "$H/unit.dot" >/dev/null 2>"$H/dot.err" && [ ! -s "$H/dot.err" ] &&
    "$HEARTH" graph -o "$H/unit.svg" "$H/unit.pb" 2>>"$H/err" &&
    xmllint --noout "$H/unit.svg" 2>>"$H/err"; then
    ok hostile/unit_and_long_names_give_dot_and_svg
else
    not_ok hostile/unit_and_long_names_give_dot_and_svg "$(cat "$H/err" "$H/dot.err" | head -n 3)"
fi
# The unit reads back inside the values, and makes no attribute of its own.
if grep -qF 'label=" 100u\" URL=\"javascript:alert(1)\" target=\"_top\\"' "$H/unit.dot" &&
    ! grep -q 'href="javascript' "$H/unit.svg" && ! grep -q ' URL="' "$H/unit.dot"; then
    ok hostile/unit_is_escaped_text
else
    not_ok hostile/unit_is_escaped_text "$(grep -o 'label=" 100[^]]*' "$H/unit.dot" | head -n 2)"
fi
# Names are cut (with an ellipsis) well below Graphviz's limit.
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$H/unit.dot")
if [ "$longest" -lt 8000 ] && grep -q 'ffff…' "$H/unit.dot"; then
    ok hostile/long_names_are_cut
else
    not_ok hostile/long_names_are_cut "longest DOT line: $longest characters"
fi
if timeout 120 "$HEARTH" report -o "$H/long-report" "$H/long.pb" 2>"$H/err"; then
    ok hostile/report_of_long_names_ends
else
    not_ok hostile/report_of_long_names_ends "exit $?: $(head -n 2 "$H/err")"
fi

# c. valgrind on renders that go through every part: tags (Go heap), a
# base, a hostile profile, three formats.
VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect,possible
    --error-exitcode=99 --suppressions=tests/valgrind/graphviz.supp --num-callers=40"
# vg NAME STATUS ARGS...: hearth graph ARGS under valgrind exits STATUS
# (99 would be valgrind's) with nothing from valgrind on stderr. An
# AddressSanitizer build (make check) cannot run under valgrind: there
# LeakSanitizer checks the same renders at exit, with the library leaks
# listed in render/gv.c.
if grep -q __asan_init "$HEARTH" 2>/dev/null; then
    VG=
fi
vg() {
    name=$1 want=$2
    shift 2
    # $VG is split on purpose.
    $VG "$HEARTH" graph "$@" >"$TMP/vg.out" 2>"$TMP/vg.err"
    got=$?
    if [ "$got" -eq "$want" ] && ! grep -q '^==[0-9]*==' "$TMP/vg.err"; then
        ok "valgrind/$name"
    else
        not_ok "valgrind/$name" "exit $got: $(grep -v '^==[0-9]*== *$' "$TMP/vg.err" | head -n 25)"
    fi
}
vg heap_svg 0 -o "$TMP/vg.svg" "$G/heap.pb.gz"
vg cpu_png 0 -o "$TMP/vg.png" "$G/cpu.pb.gz"
vg labels_dot 0 --format dot "$P/parca_query_profile-with-labels.pb.gz"
vg base_svg 0 --base "$G/heap.pb.gz" -o "$TMP/vg2.svg" "$G/allocs.pb.gz"
vg hostile_svg 0 --granularity lines -o "$TMP/vg3.svg" "$H/p.pb"
# An empty file of our own, not /dev/null: where /dev/null is a regular
# file (some containers make it one), it holds whatever was last written
# there, such as a heap profile a test sent to curl -o /dev/null, and the
# render succeeds.
: >"$TMP/empty"
vg bad_input 1 -o "$TMP/vg4.svg" "$TMP/empty"

# d. Output formats and errors.
O=$TMP/out
mkdir -p "$O"
"$HEARTH" graph -o "$O/g.dot" "$G/cpu.pb.gz" && head -c 7 "$O/g.dot" | grep -q '^digraph' &&
    ok format/dot_by_name || not_ok format/dot_by_name "$(head -c 40 "$O/g.dot")"
"$HEARTH" graph -o "$O/g.png" "$G/cpu.pb.gz" &&
    [ "$(head -c 8 "$O/g.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
    ok format/png_by_name || not_ok format/png_by_name
"$HEARTH" graph "$G/cpu.pb.gz" >"$O/stdout.svg" && xmllint --noout "$O/stdout.svg" &&
    grep -q '<svg' "$O/stdout.svg" && ok format/svg_default || not_ok format/svg_default
"$HEARTH" graph --format png -o "$O/x.svg" "$G/cpu.pb.gz" &&
    [ "$(head -c 4 "$O/x.svg" | od -An -tx1 | tr -d ' \n')" = 89504e47 ] &&
    ok format/option_wins || not_ok format/option_wins
"$HEARTH" convert "$G/cpu.pb.gz" --to folded -o "$O/cpu.folded" &&
    "$HEARTH" graph --format dot "$O/cpu.folded" | grep -q 'tooltip="main.hashLoop' &&
    ok format/folded_input || not_ok format/folded_input

# expect_fail NAME STATUS PATTERN ARGS...: exit status, one stderr line
# matching PATTERN, nothing left in $O/fail.
expect_fail() {
    name=$1 want=$2 pat=$3
    shift 3
    rm -rf "$O/fail"
    mkdir -p "$O/fail"
    "$HEARTH" graph "$@" >"$O/fail.out" 2>"$O/fail.err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        not_ok "$name" "exit $got, want $want: $(head -n 3 "$O/fail.err")"
    elif ! grep -q -- "$pat" "$O/fail.err"; then
        not_ok "$name" "stderr lacks \"$pat\": $(head -n 3 "$O/fail.err")"
    elif [ -n "$(ls -A "$O/fail")" ]; then
        not_ok "$name" "left behind: $(ls -A "$O/fail")"
    else
        ok "$name"
    fi
}
printf 'garbage\0\1\2' >"$O/garbage"
expect_fail error/missing_file 1 "hearth: $O/nope.pb.gz:" -o "$O/fail/g.svg" "$O/nope.pb.gz"
expect_fail error/garbage 1 "hearth: $O/garbage:" -o "$O/fail/g.svg" "$O/garbage"
expect_fail error/unwritable 1 "hearth: " -o "$O/fail/no/such/dir/g.svg" "$G/cpu.pb.gz"
expect_fail error/base_types 1 "sample types differ" --base "$G/heap.pb.gz" --sample-index 0 \
    -o "$O/fail/g.svg" "$G/goroutine.pb.gz"
expect_fail error/format 2 "expected svg, dot or png" --format gif -o "$O/fail/g.gif" "$G/cpu.pb.gz"
expect_fail error/nodefraction 2 "not a fraction" --nodefraction 2 -o "$O/fail/g.svg" "$G/cpu.pb.gz"
expect_fail error/nodecount 2 "not a count" -n -1 -o "$O/fail/g.svg" "$G/cpu.pb.gz"
expect_fail error/regex 2 "focus" --focus '(' -o "$O/fail/g.svg" "$G/cpu.pb.gz"
expect_fail error/sample_index 1 "no sample type" --sample-index nope -o "$O/fail/g.svg" "$G/cpu.pb.gz"
# A failed run leaves an existing output as it was.
echo keep >"$O/keep.svg"
"$HEARTH" graph -o "$O/keep.svg" "$O/garbage" 2>/dev/null
[ "$(cat "$O/keep.svg")" = keep ] && ok error/existing_output_kept || not_ok error/existing_output_kept
[ "$(wc -l <"$O/fail.err")" -eq 1 ] && ok error/one_line || not_ok error/one_line "$(cat "$O/fail.err")"

# e. Zoom and pan in Chromium: a page frames the SVG, sends it a wheel
# turn and a drag, and writes the viewBox after each into the DOM that
# --dump-dom prints.
cat >"$TMP/pan.html" <<'EOF'
<!DOCTYPE html><html><body><iframe id="f" src="g.svg" width="800" height="600"></iframe>
<pre id="out"></pre>
<script>
window.onload = function () {
  var out = [];
  try {
    var svg = document.getElementById('f').contentDocument.documentElement;
    var W = svg.ownerDocument.defaultView, vb = svg.viewBox.baseVal;
    function s(what) { out.push(what + ' ' + [vb.x, vb.y, vb.width, vb.height].join(' ')); }
    s('start');
    svg.dispatchEvent(new W.WheelEvent('wheel', {deltaY: -100, clientX: 400, clientY: 300,
                                                  bubbles: true, cancelable: true}));
    s('zoom');
    svg.dispatchEvent(new W.MouseEvent('mousedown', {button: 0, clientX: 400, clientY: 300,
                                                      bubbles: true}));
    W.dispatchEvent(new W.MouseEvent('mousemove', {clientX: 500, clientY: 300, bubbles: true}));
    W.dispatchEvent(new W.MouseEvent('mouseup', {clientX: 500, clientY: 300, bubbles: true}));
    s('pan');
  } catch (e) { out.push('error ' + e); }
  document.getElementById('out').textContent = out.join(';');
};
</script></body></html>
EOF
# pan_check SVG: the viewBox at start, after the zoom and after the pan.
pan_check() {
    cp "$1" "$TMP/g.svg"
    timeout 60 chromium --headless --no-sandbox --disable-gpu --allow-file-access-from-files \
        --dump-dom "file://$TMP/pan.html" 2>/dev/null |
        sed -n 's/.*<pre id="out">\([^<]*\)<.*/\1/p'
}
"$HEARTH" graph -o "$O/pan.svg" "$G/cpu.pb.gz" && "$HEARTH" graph --no-js -o "$O/nojs.svg" "$G/cpu.pb.gz"
res=$(pan_check "$O/pan.svg")
# The wheel zooms in by 0.8 about the mouse, then the drag to the right
# moves the view left; its size stays.
if echo "$res" | awk -F';' '{ split($1, a, " "); split($2, b, " "); split($3, c, " ")
        exit !(a[4] > 0 && b[4] / a[4] > 0.79 && b[4] / a[4] < 0.81 && b[2] > a[2] &&
               c[2] < b[2] && c[4] == b[4] && c[5] == b[5]) }'; then
    ok browser/wheel_zooms_drag_pans
else
    not_ok browser/wheel_zooms_drag_pans "viewBox: $res"
fi
res=$(pan_check "$O/nojs.svg")
if echo "$res" | awk -F';' '{ sub(/^start /, "", $1); sub(/^zoom /, "", $2); sub(/^pan /, "", $3)
        exit !($1 != "" && $1 == $2 && $2 == $3) }'; then
    ok browser/no_js_stays_still
else
    not_ok browser/no_js_stays_still "viewBox: $res"
fi

echo "took $(($(date +%s) - start)) s"
finish
