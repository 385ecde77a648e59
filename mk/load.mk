# mk/load.mk — the WebSocket client's fuzz target, the load generator and the fan-out bench.
#
#   make fuzz-smsg [FUZZ_SECONDS=60]
#       builds build/fuzz/fuzz_smsg (clang + libFuzzer) for the client's ServerMessage decoder
#       and runs it, new inputs going to build/fuzz/corpus-smsg/ (seeds tests/fuzz/corpus/smsg/).
#   make test
#       builds build/$(MODE)/smsg_replay and loadgen; tests/suites/62-ws-client.sh replays the
#       seeds and runs a small keynote load (4 x 4 calls in flight, 1,000 accounts) against an
#       in-process server, checking the balance sum recovered from disk, and a small fan-out
#       (20 subscribers, 20 moves/s) that must reach every subscriber.
#   make bench  (or make $(BUILD)/loadgen)
#       bench/loadgen.c: the keynote transfer load generator (performance.md §1), see its
#       header; bench/keynote/run.sh runs it beside PostgreSQL and Redis.
SMSG_FUZZ_BIN := $(BUILD)/fuzz_smsg
SMSG_REPLAY_BIN := $(BUILD)/smsg_replay

$(SMSG_FUZZ_BIN): $(BUILD)/tests/fuzz/fuzz_smsg.o $(LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LIBS)

$(SMSG_REPLAY_BIN): $(BUILD)/tests/fuzz/fuzz_smsg.o $(FUZZ_MAIN) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(FUZZ_MAIN) $(LIB) $(LIBS)

ifneq ($(MODE),fuzz)
TEST_DEPS += $(SMSG_REPLAY_BIN) $(BUILD)/loadgen $(BUILD)/fanout
endif

.PHONY: fuzz-smsg
fuzz-smsg:
	$(MAKE) --no-print-directory MODE=fuzz build/fuzz/fuzz_smsg
	mkdir -p build/fuzz/corpus-smsg
	build/fuzz/fuzz_smsg -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 build/fuzz/corpus-smsg tests/fuzz/corpus/smsg

$(BUILD)/loadgen: $(BUILD)/bench/loadgen.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
BENCH_BINS += $(BUILD)/loadgen

# PostgreSQL and Redis peers of the keynote benchmark (needs libpq-dev: scripts/deps-bench).
# Not in BENCH_BINS: CI does not install the peers; bench/keynote/run.sh builds it.
$(BUILD)/bench/keynote/peers.o: CFLAGS += -I/usr/include/postgresql -Ibench
$(BUILD)/keynote_peers: $(BUILD)/bench/keynote/peers.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) -lpq $(LIBS)

$(BUILD)/fanout: $(BUILD)/bench/fanout.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
BENCH_BINS += $(BUILD)/fanout
