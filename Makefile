# Every target installs what it needs into .venv first, so each works from a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install browser migrate demo serve test test-slow lint load soak faults bench bench-scan bench-payouts bench-risk bench-dashboard clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The console's browser tests drive Debian's chromium, never a browser downloaded at test time.
# Installed with apt when missing (as root, or with passwordless sudo); otherwise say how.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; else \
	    echo "The console tests need Debian's chromium: sudo apt-get install chromium" >&2; \
	    exit 1; fi; \
	  echo "installing Debian's chromium for the console tests"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    chromium >/dev/null; }

migrate: install
	$(BIN)/onecode db upgrade

# Embedded default (SQLite + bundled Redis under ./var): migrate, seed the demo brand with its
# codes and print files, then serve the API with its docs on http://$(HOST):$(PORT)/docs
demo: install
	$(BIN)/onecode demo --seed seeds/demo.yaml --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/onecode serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint browser
	$(BIN)/pytest -q

# Faults under load on deployments of their own (loadtests/faults.py), minutes each.
test-slow: install
	$(BIN)/pytest -q -m slow

# Print files, verification and storage (bench/out/results.json), the consumer scan against a
# bare validated endpoint (bench/out/scan.json), payouts through two workers to the sandbox
# (bench/out/payouts.json); docs/benchmarks.md explains them.
bench: install
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.scan_load
	$(BIN)/python -m bench.payouts
	$(BIN)/python -m bench.risk

# The population (consumers, wool farms, guides, stores, dealer PDAs) against a deployment
# started for it: locust's CSV and HTML report and the books in loadtests/out/ (LOAD_ARGS, e.g.
# LOAD_ARGS="--users 120 --seconds 300"; docs/benchmarks.md)
load: install
	$(BIN)/python -m loadtests.run $(LOAD_ARGS)

# Ten minutes at 70% of the measured peak, memory and queues sampled (loadtests/out/soak.json)
soak: install
	$(BIN)/python -m loadtests.run --soak $(LOAD_ARGS)

# Every fault scenario with its figures (loadtests/out/faults.json; tests/test_faults.py checks)
faults: install
	$(BIN)/python -m loadtests.faults

# The consumer scan part alone.
bench-scan: install
	$(BIN)/python -m bench.scan_load

# The payout part alone.
bench-payouts: install
	$(BIN)/python -m bench.payouts

# Every dashboard panel over ten million scans in PostgreSQL (bench/out/dashboard.json)
bench-dashboard: install
	$(BIN)/python -m bench.dashboard

# Risk on simulated markets the model never saw (bench/out/risk.json; docs/risk.md)
bench-risk: install
	$(BIN)/python -m bench.risk

clean:
	rm -rf var bench/out .pytest_cache .mypy_cache .ruff_cache
