# claude-sdk-pattern: the server, its web UI and the pinned Claude Code CLI in one image.
#
#   docker build -t claude-sdk-pattern .
#   docker run -d --name claude-sdk-pattern -p 127.0.0.1:8000:8000 --stop-timeout 35 \
#     -v csp-data:/data -v csp-workspace:/workspace claude-sdk-pattern
#   docker exec claude-sdk-pattern cat /data/api-key      # the generated API key
#
# Stages: `web` (the browser UI), `server` (the release binary, dependencies cached in a
# layer of their own), `cli` (the Claude Code CLI's native binary from npm), then a lean
# Debian runtime that holds only those three results and what sessions need.
# docs/operations.md ("Container") describes volumes, variables and sizing.

# The Claude Code CLI version, pinned (the Makefile's CLAUDE_CLI_VERSION).
ARG CLAUDE_CLI_VERSION=2.1.331

# ---- web: web/dist -------------------------------------------------------------------
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
# `vite build` only: type checking is `make lint`'s job (tsc -b would add 15 s or more here).
RUN npx vite build --logLevel warn

# ---- cli: the Claude Code CLI's native binary ----------------------------------------
# The npm package `@anthropic-ai/claude-code` is a small wrapper whose postinstall copies the
# platform's native binary (from the optional `@anthropic-ai/claude-code-linux-x64` /
# `-linux-arm64` package) over `bin/claude.exe`. That one self-contained ELF is all the
# runtime needs: no Node.js there.
FROM node:20-bookworm-slim AS cli
ARG CLAUDE_CLI_VERSION
WORKDIR /opt/claude-cli
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    echo '{"name":"claude-cli","private":true}' > package.json \
 && npm install --no-audit --no-fund --loglevel=error \
      "@anthropic-ai/claude-code@${CLAUDE_CLI_VERSION}" \
 && cp node_modules/@anthropic-ai/claude-code/bin/claude.exe /opt/claude \
 && rm -rf node_modules \
 && /opt/claude --version | grep -q "^${CLAUDE_CLI_VERSION} " \
 || { echo "the Claude Code CLI ${CLAUDE_CLI_VERSION} did not install a native binary" >&2; exit 1; }

# ---- server: the release binary ------------------------------------------------------
FROM rust:1.95-slim-bookworm AS server
WORKDIR /src
# The image's binary is stripped: build it without debug info (faster) and strip at link.
# The bundled SQLite (one 9 MB C file, on the build's critical path) is compiled at -O2,
# SQLite's own default, instead of the -O3 a release build asks: about a third less time.
ENV CARGO_PROFILE_RELEASE_DEBUG=0 \
    CARGO_PROFILE_RELEASE_STRIP=symbols \
    CFLAGS=-O2 \
    CARGO_TERM_COLOR=never
# libpq-dev: the PostgreSQL client library Diesel links (DATABASE_URL=postgres://…).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*
# Dependencies first, against placeholder sources: this layer is rebuilt only when
# Cargo.toml or Cargo.lock change, so an edit in src/ recompiles only this crate. (Plain
# cargo rather than cargo-chef: installing that tool would cost a cold build more than it
# saves for one crate.) A placeholder for every bench and test Cargo.toml names (it refuses a
# manifest whose bench or test file is missing); the binary does not need them.
COPY Cargo.toml Cargo.lock ./
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    mkdir -p src benches tests \
 && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && for kind in bench:benches test:tests; do \
      for n in $(awk -v h="[[${kind%%:*}]]" '$0 == h {b = 1; next} b && /^name *=/ {gsub(/^name *= *"|"$/, ""); print; b = 0}' Cargo.toml); do \
        echo 'fn main() {}' > "${kind#*:}/$n.rs"; done; done \
 && cargo build --release --locked --bin claude-sdk-pattern \
 && rm -rf src target/release/claude-sdk-pattern* \
      target/release/deps/claude_sdk_pattern-* target/release/deps/libclaude_sdk_pattern-* \
      target/release/.fingerprint/claude-sdk-pattern-*
COPY migrations ./migrations
COPY src ./src
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    cargo build --release --locked --bin claude-sdk-pattern \
 && cp target/release/claude-sdk-pattern /claude-sdk-pattern

# ---- runtime -------------------------------------------------------------------------
FROM debian:bookworm-slim
# What sessions need, and no more (docs/operations.md, "What the image holds"):
# ca-certificates (TLS to the model API, git over https), git (the CLI reads the
# repository's state; agents clone, diff and commit), tini (PID 1: forwards SIGTERM, reaps
# every orphan), procps (ps/kill/pgrep for the agent and for you), curl (the agent's HTTP
# client of choice), libpq5 (the PostgreSQL client library, for DATABASE_URL=postgres://…).
# bash, coreutils, grep, sed, tar, gzip, findutils and diffutils come
# with the base. The CLI carries its own ripgrep.
# Documentation, manual pages and translations are left out, as Debian's slim images do.
RUN printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
      'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
      'path-exclude /usr/share/locale/*' > /etc/dpkg/dpkg.cfg.d/slim-excludes \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git tini procps curl libpq5 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log

# A fixed, non-root uid (10001): chown a bind-mounted directory to it.
RUN groupadd --gid 10001 app \
 && useradd --uid 10001 --gid app --home-dir /home/app --create-home --shell /bin/bash app \
 && mkdir -p /data /workspace \
 && chown app:app /data /workspace

COPY --from=cli /opt/claude /usr/local/bin/claude
COPY --from=server /claude-sdk-pattern /app/claude-sdk-pattern
# The server finds web/dist beside its binary (/app/web/dist).
COPY --from=web /src/web/dist /app/web/dist
RUN ln -s /app/claude-sdk-pattern /usr/local/bin/claude-sdk-pattern \
 && claude --version && claude-sdk-pattern --version

# Every path the server writes lives in a volume: /data holds the database, the generated
# API key and the CLI's state (CLAUDE_CONFIG_DIR: session transcripts, which resume reads
# back after a restart); /workspace is where sessions work.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_URL=/data/claude-sdk-pattern.db \
    CLAUDE_SDK_PATTERN_API_KEY_FILE=/data/api-key \
    CLAUDE_CONFIG_DIR=/data/claude \
    WORKSPACE_DIR=/workspace \
    CLAUDE_CLI_PATH=/usr/local/bin/claude \
    DISABLE_AUTOUPDATER=1
VOLUME ["/data", "/workspace"]
USER app
WORKDIR /workspace
EXPOSE 8000

# Liveness, not readiness: a busy server (at capacity, pool refilling, draining) is healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["claude-sdk-pattern", "healthcheck"]

# tini is PID 1: it forwards SIGTERM to the server and reaps any process re-parented to
# it; the server stays a child subreaper for its own sessions' processes.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tini", "--", "claude-sdk-pattern"]
