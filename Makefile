# keel — one non-recursive GNU Makefile.
#
# Sources are discovered, not listed:
#   lib/*.c + lib/proto/*.proto        -> $(BUILD)/libkeel.a
#   platform/*/*.c                     -> $(BUILD)/libkeelplat.a
#   daemons/D/*.c (minus main.c)       -> $(BUILD)/libD.a, daemons/D/main.c -> $(BUILD)/bin/D
#   tests/unit/AREA/test_*.c           -> $(BUILD)/tests/unit/AREA/test_* (cmocka)
#   tests/fuzz/fuzz_*.c                -> corpus replayers (make check) and libFuzzer binaries (make fuzz)
# A daemon may add libraries in daemons/D/daemon.mk:  D_PKGS := libyang
#
# Variant builds reuse this file with another BUILD directory:
#   make asan  -> BUILD=build/asan, -fsanitize=address,undefined
#   make fuzz  -> BUILD=build/fuzz, CC=clang, -fsanitize=fuzzer-no-link,address,undefined

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
PYTHON   := /usr/bin/python3
PROTOC_C ?= protoc-c
V        ?= 0
Q        := $(if $(filter 1,$(V)),,@)

PKGS := libevent libevent_pthreads libnl-3.0 libnl-route-3.0 libnl-genl-3.0 libcrypto libssl json-c \
	libprotobuf-c libmosquitto libcap
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT      ?= -O2
CFLAGS_BASE := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
	-Wformat=2 -Wno-format-nonliteral -g $(OPT) -D_GNU_SOURCE -fno-strict-aliasing \
	-I. -I$(BUILD)/gen $(PKG_CFLAGS)
EXTRA_CFLAGS  ?=
EXTRA_LDFLAGS ?=
ALL_CFLAGS  = $(CFLAGS_BASE) $(EXTRA_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(EXTRA_LDFLAGS) $(LDFLAGS)

# ---------------------------------------------------------------- sources
PROTOS     := $(sort $(wildcard lib/proto/*.proto))
PROTO_C    := $(PROTOS:%.proto=$(BUILD)/gen/%.pb-c.c)
PROTO_H    := $(PROTOS:%.proto=$(BUILD)/gen/%.pb-c.h)
LIB_SRCS   := $(sort $(wildcard lib/*.c))
LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(PROTO_C:$(BUILD)/gen/%.c=$(BUILD)/obj/gen/%.o)
PLAT_SRCS  := $(sort $(wildcard platform/*/*.c))
PLAT_OBJS  := $(PLAT_SRCS:%.c=$(BUILD)/obj/%.o)
# DAEMONS: folders with a main.c (a binary); DLIBS: every folder with C sources
# (its library links into unit tests before the daemon has a main.c).
DAEMONS    := $(sort $(notdir $(patsubst %/main.c,%,$(wildcard daemons/*/main.c))))
DLIBS      := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard daemons/*/*.c)))))

LIBKEEL    := $(BUILD)/libkeel.a
LIBPLAT    := $(BUILD)/libkeelplat.a

