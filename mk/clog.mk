# mk/clog.mk — commit-log test programs: the kill -9 crash test and the clog benchmark.
CRASH_BIN := $(BUILD)/crash_test
BENCH_CLOG_BIN := $(BUILD)/bench_clog

$(CRASH_BIN): $(BUILD)/tests/crash/crash_test.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

$(BENCH_CLOG_BIN): $(BUILD)/bench/bench_clog.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

TEST_DEPS += $(CRASH_BIN)
BENCH_BINS += $(BENCH_CLOG_BIN)

# libFuzzer target for segment scanning and snapshot reading (MODE=fuzz only).
FUZZ_CLOG_BIN := $(BUILD)/fuzz_clog
$(FUZZ_CLOG_BIN): $(BUILD)/tests/fuzz/fuzz_clog.o $(LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LIBS)
.PHONY: fuzz-clog
fuzz-clog: $(FUZZ_CLOG_BIN)
	mkdir -p $(BUILD)/corpus-clog
	$(FUZZ_CLOG_BIN) -max_total_time=$${LC_FUZZ_SECONDS:-60} -max_len=4096 \
	    $(BUILD)/corpus-clog tests/fuzz/corpus/clog
