# mk/cli.mk — the server request-path fuzz target (routes, job builder, static sanitizer).
#
#   make fuzz-http_route [FUZZ_SECONDS=60]
#       builds build/fuzz/fuzz_http_route (clang + libFuzzer) and runs it, new inputs going to
#       build/fuzz/corpus-http_route/ (seeds: tests/fuzz/corpus/http_route/).
#   make test
#       builds build/$(MODE)/http_route_replay (the target + tests/fuzz/replay_main.c);
#       tests/suites/66-http-route-replay.sh replays the seeds under the current MODE.
HTTP_ROUTE_FUZZ_BIN := $(BUILD)/fuzz_http_route
HTTP_ROUTE_REPLAY_BIN := $(BUILD)/http_route_replay

$(HTTP_ROUTE_FUZZ_BIN): $(BUILD)/tests/fuzz/fuzz_http_route.o $(LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LIBS)

$(HTTP_ROUTE_REPLAY_BIN): $(BUILD)/tests/fuzz/fuzz_http_route.o $(FUZZ_MAIN) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(FUZZ_MAIN) $(LIB) $(LIBS)

ifneq ($(MODE),fuzz)
TEST_DEPS += $(HTTP_ROUTE_REPLAY_BIN)
endif

.PHONY: fuzz-http_route
fuzz-http_route:
	$(MAKE) --no-print-directory MODE=fuzz build/fuzz/fuzz_http_route
	mkdir -p build/fuzz/corpus-http_route
	build/fuzz/fuzz_http_route -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
	    -rss_limit_mb=2048 build/fuzz/corpus-http_route tests/fuzz/corpus/http_route