-include $(wildcard daemons/*/daemon.mk)

define daemon_rules
$(1)_SRCS := $$(filter-out daemons/$(1)/main.c,$$(sort $$(wildcard daemons/$(1)/*.c)))
$(1)_OBJS := $$($(1)_SRCS:%.c=$$(BUILD)/obj/%.o)
$(1)_LIBS := $$(if $$($(1)_PKGS),$$(shell pkg-config --libs $$($(1)_PKGS)),)
$(1)_CFLAGS := $$(if $$($(1)_PKGS),$$(shell pkg-config --cflags $$($(1)_PKGS)),)
$$(BUILD)/lib$(1).a: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
$$(BUILD)/bin/$(1): $$(BUILD)/obj/daemons/$(1)/main.o $$(BUILD)/lib$(1).a $$(LIBPLAT) $$(LIBKEEL)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$$(Q)$$(CC) $$(ALL_CFLAGS) -o $$@ $$^ $$($(1)_LIBS) $$(PKG_LIBS) $$(ALL_LDFLAGS) -lm
$$(BUILD)/obj/daemons/$(1)/%.o: ALL_CFLAGS += $$($(1)_CFLAGS)
endef
$(foreach d,$(DLIBS),$(eval $(call daemon_rules,$(d))))

DAEMON_BINS := $(DAEMONS:%=$(BUILD)/bin/%)
DAEMON_LIBS := $(DLIBS:%=$(BUILD)/lib%.a)

# Unit tests: tests/unit/AREA/test_X.c. AREA that names a daemon links that daemon's library.
UNIT_SRCS  := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BINS  := $(UNIT_SRCS:%.c=$(BUILD)/%)
UNIT_AREA   = $(word 3,$(subst /, ,$(patsubst $(BUILD)/%,%,$(1))))

FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRCS:tests/fuzz/%.c=%)
REPLAY_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz-replay/%)
FUZZ_BINS  := $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)

# Everything a unit test or fuzz target may need to link against.
TEST_PKGS_LIBS = $(foreach d,$(DLIBS),$($(d)_LIBS))

ALL_SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null | grep -v -e '\.pb-c\.' -e '^tests/fuzz/corpus/')

.PHONY: all deps check check-nodeps unit fuzz-replay conf topo format-check format asan fuzz bench \
	demo install clean bins tests
.DEFAULT_GOAL := all
.SECONDARY: $(PROTO_C) $(PROTO_H)

all: $(LIBKEEL) $(LIBPLAT) $(DAEMON_BINS) $(UNIT_BINS) $(REPLAY_BINS)
bins: $(DAEMON_BINS)
tests: $(UNIT_BINS) $(REPLAY_BINS)

# ---------------------------------------------------------------- compile
$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: %.proto
	@mkdir -p $(@D)
	@echo "  PROTOC  $<"
	$(Q)$(PROTOC_C) -I. --c_out=$(BUILD)/gen $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-error -MMD -MP -c -o $@ $<

$(BUILD)/obj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBKEEL): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBPLAT): $(PLAT_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $(if $^,$^,)

# A unit test depends on (and links) only its own area's library, so one
# daemon's half-written code never blocks another area's tests.
.SECONDEXPANSION:
$(BUILD)/tests/unit/%: tests/unit/%.c \
		$$(if $$(filter $$(call UNIT_AREA,$$@),$$(DLIBS)),$$(BUILD)/lib$$(call UNIT_AREA,$$@).a,) \
		$(LIBPLAT) $(LIBKEEL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(foreach d,$(DLIBS),$($(d)_CFLAGS)) -o $@ $< \
		$(if $(filter $(call UNIT_AREA,$@),$(DLIBS)),$(BUILD)/lib$(call UNIT_AREA,$@).a,) \
		$(LIBPLAT) $(LIBKEEL) $(TEST_PKGS_LIBS) $(PKG_LIBS) $(shell pkg-config --libs cmocka) \
		$(ALL_LDFLAGS) -lm

# Corpus replayers: the fuzz target + a small main() that feeds it files (no clang needed).
$(BUILD)/fuzz-replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(DAEMON_LIBS) $(LIBPLAT) $(LIBKEEL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(foreach d,$(DLIBS),$($(d)_CFLAGS)) -o $@ $< tests/fuzz/replay.c \
		$(DAEMON_LIBS) $(LIBPLAT) $(LIBKEEL) $(TEST_PKGS_LIBS) $(PKG_LIBS) $(ALL_LDFLAGS) -lm

# libFuzzer binaries (only built in the BUILD=build/fuzz variant, CC=clang).
$(BUILD)/fuzz/%: tests/fuzz/%.c $(DAEMON_LIBS) $(LIBPLAT) $(LIBKEEL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(foreach d,$(DLIBS),$($(d)_CFLAGS)) -fsanitize=fuzzer -o $@ $< \
		$(DAEMON_LIBS) $(LIBPLAT) $(LIBKEEL) $(TEST_PKGS_LIBS) $(PKG_LIBS) $(ALL_LDFLAGS) -lm

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------- deps
deps:
	$(Q)init/deps.sh

# ---------------------------------------------------------------- tests
check: deps
	$(Q)$(MAKE) --no-print-directory check-nodeps

# Every suite runs even when an earlier one failed; the exit status says whether all passed.
check-nodeps: all
	$(Q)failed=""; \
	for suite in format-check unit fuzz-replay conf topo; do \
		echo "== $$suite"; \
		$(MAKE) --no-print-directory -j1 $$suite || failed="$$failed $$suite"; \
	done; \
	if [ -n "$$failed" ]; then echo "check: FAILED:$$failed"; exit 1; fi; \
	echo "check: all suites passed"

unit: $(UNIT_BINS)
	$(Q)tests/run-unit.sh $(UNIT_BINS)

fuzz-replay: $(REPLAY_BINS)
	$(Q)tests/fuzz/replay-all.sh $(BUILD)/fuzz-replay

conf: all
	$(Q)if [ -x tests/conf/run.sh ]; then tests/conf/run.sh $(BUILD); else echo "conf: no golden tests yet"; fi

topo: all
	$(Q)KEEL_BUILD=$(abspath $(BUILD)) tests/topo/run.sh

format-check:
	$(Q)if command -v clang-format >/dev/null; then \
		bad=$$(for f in $(ALL_SOURCES); do clang-format --dry-run -Werror $$f >/dev/null 2>&1 || echo $$f; done); \
		if [ -n "$$bad" ]; then echo "format-check: not clang-formatted (run make format):"; echo "$$bad"; exit 1; fi; \
		echo "format-check: ok"; \
	else echo "format-check: clang-format missing"; exit 1; fi

format:
	$(Q)clang-format -i $(ALL_SOURCES)

# ---------------------------------------------------------------- variants
asan: deps
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		KEEL_ASAN=1 $(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 \
		EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" \
		check-nodeps

FUZZ_SECONDS ?= 60
fuzz: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang OPT=-O1 \
		EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" fuzz-run

fuzz-run: $(FUZZ_BINS)
	$(Q)tests/fuzz/run-all.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

bench: deps all
	$(Q)KEEL_BUILD=$(abspath $(BUILD)) tests/bench/run.sh

demo: deps all
	$(Q)KEEL_BUILD=$(abspath $(BUILD)) init/demo.sh

# ---------------------------------------------------------------- install
install: $(DAEMON_BINS)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/keel/yang \
		$(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/keel/init
	install -m 0755 $(filter-out %/cli,$(DAEMON_BINS)) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 $(BUILD)/bin/cli $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 init/keel-node $(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 init/mosquitto-bus.conf $(DESTDIR)$(PREFIX)/share/keel/init/
	$(if $(wildcard yang/*.yang),install -m 0644 $(wildcard yang/*.yang) $(DESTDIR)$(PREFIX)/share/keel/yang/,)
	install -m 0644 $(wildcard init/systemd/*) $(DESTDIR)$(PREFIX)/lib/systemd/system/
	install -m 0644 $(wildcard man/*.8) $(DESTDIR)$(PREFIX)/share/man/man8/
	$(if $(DESTDIR),,getent group keel >/dev/null || groupadd --system keel)

clean:
	rm -rf build
