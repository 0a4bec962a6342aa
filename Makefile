# orgplane: every target installs what it needs itself (npm packages, the moto venv, the
# kube-apiserver build), so a fresh machine needs nothing by hand.
SHELL := /bin/bash
NPM_STAMP := node_modules/.orgplane-installed
# Node.js 24 LTS from the npm registry (scripts/node24: the node-linux-<arch> binary packages),
# first on PATH for every recipe, so npm, npx, tsx, vitest and every test's child process run on
# it. Where no such package exists (macOS), the node already on PATH is used if it is 24 or newer.
NODE24 := scripts/node24
NODE24_STAMP := $(NODE24)/node_modules/.orgplane-installed
export PATH := $(CURDIR)/$(NODE24)/node_modules/.bin:$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help install run test test-unit test-integration test-e2e bench crds build typecheck lint format testenv testenv-stop argocd clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(NODE24_STAMP): $(NODE24)/package.json $(NODE24)/package-lock.json
	npm ci --prefix $(NODE24) --no-audit --no-fund --loglevel=error
	@node -e 'const m = Number(process.versions.node.split(".")[0]); if (m < 24) { console.error(`orgplane needs Node.js 24 or newer; $(NODE24) has no binary for this platform and the node on PATH is $${process.version}`); process.exit(1); }'
	@touch $@

$(NPM_STAMP): $(NODE24_STAMP) package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

dist/cli/main.js: $(NPM_STAMP) tsconfig.json tsconfig.build.json $(shell find controller -name '*.ts')
	tsc -p tsconfig.build.json
	@touch $@

install: $(NPM_STAMP) ## Node 24 (scripts/node24), npm packages, the moto venv
	@scripts/venv.sh

run: install ## start a local AWS emulator, apply manifests/examples/securecart, print plan and org tree
	@scripts/demo.sh $(EXAMPLE)

build: $(NPM_STAMP) dist/cli/main.js ## compile TypeScript to dist/

typecheck: install ## type-check everything (sources and tests)
	npx tsc -p tsconfig.json --noEmit

LINT_PATHS := controller test bench scripts

lint: install ## format check + lint (Biome, biome.json) of controller/ test/ bench/ scripts/; writes nothing
	npx biome check $(LINT_PATHS)

format: install ## format (Biome) and apply its safe lint fixes, in place
	npx biome format --write $(LINT_PATHS)
	npx biome check --write $(LINT_PATHS)

crds: install ## regenerate crds/ from the TypeScript schemas
	npx tsx scripts/gen-crds.ts

testenv: ## build (once, cached) and start a real kube-apiserver + etcd on loopback
	@bash scripts/testenv.sh build
	@bash scripts/testenv.sh start

testenv-stop: ## stop the kube-apiserver + etcd started by make testenv
	@bash scripts/testenv.sh stop

argocd: ## build Argo CD from the Go module proxy (once, cached) + redis-server (docs/argocd.md)
	@bash scripts/argocd.sh build

test: install typecheck lint ## lint, then all tests: unit, integration (moto), e2e (real kube-apiserver, Argo CD)
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
	npx tsx bench/plan-impact.ts --out bench/results/plan-impact-latest.json

clean:
	rm -rf dist node_modules $(NODE24)/node_modules .venv
