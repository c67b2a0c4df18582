# Cascade: `make run` starts everything in one process; `make test` sets up and runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
UV := .uv/bin/uv
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test test-fast lint format setup clean docs browser nginx kubectl bench

# uv (which installs the locked dependencies) lives in its own small environment.
$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced

run: setup
	$(VENV)/bin/cascade-embedded

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The browser tests drive Debian's chromium; install it when it is missing and we may.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "chromium is missing and cannot be installed here: the browser tests will skip"; \
	fi

# The deployment walk-through test runs docs/deployment.md's gateway on Debian's nginx; install
# it when it is missing and we may. (Where systemd runs, the package also starts Debian's own
# nginx service, the default site on port 80; the test does not use it.)
nginx:
	@if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's nginx for the deployment walk-through test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; \
	else \
	  echo "nginx is missing and cannot be installed here: the deployment walk-through will skip"; \
	fi

# The Kubernetes manifest tests render deploy/k8s with `kubectl kustomize`; any kubectl does
# (the kustomizations stay within what kubectl 1.20's built-in kustomize reads). When there is
# none, install Debian's (kubernetes-client) when we may.
kubectl:
	@if command -v kubectl >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's kubectl (kubernetes-client) for the Kubernetes manifest tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client; \
	else \
	  echo "kubectl is missing and cannot be installed here: the Kubernetes manifest tests will skip (fail with CI=true)"; \
	fi

test: setup browser nginx kubectl
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# What runs without PostgreSQL, RabbitMQ or Chromium (markers follow from the tests' fixtures).
test-fast: setup
	$(VENV)/bin/python -m pytest -m "not postgres and not rabbitmq and not browser" $(PYTEST_ARGS)

# Ceilings of this machine, then the load generator in embedded and distributed mode:
# prints the figures and writes bench/REPORT.md (needs PostgreSQL and RabbitMQ).
bench: setup
	$(VENV)/bin/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .uv data .pytest_cache

docs: setup
	$(VENV)/bin/python -m cascade_shared.chassis.docs
