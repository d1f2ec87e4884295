# The two commands a new user runs first: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test check docs mutation clean locks

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

# axe-core, the accessibility checker the calendar page test runs in Chromium, from the npm registry.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/browser --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the calendar page test will be skipped"; fi

test: $(VENV)/.test-deps $(AXE)
	$(BIN)/python -m pytest -q -n auto --dist loadgroup

# Static checks (docs/architecture.md, "Static checks"): CI runs them before the tests.
check: $(VENV)/.test-deps
	$(BIN)/ruff check src tests
	$(BIN)/mypy --strict src

# docs/rules.md is generated from the rule modules (src/postops/lint/rules/); a test fails when it is stale.
docs: $(BIN)/postops
	$(BIN)/python -m postops.lint.rules.docs > docs/rules.md.tmp && mv docs/rules.md.tmp docs/rules.md

# Mutation testing of the gates (docs/testing.md): not part of `make test`; prints the kill rate per module.
$(VENV)/.mutation-deps: $(VENV)/.test-deps
	$(BIN)/pip install --quiet -e '.[test,mutation]'
	touch $@

mutation: $(VENV)/.mutation-deps
	$(BIN)/python tools/mutation.py

clean:
	rm -rf $(VENV) build src/*.egg-info

# The lock files CI installs from with --require-hashes (action.yml, the GitLab pipeline, the release
# workflow): every dependency pinned, with the hash of each of its files on PyPI. Run after changing a
# dependency in pyproject.toml, and commit the result.
UV_COMPILE = $(BIN)/uv pip compile --universal --python-version 3.11 --generate-hashes --no-header
locks: $(BIN)/postops
	$(BIN)/pip install --quiet uv
	$(UV_COMPILE) pyproject.toml -o requirements/postops.txt
	$(UV_COMPILE) pyproject.toml --extra tone -o requirements/postops-tone.txt
	$(UV_COMPILE) pyproject.toml --extra test --extra tone -o requirements/test.txt
	$(UV_COMPILE) requirements/build.in -o requirements/build.txt
