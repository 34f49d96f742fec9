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

.PHONY: help install run token fire test lint typecheck pytest template-check cfn-lint checkov \
        sam-validate sam-build bench requirements deploy clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python $(PYTHON) --quiet
	touch $@

install: $(VENV)/.synced ## create .venv with the pinned app and dev dependencies

run: install ## start the whole app locally: HTTP API on 127.0.0.1:3000, moto, streams, schedules
	$(BIN)/python -m infra.local_runtime run $(ARGS)

token: install ## print a bearer token for the local runtime: make token ROLE=driver SUB=d-123
	@$(BIN)/python -m infra.local_runtime token --role $(ROLE) --sub $(SUB)

fire: install ## fire a schedule now on the running local runtime: make fire FN=StandingScheduleFunction
	@$(BIN)/python -m infra.local_runtime fire $(FN)

test: lint typecheck pytest template-check ## every check: ruff, mypy, pytest, cfn-lint, checkov, sam validate, sam build

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy shared/flexfleet functions infra tests bench

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

template-check: cfn-lint checkov sam-validate sam-build requirements-check

cfn-lint: install
	$(BIN)/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml

checkov: $(UV)
	$(UV) tool run --quiet --from $(CHECKOV) checkov --quiet --compact --config-file .checkov.yaml

sam-validate: $(UV)
	$(UV) tool run --quiet --python $(PYTHON) --from $(SAM_CLI) sam validate --lint --region us-east-1 --template template.yaml

sam-build: $(UV)
	@if [ -z "$(PY313)" ]; then \
	  echo "SKIPPED: sam build: no python3.13 interpreter on this machine (the template's runtime)"; \
	else \
	  PATH="$$(dirname $(PY313)):$$PATH" $(UV) tool run --quiet --python $(PYTHON) --from $(SAM_CLI) \
	    sam build --template template.yaml --build-dir .aws-sam/build; \
	fi

# The layer's requirements are exported from uv.lock, never written by hand.
requirements: $(UV) ## regenerate shared/requirements.txt from uv.lock
	$(UV) export --locked --no-dev --no-hashes --no-header --no-annotate --quiet -o shared/requirements.txt

requirements-check: $(UV)
	@diff -u shared/requirements.txt <($(UV) export --locked --no-dev --no-hashes --no-header --no-annotate --quiet) \
	  || { echo "shared/requirements.txt is stale: run make requirements"; exit 1; }

bench: install ## print cold start, gateway overhead and stream latency figures
	$(BIN)/python -m bench $(ARGS)

deploy: $(UV) sam-build ## deploy to AWS with the guided prompts
	$(UV) tool run --python $(PYTHON) --from $(SAM_CLI) sam deploy --guided --config-file infra/samconfig.toml

clean: ## remove the virtualenvs, tool caches and build output
	rm -rf $(VENV) $(TOOLS) .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
