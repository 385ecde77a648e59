# mk/sql_exec.mk — SQL execution: the sqllogictest runner (tests/slt/slt_runner.c), run over
# tests/slt/*.slt by tests/suites/35-slt.sh.
$(BUILD)/slt_runner: $(BUILD)/tests/slt/slt_runner.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
TEST_DEPS += $(BUILD)/slt_runner

# Benchmark: SQL execution (see bench/bench_sql_exec.c for the command and output).
$(BUILD)/bench_sql_exec: $(BUILD)/bench/bench_sql_exec.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
BENCH_BINS += $(BUILD)/bench_sql_exec
