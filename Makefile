# `make run` and `make test` set up .venv on first use (and again when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run worker test lint format preview bench lock clean

# The pinned, hashed versions first (requirements-dev.lock); then Rounds itself, editable,
# which adds only what pyproject.toml gained since the lock was last made (`make lock`).
$(BIN)/.installed: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/python -m bot

# Its /healthz and /metrics go on 3001, beside `make run` on 3000.
worker: $(BIN)/.installed
	PORT=3001 $(BIN)/python -m jobs

test: $(BIN)/.installed
	$(BIN)/pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

preview: $(BIN)/.installed
	$(BIN)/python -m jobs preview

bench: $(BIN)/.installed
	$(BIN)/python -m bench

# Re-pin every dependency, with hashes: requirements.lock for production (deploy/install.sh,
# the Dockerfile), requirements-dev.lock for development and CI.
LOCK := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --build-deps-for wheel
lock: $(BIN)/.installed
	$(LOCK) --output-file requirements.lock pyproject.toml
	$(LOCK) --extra dev --output-file requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
