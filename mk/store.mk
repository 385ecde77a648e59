# mk/store.mk — store/ programs: the in-process transfer benchmark.
#
#   make MODE=release bench && build/release/bench_store [transfers] [accounts]
BENCH_STORE_BIN := $(BUILD)/bench_store

$(BENCH_STORE_BIN): $(BUILD)/bench/bench_store.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

BENCH_BINS += $(BENCH_STORE_BIN)

# Fuzz target for store_txdata_apply / store_snapshot_decode (tests/fuzz/fuzz_store.c).
#   make fuzz-store [FUZZ_SECONDS=60]     libFuzzer run (clang, MODE=fuzz)
# In other modes the same source is a replayer of the seed corpus (tests/suites/16-store-fuzz-
# replay.sh, cheap), and `fuzz_store --make-seeds DIR` regenerates the seeds.
FUZZ_STORE := $(BUILD)/fuzz_store
ifeq ($(MODE),fuzz)
FUZZ_STORE_LDFLAGS := -fsanitize=fuzzer
else
FUZZ_STORE_LDFLAGS :=
TEST_DEPS += $(FUZZ_STORE)
endif

$(FUZZ_STORE): $(BUILD)/tests/fuzz/fuzz_store.o $(FUZZ_MAIN) $(LIB)
	$(CC) $(LDFLAGS) $(FUZZ_STORE_LDFLAGS) -o $@ $< $(FUZZ_MAIN) $(LIB) $(LIBS)

.PHONY: fuzz-store
fuzz-store:
	$(MAKE) --no-print-directory MODE=fuzz build/fuzz/fuzz_store
	mkdir -p build/fuzz/corpus-store
	build/fuzz/fuzz_store -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    build/fuzz/corpus-store tests/fuzz/corpus/store
