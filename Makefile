# claude-sdk-pattern — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Claude Code CLI, pinned, installed into a git-ignored project-local folder.
CLAUDE_CLI_VERSION := 2.1.331
CLI_DIR := .tools/claude-cli
CLI_BIN := $(CLI_DIR)/node_modules/.bin/claude
CLI_STAMP := $(CLI_DIR)/.installed-$(CLAUDE_CLI_VERSION)

CARGO ?= cargo

.PHONY: help setup run build test test-rust lint bench clean

help:
	@echo "make run    start the server (and UI) on embedded defaults"
	@echo "make test   run every test"
	@echo "make bench  measure latency and memory (writes docs/benchmarks.md)"
	@echo "make lint   rustfmt and clippy"

## setup: install the pinned Claude Code CLI (npm) and check that it runs.
setup: $(CLI_STAMP)

$(CLI_STAMP):
	@command -v npm >/dev/null || { echo "npm is required to install the Claude Code CLI (apt-get install npm)"; exit 1; }
	@rm -rf $(CLI_DIR) && mkdir -p $(CLI_DIR)
	@echo '{"name":"claude-cli-local","private":true}' > $(CLI_DIR)/package.json
	cd $(CLI_DIR) && npm install --no-audit --no-fund --loglevel=error \
		@anthropic-ai/claude-code@$(CLAUDE_CLI_VERSION)
	@version=$$($(CLI_BIN) --version) && echo "Claude Code CLI: $$version" && \
		[[ "$$version" == $(CLAUDE_CLI_VERSION)* ]] || { echo "unexpected CLI version: $$version"; exit 1; }
	@touch $@

build:
	$(CARGO) build --release --locked

## run: the product on embedded defaults (SQLite under ./data, a generated local key).
run: setup build
	@scripts/run-local.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

test-rust: setup
	$(CARGO) test --locked --lib --bins --tests

## test: everything, failing on the first broken part.
test: lint test-rust

## bench: measure (release build, against the model stub) and rewrite docs/benchmarks.md.
bench: setup
	@rm -rf target/bench && mkdir -p target/bench
	$(CARGO) bench --locked --bench protocol
	$(CARGO) bench --locked --bench engine
	$(CARGO) bench --locked --bench api
	@scripts/write-benchmarks.sh

clean:
	$(CARGO) clean
	rm -rf $(CLI_DIR)
