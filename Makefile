# The two commands a new user runs first: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test clean

$(BIN)/postops: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/postops
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The demo shows the tone models too: install the tone extra.
$(VENV)/.demo-deps: $(BIN)/postops
	$(BIN)/pip install --quiet -e '.[tone]'
	touch $@

demo: $(VENV)/.demo-deps
	PATH="$(CURDIR)/$(BIN):$$PATH" bash demo/demo.sh

test: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build src/*.egg-info
