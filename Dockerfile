# syntax=docker/dockerfile:1
# posture in a small image: built in the Rust image, run from distroless (glibc, CA
# certificates, no shell, no package manager) as a non-root user.
#
#   docker build -t posture .
#   docker run --rm posture scan --inventory /example/example-account.json
#   docker run --rm -e AWS_PROFILE -v ~/.aws:/home/nonroot/.aws:ro posture scan
#
# The commit for `posture --version` and the report's tool.commit: the build context has no
# .git, so pass it: --build-arg POSTURE_GIT_COMMIT=$(git rev-parse HEAD).

FROM rust:1.95-slim-bookworm AS build
ARG POSTURE_GIT_COMMIT=unknown
ARG SOURCE_DATE_EPOCH
WORKDIR /src
# Only what the binary is built from (see .dockerignore); benches/ because the manifest names
# its targets.
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY rules rules
COPY benches benches
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    POSTURE_GIT_COMMIT="${POSTURE_GIT_COMMIT}" SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH}" \
    cargo build --release --locked --bin posture \
    && cp target/release/posture /usr/local/bin/posture

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/posture /usr/local/bin/posture
COPY fixtures/example-account.json /example/example-account.json
USER nonroot
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/posture"]
CMD ["--help"]
