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

# hearth_* and the entry points it interposes (the allocator, pthread_create,
# dlclose), nothing else.
allowed='^(hearth_.*|malloc|free|calloc|realloc|reallocarray|memalign|posix_memalign|aligned_alloc|valloc|pvalloc|pthread_create|dlclose)$'
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

# The manual pages: installed where man finds them, rendered without a
# single groff warning, and complete. The lists come from the built CLI's
# --help, the sampler's sources and hearth.h, so a new command, option,
# variable or function fails here until it is documented.
man1=$prefix/share/man/man1/hearth.1
man3=$prefix/share/man/man3/libhearth.3
for f in "$man1" "$man3"; do
    page=${f##*/}
    if [ -f "$f" ]; then ok "installs_$page"; else not_ok "installs_$page"; continue; fi
    if LC_ALL=C MANWIDTH=80 man --warnings=w -l "$f" >"$TMP/$page.txt" 2>"$TMP/$page.err" &&
        [ ! -s "$TMP/$page.err" ] && grep -q '^NAME$' "$TMP/$page.txt"; then
        ok "man_renders_${page}_without_warnings"
    else
        not_ok "man_renders_${page}_without_warnings" "$(cat "$TMP/$page.err")"
    fi
    # One paragraph per line, no hyphenation: what a reader sees, greppable.
    LC_ALL=C MANWIDTH=2000 man --nh --nj -l "$f" >"$TMP/$page.flat" 2>/dev/null
done
for s in 1:hearth 3:libhearth; do
    if MANPATH="$prefix/share/man" man -w "${s%%:*}" "${s#*:}" 2>/dev/null | grep -q "^$prefix/"; then
        ok "man_finds_${s#*:}.${s%%:*}_under_the_prefix"
    else
        not_ok "man_finds_${s#*:}.${s%%:*}_under_the_prefix"
    fi
done

# section FILE HEADING: the lines of a rendered section (a SECTION at
# column 0, a subsection at column 3) up to the next heading of that level
# or above.
section() {
    awk -v h="$2" '
        $0 == h || index($0, h " ") == 1 { on = 1; lvl = match($0, /[^ ]/); next }
        on && /^[^ ]/ { exit }
        on && lvl > 1 && /^   [^ ]/ { exit }
        on { print }' "$1"
}
# has_word TEXT WORD: WORD appears in TEXT, not as part of a longer name.
has_word() {
    printf '%s\n' "$1" | grep -qE -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)"
}

flat1=$TMP/hearth.1.flat
commands=$("$HEARTH" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
if [ "$(printf '%s\n' "$commands" | grep -c .)" -ge 8 ]; then
    ok hearth_help_lists_the_commands
else
    not_ok hearth_help_lists_the_commands "$commands"
fi
missing=""
for o in $("$HEARTH" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
    has_word "$(cat "$flat1")" "$o" || missing="$missing hearth $o;"
done
for c in $commands; do
    text=$(section "$flat1" "   hearth $c")
    if [ -z "$text" ]; then
        missing="$missing no subsection \"hearth $c\";"
        continue
    fi
    for o in $("$HEARTH" "$c" --help | grep -oE -- '(^|[^a-z-])--[a-z][a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' | sort -u); do
        has_word "$text" "$o" || missing="$missing hearth $c $o;"
    done
done
if [ -z "$missing" ]; then
    ok hearth_1_describes_every_command_and_option
else
    not_ok hearth_1_describes_every_command_and_option "$missing"
fi

# The environment variables each half reads: every quoted HEARTH_* name.
env_of() { cat "$@" | grep -oE '"HEARTH_[A-Z0-9_]+"' | tr -d '"' | sort -u; }
missing=""
vars=$(env_of sampler/*.c)
for v in $vars; do
    section "$TMP/libhearth.3.flat" ENVIRONMENT | grep -qx "       $v" || missing="$missing $v"
done
if [ "$(printf '%s\n' "$vars" | grep -c .)" -ge 14 ] && [ -z "$missing" ]; then
    ok libhearth_3_describes_every_variable_the_sampler_reads
else
    not_ok libhearth_3_describes_every_variable_the_sampler_reads "not in ENVIRONMENT:$missing (read: $(echo $vars))"
fi
missing=""
for v in $(env_of render/*.c formats/*.c); do
    section "$flat1" ENVIRONMENT | grep -qx "       $v" || missing="$missing $v"
done
if [ -z "$missing" ]; then
    ok hearth_1_describes_every_variable_the_cli_reads
else
    not_ok hearth_1_describes_every_variable_the_cli_reads "not in ENVIRONMENT:$missing"
fi

# Every function hearth.h declares or libhearth.so exports: named in NAME
# (so `man -k` and the alias pages find it), described under FUNCTIONS,
# and installed as an alias page that opens libhearth(3).
funcs=$( { grep -oE '^HEARTH_API[^(]*[ *]hearth_[a-z0-9_]+\(' sampler/hearth.h |
           grep -oE 'hearth_[a-z0-9_]+'
         nm -D --defined-only "$prefix/lib/libhearth.so" | awk '{print $3}' | grep '^hearth_'
       } | sort -u)
missing=""
for fn in $funcs; do
    has_word "$(section "$TMP/libhearth.3.flat" NAME)" "$fn" || missing="$missing $fn(NAME)"
    section "$TMP/libhearth.3.flat" FUNCTIONS | grep -q "^       $fn(" || missing="$missing $fn(FUNCTIONS)"
    MANPATH="$prefix/share/man" LC_ALL=C MANWIDTH=80 man 3 "$fn" 2>/dev/null | grep -q '^LIBHEARTH(3)' ||
        missing="$missing $fn(alias page)"
done
if [ "$(printf '%s\n' "$funcs" | grep -c .)" -ge 5 ] && [ -z "$missing" ]; then
    ok libhearth_3_describes_every_function
else
    not_ok libhearth_3_describes_every_function "missing:$missing (functions: $(echo $funcs))"
fi
finish
