# The FranceConnect demo in one small image: one binary, `fc-demo`, that is also `hub`,
# `service-provider-example`, `identity-provider-example` and `data-provider-example` (links to it:
# it runs the program it is started as), plus `fc-healthcheck` for the container healthchecks.
# Each service of docker-compose.yml picks its program with `command:`.
#
# Three stages: `skeleton` reduces the workspace to its manifests; `build` compiles the
# dependencies from that skeleton (a layer that only a change of Cargo.toml / Cargo.lock rebuilds),
# then the workspace's own crates, and gathers the runtime files; the image itself starts from
# scratch: the binaries, the shared libraries they load, the CA bundle, a non-root user, fixtures.
# No registry is reachable here: `.ci/docker-base-images` builds `rust:…` locally first (README).
FROM rust:1.95-bookworm AS skeleton
WORKDIR /src
COPY . .
RUN sh docker/skeleton.sh /skeleton

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Release profile of Cargo.toml, symbols stripped (the image needs no debugger; a third of the size).
ENV CARGO_PROFILE_RELEASE_STRIP=symbols
# Dependencies layer: the crates of the registry, compiled against empty workspace crates.
COPY --from=skeleton /skeleton/ ./
RUN cargo build --release --locked -p fc-demo --bins
COPY . .
# The sources copied keep their mtimes, which may predate the empty crates just compiled:
# touching them makes cargo rebuild the workspace's crates (and only those).
RUN find . -path ./target -prune -o -name '*.rs' -exec touch {} + \
    && cargo build --release --locked -p fc-demo --bins \
    && sh docker/runtime-root.sh /rootfs target/release/fc-demo target/release/fc-healthcheck

FROM scratch
COPY --from=build /rootfs/ /
COPY fixtures /app/fixtures
ENV PATH=/usr/local/bin
# No transparent huge pages for mimalloc even on a host whose setting is `always` (the build's
# `no_thp` covers `madvise` hosts): half-used 2 MiB pages doubled the programs' idle memory
# (BENCHMARKS.md, "Fifth pass").
ENV MIMALLOC_ALLOW_THP=0
WORKDIR /app
# uid 10001, owner of /app and of /app/keys (where hub replicas mount their shared keys folder in
# docker-compose.scale.yml: a new volume takes its owner from the image).
USER demo
CMD ["fc-demo", "--bind", "0.0.0.0"]
