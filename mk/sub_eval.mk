# mk/sub_eval.mk — subscription evaluation benchmark (bench/bench_sub_eval.c: pruning by
# search arguments, incremental join deltas; figures in docs/benchmarks.md).
$(BUILD)/bench_sub_eval: $(BUILD)/bench/bench_sub_eval.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
BENCH_BINS += $(BUILD)/bench_sub_eval
