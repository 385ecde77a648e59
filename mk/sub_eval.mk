# mk/sub_eval.mk — subscriptions: the evaluation benchmark (bench/bench_sub_eval.c: pruning by
# search arguments, incremental join deltas; figures in docs/benchmarks.md).
$(BUILD)/bench_sub_eval: $(BUILD)/bench/bench_sub_eval.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
BENCH_BINS += $(BUILD)/bench_sub_eval

# Fuzz target for subscription compilation and evaluation (tests/fuzz/fuzz_sub.c).
#   make fuzz-sub [FUZZ_SECONDS=60]   builds build/fuzz/fuzz_sub (clang + libFuzzer) and fuzzes;
#                                     new inputs in build/fuzz/corpus-sub, seeds in
#                                     tests/fuzz/corpus/sub
# In every other MODE the same source builds a replayer that tests/suites/36-sub-fuzz-replay.sh
# runs over the seed corpus under `make test`.
FUZZ_SUB := $(BUILD)/fuzz_sub
ifeq ($(MODE),fuzz)
FUZZ_SUB_LDFLAGS := -fsanitize=fuzzer
else
FUZZ_SUB_LDFLAGS :=
TEST_DEPS += $(FUZZ_SUB)
endif

$(FUZZ_SUB): $(BUILD)/tests/fuzz/fuzz_sub.o $(FUZZ_MAIN) $(LIB)
	$(CC) $(LDFLAGS) $(FUZZ_SUB_LDFLAGS) -o $@ $< $(FUZZ_MAIN) $(LIB) $(LIBS)

.PHONY: fuzz-sub
fuzz-sub:
	$(MAKE) --no-print-directory MODE=fuzz build/fuzz/fuzz_sub
	mkdir -p build/fuzz/corpus-sub
	build/fuzz/fuzz_sub -max_total_time=$(FUZZ_SECONDS) -max_len=1024 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix=build/fuzz/sub- -dict=tests/fuzz/fuzz_sql.dict \
	    build/fuzz/corpus-sub tests/fuzz/corpus/sub
