# kefu — see README.md. `make run` and `make test` are all a newcomer needs.

GO      ?= go
BIN     := bin/kefu
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./data
FUZZTIME ?= 20s

.PHONY: all build run test bench fuzz deps browser axe postgres vet fmt clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/kefu

## run: build and start kefu with demo data on http://$(ADDR)
run: build
	./$(BIN) serve --demo --addr $(ADDR) --data $(DATA)

## test: install what tests need (Chromium, axe-core, PostgreSQL), then run every test with the race detector
test: deps
	$(GO) test -race -count=1 -timeout 25m ./...

## bench: every benchmark, one table of figures vs baselines and goals, bench/results.json and bench/chart.svg (bench/README.md)
## BENCHFLAGS=-profile also writes CPU and memory profiles to bench/profiles
BENCHFLAGS ?=
bench:
	$(GO) run ./bench/report $(BENCHFLAGS)

## fuzz: each fuzz target for FUZZTIME
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

deps: browser axe postgres

## browser: Debian's Chromium for the browser tests, when missing
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; then \
	  echo "browser: $$(command -v chromium || command -v chromium-browser || command -v google-chrome)"; \
	else \
	  echo "browser: installing Debian's chromium"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

## axe: axe-core from npm for the accessibility checks in the browser tests, when missing or another version
AXE_VERSION := 4.14.1
AXE_DIR     := internal/browsertest/axe
axe:
	@if grep -qs '"version": "$(AXE_VERSION)"' $(AXE_DIR)/node_modules/axe-core/package.json && [ -s $(AXE_DIR)/node_modules/axe-core/axe.min.js ]; then \
	  echo "axe: axe-core $(AXE_VERSION) in $(AXE_DIR)"; \
	else \
	  echo "axe: installing axe-core $(AXE_VERSION) with npm"; \
	  command -v npm >/dev/null 2>&1 || { echo "axe: npm is missing (Debian: apt-get install npm)" >&2; exit 1; }; \
	  npm install --no-save --no-package-lock --no-audit --no-fund --silent --prefix $(AXE_DIR) axe-core@$(AXE_VERSION); \
	fi

## postgres: Debian's PostgreSQL server for the scale-out tests, when missing
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then \
	  echo "postgres: $$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1 || dirname $$(command -v initdb))"; \
	else \
	  echo "postgres: installing Debian's postgresql"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
