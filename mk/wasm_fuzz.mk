# mk/wasm_fuzz.mk — the WebAssembly engine's fuzz target (tests/fuzz/fuzz_wasm.c).
#
#   make fuzz-wasm [FUZZ_SECONDS=60]   builds build/fuzz/fuzz_wasm (clang + libFuzzer) and fuzzes,
#                                      new inputs in build/fuzz/corpus-wasm, seeds in
#                                      tests/fuzz/corpus/wasm, crashes in build/fuzz/
# In every other MODE the same source builds a replayer that tests/suites/32-wasm-fuzz-replay.sh
# runs over the seed corpus and the saved reproducers under `make test`.
FUZZ_WASM := $(BUILD)/fuzz_wasm
ifeq ($(MODE),fuzz)
FUZZ_WASM_LDFLAGS := -fsanitize=fuzzer
else
FUZZ_WASM_LDFLAGS :=
ifneq ($(wildcard src/wasm/*.c),)
TEST_DEPS += $(FUZZ_WASM)
endif
endif

$(FUZZ_WASM): $(BUILD)/tests/fuzz/fuzz_wasm.o $(FUZZ_MAIN) $(LIB)
	$(CC) $(LDFLAGS) $(FUZZ_WASM_LDFLAGS) -o $@ $< $(FUZZ_MAIN) $(LIB) $(LIBS)

FUZZ_SECONDS ?= 60
.PHONY: fuzz-wasm
fuzz-wasm:
	$(MAKE) --no-print-directory MODE=fuzz build/fuzz/fuzz_wasm
	mkdir -p build/fuzz/corpus-wasm
	build/fuzz/fuzz_wasm -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix=build/fuzz/wasm- \
	    build/fuzz/corpus-wasm tests/fuzz/corpus/wasm
