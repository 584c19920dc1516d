# hearth — build, test and install. See README.md for the two set-up commands.

CC      ?= gcc
PREFIX  ?= /usr/local
BUILD   ?= build
VERSION  = 0.1.0

WARN    = -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes \
          -Wshadow -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS ?=

# Libraries: pkg-config where Debian ships a .pc; libdwarf has none.
ZLIB_CFLAGS  := $(shell pkg-config --cflags zlib 2>/dev/null)
ZLIB_LIBS    := $(shell pkg-config --libs zlib 2>/dev/null || echo -lz)
GV_CFLAGS    := $(shell pkg-config --cflags libgvc 2>/dev/null)
GV_LIBS      := $(shell pkg-config --libs libgvc 2>/dev/null)
CURL_CFLAGS  := $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS    := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
RSVG_CFLAGS  := $(shell pkg-config --cflags librsvg-2.0 2>/dev/null)
RSVG_LIBS    := $(shell pkg-config --libs librsvg-2.0 2>/dev/null)
DWARF_CFLAGS := -I/usr/include/libdwarf
DWARF_LIBS   := -ldwarf
LIBS         := $(ZLIB_LIBS) $(DWARF_LIBS) -lm
LIB_CFLAGS   := $(ZLIB_CFLAGS) $(DWARF_CFLAGS) $(CURL_CFLAGS)
# The renderer alone links Graphviz and libcurl (it reads URLs); the sampler
# never loads them.
RENDER_LIBS  := $(GV_LIBS) $(CURL_LIBS) -lpthread
# The report's PNGs: librsvg (with cairo) in the CLI only, never the sampler.
LIB_CFLAGS   += $(RSVG_CFLAGS)
RENDER_LIBS  += $(RSVG_LIBS)

