# Hive — one Makefile, no generator: the tree is small, the rules are few,
# and every developer can read the whole build in a minute.
#
#   make            release build into build/
#   make ASAN=1     ASan+UBSan build into build-asan/
#   make check      install deps (as root), build both, run every test
#   make demo       install deps, build, run the hero flow on a temp state dir
#   make bench      benchmarks against diod (baseline in the same run);
#                   BENCH=9p|fuse|lockout|spawn|fairshare|audit runs one section
#   make fuzz       build the libFuzzer targets (clang) into build-fuzz/

CC      ?= cc
ASAN    ?= 0
ifeq ($(ASAN),1)
BUILD   ?= build-asan
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      = -O1 -g
else
BUILD   ?= build
SANFLAGS =
OPT      = -O2 -g
endif

PKGS     = libsodium jansson fuse3 libedit libseccomp libmicrohttpd libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter $(OPT) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP \
           -Isrc -Itests -Itests/unit
LDFLAGS += $(SANFLAGS)
LDLIBS  += $(PKG_LIBS) -lm

# One static archive per part (DESIGN.md §2). A part reaches another only
# through its header; the archives make the link say which parts a binary
# really needs: `hive` links client, trust, ninep and lib, never a daemon part.
PARTS        := lib ninep trust client
HIVED_PARTS  := core net 9p console ns agent broker gpu audit
part_srcs     = $(filter-out src/hived/core/main.c,$(wildcard src/$(1)/*.c))
$(foreach p,$(PARTS),$(eval $(p)_SRCS := $(call part_srcs,$(p))))
$(foreach p,$(HIVED_PARTS),$(eval hived_$(p)_SRCS := $(call part_srcs,hived/$(p))))
ALL_PARTS    := $(PARTS) $(HIVED_PARTS:%=hived_%)
part_lib      = $(BUILD)/lib/lib$(1).a
LIBS_BASE    := $(foreach p,client trust ninep lib,$(call part_lib,$(p)))
LIBS_HIVED   := $(foreach p,$(HIVED_PARTS),$(call part_lib,hived_$(p)))
# The daemon's parts call each other (ns raises events on core, core builds
# the tree); one group lets the linker resolve them in any order.
LINK_HIVED   := -Wl,--start-group $(LIBS_HIVED) -Wl,--end-group $(LIBS_BASE)

define PART_RULE
$(call part_lib,$(1)): $$(patsubst %.c,$$(BUILD)/obj/%.o,$$($(1)_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach p,$(ALL_PARTS),$(eval $(call PART_RULE,$(p))))

CORE_SRCS := $(foreach p,$(ALL_PARTS),$($(p)_SRCS))
HIVED_OBJS := $(BUILD)/obj/src/hived/core/main.o
HIVE_SRCS := $(wildcard src/tools/hive/*.c)
HIVE_OBJS := $(HIVE_SRCS:%.c=$(BUILD)/obj/%.o)
# Unit tests mirror src/: tests/unit/<part>/test_<noun>.c -> $(BUILD)/tests/test_<noun>.
TEST_SRCS := $(shell find tests/unit -name 'test_*.c' | sort)
TEST_BINS := $(addprefix $(BUILD)/tests/,$(basename $(notdir $(TEST_SRCS))))
TOOL_SRCS := $(wildcard tests/tools/*.c bench/*.c)
TOOL_BINS := $(patsubst %.c,$(BUILD)/%,$(TOOL_SRCS))
# A test tool too big for one file lives in tests/tools/<name>/*.c.
# (fakenvml is no program: a shared object the GPU bridge's tests load.)
TOOL_DIRS := $(filter-out fakenvml,$(notdir $(patsubst %/,%,$(wildcard tests/tools/*/))))
TOOL_BINS += $(TOOL_DIRS:%=$(BUILD)/tests/tools/%)

