# make demo end to end (scripts/demo into a temporary folder): the leaky
# example service profiled live, every picture the README names, and the
# report's first leak suspect is the cache insert path.
. tests/cli/lib.sh

OUT=$TMP/out
if HEARTH_DEMO_OUT="$OUT" timeout 300 scripts/demo "$BUILD" >"$TMP/demo.out" 2>&1; then
    ok demo_runs
else
    not_ok demo_runs "$(tail -20 "$TMP/demo.out")"
fi
D=$OUT/demo
missing=""
for f in heap.svg allocs.svg cpu.svg diff.svg timeline.svg heap-graph.svg cpu-graph.svg \
        report/summary.md report/index.html report/heap-inuse.png report/timeline.png; do
    [ -s "$D/$f" ] || missing="$missing $f"
done
[ -s "$D/report.tar.gz" ] || missing="$missing report.tar.gz"
if [ -z "$missing" ]; then ok demo_writes_every_picture_and_the_report; else not_ok demo_writes_every_picture_and_the_report "missing:$missing"; fi
bad=""
for f in "$D"/*.svg; do xmllint --noout "$f" 2>/dev/null || bad="$bad $(basename "$f")"; done
if [ -z "$bad" ] && [ -n "$(ls "$D"/*.svg 2>/dev/null)" ]; then ok demo_svgs_are_valid_xml; else not_ok demo_svgs_are_valid_xml "$bad"; fi
# The first row of the leak-suspect table names the site.
first=$(awk '/^## Leak suspects/ { on = 1 } on && /^\| 1 \|/ { print; exit }' "$D/report/summary.md" 2>/dev/null)
case "$first" in
*cache\\_insert*leaky\\_service.c*) ok "demo_first_leak_suspect_is_the_cache_insert ($(echo "$first" | cut -c1-80))" ;;
*) not_ok demo_first_leak_suspect_is_the_cache_insert "'$first'" ;;
esac
if grep -q "Top leak suspect: cache_insert" "$TMP/demo.out"; then
    ok demo_prints_the_findings
else
    not_ok demo_prints_the_findings "$(tail -8 "$TMP/demo.out")"
fi
finish
