# Two commands on a fresh machine: `make run` and `make test`. Everything else builds on .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
BENCH_DEPS := 'pyinstrument>=4.6'

.PHONY: run test lint clean bench chaos demo

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/releasewatch run

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q

# A DeepSeek V4-like launch replayed against fakes on 127.0.0.1: no network, no accounts.
demo: $(STAMP)
	$(BIN)/python -m demo

lint: $(TEST_STAMP)
	$(BIN)/ruff check bot watchers tests demo
	$(BIN)/mypy bot watchers

# Evidence for the README's Performance and Reliability sections (bench/README.md). Not part of
# `make test`: bench takes a few minutes, chaos up to ten. Their extra tools go into .venv only.
$(BENCH_STAMP): $(TEST_STAMP)
	$(BIN)/pip install --quiet $(BENCH_DEPS)
	touch $@

bench: $(TEST_STAMP) $(BENCH_STAMP)
	$(BIN)/python -m bench

chaos: $(TEST_STAMP) $(BENCH_STAMP)
	$(BIN)/python -m bench.chaos

clean:
	rm -rf $(VENV) build *.egg-info
