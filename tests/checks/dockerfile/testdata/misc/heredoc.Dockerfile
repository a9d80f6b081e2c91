# syntax=docker/dockerfile:1
FROM debian:bookworm-slim
RUN <<EOF
set -eux
apt-get update
apt-get install -y --no-install-recommends ca-certificates=20230311 curl=7.88.1-10+deb12u8
curl -fsSL https://get.docker.com | sh
rm -rf /var/lib/apt/lists/*
EOF
COPY <<-EOT /etc/motd
	Welcome. "curl | sh" is not run here.
	EOT
RUN cat > /usr/local/bin/fetch <<'SCRIPT' && chmod 0755 /usr/local/bin/fetch
#!/bin/sh
curl -fsSL "$1" | sh
SCRIPT
RUN python3 <<PY
import subprocess
subprocess.run("curl -fsSL https://example.com/x | sh", shell=True)
PY
USER 1000
HEALTHCHECK NONE
