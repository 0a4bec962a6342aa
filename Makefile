# orgplane: every target installs what it needs itself (npm packages, the moto venv, the
# kube-apiserver build), so a fresh machine needs nothing by hand.
SHELL := /bin/bash
NPM_STAMP := node_modules/.orgplane-installed

.PHONY: help install run test test-unit test-integration test-e2e bench crds build typecheck testenv testenv-stop argocd clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(NPM_STAMP) ## npm packages + the moto venv
	@scripts/venv.sh

run: install ## start a local AWS emulator, apply manifests/examples/securecart, print plan and org tree
	@scripts/demo.sh $(EXAMPLE)

build: install ## compile TypeScript to dist/
	npx tsc -p tsconfig.build.json

typecheck: install ## type-check everything (sources and tests)
	npx tsc -p tsconfig.json --noEmit

crds: install ## regenerate crds/ from the TypeScript schemas
	npx tsx scripts/gen-crds.ts

testenv: ## build (once, cached) and start a real kube-apiserver + etcd on loopback
	@bash scripts/testenv.sh build
	@bash scripts/testenv.sh start

testenv-stop: ## stop the kube-apiserver + etcd started by make testenv
	@bash scripts/testenv.sh stop

argocd: ## build Argo CD from the Go module proxy (once, cached) + redis-server (docs/notes/argocd.md)
	@bash scripts/argocd.sh build

test: install typecheck ## all tests: unit, integration (moto), e2e (real kube-apiserver, Argo CD)
	@bash scripts/testenv.sh build
	@bash scripts/argocd.sh build
	npx vitest run

test-unit: install ## unit tests only
	npx vitest run test/unit

test-integration: install ## integration tests against moto
	npx vitest run test/integration

test-e2e: install ## e2e tests against a real kube-apiserver (and Argo CD)
	@bash scripts/testenv.sh build
	@bash scripts/argocd.sh build
	npx vitest run test/e2e

bench: install ## benchmarks (API calls, wall time, memory); not part of make test
	npx tsx bench/run.ts $(BENCH_ARGS)

clean:
	rm -rf dist node_modules .venv
