# Lightcone — one non-recursive GNU Makefile.
#
#   make [MODE=debug|release|asan|ubsan|fuzz]   build library, CLI and tests into build/$(MODE)
#   make test                                   build and run every test suite (tests/run_all.sh)
#   make bench                                  build the benchmarks (see bench/)
#   make run                                    see README
#
# Sources are discovered: every src/<subsystem>/*.c except main.c goes into liblightcone.a.
# Subsystems add their own test programs, suites and benchmarks through fragments in mk/*.mk,
# so most changes never touch this file. A fragment appends to:
#   TEST_DEPS   files `make test` must build before running tests/suites/*.sh
#   BENCH_BINS  files `make bench` builds
MODE ?= debug
.DEFAULT_GOAL := all
BUILD := build/$(MODE)

ifeq ($(MODE),fuzz)
CC := clang
endif
CC ?= cc

CFLAGS_BASE := -std=c17 -Wall -Wextra -Werror -Wno-unused-parameter -Wvla -D_GNU_SOURCE \
               -Isrc -Iinclude -Itests -MMD -MP -g -fno-strict-aliasing
ifeq ($(MODE),debug)
CFLAGS_MODE := -O1 -DLC_DEBUG
else ifeq ($(MODE),release)
CFLAGS_MODE := -O2
else ifeq ($(MODE),asan)
CFLAGS_MODE := -O1 -DLC_DEBUG -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer
LDFLAGS_MODE := -fsanitize=address,undefined
else ifeq ($(MODE),ubsan)
CFLAGS_MODE := -O1 -DLC_DEBUG -fsanitize=undefined -fno-sanitize-recover=undefined
LDFLAGS_MODE := -fsanitize=undefined
else ifeq ($(MODE),fuzz)
CFLAGS_MODE := -O1 -DLC_DEBUG -DLC_FUZZ -fsanitize=fuzzer-no-link,address,undefined \
               -fno-omit-frame-pointer
LDFLAGS_MODE := -fsanitize=address,undefined
else
$(error MODE must be debug, release, asan, ubsan or fuzz)
endif

CFLAGS := $(CFLAGS_BASE) $(CFLAGS_MODE) $(EXTRA_CFLAGS)
LDFLAGS := $(LDFLAGS_MODE) $(EXTRA_LDFLAGS)
LIBS := -luv -lssl -lcrypto -lzstd -ljansson -lhttp_parser -lz -lbrotlienc -lbrotlidec \
        -lpthread -lm

LIB_SRCS := $(filter-out %/main.c,$(wildcard src/*/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/liblightcone.a

UNIT_SRCS := tests/harness.c $(wildcard tests/unit/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
UNIT_BIN := $(BUILD)/test_unit

CLI_SRCS := $(wildcard src/cli/*.c)
CLI_BIN := $(BUILD)/lightcone

TEST_DEPS := $(UNIT_BIN) $(CLI_BIN)
# Fuzz targets (tests/fuzz/fuzz_<input>.c) link libFuzzer in MODE=fuzz and the shared corpus
# replayer tests/fuzz/replay_main.c in every other mode (fragments add $(FUZZ_MAIN)).
FUZZ_MAIN := $(if $(filter fuzz,$(MODE)),,$(BUILD)/tests/fuzz/replay_main.o)
BENCH_BINS :=

.PHONY: all test bench run clean tidy deps
deps:
	@bash scripts/deps
all: $(LIB) $(CLI_BIN) $(UNIT_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(UNIT_BIN): $(UNIT_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJS) $(LIB) $(LIBS)

$(CLI_BIN): $(BUILD)/src/cli/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

include $(wildcard mk/*.mk)

test: deps
	$(MAKE) --no-print-directory $(TEST_DEPS)
	BUILD=$(BUILD) MODE=$(MODE) bash tests/run_all.sh

bench: $(BENCH_BINS)

tidy:
	bash tools/tidy

run: deps
	$(MAKE) --no-print-directory all examples
	$(MAKE) --no-print-directory chat-client || echo "run: the chat page was not built (node/npm?)"
	bash scripts/run.sh $(BUILD)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
