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

# Two test processes (pytest-xdist), whole files each: the suite spends about half its
# time waiting on subprocesses, Prefect and loopback servers (27 min wall for 12 min of
# CPU), so a second process fills the waits; whole files keep module fixtures shared.
test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/pytest -q -m "not sweep" -n 2 --dist loadfile

# Everything, the corpus-wide sweeps included (about twice as long as `make test`).
test-all: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: $(VENV)/.installed
	$(BIN)/ruff check .

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/ingest.py

# The reliability statement's figures (docs/reliability.md), ~4 min.
reliability: $(VENV)/.installed
	$(BIN)/python benchmarks/reliability_report.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
