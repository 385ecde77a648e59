# mk/store.mk — store/ programs: the in-process transfer benchmark.
#
#   make MODE=release bench && build/release/bench_store [transfers] [accounts]
BENCH_STORE_BIN := $(BUILD)/bench_store

$(BENCH_STORE_BIN): $(BUILD)/bench/bench_store.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

BENCH_BINS += $(BENCH_STORE_BIN)