# The escape suite (tests/escape/): one program of named probes, run inside
# agents' sandboxes. No sanitizers (ASan reads /proc/self/maps, which a
# sandbox need not allow) and static (no loader configuration to read).
ESCAPE_SRCS := $(wildcard tests/escape/*.c)
ESCAPE_BIN  := $(BUILD)/tests/escape/escape

# The GPU bridge: a client (lib, trust, ninep, client), never a hived part;
# it loads NVML with dlopen at run time, so nothing NVIDIA is linked.
GPUB_SRCS := $(wildcard src/tools/gpu-bridge/*.c)
GPUB_OBJS := $(GPUB_SRCS:%.c=$(BUILD)/obj/%.o)
GPUB_LIB_OBJS := $(filter-out %/main.o,$(GPUB_OBJS))
# Fake libnvidia-ml.so.1 builds for the bridge's tests: every symbol, the
# optional ones missing, a required one missing.
FAKENVML_VARIANTS := full minimal broken
FAKENVML_LIBS := $(FAKENVML_VARIANTS:%=$(BUILD)/tests/tools/fakenvml/%/libnvidia-ml.so.1)
FAKENVML_CFLAGS_full :=
FAKENVML_CFLAGS_minimal := -DFAKENVML_MINIMAL
FAKENVML_CFLAGS_broken := -DFAKENVML_MINIMAL -DFAKENVML_BROKEN

BINS := $(BUILD)/hived $(BUILD)/hive $(BUILD)/hive-gpu-bridge
.SECONDARY:

.PHONY: all tests tools check demo bench fuzz deps clean layout
all: $(BINS) tests tools
tests: $(TEST_BINS) $(ESCAPE_BIN)
tools: $(TOOL_BINS) $(FAKENVML_LIBS)

$(BUILD)/hived: $(HIVED_OBJS) $(LIBS_HIVED) $(LIBS_BASE)
	$(CC) $(LDFLAGS) -o $@ $(HIVED_OBJS) $(LINK_HIVED) $(LDLIBS)

$(BUILD)/hive: $(HIVE_OBJS) $(LIBS_BASE)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/hive-gpu-bridge: $(GPUB_OBJS) $(LIBS_BASE)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -ldl

# No sanitizer inside the fake: it is loaded into sanitized and plain
# programs alike, as the real library would be.
$(BUILD)/tests/tools/fakenvml/%/libnvidia-ml.so.1: tests/tools/fakenvml/fakenvml.c
	@mkdir -p $(@D)
	$(CC) -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -shared -fPIC $(FAKENVML_CFLAGS_$*) -o $@ $<

# Tests under tests/unit/tools/ also link the GPU bridge's objects.
define TEST_RULE
$(BUILD)/tests/$(basename $(notdir $(1))): $(BUILD)/obj/$(1:.c=.o) $$(LIBS_HIVED) $$(LIBS_BASE) $(if $(findstring tests/unit/tools/,$(1)),$$(GPUB_LIB_OBJS) $$(FAKENVML_LIBS))
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $(if $(findstring tests/unit/tools/,$(1)),$$(GPUB_LIB_OBJS)) $$(LINK_HIVED) $$(LDLIBS) $(if $(findstring tests/unit/tools/,$(1)),-ldl)
endef
$(foreach t,$(TEST_SRCS),$(eval $(call TEST_RULE,$(t))))

$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIBS_BASE)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

define TOOLDIR_RULE
$(BUILD)/tests/tools/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/tools/$(1)/*.c)) $(LIBS_BASE)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach d,$(TOOL_DIRS),$(eval $(call TOOLDIR_RULE,$(d))))

$(ESCAPE_BIN): $(ESCAPE_SRCS) tests/escape/escape.h
	@mkdir -p $(@D)
	$(CC) -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -O2 -g -static \
		-pthread -o $@ $(ESCAPE_SRCS)

# The audit bench drives the daemon's writer itself.
$(BUILD)/bench/audit_bench: $(BUILD)/obj/bench/audit_bench.o $(LIBS_HIVED) $(LIBS_BASE)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LINK_HIVED) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIBS_BASE)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# libFuzzer targets: clang only; each fuzz/fuzz_X.c links the core objects.
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -Isrc
fuzz: $(FUZZ_BINS)
build-fuzz/%: fuzz/%.c $(CORE_SRCS)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRCS) $(PKG_LIBS) -lm

# The part boundaries DESIGN.md §2 promises, checked rather than hoped for.
layout:
	@scripts/check-layout.sh

deps:
	@scripts/deps.sh

check: deps layout
	$(MAKE) ASAN=1 all
	$(MAKE) all
	$(MAKE) fuzz
	HIVE_BUILD=build-asan tests/run.sh

demo: deps
	$(MAKE) all
	scripts/demo.sh

bench: deps
	$(MAKE) all
	BENCH="$(BENCH)" bench/run.sh

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
