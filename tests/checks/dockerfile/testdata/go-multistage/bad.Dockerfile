FROM golang:latest AS build
WORKDIR /src
RUN curl -sSfL https://raw.githubusercontent.com/golangci/golangci-lint/master/install.sh | sh -s -- -b /usr/local/bin
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/server ./cmd/server

FROM scratch
COPY --from=build /out/server /server
ADD https://curl.se/ca/cacert.pem /etc/ssl/certs/ca-certificates.crt
USER 0
EXPOSE 8080
ENTRYPOINT ["/server"]
