# mk/e2e.mk — the browser chat of examples/quickstart-chat/client and the end-to-end tests.
#
#   make chat-client   examples/quickstart-chat/client/dist/ (npm ci there if needed; bindings
#                      from this $(BUILD)'s `lightcone generate`; esbuild bundle)
#   make run           (Makefile) builds it and serves it with `lightcone start --web-root`
#
# tests/suites/70-e2e-ts.sh rebuilds the page itself when node is there, so `make test` does
# not depend on npm.
CHAT_CLIENT := examples/quickstart-chat/client
CHAT_CLIENT_DIST := $(CHAT_CLIENT)/dist/index.html

.PHONY: chat-client
chat-client: $(CHAT_CLIENT_DIST)

$(CHAT_CLIENT_DIST): $(CLI_BIN) build/wasm/quickstart-chat.wasm $(wildcard $(CHAT_CLIENT)/src/*) \
        $(CHAT_CLIENT)/build.mjs $(CHAT_CLIENT)/package-lock.json
	cd $(CHAT_CLIENT) && { [ -d node_modules/spacetimedb ] || npm ci --no-audit --no-fund; } && \
	    BUILD=$(BUILD) node build.mjs
