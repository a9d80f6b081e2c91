# syntax=docker/dockerfile:1
ARG GO_VERSION=1.22.5
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
# Builder stages may run as root: they never become the image.
USER root
WORKDIR /src
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=bind,source=go.sum,target=go.sum \
    --mount=type=bind,source=go.mod,target=go.mod \
    go mod download -x
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=bind,target=. \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/server ./cmd/server
ADD --checksum=sha256:24454efad84c5c3b2ec4e0d1ec1ea7b4b9d2e3f2bfd1ed0c7ba4a4fc3e5c0f4b \
    https://curl.se/ca/cacert-2024-07-02.pem /out/cacert.pem

FROM scratch
COPY --from=build /out/cacert.pem /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/server /server
USER 65534:65534
EXPOSE 8080
HEALTHCHECK --interval=30s CMD ["/server", "-healthcheck"]
ENTRYPOINT ["/server"]
