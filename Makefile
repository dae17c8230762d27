# Two commands for a fresh clone: `make demo` runs the product, `make test` runs the tests.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install check-python lint clean

demo: $(STAMP)
	SIYU_ENV=dev $(BIN)/siyu demo
	SIYU_ENV=dev $(BIN)/siyu serve --worker

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(STAMP)

# Re-install whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Siyu needs Python 3.11+"' \
	  || { echo "Siyu needs Python 3.11 or newer as $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache
