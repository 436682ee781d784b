# The two commands: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH):/usr/local/go/bin
PYTEST_ARGS ?=

.PHONY: setup demo lint test unit e2e stack-up stack-down clean-state bench

setup:
	@bash .ci/setup

demo: setup
	$(VENV)/bin/cdclake demo

# Everything: unit tests, then the end-to-end tests against the real local stack.
# The access tests switch S3 credentials inside one Spark JVM: they get a pytest process of their own.
lint: setup
	$(VENV)/bin/ruff check cdc spark_jobs lakehouse_schemas tests

test: setup lint
	$(VENV)/bin/python -m pytest -m "not access" $(PYTEST_ARGS)
	$(VENV)/bin/python -m pytest -m access $(PYTEST_ARGS)

unit: setup
	$(VENV)/bin/python -m pytest tests/unit $(PYTEST_ARGS)

e2e: setup
	$(VENV)/bin/python -m pytest tests/e2e -m "not access" $(PYTEST_ARGS)
	$(VENV)/bin/python -m pytest tests/e2e -m access $(PYTEST_ARGS)

# Throughput, freshness and heap of the apply path next to the engine's ceiling, on the real local stack
# (docs/performance.md). BENCH_EVENTS sets the size: the default 20000 takes under 10 minutes here.
bench: setup
	$(VENV)/bin/pip install -q -e '.[bench]'
	$(VENV)/bin/python -m bench.run

stack-up: setup
	$(VENV)/bin/cdclake stack up

stack-down:
	$(VENV)/bin/cdclake stack down

# Removes the local stack's data (~/.local/state/cdclake); downloads in ~/.cache/cdclake are kept.
clean-state: stack-down
	rm -rf $${XDG_STATE_HOME:-$$HOME/.local/state}/cdclake
