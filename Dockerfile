# syntax=docker/dockerfile:1
# zhaoshang container image.
#   docker build -t zhaoshang .
#   docker run --env-file deploy/zhaoshang.env.example -p 9464:9464 \
#     -v zhaoshang-state:/var/lib/zhaoshang zhaoshang
# What can be checked without a Docker engine is checked by
# tests/ops_dockerfile.rs (paths, packages, the binary in a clean environment).

# ---- build ------------------------------------------------------------------
FROM rust:1-slim-bookworm AS build
# rdkafka builds the bundled librdkafka (./configure + make), vendored
# OpenSSL (perl, make) and zstd (cc); libz-sys links the system zlib;
# binutils (in build-essential) strips the binary.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential perl pkg-config zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Sources the build reads: the manifest and lockfile, the code, the targets
# the manifest declares (cargo refuses a manifest whose [[bench]] file is
# missing), and the files compiled in with include_str! (config/default.toml,
# data/divisions/*.csv).
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY config ./config
COPY data ./data
# The registry and target dir live in BuildKit cache mounts, so a source
# change recompiles only this crate, not the ~300 dependencies (including
# librdkafka and OpenSSL). The binary is copied out of the cache mount
# without its DWARF debug info (the release profile keeps it for profiling:
# 114 MB -> 25 MB); the symbol table stays, so backtraces keep function names.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin zhaoshang \
 && mkdir -p /out \
 && objcopy --strip-debug target/release/zhaoshang /out/zhaoshang

# ---- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
# Runtime libraries (from `ldd zhaoshang`): libc6, libgcc-s1 and zlib1g, all
# already in bookworm-slim, named so the dependency is explicit. OpenSSL,
# librdkafka and zstd are linked statically. ca-certificates: librdkafka
# looks for CA certificates at the system paths for SSL/SASL_SSL brokers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libc6 libgcc-s1 zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 zhaoshang \
 && useradd --uid 10001 --gid zhaoshang --no-create-home --home-dir /var/lib/zhaoshang --shell /usr/sbin/nologin zhaoshang \
 && install -d -o zhaoshang -g zhaoshang -m 0750 /var/lib/zhaoshang
COPY --from=build /out/zhaoshang /usr/local/bin/zhaoshang
# The health check needs no curl: bash's /dev/tcp speaks enough HTTP.
COPY deploy/docker/healthcheck.sh /usr/local/bin/zhaoshang-healthcheck
COPY deploy/zhaoshang.env.example /etc/zhaoshang/zhaoshang.env.example

# Configuration: environment (ZHAOSHANG__SECTION__KEY), `docker run
# --env-file`, or an env file mounted and named by ZHAOSHANG_ENV_FILE.
ENV ZHAOSHANG__DEDUP__PATH=/var/lib/zhaoshang \
    ZHAOSHANG__METRICS__ADDRESS=0.0.0.0:9464 \
    ZHAOSHANG__LOG__FORMAT=json
# The embedded dedup store; keep it across container restarts.
VOLUME ["/var/lib/zhaoshang"]
WORKDIR /var/lib/zhaoshang
USER 10001:10001
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/zhaoshang-healthcheck"]
# SIGTERM starts the graceful drain (kafka.shutdown_grace_ms); docker stop's
# default 10 s is shorter than that: use `docker stop -t 45`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/zhaoshang"]
CMD ["run"]
