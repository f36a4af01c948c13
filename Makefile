# The complaint assistant. `make help` lists the targets.
#
# Everything installs into .venv/ (Python 3.10, found by scripts/find-python) from
# requirements.lock. Models go to models/, run state (embedded Redis data, logs) to
# .data/; all three are git-ignored.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(PY) -m rasa
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)
export PYTHONPATH := $(CURDIR)
# Quieter TensorFlow and SQLAlchemy start-up logs.
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# Rasa's anonymous telemetry stays off unless you opt in: RASA_TELEMETRY_ENABLED=true make ...
RASA_TELEMETRY_ENABLED ?= false
export RASA_TELEMETRY_ENABLED

.DEFAULT_GOAL := help
WIDGET_STAMP := widget/node_modules/.installed-$(shell cksum < widget/package-lock.json | cut -d' ' -f1)
WIDGET_SOURCES := $(wildcard widget/src/*.ts bot/console/src/*.ts) widget/build.mjs
.PHONY: help setup model train run shell validate lint test test-unit test-e2e test-stories eval eval-nlu test-nlu test-widget widget browser screenshots bench bench-gateway bench-handoff bench-nlu agents privacy audit clean

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.lock
	@python=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then \
		echo "Creating $(VENV) with $$python..."; rm -rf $(VENV); "$$python" -m venv $(VENV) || exit 1; \
	fi
	@echo "Installing pinned dependencies into $(VENV) (about 2 minutes the first time)..."
	@$(PY) -m pip install -qq --disable-pip-version-check --upgrade pip==24.0
	@$(PY) -m pip install -qq --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*; touch $@
	@echo "Dependencies installed."

setup: $(STAMP) ## create .venv and install the pinned dependencies (once)

$(WIDGET_STAMP): widget/package-lock.json
	@command -v npm > /dev/null || { echo "The chat widget is built with Node.js 18+ and npm: install them (e.g. apt-get install nodejs npm)."; exit 1; }
	@echo "Installing the widget's npm packages (npm ci, from widget/package-lock.json)..."
	@cd widget && npm ci --no-audit --no-fund --loglevel=error
	@rm -f widget/node_modules/.installed-*; touch $@

widget/dist/widget.js: $(WIDGET_STAMP) $(WIDGET_SOURCES)
	@cd widget && node build.mjs

widget: widget/dist/widget.js ## build the website widget (widget/dist/widget.js) if its sources changed

screenshots: widget ## retake the README's widget screenshots from a running `make run` (no agent logged in)
	@$(PY) scripts/readme_screenshots.py

browser: ## make sure headless Chromium is here for the browser tests (installs Debian's chromium as root)
	@scripts/ensure-chromium || true

model: setup ## train the model if data/, config.yml or domain.yml changed
	@$(PY) -m bot.training

train: setup ## train the model now, changed or not
	@$(PY) -m bot.training --force

run: setup widget ## set up, build the widget, train if needed, start Redis + action server + gateway + Rasa; Ctrl-C stops all
	@$(PY) -m bot.stack --train-if-needed

shell: setup ## talk to the running bot (`make run` in another terminal) from this terminal
	@$(PY) -m bot.terminal_chat

validate: setup ## check the training data, domain and agents.yml (rasa data validate --fail-on-warnings)
	@$(RASA) data validate --fail-on-warnings --quiet
	@$(PY) -m bot.agents list > /dev/null

# Commands beside `make run` reach its password-protected embedded Redis through the URL
# file it keeps while it runs (unless REDIS_URL or REDIS_URL_FILE says otherwise).
BESIDE_RUN := $(if $(REDIS_URL)$(REDIS_URL_FILE),,$(if $(wildcard .data/redis-url),REDIS_URL_FILE=.data/redis-url))

agents: setup ## the agents: make agents ARGS="list" (or "add ID --name .. --team .. --skills a,b", "set-password ID", "disable ID", "logout ID")
	@$(BESIDE_RUN) $(PY) -m bot.agents $(ARGS)

privacy: setup ## a customer's data beside `make run`: make privacy ARGS="export user:42" (or "erase user:42")
	@$(BESIDE_RUN) $(PY) -m bot.privacy $(ARGS)

lint: setup ## ruff: lint and formatting
	@$(PY) -m ruff check bot actions tests bench scripts
	@$(PY) -m ruff format --check bot actions tests bench scripts

test-unit: setup ## unit tests (actions, business rules, records) on a real embedded Redis
	@$(PY) -m pytest tests/unit -q

test-widget: widget ## the widget's type check and unit tests (vitest)
	@cd widget && npx --no-install tsc --noEmit -p . && npx --no-install vitest run --reporter=dot

test-e2e: model widget browser ## end-to-end and browser tests against the real stack (Redis, action server, Rasa)
	@$(PY) -m pytest tests/e2e -q

test-stories: model ## the dialogue's test stories (rasa test --fail-on-prediction-errors)
	@echo "Running the test stories in tests/stories/ (rasa test)..."
	@mkdir -p reports
	@$(RASA) test core --model models/complaint-bot.tar.gz --stories tests/stories \
		--fail-on-prediction-errors --out reports/stories --quiet > reports/stories.log 2>&1 \
		|| { tail -n 40 reports/stories.log; \
		     echo "Test stories failed: see reports/stories/failed_test_stories.yml"; exit 1; }
	@echo "Test stories passed (report: reports/stories/)."

eval: model widget ## hold the conversation test set (tests/conversations/) against the real stack; score table in reports/eval.md (ARGS="--strict")
	@$(PY) -m tests.conversations.run $(ARGS)

eval-nlu: model ## the model against the held-out messages (tests/nlu_eval/messages/): complaint F1, categories, person requests, order ids; reports/eval-nlu.md (ARGS="--strict")
	@$(PY) -m tests.nlu_eval.run $(ARGS)

test: lint validate model test-widget browser ## everything: lint, validation, widget, unit, story, end-to-end and browser tests
	@$(PY) -m pytest tests -q
	@$(MAKE) --no-print-directory test-stories
	@$(MAKE) --no-print-directory audit

audit: setup ## known vulnerabilities in requirements.lock (pip-audit) and the widget's shipped npm packages; fails on any not in security/audit-ignore.txt (AUDIT_REQUIRED=1: also when a service is unreachable)
	@$(PY) scripts/dependency_audit.py

bench: model widget ## the product against stock Rasa side by side (~20 min): bench/results.json, .md, .png
	@$(PY) -m bench.run

bench-gateway: model ## measure the gateway hop: reply latency through the gateway vs Rasa directly
	@$(PY) -m bench.gateway_hop

bench-handoff: model ## measure handoff latency (trigger → agent event) and relay latency both ways
	@$(PY) -m bench.handoff_latency

bench-nlu: setup ## Rasa's default NLU pipeline vs ours on bench/nlu/heldout.yml: training, parse time, intent F1 (~5 min)
	@$(PY) -m bench.nlu_compare

test-nlu: setup ## cross-validated NLU report (per-intent precision/recall/F1, confusions) in reports/nlu/
	@echo "Cross-validating the NLU model (5 folds, a few minutes)..."
	@$(RASA) test nlu --nlu data/nlu --config config.yml --cross-validation --folds 5 \
		--out reports/nlu --quiet
	@$(PY) -m bot.nlu_report reports/nlu

clean: ## remove models, reports and run state (keeps .venv)
	rm -rf models reports results .data
