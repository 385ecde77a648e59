# mk/sql.mk — SQL parser fuzzing.
#
#   make fuzz-sql [FUZZ_SECS=300]   build tests/fuzz/fuzz_sql.c with libFuzzer (MODE=fuzz, clang)
#                                   and run it on a copy of the seed corpus for FUZZ_SECS
#   make test                       (any other mode) builds $(BUILD)/fuzz_sql_replay, which the
#                                   suite tests/suites/30-sql-fuzz-replay.sh runs over the corpus
FUZZ_SECS ?= 120

ifeq ($(MODE),fuzz)
$(BUILD)/fuzz_sql: $(BUILD)/tests/fuzz/fuzz_sql.o $(LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LIBS)
else
$(BUILD)/fuzz_sql_replay: $(BUILD)/tests/fuzz/fuzz_sql.o $(FUZZ_MAIN) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(FUZZ_MAIN) $(LIB) $(LIBS)
TEST_DEPS += $(BUILD)/fuzz_sql_replay
endif

.PHONY: fuzz-sql
fuzz-sql:
	$(MAKE) --no-print-directory MODE=fuzz build/fuzz/fuzz_sql
	mkdir -p build/fuzz/corpus-sql
	cp -n tests/fuzz/corpus/sql/* build/fuzz/corpus-sql/ 2>/dev/null || true
	build/fuzz/fuzz_sql -max_total_time=$(FUZZ_SECS) -max_len=4096 -timeout=10 \
	    -rss_limit_mb=2048 -dict=tests/fuzz/fuzz_sql.dict build/fuzz/corpus-sql tests/fuzz/corpus/sql

# Benchmark: SQL front-end cost (see bench/bench_sql.c for the command and output).
$(BUILD)/bench_sql: $(BUILD)/bench/bench_sql.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
BENCH_BINS += $(BUILD)/bench_sql
