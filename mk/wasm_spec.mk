# mk/wasm_spec.mk — the WebAssembly spec-test runner (tests/wasm-spec/), run by
# tests/suites/30-wasm-spec.sh. The runner links the engine from liblightcone.a and jansson
# (in $(LIBS)) to read the JSON that wast2json writes.
# The runner links against the engine, so it is built once src/wasm/ has sources (before
# that the suite reports that there is no engine to test).
WASM_SPEC_SRCS := $(wildcard tests/wasm-spec/*.c)
WASM_SPEC_OBJS := $(WASM_SPEC_SRCS:%.c=$(BUILD)/%.o)
WASM_SPEC_RUNNER := $(BUILD)/wasm_spec_runner

$(WASM_SPEC_RUNNER): $(WASM_SPEC_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(WASM_SPEC_OBJS) $(LIB) $(LIBS)

ifneq ($(wildcard src/wasm/*.c),)
TEST_DEPS += $(WASM_SPEC_RUNNER)
endif

.PHONY: wasm-spec
wasm-spec: $(WASM_SPEC_RUNNER)
	BUILD=$(BUILD) MODE=$(MODE) bash tests/suites/30-wasm-spec.sh
