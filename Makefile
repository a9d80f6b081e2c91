# stockade — every set-up step lives here, so a fresh clone needs only `make demo` and `make test`.
SHELL  := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# system packages the test suite uses (real rpm databases, a Debian rootfs, Go and Rust binaries, ...)
APT_PACKAGES := rpm db5.3-util golang-github-knqyf263-go-rpmdb-dev gnupg debootstrap golang-go binutils \
                util-linux ruby bundler composer php-cli openjdk-17-jdk-headless maven unzip gcc git \
                podman skopeo umoci docker-registry apache2-utils openssl \
                python3-rpm python3-apt php-composer-semver nodejs golang-src \
                bpftrace runc busybox-static
export STOCKADE_DB ?= $(CURDIR)/.stockade/stockade.db

.PHONY: demo test test-fast lint bench system-deps clean

$(STAMP): pyproject.toml setup.py src/stockade/target/_yamlc.c
	$(PYTHON) -m venv $(VENV)
	@echo "installing stockade and its development tools into $(VENV)"
	@set -o pipefail; $(BIN)/pip install --quiet --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
	@set -o pipefail; $(BIN)/pip install --quiet -e '.[dev]' 2>&1 | { grep -v "^WARNING: Location" || true; }
	@touch $(STAMP)

system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi; \
	else echo "not root or no apt-get: tests that need rpm, debootstrap or go will skip and say why"; fi

demo: $(STAMP)
	@$(BIN)/python -m compileall -q src  # (bytecode once, as pip install does: PYTHONDONTWRITEBYTECODE may be set)
	@bash scripts/demo.sh

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q --durations=15 tests

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" tests

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts setup.py
	$(BIN)/ruff format --check src tests benchmarks scripts setup.py
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/catalog_host.py
	$(BIN)/python benchmarks/catalog_java.py
	$(BIN)/python benchmarks/render_formats.py
	$(BIN)/python benchmarks/store_record.py
	$(BIN)/python benchmarks/image_scan.py
	$(BIN)/python benchmarks/advisory_import.py
	$(BIN)/python benchmarks/vuln_match.py
	$(BIN)/python benchmarks/yaml_read.py
	$(BIN)/python benchmarks/netpol_matrix.py
	$(BIN)/python benchmarks/rbac_whocan.py
	@echo "longer or root-only comparisons (each writes its own table): benchmarks/k8s_vs_checkov.py,"
	@echo "benchmarks/secrets_vs_detect_secrets.py, benchmarks/rules_replay.py, benchmarks/runtime_overhead.py"

clean:
	rm -rf $(VENV) .stockade .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
