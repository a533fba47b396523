# One image holding the four programs of the FranceConnect demo (and the all-in-one launcher).
# Build stage: the Rust toolchain on Debian bookworm. Runtime stage: Debian bookworm slim, non-root.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bins \
        -p hub -p service-provider-example -p identity-provider-example -p data-provider-example -p fc-demo \
    && mkdir /out \
    && cp target/release/hub target/release/service-provider-example target/release/identity-provider-example \
          target/release/data-provider-example target/release/fc-demo target/release/fc-healthcheck /out/

FROM debian:bookworm-slim
# /app/keys: where hub replicas mount their shared keys folder (docker-compose.scale.yml); a new
# volume takes its owner from the image.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin demo \
    && mkdir -p /app/keys && chown demo /app /app/keys
COPY --from=build /out/ /usr/local/bin/
COPY fixtures /app/fixtures
WORKDIR /app
USER demo
# Each service of docker-compose.yml picks its program with `command:`.
CMD ["fc-demo", "--bind", "0.0.0.0"]
