# make install puts the CLI, both libraries, hearth.h and hearth.pc under
# PREFIX; a program built with `pkg-config --cflags --libs hearth` links and
# runs; libhearth.so exports nothing but hearth_* names and the allocator
# entry points it interposes.
. tests/cli/lib.sh

prefix=$TMP/prefix
if make --no-print-directory -s install PREFIX="$prefix" BUILD="$BUILD" >"$TMP/install.log" 2>&1; then
    ok install_succeeds
else
    not_ok install_succeeds "$(cat "$TMP/install.log")"
fi
for f in bin/hearth lib/libhearth.so lib/libhearth.a include/hearth.h lib/pkgconfig/hearth.pc; do
    if [ -f "$prefix/$f" ]; then ok "installs_$f"; else not_ok "installs_$f"; fi
done

cat > "$TMP/use.c" <<'EOC'
#include <hearth.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    printf("%s\n", hearth_version());
    return strcmp(hearth_version(), "0.1.0") != 0;
}
EOC
if PKG_CONFIG_PATH="$prefix/lib/pkgconfig" cc ${LDFLAGS:-} -o "$TMP/use" "$TMP/use.c" \
        $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs hearth) \
        >"$TMP/cc.log" 2>&1 &&
    HEARTH_OUT="$TMP/use" LD_LIBRARY_PATH="$prefix/lib" "$TMP/use" >"$TMP/run.log" 2>&1; then
    ok program_links_with_pkg_config_and_runs
else
    not_ok program_links_with_pkg_config_and_runs "$(cat "$TMP/cc.log" "$TMP/run.log" 2>/dev/null)"
fi

# hearth_* and the allocator entry points it interposes, nothing else.
allowed='^(hearth_.*|malloc|free|calloc|realloc|reallocarray|memalign|posix_memalign|aligned_alloc|valloc|pvalloc|pthread_create)$'
# Linked in, the sampler starts by itself and writes a heap profile at exit.
if ls "$TMP"/use.*.heap.pb.gz >/dev/null 2>&1 && "$HEARTH" info "$TMP"/use.*.heap.pb.gz >/dev/null 2>&1; then
    ok linked_in_program_writes_a_heap_profile_at_exit
else
    not_ok linked_in_program_writes_a_heap_profile_at_exit "$(ls "$TMP")"
fi

exported=$(nm -D --defined-only "$prefix/lib/libhearth.so" | awk '{print $3}' | grep -Ev "$allowed" || true)
if [ -z "$exported" ]; then
    ok libhearth_exports_only_its_api_and_the_allocator
else
    not_ok libhearth_exports_only_its_api_and_the_allocator "$exported"
fi

if "$prefix/bin/hearth" --version | grep -q '^hearth 0.1.0$'; then
    ok installed_cli_runs
else
    not_ok installed_cli_runs
fi
finish
