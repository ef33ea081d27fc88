# ledgertap image: ledgertap-ingest, ledgertap-sim, ledgertap-query and the migrations.
#
#   docker build -t ledgertap:local .          (compose.yaml does this for you)
#   docker run --rm ledgertap:local --help      (ledgertap-ingest is the entrypoint)
#
# Debian bookworm packages only. The builder compiles a Release build without the tests; the
# runtime stage carries only the shared libraries the three executables link, and runs as the
# unprivileged user `ledgertap` (uid 10001).

FROM debian:bookworm-slim AS build
ARG DEBIAN_FRONTEND=noninteractive
# The build half of scripts/install-deps (no test, fuzz, browser or server packages).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential cmake ninja-build pkg-config ca-certificates \
        libwebsockets-dev libpqxx-dev libpq-dev rapidjson-dev libspdlog-dev libfmt-dev \
        libsodium-dev libcurl4-openssl-dev libtomlplusplus-dev libcli11-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY schema/ schema/
COPY ingest/ ingest/
COPY query/ query/
COPY sim/ sim/
COPY migrations/ migrations/
# Parallel compile jobs (default: every CPU the build sees).
ARG LEDGERTAP_BUILD_JOBS=""
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEDGERTAP_TESTS=OFF \
        -DCMAKE_INSTALL_PREFIX=/opt/ledgertap \
 && cmake --build /build -j "${LEDGERTAP_BUILD_JOBS:-$(nproc)}" \
 && cmake --install /build --strip

FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
# Runtime libraries of the three executables (libstdc++ is in the base image); curl for the
# compose healthcheck against /healthz.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        libwebsockets17 libpqxx-6.4 libpq5 libspdlog1.10 libfmt9 libsodium23 libcurl4 \
        libtomlplusplus3 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin ledgertap
COPY --from=build /opt/ledgertap/bin/ /usr/local/bin/
# ledgertap-ingest migrate finds these through <exe>/../share/ledgertap/migrations.
COPY --from=build /opt/ledgertap/share/ledgertap/ /usr/local/share/ledgertap/
COPY ledgertap.example.toml /usr/local/share/ledgertap/ledgertap.example.toml
# Fails the build if a runtime library is missing.
RUN for exe in ledgertap-ingest ledgertap-sim ledgertap-query; do \
        if ldd "/usr/local/bin/$exe" | grep 'not found'; then exit 1; fi; \
        "$exe" --version; \
    done
USER 10001:10001
WORKDIR /tmp
# /metrics, /healthz, /readyz when started with --metrics-addr 0.0.0.0:9464
EXPOSE 9464
ENTRYPOINT ["ledgertap-ingest"]
CMD ["--help"]
