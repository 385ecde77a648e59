# mk/examples.mk — C module SDK: example modules to wasm32, and their host-less native tests.
#
#   make examples        every examples/<name>/ folder -> build/wasm/<name>.wasm
#                        (all .c files of the folder + sdk/c-module/spacetimedb.c, one wasm each)
#   make test            also builds $(BUILD)/tests/sdk/test_sdk_<name> for each module: the
#                        SAME module sources compiled natively against tests/sdk/fake_host.c;
#                        tests/suites/50-sdk.sh runs them and checks the .wasm files.
#
# The compile command lives in sdk/c-module/build-module.sh (the future `lightcone build` runs
# the same script):
#   clang --target=wasm32 -mcpu=mvp -O2 -std=c17 -ffreestanding -nostdlib -Isdk/c-module \
#         -Wl,--no-entry -o out.wasm examples/<name>/*.c sdk/c-module/spacetimedb.c
# No libc, no WASI: the module imports only spacetime_10.x and exports memory,
# __describe_module__ and __call_reducer__. WASM_CC can point at clang-19 as well.
WASM_CC ?= clang
export WASM_CC
SDK_SRCS := sdk/c-module/spacetimedb.c
SDK_HDRS := sdk/c-module/spacetimedb.h sdk/c-module/spacetimedb_abi.h
EXAMPLE_NAMES := $(patsubst examples/%/,%,$(sort $(dir $(wildcard examples/*/*.c))))
EXAMPLE_WASMS := $(EXAMPLE_NAMES:%=build/wasm/%.wasm)

# Modules that exist only for tests (tests/sdk/modules/<name>/) get the same treatment.
SDK_TEST_MODULES := $(patsubst tests/sdk/modules/%/,%,\
                      $(sort $(dir $(wildcard tests/sdk/modules/*/*.c))))

.PHONY: examples
examples: $(EXAMPLE_WASMS)

define wasm_module_rule
build/wasm/$(1).wasm: $(wildcard $(2)/$(1)/*.c) $(wildcard $(2)/$(1)/*.h) $(SDK_SRCS) $(SDK_HDRS) \
        sdk/c-module/build-module.sh
	sh sdk/c-module/build-module.sh $(2)/$(1) $$@
endef
$(foreach m,$(EXAMPLE_NAMES),$(eval $(call wasm_module_rule,$(m),examples)))
$(foreach m,$(SDK_TEST_MODULES),$(eval $(call wasm_module_rule,$(m),tests/sdk/modules)))

# ---- native, host-less tests
$(BUILD)/sdk/%.o $(BUILD)/examples/%.o $(BUILD)/tests/sdk/%.o: CFLAGS += -Isdk/c-module

SDK_TEST_COMMON := $(BUILD)/tests/sdk/fake_host.o $(BUILD)/tests/sdk/moddef.o \
                   $(BUILD)/tests/harness.o $(BUILD)/sdk/c-module/spacetimedb.o

define sdk_native_test_rule
$(BUILD)/tests/sdk/test_sdk_$(1): $(BUILD)/tests/sdk/test_$(subst -,_,$(1)).o \
        $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(2)/$(1)/*.c)) $(SDK_TEST_COMMON) $(LIB)
	$(CC) $(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIB) $(LIBS)
TEST_DEPS += $(BUILD)/tests/sdk/test_sdk_$(1)
endef
$(foreach m,$(EXAMPLE_NAMES),$(eval $(call sdk_native_test_rule,$(m),examples)))
$(foreach m,$(SDK_TEST_MODULES),$(eval $(call sdk_native_test_rule,$(m),tests/sdk/modules)))

# The .wasm files are checked by the suite when a wasm32-capable clang is present.
ifneq ($(shell command -v $(WASM_CC) 2>/dev/null),)
TEST_DEPS += $(EXAMPLE_WASMS) $(SDK_TEST_MODULES:%=build/wasm/%.wasm)
endif

# Guest cost: wasm instructions executed per call (an instruction-counting copy of the module
# run under node; see tests/sdk/wasm_count.py). Figures go to sdk/c-module/README.md.
.PHONY: sdk-count
SDK_COUNT := $(BUILD)/sdk-count
sdk-count: build/wasm/keynote-bank.wasm build/wasm/basic.wasm \
           $(BUILD)/tests/sdk/test_sdk_keynote-bank $(BUILD)/tests/sdk/test_sdk_basic
	@mkdir -p $(SDK_COUNT)
	@for m in keynote-bank basic; do \
	    python3 tests/sdk/wasm_count.py build/wasm/$$m.wasm $(SDK_COUNT)/$$m.wasm --per-function && \
	    SDK_DESCRIBE_OUT=$(SDK_COUNT)/$$m.desc $(BUILD)/tests/sdk/test_sdk_$$m >/dev/null && \
	    node tests/sdk/wasm_run.mjs $(SDK_COUNT)/$$m.wasm $(SDK_COUNT)/$$m.desc --count \
	        | grep -v '^wasm-run'; \
	done
