# The two commands: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH):/usr/local/go/bin
PYTEST_ARGS ?=

.PHONY: setup demo lint test unit e2e stack-up stack-down clean-state bench bench-scaling bench-heap

setup:
	@bash .ci/setup

demo: setup
	$(VENV)/bin/cdclake demo

# Everything: unit tests, then the end-to-end tests against the real local stack.
# The access tests switch S3 credentials inside one Spark JVM: they get a pytest process of their own.
# ruff (rules in pyproject.toml), mypy on the Spark-free layers, the layer contracts (import-linter),
# checkov over terraform/: 0 failed checks and every file parsed (a parse error would leave a module unscanned).
SCAN_VENV := .venv-scan
lint: setup
	$(VENV)/bin/ruff check cdc spark_jobs lakehouse_schemas tests
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	@test -x $(SCAN_VENV)/bin/checkov || { python3 -m venv $(SCAN_VENV) && $(SCAN_VENV)/bin/pip install -q "$$($(VENV)/bin/python -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["scan"][0])')"; }
	@mkdir -p build
	set -o pipefail; $(SCAN_VENV)/bin/checkov -d terraform --framework terraform --quiet --compact --skip-download | tee build/checkov.txt
	@! grep -q "Parsing errors" build/checkov.txt || { echo "checkov could not parse every Terraform file (see build/checkov.txt)"; exit 1; }

# The local broker also opens its SASL_SSL listener (SCRAM-SHA-512 over TLS, a local CA), which the
# kafka_tls tests log in through: what MSK's SCRAM listener looks like.
export CDCLAKE_STACK__KAFKA_SASL_SSL_PORT ?= 19094

test: setup lint
	$(VENV)/bin/python -m pytest -m "not access" $(PYTEST_ARGS)
	$(VENV)/bin/python -m pytest -m access $(PYTEST_ARGS)

# The pure-Python unit tests first (no JVM starts), then the Spark ones (one shared session).
unit: setup
	$(VENV)/bin/python -m pytest tests/unit -m "not spark" $(PYTEST_ARGS)
	$(VENV)/bin/python -m pytest tests/unit -m spark $(PYTEST_ARGS)

e2e: setup
	$(VENV)/bin/python -m pytest tests/e2e -m "not access" $(PYTEST_ARGS)
	$(VENV)/bin/python -m pytest tests/e2e -m access $(PYTEST_ARGS)

# Throughput, freshness and heap of the apply path next to the engine's ceiling, on the real local stack
# (docs/performance.md). BENCH_EVENTS sets the size: the default 20000 takes under 10 minutes here.
bench: setup
	$(VENV)/bin/pip install -q -e '.[bench]'
	$(VENV)/bin/python -m bench.run

# Events/s at 1x and 10x the events, and with 4 vs 50 tables: the apply path on local files, no servers
# (bench/scaling_bench.py; about 20 minutes at the defaults). BENCH_DEFER_BELOW: the quiet-table setting of its
# second 4-vs-50 pair (CDCLAKE_SPARK__DEFER_BELOW; 0 skips the pair).
bench-scaling: setup
	$(VENV)/bin/python -m bench.scaling_bench --defer-below $${BENCH_DEFER_BELOW:-1000}

# The driver's heap while the apply path takes 1M events in bounded batches, in a 2 GB driver unless
# CDCLAKE_SPARK__DRIVER_MEMORY says otherwise (bench/heap_bench.py; about 6 minutes here).
bench-heap: setup
	CDCLAKE_SPARK__DRIVER_MEMORY=$${CDCLAKE_SPARK__DRIVER_MEMORY:-2g} $(VENV)/bin/python -m bench.heap_bench

stack-up: setup
	$(VENV)/bin/cdclake stack up

stack-down:
	$(VENV)/bin/cdclake stack down

# Removes the local stack's data (~/.local/state/cdclake); downloads in ~/.cache/cdclake are kept.
clean-state: stack-down
	rm -rf $${XDG_STATE_HOME:-$$HOME/.local/state}/cdclake
