# mk/host.mk — the module host (src/host/): test modules and the host benchmark.
#
# Host unit tests (tests/unit/test_host_*.c) load build/wasm/<name>.wasm: the example modules
# (mk/examples.mk) and the test-only modules under tests/host/modules/<name>/ built here with
# the same SDK script (each depends on every test module source: hosttest_v2 includes hosttest). `make test` builds them first when a wasm32-capable clang is present.
HOST_TEST_MODULES := $(patsubst tests/host/modules/%/,%,$(sort $(dir $(wildcard tests/host/modules/*/*.c))))
define host_module_rule
build/wasm/$(1).wasm: $(wildcard tests/host/modules/*/*.c) sdk/c-module/spacetimedb.c \
        sdk/c-module/spacetimedb.h sdk/c-module/spacetimedb_abi.h sdk/c-module/build-module.sh
	sh sdk/c-module/build-module.sh tests/host/modules/$(1) $$@
endef
$(foreach m,$(HOST_TEST_MODULES),$(eval $(call host_module_rule,$(m))))

ifneq ($(shell command -v $(WASM_CC) 2>/dev/null),)
TEST_DEPS += $(HOST_TEST_MODULES:%=build/wasm/%.wasm) build/wasm/keynote-bank.wasm \
             build/wasm/quickstart-chat.wasm build/wasm/ticker.wasm
endif

$(BUILD)/bench/bench_host: $(BUILD)/bench/bench_host.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(LIBS)
BENCH_BINS += $(BUILD)/bench/bench_host

.PHONY: bench-host
bench-host: $(BUILD)/bench/bench_host build/wasm/keynote-bank.wasm build/wasm/hosttest.wasm
	$(BUILD)/bench/bench_host

# Republish rebuild cost (bench/bench_migrate.c): store_table_rebuild vs inserting the rows.
$(BUILD)/bench/bench_migrate: $(BUILD)/bench/bench_migrate.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(LIBS)
BENCH_BINS += $(BUILD)/bench/bench_migrate

.PHONY: bench-migrate
bench-migrate: $(BUILD)/bench/bench_migrate
	$(BUILD)/bench/bench_migrate
