# mk/server.mk — net/proto fuzz target and the server's test programs.
#
#   make fuzz-proto [FUZZ_SECONDS=60]
#       builds build/fuzz/fuzz_proto (clang + libFuzzer) and runs it, new inputs going to
#       build/fuzz/corpus-proto/ (seeds: tests/fuzz/corpus/proto/).
#   make test
#       builds build/$(MODE)/proto_replay (the same target with tests/fuzz/replay_main.c);
#       tests/suites/60-server.sh replays the seed corpus under the current MODE.
PROTO_FUZZ_BIN := $(BUILD)/fuzz_proto
PROTO_REPLAY_BIN := $(BUILD)/proto_replay

$(PROTO_FUZZ_BIN): $(BUILD)/tests/fuzz/fuzz_proto.o $(LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LIBS)

$(PROTO_REPLAY_BIN): $(BUILD)/tests/fuzz/fuzz_proto.o $(FUZZ_MAIN) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(FUZZ_MAIN) $(LIB) $(LIBS)

ifneq ($(MODE),fuzz)
TEST_DEPS += $(PROTO_REPLAY_BIN)
endif

.PHONY: fuzz-proto
fuzz-proto:
	$(MAKE) --no-print-directory MODE=fuzz build/fuzz/fuzz_proto
	mkdir -p build/fuzz/corpus-proto
	build/fuzz/fuzz_proto -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 build/fuzz/corpus-proto tests/fuzz/corpus/proto

# Subscription fan-out through the real server (bench/bench_sub.c; figures in
# docs/benchmarks.md): build/$(MODE)/bench_sub [clients] [seconds] [rows] [inflight]
$(BUILD)/bench_sub: $(BUILD)/bench/bench_sub.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
BENCH_BINS += $(BUILD)/bench_sub
