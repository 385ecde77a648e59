# mk/net.mk — net/ fuzz targets (MODE=fuzz) and their corpus replay in every other mode.
#
#   make fuzz-ws | fuzz-http | fuzz-token [FUZZ_SECONDS=60]
#       builds build/fuzz/fuzz_<input> with clang + libFuzzer and runs it for FUZZ_SECONDS,
#       writing new inputs to build/fuzz/corpus-<input>/ (seeds: tests/fuzz/corpus/<input>/).
#   make test
#       builds build/$(MODE)/net_replay_<input> (the same target code with tests/fuzz/replay_main.c) and
#       tests/suites/45-net-fuzz-replay.sh replays the seed corpora under the current MODE.
NET_FUZZ_INPUTS := ws http token
NET_FUZZ_BINS := $(NET_FUZZ_INPUTS:%=$(BUILD)/fuzz_%)
NET_REPLAY_BINS := $(NET_FUZZ_INPUTS:%=$(BUILD)/net_replay_%)
FUZZ_SECONDS ?= 60

$(NET_FUZZ_BINS): $(BUILD)/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LIBS)

$(NET_REPLAY_BINS): $(BUILD)/net_replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_MAIN) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(FUZZ_MAIN) $(LIB) $(LIBS)

ifneq ($(MODE),fuzz)
TEST_DEPS += $(NET_REPLAY_BINS)
endif

.PHONY: fuzz-ws fuzz-http fuzz-token
fuzz-ws fuzz-http fuzz-token: fuzz-%:
	$(MAKE) --no-print-directory MODE=fuzz build/fuzz/fuzz_$*
	mkdir -p build/fuzz/corpus-$*
	build/fuzz/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 build/fuzz/corpus-$* tests/fuzz/corpus/$*

# Benchmark of the net/ building blocks (bench/bench_net.c); figures in docs/benchmarks.md.
$(BUILD)/bench_net: $(BUILD)/bench/bench_net.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
BENCH_BINS += $(BUILD)/bench_net

# All three net fuzzers one after another: make fuzz-net FUZZ_SECONDS=300
.PHONY: fuzz-net
fuzz-net: fuzz-ws fuzz-http fuzz-token
