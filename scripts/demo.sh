#!/usr/bin/env bash
# `make demo`: stockade's main job on real inputs — this machine and the examples/ tree.
set -uo pipefail
cd "$(dirname "$0")/.."
S=.venv/bin/stockade
export STOCKADE_DB="${STOCKADE_DB:-$PWD/.stockade/stockade.db}"
export STOCKADE_ADVISORY_DB="${STOCKADE_ADVISORY_DB:-$PWD/.stockade/advisories.db}"
mkdir -p "$(dirname "$STOCKADE_DB")" .stockade
rule() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rule "stockade db import ../shared/data: OSV, Debian/Ubuntu/Alpine trackers, CISA KEV, EPSS (offline)"
if [ -f "$STOCKADE_ADVISORY_DB" ]; then echo "(already imported: $STOCKADE_ADVISORY_DB)"; else $S db import ../shared/data; fi
$S db status
rule "stockade host: this machine"
$S host
rule "stockade rootfs examples/app-rootfs (an application image's filesystem, unpacked)"
$S rootfs examples/app-rootfs --packages
rule "stockade rootfs examples/alpine-rootfs"
$S rootfs examples/alpine-rootfs
rule "stockade rootfs examples/app-rootfs --format cyclonedx (first lines of the SBOM)"
$S rootfs examples/app-rootfs --format cyclonedx --quiet --no-store | head -n 25
rule "stockade sbom scan: the CycloneDX SBOM above, read back and matched against the advisories"
$S rootfs examples/app-rootfs --format cyclonedx --quiet --no-store > .stockade/demo-app.cdx.json
$S sbom scan .stockade/demo-app.cdx.json --no-store
rule "stockade secrets examples/: credentials in files, manifests and Dockerfiles (masked)"
$S secrets examples/ --no-store
rule "stockade image: examples/app-rootfs built as a three-layer OCI image (each package names its layer)"
.venv/bin/python scripts/example_image.py .stockade/demo/app-image
$S image .stockade/demo/app-image:1.0 --packages
rule "stockade config examples/k8s examples/docker: Pod Security Standards, best practice, Dockerfile, exceptions"
$S config examples/k8s examples/docker --exceptions examples/.stockade/exceptions.yaml --show-suppressed
rule "stockade netpol matrix examples/cluster/netpol-shop.yaml: who can talk to whom (exact NetworkPolicy semantics)"
$S netpol matrix examples/cluster/netpol-shop.yaml
rule "stockade netpol findings, and least-privilege policies generated from observed flows"
$S netpol findings examples/cluster/netpol-shop.yaml
$S netpol generate examples/cluster/netpol-shop.yaml --flows examples/cluster/observed-flows.jsonl | head -n 30
rule "stockade rbac findings examples/cluster/rbac-attack-paths.yaml: risky grants and escalation paths"
$S rbac findings examples/cluster/rbac-attack-paths.yaml
rule "stockade rbac who-can get secrets -A"
$S rbac who-can get secrets examples/cluster/rbac-attack-paths.yaml -A
rule "stockade runtime rules validate: the upstream Falco rule files, unchanged"
$S runtime rules validate ../shared/rules/falco/falco_rules.yaml ../shared/rules/falco/falco-incubating_rules.yaml ../shared/rules/falco/falco-sandbox_rules.yaml
if [ "$(id -u)" = 0 ] && command -v bpftrace >/dev/null; then
  rule "stockade runtime watch (eBPF, upstream stable rules, 15 s): python reads /etc/shadow, then ../../etc/passwd from /usr/lib (directory traversal)"
  status=$(mktemp)
  metrics=$(mktemp)
  $S runtime watch --rules ../shared/rules/falco/falco_rules.yaml --duration 15 --status-file "$status" \
    --metrics "$metrics" --status-interval 2 &
  watcher=$!
  for _ in $(seq 1 100); do [ -s "$status" ] && break; sleep 0.1; done
  .venv/bin/python -c "open('/etc/shadow').read()"
  # a relative read by a short-lived process: both have exited before the sensor reads the records
  sh -c 'cd /etc && cat shadow > /dev/null'
  # a web app's directory traversal: a reader started by a non-shell parent with a relative ../../ path
  # (resolved against the working directory the sensor followed through fork and chdir: docs/runtime.md)
  .venv/bin/python -c "import subprocess as s, sys; s.run([sys.executable, '-c', \"open('../../etc/passwd').read()\"], cwd='/usr/lib')"
  wait "$watcher"
  rule "its counters, as Prometheus reads them (--metrics; --metrics-listen serves them at /metrics)"
  grep -E '^stockade_runtime_(events|alerts|rule_alerts|lost_events)_total' "$metrics"
  rm -f "$status" "$metrics"
else
  rule "stockade runtime watch: skipped (needs root and bpftrace; make test installs bpftrace as root)"
fi
rule "stockade inventory: every workload scanned so far (database: $STOCKADE_DB)"
$S inventory
