# claude-sdk-pattern — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Claude Code CLI, pinned, installed into a git-ignored project-local folder.
CLAUDE_CLI_VERSION := 2.1.331
CLI_DIR := .tools/claude-cli
CLI_BIN := $(CLI_DIR)/node_modules/.bin/claude
CLI_STAMP := $(CLI_DIR)/.installed-$(CLAUDE_CLI_VERSION)

CARGO ?= cargo

# The web UI (web/): its npm packages, installed again whenever the lock file changes.
WEB_STAMP := web/node_modules/.installed
# The debug server binary the end-to-end tests start (cargo honours CARGO_TARGET_DIR).
SERVER_DEBUG_BIN := $(abspath $(or $(CARGO_TARGET_DIR),target)/debug/claude-sdk-pattern)
# The release server binary the browser benchmark of the UI starts.
SERVER_RELEASE_BIN := $(abspath $(or $(CARGO_TARGET_DIR),target)/release/claude-sdk-pattern)

# schemathesis for the contract test, pinned (every package) in tests/contract/requirements.txt,
# installed into a git-ignored project-local venv.
PYTHON ?= python3
CONTRACT_VENV := .tools/contract-venv
CONTRACT_STAMP := $(CONTRACT_VENV)/.installed
# kubectl (for its kustomize), kubernetes-validate and checkov for the Kubernetes manifests,
# pinned (every package) in tests/deploy/requirements.txt, in a venv of their own.
DEPLOY_VENV := .tools/deploy-venv
DEPLOY_STAMP := $(DEPLOY_VENV)/.installed

# The container image `make image` builds (docker, or podman where no Docker engine runs).
IMAGE ?= claude-sdk-pattern:latest

.PHONY: help setup run build web-build test test-rust test-rust-both test-cluster test-web test-e2e test-container lint bench \
	bench-container image clean test-contract test-deploy test-readonly-root fuzz soak test-soak

help:
	@echo "make run    start the server (and UI) on embedded defaults"
	@echo "make test   run every test"
	@echo "make bench  measure latency, memory and the web UI (writes docs/benchmarks.md)"
	@echo "make soak   sessions with faults injected for SOAK_MINUTES (10), then the invariants"
	@echo "make image  build the container image ($(IMAGE)) with docker or podman"
	@echo "make lint   rustfmt, clippy, eslint and tsc"
	@echo "make fuzz   run each fuzz target for FUZZ_SECONDS (default 60)"

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

$(WEB_STAMP): web/package-lock.json web/package.json
	@command -v npm >/dev/null || { echo "npm is required to build the web UI (apt-get install npm)"; exit 1; }
	cd web && npm ci --no-audit --no-fund
	@touch $@

## web-build: the browser UI into web/dist (served by the server at /).
web-build: $(WEB_STAMP)
	cd web && npm run build

## run: the product on embedded defaults (SQLite under ./data, a generated local key).
run: setup build web-build
	@scripts/run-local.sh

lint: $(WEB_STAMP)
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	cd web && npm run lint
	cd web && npm run typecheck

## test-rust: the Rust tests on SQLite — with the repository tests on PostgreSQL too — then
## the black-box API suite again on PostgreSQL (docs/testing.md, "PostgreSQL"). Without
## TEST_DATABASE_URL, scripts/with-postgres.sh starts a throwaway loopback server when the
## PostgreSQL server programs are installed; with neither, the PostgreSQL runs print SKIPPED.
test-rust: setup
	scripts/with-postgres.sh $(MAKE) --no-print-directory test-rust-both

test-rust-both:
	env -u SOAK_MINUTES $(CARGO) test --locked --lib --bins --tests
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "The API suite on PostgreSQL:"; \
	  env -u SOAK_MINUTES TEST_BACKEND=postgres $(CARGO) test --locked --test api; \
	else echo "SKIPPED: the API suite on PostgreSQL (no TEST_DATABASE_URL)"; fi

## test-cluster: only the replica tests (tests/cluster/: three replicas in replica mode on
## PostgreSQL behind HAProxy; docs/testing.md, "Replicas"). `make test` runs them with the
## other Rust tests (`cargo test --tests` inside scripts/with-postgres.sh). Without
## PostgreSQL or haproxy (Debian package haproxy) they print SKIPPED, unless
## REQUIRE_POSTGRES=1.
test-cluster: setup
	scripts/with-postgres.sh env -u SOAK_MINUTES $(CARGO) test --locked --test cluster

## test-readonly-root: the API tests with real CLI turns again under a read-only root
## filesystem (only a tmpfs /tmp writable), as deploy/kubernetes runs the server.
test-readonly-root: setup
	scripts/test-readonly-root.sh

