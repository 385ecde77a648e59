# mk/wasm_bench.mk — the WebAssembly benchmark (bench/bench_wasm.c) and its kernels.
#
# bench/kernels/kernels.c is compiled three times from the same source:
#   natively:  $(CC) -O2 (whatever MODE, so the baseline is always optimised code)
#   natively:  clang -O2 with the C names prefixed clang_ (a second, same-compiler baseline)
#   to wasm32: clang --target=wasm32 -O2 -nostdlib, linked by wasm-ld (package lld)
# bench_wasm links the native object and loads kernels.wasm (path compiled in).
#   make MODE=release bench && build/release/bench_wasm
# tests/suites/31-wasm-kernels.sh runs `bench_wasm --check` (native and wasm must agree).
WASM_CLANG ?= clang
WASM_BENCH_DIR := $(BUILD)/bench
WASM_KERNELS_WASM := $(WASM_BENCH_DIR)/kernels.wasm
WASM_KERNELS_NATIVE := $(WASM_BENCH_DIR)/kernels_native.o
WASM_KERNELS_CLANG := $(WASM_BENCH_DIR)/kernels_clang.o
WASM_BENCH_BIN := $(BUILD)/bench_wasm

$(WASM_KERNELS_WASM): bench/kernels/kernels.c
	@mkdir -p $(dir $@)
	$(WASM_CLANG) --target=wasm32 -O2 -nostdlib -Wall -Wextra -Werror \
		-Wl,--no-entry -Wl,--export-dynamic -o $@ $<

$(WASM_KERNELS_NATIVE): bench/kernels/kernels.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O2 -Wall -Wextra -Werror -c -o $@ $<

$(WASM_KERNELS_CLANG): bench/kernels/kernels.c
	@mkdir -p $(dir $@)
	$(WASM_CLANG) -std=c17 -O2 -Wall -Wextra -Werror -DKB_PREFIX=clang_ -c -o $@ $<

$(BUILD)/bench/bench_wasm.o: CFLAGS += -DLC_BENCH_KERNELS_WASM='"$(WASM_KERNELS_WASM)"'

$(WASM_BENCH_BIN): $(BUILD)/bench/bench_wasm.o $(WASM_KERNELS_NATIVE) $(WASM_KERNELS_CLANG) \
                   $(LIB) $(WASM_KERNELS_WASM)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/bench/bench_wasm.o $(WASM_KERNELS_NATIVE) \
	    $(WASM_KERNELS_CLANG) $(LIB) $(LIBS)

BENCH_BINS += $(WASM_BENCH_BIN)
ifneq ($(wildcard src/wasm/*.c),)
TEST_DEPS += $(WASM_BENCH_BIN)
endif
