# Hive — one Makefile, no generator: the tree is small, the rules are few,
# and every developer can read the whole build in a minute.
#
#   make            release build into build/
#   make ASAN=1     ASan+UBSan build into build-asan/
#   make check      install deps (as root), build both, run every test
#   make demo       install deps, build, run the hero flow on a temp state dir
#   make bench      benchmarks against diod (baseline in the same run)
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

PKGS     = libsodium jansson fuse3 libedit
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter $(OPT) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)
LDLIBS  += $(PKG_LIBS) -lm

CORE_SRCS := $(wildcard src/lib/*.c src/ninep/*.c src/client/*.c) \
             $(filter-out src/hived/main.c,$(wildcard src/hived/*.c))
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/obj/%.o)
HIVED_OBJS := $(BUILD)/obj/src/hived/main.o
HIVE_SRCS := $(wildcard src/tools/hive/*.c)
HIVE_OBJS := $(HIVE_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS := $(wildcard tests/tools/*.c bench/*.c)
TOOL_BINS := $(patsubst %.c,$(BUILD)/%,$(TOOL_SRCS))
# A test tool too big for one file lives in tests/tools/<name>/*.c.
TOOL_DIRS := $(notdir $(patsubst %/,%,$(wildcard tests/tools/*/)))
TOOL_BINS += $(TOOL_DIRS:%=$(BUILD)/tests/tools/%)

BINS := $(if $(wildcard src/hived/main.c),$(BUILD)/hived) $(if $(HIVE_SRCS),$(BUILD)/hive)
.SECONDARY:

.PHONY: all tests tools check demo bench fuzz deps clean
all: $(BINS) tests tools
tests: $(TEST_BINS)
tools: $(TOOL_BINS)

$(BUILD)/libhivecore.a: $(CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/hived: $(HIVED_OBJS) $(BUILD)/libhivecore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/hive: $(HIVE_OBJS) $(BUILD)/libhivecore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libhivecore.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(BUILD)/libhivecore.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

define TOOLDIR_RULE
$(BUILD)/tests/tools/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/tools/$(1)/*.c)) $(BUILD)/libhivecore.a
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach d,$(TOOL_DIRS),$(eval $(call TOOLDIR_RULE,$(d))))

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BUILD)/libhivecore.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# libFuzzer targets: clang only; each fuzz/fuzz_X.c links the core objects.
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS)
fuzz: $(FUZZ_BINS)
build-fuzz/%: fuzz/%.c $(CORE_SRCS)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRCS) $(PKG_LIBS) -lm

deps:
	@scripts/deps.sh

check: deps
	$(MAKE) ASAN=1 all
	$(MAKE) all
	$(MAKE) fuzz
	HIVE_BUILD=build-asan tests/run.sh

demo: deps
	$(MAKE) all
	scripts/demo.sh

bench: deps
	$(MAKE) all
	bench/run.sh

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
