# syntax=docker/dockerfile:1
#
# modgate container image: a static binary on distroless, running as non-root.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t modgate .
#   docker run --rm -p 8080:8080 -p 9090:9090 -e MODGATE_WEBHOOK_PASSWORD=change-me modgate
#
# The image holds /etc/modgate/config.yaml (examples/docker/config.yaml) and the
# starter rule pack in /etc/modgate/rules/. The config loads
# /etc/modgate/rules/*.yaml: mount your own rule directory over
# /etc/modgate/rules (list files beside or below the rule files that name them).

FROM golang:1.26-bookworm AS build
WORKDIR /src

# Dependencies first, in their own layer: it is rebuilt only when go.mod or
# go.sum change, not on every source edit.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/modgate ./cmd/modgate

# Lay out /etc/modgate as the final image has it, and refuse to build an image
# whose own config or rules do not load.
RUN mkdir -p /out/etc/modgate/rules \
 && cp examples/docker/config.yaml /out/etc/modgate/config.yaml \
 && cp examples/rules/starter.yaml /out/etc/modgate/rules/ \
 && cp -r examples/rules/lists /out/etc/modgate/rules/lists \
 && MODGATE_WEBHOOK_PASSWORD=build-check /out/modgate check --config /out/etc/modgate/config.yaml

# static-debian12 has CA certificates, tzdata and /etc/passwd entries for
# nonroot (65532); no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/modgate /modgate
# Owned by root, read-only to the process: rules change by mounting, not by
# writing into the container.
COPY --from=build /out/etc/modgate /etc/modgate
USER 65532:65532
# 8080: webhooks (public). 9090: /metrics, /healthz, /readyz, POST /-/reload
# (keep it off the internet).
EXPOSE 8080 9090
ENTRYPOINT ["/modgate"]
CMD ["serve", "--config", "/etc/modgate/config.yaml"]
