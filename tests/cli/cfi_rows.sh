# The unwind table's rows (sampler/cfi_table.c decodes each FDE's CFA
# instructions itself) against libdwarf's per-pc answers for every FDE of
# every loaded object, libstdc++ and the test's own binary among them.
. tests/cli/lib.sh
LIB=${HEARTH_SAMPLER_LIB:-$BUILD/libhearth.so}
LIBA=${LIB%.so}.a
CC=${CC:-cc}

if $CC -O2 -g -fomit-frame-pointer -o "$TMP/rows_check" tests/workloads/cfi_rows_check.c -I. -I/usr/include/libdwarf \
    "$LIBA" -lz -ldwarf -lm -lpthread -ldl 2>"$TMP/cc.log"; then
    ok build_rows_check
else
    not_ok build_rows_check "$(cat "$TMP/cc.log")"
fi

# The C++ runtime brings remember_state/restore_state and GNU_args_size.
CXXRT=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ { print $NF; exit }')
[ -n "$CXXRT" ] || not_ok find_libstdcxx "libstdc++.so.6 not in ldconfig's cache"
if HEARTH_OUT="$TMP/h" HEARTH_ALLOC_RATE=0 HEARTH_DUMP_AT_EXIT=off "$TMP/rows_check" $CXXRT >"$TMP/rows.out" 2>&1; then
    ok "rows_match_libdwarf: $(tail -1 "$TMP/rows.out")"
else
    not_ok rows_match_libdwarf "$(head -20 "$TMP/rows.out")"
fi
finish
