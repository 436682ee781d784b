# The two commands: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH):/usr/local/go/bin
PYTEST_ARGS ?=

.PHONY: setup demo test unit e2e stack-up stack-down clean-state

setup:
	@bash .ci/setup

demo: setup
	$(VENV)/bin/cdclake demo

# Everything: unit tests, then the end-to-end tests against the real local stack.
test: setup
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

unit: setup
	$(VENV)/bin/python -m pytest tests/unit $(PYTEST_ARGS)

e2e: setup
	$(VENV)/bin/python -m pytest tests/e2e $(PYTEST_ARGS)

stack-up: setup
	$(VENV)/bin/cdclake stack up

stack-down:
	$(VENV)/bin/cdclake stack down

# Removes the local stack's data (~/.local/state/cdclake); downloads in ~/.cache/cdclake are kept.
clean-state: stack-down
	rm -rf $${XDG_STATE_HOME:-$$HOME/.local/state}/cdclake
