# syntax=docker/dockerfile:1
FROM alpine
ARG FOO=bar
COPY <<-"EOT" /script.sh
	echo "hello ${FOO}"
		indented
	EOT
COPY <<-EOT /app/foo
	hello
	EOT
ENTRYPOINT ash /script.sh
