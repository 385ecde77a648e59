# mk/value.mk — value/ programs: the BSATN fuzz target.
#
#   make MODE=fuzz build/fuzz/fuzz_bsatn     libFuzzer binary (clang)
#   make fuzz-bsatn [FUZZ_SECONDS=60]        build it and fuzz, corpus in build/fuzz/corpus-bsatn
# In every other mode the same source builds a replayer of the seed corpus, which
# tests/suites/15-value-fuzz-replay.sh runs under `make test` (cheap: well under a second).
FUZZ_BSATN := $(BUILD)/fuzz_bsatn
ifeq ($(MODE),fuzz)
FUZZ_BSATN_LDFLAGS := -fsanitize=fuzzer
else
FUZZ_BSATN_LDFLAGS :=
TEST_DEPS += $(FUZZ_BSATN)
endif

$(FUZZ_BSATN): $(BUILD)/tests/fuzz/fuzz_bsatn.o $(FUZZ_MAIN) $(LIB)
	$(CC) $(LDFLAGS) $(FUZZ_BSATN_LDFLAGS) -o $@ $< $(FUZZ_MAIN) $(LIB) $(LIBS)

FUZZ_SECONDS ?= 60
.PHONY: fuzz-bsatn
fuzz-bsatn:
	$(MAKE) --no-print-directory MODE=fuzz build/fuzz/fuzz_bsatn
	mkdir -p build/fuzz/corpus-bsatn
	build/fuzz/fuzz_bsatn -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    build/fuzz/corpus-bsatn tests/fuzz/corpus/bsatn

# Benchmark of the value/ hot paths (cmp, validate, skip, to_json) against same-run baselines.
BENCH_VALUE := $(BUILD)/bench_value
BENCH_BINS += $(BENCH_VALUE)
$(BENCH_VALUE): $(BUILD)/bench/bench_value.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
