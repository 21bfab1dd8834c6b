# syntax=docker/dockerfile:1
#
# The image of the GitHub Action (action.yml runs it prebuilt from
# ghcr.io/breakwater-dev/breakwater:v<VERSION>, so no run builds it) and of
# `breakwater serve`. Built by .github/workflows/release.yml:
#
#   docker buildx build --platform linux/amd64,linux/arm64 --build-arg VERSION=$(cat VERSION) .
#
# The build stage runs on the build machine's platform and cross-compiles, so
# a multi-arch build needs no emulation. The final image is the static binary
# and CA certificates: no shell, no package manager, nothing else to patch.

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS=linux
ARG TARGETARCH=amd64
# Without --build-arg VERSION the binary reports the VERSION file's version
# as a development build.
ARG VERSION=
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION:+v$VERSION}" -o /out/breakwater ./cmd/breakwater
# `breakwater serve` keeps its SQLite database in /data (mount a volume
# there: a new volume takes the directory's owner, the user below) and
# SQLite may need a temporary directory.
RUN mkdir -p /out/data /out/tmp && chmod 1777 /out/tmp

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/breakwater /usr/local/bin/breakwater
COPY --from=build --chown=1001:1001 /out/data /data
COPY --from=build /out/tmp /tmp
# Not root. 1001 is the user GitHub-hosted runners run as and own the
# workspace and the GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files with, which a
# container action must write (a Docker action cannot choose its user, and
# the usual 65532 could not). See docs/action.md for self-hosted runners.
USER 1001:1001
ENTRYPOINT ["/usr/local/bin/breakwater"]
