# The README's two quick-start commands: `make demo` and `make test`.
# Both create .venv when missing and install the project into it with uv
# (pip installs uv itself if needed), so a fresh machine needs only python3 >= 3.11.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# This machine sets PYTHONDONTWRITEBYTECODE=1: without compiled bytecode every
# start re-compiles the stack (~9 s instead of ~3.5 s, STACK-NOTES.md).
export UV_COMPILE_BYTECODE := 1

.PHONY: demo test test-all lint bench reliability clean

$(BIN)/python:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	uv venv --quiet --python $(PYTHON) $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	VIRTUAL_ENV=$(VENV) uv pip install --quiet -e '.[test]'
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/newswire demo

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/pytest -q -m "not sweep"

# Everything, the corpus-wide sweeps included (about twice as long as `make test`).
test-all: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(VENV)/.installed
	$(BIN)/ruff check .

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/ingest.py

# The reliability statement's figures (docs/reliability.md), ~4 min.
reliability: $(VENV)/.installed
	$(BIN)/python benchmarks/reliability_report.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
