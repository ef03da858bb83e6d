# finsignal: two commands do all set-up on a fresh machine.
#   make test   create .venv (Python 3.12), install, fetch test servers, run quality gates + the whole suite
#   make run    install if needed and start finsignal (console mode on SQLite when no token is configured)
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed-stamp
# Python 3.12: PATH first (pyenv shims honour .python-version), then pyenv's own directory.
BASE_PYTHON ?= $(firstword $(shell command -v python$(PYTHON_VERSION) 2>/dev/null) $(wildcard $(HOME)/.pyenv/versions/$(PYTHON_VERSION)*/bin/python$(PYTHON_VERSION)) /usr/bin/python$(PYTHON_VERSION))
PYTEST_ARGS ?=

.PHONY: help install test-deps lint test run chat bench clean docker docker-check

help:
	@echo "make test   - install everything and run quality gates + tests (SQLite and MariaDB)"
	@echo "make run    - install if needed and start finsignal (console mode without a token)"
	@echo "make bench  - run the benchmark scripts in bench/"
	@echo "make docker-check - build the image (local Debian base if needed) and start it: status, /help"

$(STAMP): pyproject.toml requirements-dev.lock
	@test -x "$(BASE_PYTHON)" || { echo "Python $(PYTHON_VERSION) not found (looked on PATH and in ~/.pyenv/versions). Install it, or pass BASE_PYTHON=/path/to/python$(PYTHON_VERSION)." >&2; exit 1; }
	@test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip uv
	$(UV) pip sync --python $(PY) --quiet --compile-bytecode requirements-dev.lock
	$(UV) pip install --python $(PY) --quiet --no-deps -e .
	@# byte-compile our own packages too (imports start faster, also where PYTHONDONTWRITEBYTECODE is set)
	$(PY) -m compileall -q core market signals backtest news storage scheduler bot api finsignal fundflow
	@# compile the numba kernels into their cache now, not at the first /price or backtest (issue 26)
	$(PY) -m finsignal.warm
	@touch $(STAMP)

install: $(STAMP)

# What the tests need beyond Python packages: a MariaDB server binary (the test session starts its own
# server on 127.0.0.1 in a temporary directory). Installed from Debian packages when absent and root.
test-deps:
	@if command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1 || [ -n "$$FINSIGNAL_TEST_MYSQL_URL" ]; then \
		echo "MariaDB server: present"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "MariaDB server: installing from Debian packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mariadb-server >/dev/null; \
	else \
		echo "!!! MariaDB server not available (not root or no apt-get): MariaDB tests will be SKIPPED (a failure under CI=true)"; \
	fi
	@# issue 20: the Redis event bus and hot tier are tested against a real redis-server
	@if command -v redis-server >/dev/null 2>&1; then \
		echo "Redis server: present"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Redis server: installing from Debian packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; \
	else \
		echo "!!! Redis server not available (not root or no apt-get): Redis tests will be SKIPPED (a failure under CI=true)"; \
	fi
	@# the dashboard's browser test (issue 19): Debian's chromium and its WebDriver
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		echo "Chromium + chromedriver: present"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Chromium + chromedriver: installing from Debian packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; \
	else \
		echo "!!! chromium/chromedriver not available: the dashboard browser test will be SKIPPED (a failure under CI=true)"; \
	fi
	@# Korean chart labels (issue 22: fund-flow chart in Korean; its test fails without a CJK font)
	@if fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "Noto CJK fonts: present"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Noto CJK fonts: installing from Debian packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null; \
	else \
		echo "!!! fonts-noto-cjk not available: Korean charts fall back to English and their test fails"; \
	fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/hadolint Dockerfile

test: install test-deps lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)
	@# issue 25: the image is built and started (status --check, a console /help) wherever a Docker
	@# daemon can run; where the kernel or the user cannot run one, that is said and the rest stands
	@if tools/docker_daemon.sh; then $(MAKE) --no-print-directory docker-check; \
	else echo "!!! no Docker daemon can run here: the image was NOT built or started (see above)"; fi

run: install
	$(VENV)/bin/finsignal run

chat: install
	$(VENV)/bin/finsignal chat

# Benchmarks print figures against references measured in the same run (vectorbt from the bench extra).
bench: install
	$(UV) pip install --python $(PY) --quiet --compile-bytecode -e '.[dev,bench]'
	@# bench/api.py's load generator (issue 19); without it, httpx client processes
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; } || echo "wrk not installed: bench/api.py uses httpx client processes"
	@for script in bench/*.py; do echo "=== $$script"; $(PY) $$script || exit 1; done

lock:
	$(UV) pip compile --python $(PY) --quiet --extra dev --universal -o requirements-dev.lock pyproject.toml
	$(UV) pip compile --python $(PY) --quiet -o requirements.lock pyproject.toml

# The image built and started (run by `make test` after the tests, where a daemon can run; it reaches
# Debian's mirror and PyPI as `make install` does, never from a test). Host networking only: a daemon
# run as `dockerd --bridge=none --iptables=false` (tools/docker_daemon.sh).
# DOCKER_BASE is made by tools/docker_base.sh when absent (no registry needed); BASE_IMAGE=python:3.12-slim-bookworm
# otherwise. A named volume holds the container's database for the two runs.
DOCKER_BASE ?= finsignal-base:bookworm
docker-check: install
	@command -v docker >/dev/null || { echo "docker not found: apt-get install docker.io, then dockerd --bridge=none --iptables=false"; exit 1; }
	@docker image inspect $(DOCKER_BASE) >/dev/null 2>&1 || tools/docker_base.sh $(DOCKER_BASE) $(PY)
	docker build --network host --build-arg BASE_IMAGE=$(DOCKER_BASE) -t finsignal:check .
	docker volume rm -f finsignal-check >/dev/null
	docker run --rm --network host -v finsignal-check:/data finsignal:check db upgrade
	docker run --rm --network host -v finsignal-check:/data finsignal:check status --check
	printf '/help\n' | docker run --rm -i --network host -v finsignal-check:/data finsignal:check chat | grep -q '/watch SYMBOL'
	docker volume rm -f finsignal-check >/dev/null
	@echo "image finsignal:check built on $(DOCKER_BASE): status --check and a console /help passed"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

docker:
	docker build -t finsignal .
