# shipshape: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/.tools/bin:$(PATH)

# The targets that need the cluster let `make env` start a first-time Kubernetes build early (scripts/env.sh).
test demo bench cluster: export SHIPSHAPE_K8S_EARLY = 1

.PHONY: env node registry cluster cluster-down test test-unit lint bench stress demo clean

env:            ## install what is missing, start the host Docker daemon, make .venv
	@bash scripts/env.sh

node: env       ## the cluster node's own Docker daemon (its image store)
	@bash scripts/node-daemon.sh up

registry: env   ## Debian's distribution registry on 127.0.0.1:5000
	@bash scripts/registry.sh up

cluster: env    ## build (once, cached) and start the local Kubernetes; wait for the node to be Ready
	@bash scripts/cluster-up.sh

cluster-down:   ## stop exactly what `make cluster` started
	@bash scripts/cluster-down.sh

lint: env       ## ruff, mypy, skills, and the layers (dependency direction, no circle, module sizes)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	MYPY_CACHE_DIR=$${SHIPSHAPE_CACHE:-$$HOME/.cache/shipshape}/mypy $(VENV)/bin/mypy
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/test_layers.py
	for d in skills/*/; do $(VENV)/bin/agentskills validate $$d >/dev/null || exit 1; done

test: env cluster registry lint  ## the whole suite: unit, real Docker, real Kubernetes
	SHIPSHAPE_REQUIRE_ALL=1 $(VENV)/bin/pytest -q --durations=25

test-unit: env
	$(VENV)/bin/pytest -q -m unit

bench: env cluster registry  ## benchmarks, printed as a table (the stress figures and fault table included)
	SHIPSHAPE_BENCH_DAEMON_FAULTS=1 $(PY) -m bench

stress: env     ## concurrency stress on one memory database, and the faults-mid-operation table
	$(PY) -m bench stress

demo: env cluster  ## the sample app broken in the local cluster, then recovered by `shipshape chat`
	@bash scripts/demo.sh

clean: cluster-down
	bash scripts/prisma-mirror.sh down
	rm -rf .venv .tools .cluster
