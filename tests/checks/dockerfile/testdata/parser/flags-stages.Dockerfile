FROM --platform=$BUILDPLATFORM golang:1.22 AS Build
RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=bind,target=. go build -o /out/app .
FROM build AS test
RUN go test ./...
from alpine:3.20
Copy --from=BUILD --chown=55:mygroup --chmod=0755 /out/app /usr/local/bin/app
add --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://mirrors.edge.kernel.org/pub/linux/kernel/Historic/linux-0.01.tar.gz /
onbuild RUN echo triggered
