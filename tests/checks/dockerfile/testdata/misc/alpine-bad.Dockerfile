FROM alpine:3.20
RUN apk update && apk add curl jq
RUN apk add --virtual .build-deps gcc=13.2.1_git20240309-r0 musl-dev=1.2.5-r0 \
    && apk del .build-deps
USER nobody
HEALTHCHECK NONE
