# The README's commands. Every target installs what it needs first, so a fresh clone needs only
# Python >= 3.11 and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install serve test lint format bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "FakeAI needs Python >= 3.11 (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q src  # bytecode for the editable source: faster server start
	touch $(STAMP)

serve: install
	$(BIN)/fakeai server --host $(HOST) --port $(PORT)

# openai-node for the live Responses check (tests/live/test_responses.py), from the npm registry when npm is
# here; without npm, or offline, that one test says it skipped and the rest runs.
NODE_CHECK := tests/clients/node
NODE_STAMP := $(NODE_CHECK)/node_modules/.installed-stamp

$(NODE_STAMP): $(NODE_CHECK)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		if npm ci --prefix $(NODE_CHECK) --no-audit --no-fund --silent; then touch $(NODE_STAMP); \
		else echo "npm ci failed: the openai-node check will skip"; fi; \
	else echo "no npm here: the openai-node check will skip"; fi

test: install $(NODE_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

# FakeAI against the limit of its stack and the original FakeAI (docs/performance.md). The harness makes the
# original's venv itself (bench/.venv-original) and needs wrk and taskset; it says what is missing.
# BENCH_ARGS: --quick, --only streams,requests, --update-docs (python -m bench.run --help).
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache bench/.venv-original bench/.aimock bench/.baseline bench/results \
		$(NODE_CHECK)/node_modules