FORMATS_SRC := $(sort $(wildcard formats/*.c))
RENDER_SRC  := $(sort $(wildcard render/*.c))
SAMPLER_SRC := $(sort $(wildcard sampler/*.c))
UNIT_SRC    := $(sort $(wildcard tests/unit/*.c))

FORMATS_OBJ     := $(FORMATS_SRC:%.c=$(BUILD)/%.o)
FORMATS_PIC_OBJ := $(FORMATS_SRC:%.c=$(BUILD)/pic/%.o)
RENDER_OBJ      := $(RENDER_SRC:%.c=$(BUILD)/%.o)
SAMPLER_PIC_OBJ := $(SAMPLER_SRC:%.c=$(BUILD)/pic/%.o)
UNIT_OBJ        := $(UNIT_SRC:%.c=$(BUILD)/%.o)

HEARTH  := $(BUILD)/hearth
LIBSO   := $(BUILD)/libhearth.so
LIBA    := $(BUILD)/libhearth.a
UNIT    := $(BUILD)/tests/unit_tests

.PHONY: all deps test check tsan fuzz fuzz-build bench demo install clean goldens examples

all: $(HEARTH) $(LIBSO) $(LIBA)

# Installs missing packages (apt-get) or says how; a no-op when all are there.
deps:
	@scripts/install-deps

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LIB_CFLAGS) -MMD -MP -c $< -o $@

$(RENDER_OBJ): LIB_CFLAGS += $(GV_CFLAGS)

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden $(LIB_CFLAGS) -MMD -MP -c $< -o $@

# The flame graph script is kept as plain JavaScript and compiled in as a
# C string.
FLAME_JS_OBJ := $(BUILD)/gen/flame_js.o
$(BUILD)/gen/flame_js.c: render/flame.js
	@mkdir -p $(dir $@)
	{ echo '/* Generated from render/flame.js by the Makefile. */'; \
	  echo 'extern const char flame_js[];'; echo 'const char flame_js[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; echo ';'; } > $@

$(HEARTH): $(RENDER_OBJ) $(FORMATS_OBJ) $(FLAME_JS_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(RENDER_LIBS)

$(LIBSO): $(SAMPLER_PIC_OBJ) $(FORMATS_PIC_OBJ) sampler/libhearth.map
	$(CC) $(ALL_CFLAGS) -shared -fPIC $(LDFLAGS) \
	    -Wl,--version-script=sampler/libhearth.map -Wl,-soname,libhearth.so \
	    -o $@ $(SAMPLER_PIC_OBJ) $(FORMATS_PIC_OBJ) $(LIBS) -lpthread

$(LIBA): $(SAMPLER_PIC_OBJ) $(FORMATS_PIC_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(UNIT): $(UNIT_OBJ) $(FORMATS_OBJ) $(FLAME_JS_OBJ) $(filter-out $(BUILD)/render/main.o,$(RENDER_OBJ))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(RENDER_LIBS)

$(BUILD)/tests/%: tests/%.c $(FORMATS_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LIB_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

# The replay driver runs every saved fuzz input through the same entry points
# as the fuzzers, with the ordinary compiler, as part of make test.
$(BUILD)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FORMATS_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LIB_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# The example services (examples/README.md): subjects for the sampler and
# the demo. Always -O2 -g without frame pointers, like a production build,
# and linked with nothing of ours: libhearth reaches them by LD_PRELOAD.
EXAMPLES := $(BUILD)/examples/leaky_service $(BUILD)/examples/steady_service \
            $(BUILD)/examples/go_service
examples: $(EXAMPLES)

$(BUILD)/examples/%_service: examples/%_service.c examples/service.c examples/service.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -g -fomit-frame-pointer -pthread \
	    -o $@ $< examples/service.c -lm

# Standard library only, so it builds offline.
$(BUILD)/examples/go_service: $(wildcard examples/go/*.go) examples/go/go.mod
	@mkdir -p $(dir $@)
	cd examples/go && GOFLAGS=-mod=mod GOPROXY=off go build -o $(abspath $@) .

test: deps
	@$(MAKE) --no-print-directory all examples $(UNIT) $(FUZZ_TARGETS:%=$(BUILD)/tests/replay_%)
	@BUILD=$(BUILD) tests/run

# Every test again under AddressSanitizer and UndefinedBehaviorSanitizer,
# then the sampler's concurrent paths under ThreadSanitizer.
check: deps all
	@HEARTH_SAMPLER_LIB=$(BUILD)/libhearth.so $(MAKE) --no-print-directory BUILD=build/asan \
	    EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" test
	@$(MAKE) --no-print-directory tsan

TSAN_SRC := $(filter-out sampler/alloc_hooks.c sampler/threads_create.c sampler/dlclose_hook.c,$(SAMPLER_SRC)) $(FORMATS_SRC)
build/tsan/sampler_stress: tests/tsan/sampler_stress.c $(TSAN_SRC) $(wildcard sampler/*.h formats/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O1 -g -fsanitize=thread $(LIB_CFLAGS) \
	    -o $@ tests/tsan/sampler_stress.c $(TSAN_SRC) $(LIBS) -lpthread

tsan: build/tsan/sampler_stress
	@mkdir -p build/tsan/out
	@TSAN_OPTIONS="halt_on_error=1 exitcode=66" HEARTH_OUT=build/tsan/out/h \
	    HEARTH_ALLOC_RATE=4096 HEARTH_DUMP_AT_EXIT=off HEARTH_SYMBOLIZE=off \
	    build/tsan/sampler_stress $(TSAN_SECONDS)

TSAN_SECONDS ?= 10

FUZZ_SECONDS ?= 60
fuzz-build: deps
	@mkdir -p $(BUILD)/fuzz
	@for t in $(FUZZ_TARGETS); do \
	    echo "clang fuzz_$$t"; \
	    clang -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	        -fno-sanitize-recover=undefined $(DWARF_CFLAGS) \
	        -o $(BUILD)/fuzz/fuzz_$$t tests/fuzz/fuzz_$$t.c $(FORMATS_SRC) $(LIBS) || exit 1; \
	done

# Runs each libFuzzer target for FUZZ_SECONDS, growing a work corpus under
# build/ from tests/fuzz/corpus/NAME; every target runs even if one crashes.
fuzz: fuzz-build
	@status=0; for t in $(FUZZ_TARGETS); do \
	    mkdir -p tests/fuzz/corpus/$$t $(BUILD)/fuzz/corpus_$$t $(BUILD)/fuzz/artifacts; \
	    $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        -artifact_prefix=$(BUILD)/fuzz/artifacts/ \
	        $(BUILD)/fuzz/corpus_$$t tests/fuzz/corpus/$$t || status=1; \
	done; exit $$status

bench: deps all $(BUILD)/tests/bench/bench_pprof $(BUILD)/tests/bench/bench_flame $(BUILD)/tests/bench/bench_alloc $(BUILD)/tests/bench/bench_live_set $(BUILD)/tests/bench/bench_threads $(BUILD)/tests/bench/http_load $(BUILD)/tests/workloads/http_service
	@tests/bench/run $(BUILD)
	@tests/bench/run_alloc $(BUILD)
	@tests/bench/run_cpu $(BUILD)
	@tests/bench/run_timeline $(BUILD)
	@tests/bench/run_http $(BUILD)

demo: deps all examples
	@scripts/demo $(BUILD)

# The manual pages; `man hearth_mark` and each other function of hearth.h
# opens libhearth(3).
MANDIR    := $(PREFIX)/share/man
MAN_FUNCS := $(shell sed -nE 's/^HEARTH_API.*[ *](hearth_[a-z0-9_]*)\(.*\);$$/\1/p' sampler/hearth.h)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	    $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(HEARTH) $(DESTDIR)$(PREFIX)/bin/hearth
	install -m 755 $(LIBSO) $(DESTDIR)$(PREFIX)/lib/libhearth.so
	install -m 644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/libhearth.a
	install -m 644 sampler/hearth.h $(DESTDIR)$(PREFIX)/include/hearth.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    sampler/hearth.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/hearth.pc
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 644 docs/man/hearth.1 $(DESTDIR)$(MANDIR)/man1/hearth.1
	install -m 644 docs/man/libhearth.3 $(DESTDIR)$(MANDIR)/man3/libhearth.3
	for f in $(MAN_FUNCS); do \
	    echo '.so man3/libhearth.3' > $(DESTDIR)$(MANDIR)/man3/$$f.3 || exit 1; \
	done

# Rewrites the golden SVGs from their inputs; review `git diff tests/golden`.
goldens: $(HEARTH)
	@HEARTH=$(HEARTH) sh tests/golden/regen.sh

clean:
	rm -rf build out

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
