FROM alpine:3.20.2
RUN apk add --no-cache ca-certificates=20240705-r0 tini~0.19
RUN --mount=type=cache,target=/var/cache/apk apk add bash=5.2.26-r0
USER nobody
HEALTHCHECK NONE
ENTRYPOINT ["/sbin/tini", "--"]