test-web: $(WEB_STAMP)
	cd web && npm test

$(CONTRACT_STAMP): tests/contract/requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "python3 (with venv) is required for the contract test"; exit 1; }
	@rm -rf $(CONTRACT_VENV)
	$(PYTHON) -m venv $(CONTRACT_VENV)
	$(CONTRACT_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps \
		-r tests/contract/requirements.txt
	@touch $@

## test-contract: schemathesis against the live debug server (scripts/contract-test.sh).
test-contract: setup $(CONTRACT_STAMP)
	$(CARGO) build --locked
	SERVER_BIN="$(SERVER_DEBUG_BIN)" scripts/contract-test.sh

$(DEPLOY_STAMP): tests/deploy/requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "python3 (with venv) is required for the deploy check"; exit 1; }
	@rm -rf $(DEPLOY_VENV)
	$(PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps \
		-r tests/deploy/requirements.txt
	@touch $@

## test-deploy: render and check the Kubernetes manifests (deploy/kubernetes) without a
## cluster: kustomize, kubernetes-validate, our sizing rules, checkov (scripts/check-deploy.sh).
test-deploy: $(DEPLOY_STAMP)
	DEPLOY_VENV=$(DEPLOY_VENV) scripts/check-deploy.sh

## fuzz: the fuzz targets (fuzz/), FUZZ_SECONDS each (default 60); not part of `make test`
## (docs/testing.md says why). Builds libFuzzer with g++ (installed if missing, as root).
fuzz:
	scripts/fuzz.sh

## test-e2e: the debug server, the built UI and headless Chromium (web/e2e/).
test-e2e: setup $(WEB_STAMP) web-build
	$(CARGO) build --locked
	cd web && SERVER_BIN="$(SERVER_DEBUG_BIN)" npm run e2e

## test-container: build the image under a temporary tag and test the running container
## (tests/container/); prints SKIPPED without docker or podman.
test-container:
	@CLAUDE_CLI_VERSION=$(CLAUDE_CLI_VERSION) scripts/test-container.sh

## soak: SOAK_SESSIONS (30) users talking through the real server and CLI for SOAK_MINUTES
## (10) while faults are injected at random, then the invariants (tests/soak/); writes the
## "Soak and chaos" section of docs/benchmarks.md. SOAK_SEED replays the draws.
SOAK_MINUTES ?= 10
SOAK_SESSIONS ?= 30
soak: setup
	SOAK_MINUTES=$(SOAK_MINUTES) SOAK_SESSIONS=$(SOAK_SESSIONS) $(CARGO) test --locked --test soak
	@scripts/write-soak.sh

## test-soak: the soak for 2 minutes with 10 sessions (sized for a shared 2-core machine:
## about 6 CLIs live at once); nothing written to docs/. Part of `make test`.
test-soak: setup
	SOAK_MINUTES=2 SOAK_SESSIONS=10 $(CARGO) test --locked --test soak

## test: everything, cheapest first, failing on the first broken part.
test: lint test-deploy test-web test-rust test-soak test-readonly-root test-contract test-e2e test-container

## image: the container image (Dockerfile); run it as docs/operations.md says.
image:
	@CLAUDE_CLI_VERSION=$(CLAUDE_CLI_VERSION) scripts/build-image.sh $(IMAGE)

## bench: measure (release build, against the model stub) and rewrite docs/benchmarks.md;
## the UI in headless Chromium against the release server (web/bench/).
bench: setup web-build build
	@rm -rf target/bench && mkdir -p target/bench
	$(CARGO) bench --locked --bench protocol
	$(CARGO) bench --locked --bench engine
	$(CARGO) bench --locked --bench api
	$(CARGO) bench --locked --bench find
	$(CARGO) bench --locked --bench pool_burst
	$(CARGO) bench --locked --bench first_message
	$(CARGO) bench --locked --bench spawn_per_message
	$(CARGO) bench --locked --bench history_growth
	$(CARGO) bench --locked --bench mentions
	scripts/with-postgres.sh $(CARGO) bench --locked --bench forwarding
	cd web && SERVER_BIN="$(SERVER_RELEASE_BIN)" npm run bench
	@scripts/write-benchmarks.sh

## bench-container: measure the image (cold build, rebuild, size, start and stop) and write
## its section of docs/benchmarks.md. Takes minutes: a cold build uses the whole machine.
bench-container:
	@CLAUDE_CLI_VERSION=$(CLAUDE_CLI_VERSION) scripts/bench-container.sh

clean:
	$(CARGO) clean
	rm -rf $(CLI_DIR) web/node_modules web/dist web/e2e-artifacts
