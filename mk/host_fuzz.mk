# mk/host_fuzz.mk — the module-description decoder's fuzz target (tests/fuzz/fuzz_moddef.c).
#
#   make fuzz-moddef [FUZZ_SECONDS=60]   builds build/fuzz/fuzz_moddef (clang + libFuzzer) and
#                                        fuzzes; new inputs in build/fuzz/corpus-moddef, seeds in
#                                        tests/fuzz/corpus/moddef, crashes in build/fuzz/
# In every other MODE the same source builds a replayer that tests/suites/34-moddef-fuzz-replay.sh
# runs over the seed corpus and the saved reproducers under `make test`.
FUZZ_MODDEF := $(BUILD)/fuzz_moddef
ifeq ($(MODE),fuzz)
FUZZ_MODDEF_LDFLAGS := -fsanitize=fuzzer
else
FUZZ_MODDEF_LDFLAGS :=
TEST_DEPS += $(FUZZ_MODDEF)
endif

$(FUZZ_MODDEF): $(BUILD)/tests/fuzz/fuzz_moddef.o $(FUZZ_MAIN) $(LIB)
	$(CC) $(LDFLAGS) $(FUZZ_MODDEF_LDFLAGS) -o $@ $< $(FUZZ_MAIN) $(LIB) $(LIBS)

FUZZ_SECONDS ?= 60
.PHONY: fuzz-moddef
fuzz-moddef:
	$(MAKE) --no-print-directory MODE=fuzz build/fuzz/fuzz_moddef
	mkdir -p build/fuzz/corpus-moddef
	build/fuzz/fuzz_moddef -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix=build/fuzz/moddef- \
	    build/fuzz/corpus-moddef tests/fuzz/corpus/moddef

# The outbound HTTP response reader (tests/fuzz/fuzz_http_out.c), the same way:
#   make fuzz-http-out [FUZZ_SECONDS=60]; replayed by tests/suites/46-http-out-fuzz-replay.sh.
FUZZ_HTTP_OUT := $(BUILD)/fuzz_http_out
ifneq ($(MODE),fuzz)
TEST_DEPS += $(FUZZ_HTTP_OUT)
endif

$(FUZZ_HTTP_OUT): $(BUILD)/tests/fuzz/fuzz_http_out.o $(FUZZ_MAIN) $(LIB)
	$(CC) $(LDFLAGS) $(FUZZ_MODDEF_LDFLAGS) -o $@ $< $(FUZZ_MAIN) $(LIB) $(LIBS)

.PHONY: fuzz-http-out
fuzz-http-out:
	$(MAKE) --no-print-directory MODE=fuzz build/fuzz/fuzz_http_out
	mkdir -p build/fuzz/corpus-http_out
	build/fuzz/fuzz_http_out -max_total_time=$(FUZZ_SECONDS) -max_len=70000 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix=build/fuzz/http_out- \
	    build/fuzz/corpus-http_out tests/fuzz/corpus/http_out
