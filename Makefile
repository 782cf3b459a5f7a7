# The two commands: `make run` starts everything on development defaults; `make test` runs
# every test. Both find or start a Postgres themselves (scripts/postgres.sh); `make test`
# also builds the tools its checks run (see "tools" below), so it needs only Go and the
# PostgreSQL binaries on PATH.
SHELL := bash
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
IMAGE ?= placetopay-gateway/gateway

.PHONY: help run operator test fuzz tools lint check-generated e2e bench bench-go chaos build image generate vet fmt clean clean-tools db-stop FORCE

# A bare `make` says what there is to make.
.DEFAULT_GOAL := help
help:
	@echo "make run         start the gateway on development defaults (sandbox, local Postgres) and print where to look"
	@echo "make operator    add a console operator to make run's database: make operator EMAIL=you@example.com [ROLE=admin]"
	@echo "make test        run every test: the linters, the Go tests against Postgres, the contract check, a short fuzz run"
	@echo "make e2e         the browser test of the demo shop and the sandbox's pages (needs Chromium and Node)"
	@echo "make chaos       kill replicas and Postgres while paying; check nothing is lost (CHAOS_PAYMENTS=150)"
	@echo "make bench       load test against pgbench, then the Go benchmarks (docs/benchmarks.md)"
	@echo "make build       build bin/gateway"
	@echo "make image       build the container image"
	@echo "make generate    regenerate the sqlc query code and the API client the tests use"
	@echo "make lint        golangci-lint with .golangci.yml"
	@echo "make tools       build the pinned tools the checks run into bin/tools/"
	@echo "make db-stop     stop the private Postgres make run or make test started"
	@echo "make clean       remove bin/ (keeps bin/tools/; make clean-tools removes those)"

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/gateway ./cmd/gateway

# The container image, tagged with the same version the binary reports (gateway_build_info).
# The Dockerfile's go build line is the one above; deploy/dockerfile_test.go keeps them equal.
image:
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE):$(VERSION) .

# The API key and token key stay the same from run to run: scripts/dev-env.sh keeps them in
# .dev/env (git-ignored); GATEWAY_API_KEYS or GATEWAY_TOKEN_KEY set in the environment win.
run: build
	@eval "$$(scripts/postgres.sh env gateway)"; \
	keys_from=".dev/env"; [ -n "$${GATEWAY_API_KEYS:-}" ] && keys_from="GATEWAY_API_KEYS"; \
	eval "$$(scripts/dev-env.sh)"; \
	url=$${GATEWAY_PUBLIC_URL:-http://localhost:8080}; \
	echo "gateway: demo shop     $$url/demo (open it in a browser)"; \
	echo "gateway: merchant API  $$url/v1"; \
	echo "gateway: API key       $${GATEWAY_API_KEYS%%,*} (from $$keys_from)"; \
	echo "gateway: console       http://localhost:9090/console (an operator: make operator EMAIL=you@example.com)"; \
	echo "gateway: metrics       http://localhost:9090/metrics"; \
	[ -n "$${PLACETOPAY_BASE_URL:-}" ] || echo "gateway: sandbox       http://localhost:8090 (stands in for PlacetoPay; test cards on its payment page)"; \
	exec ./bin/gateway serve

# An operator for the console of `make run`, on its database: prints an enrollment link (open
# it, set a password, sign in) and an op_ token for the operator API, once.
EMAIL ?=
ROLE ?= admin
operator: build
	@test -n "$(EMAIL)" || { echo "usage: make operator EMAIL=you@example.com [ROLE=viewer|support|admin]" >&2; exit 2; }
	@eval "$$(scripts/postgres.sh env gateway)"; ./bin/gateway migrate up >/dev/null && ./bin/gateway operators add --email "$(EMAIL)" --role "$(ROLE)"

# The tools the tests and checks run, pinned, built from source with `go install` into
# bin/tools/ (git-ignored) the first time they are needed: Prometheus takes a few minutes,
# the others about a minute each. A tool is reinstalled when the package@version below
# changes (its .installed file, next to it, says what it was built from); `make clean` keeps
# them, `make clean-tools` removes them. The tests look for promtool and prometheus in
# bin/tools/, not on PATH, so every machine checks with the same versions.
# Prometheus v3.x.y is the module's v0.3xx.y: v0.316.0 is Prometheus 3.16.0.
TOOLS := bin/tools
PROMETHEUS_VERSION := v0.316.0
GOLANGCI_LINT_VERSION := v2.15.0
SQLC_VERSION := v1.31.1
TOOL_promtool := github.com/prometheus/prometheus/cmd/promtool@$(PROMETHEUS_VERSION)
TOOL_prometheus := github.com/prometheus/prometheus/cmd/prometheus@$(PROMETHEUS_VERSION)
TOOL_golangci-lint := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
TOOL_sqlc := github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION)

tools: $(TOOLS)/promtool $(TOOLS)/prometheus $(TOOLS)/golangci-lint $(TOOLS)/sqlc

$(TOOLS)/%: FORCE
	$(if $(TOOL_$*),,$(error no pinned version for tool $*))
	@if [ ! -x $@ ] || [ "$$(cat $@.installed 2>/dev/null)" != "$(TOOL_$*)" ]; then \
		echo "tools: installing $(TOOL_$*) into $(TOOLS)/"; \
		GOBIN=$(abspath $(TOOLS)) $(GO) install $(TOOL_$*) && echo "$(TOOL_$*)" > $@.installed; \
	fi

FORCE:

# golangci-lint with .golangci.yml, which says why each linter is on or off; any finding fails.
lint: $(TOOLS)/golangci-lint
	$(TOOLS)/golangci-lint run ./...

# The committed sqlc code must be what `make generate` writes from migrations/ and the
# queries files: sqlc diff prints the difference and fails when there is one.
check-generated: $(TOOLS)/sqlc
	@$(TOOLS)/sqlc diff || { echo "check-generated: the sqlc code is out of date; run make generate and commit the result" >&2; exit 1; }

# The test binaries leave the API answers they produced in a scratch folder; the contract
# coverage check then adds them up against internal/http/openapi.yaml. Every Go benchmark
# then runs once: each checks its own results, so it is also a test; then a short fuzz run.
# Before any of that: the tools, the generated code check and the linters.
test: tools check-generated lint
	@eval "$$(scripts/postgres.sh env postgres)"; \
	seen=$$(mktemp -d); trap 'rm -rf "$$seen"' EXIT; export GATEWAY_CONTRACT_SEEN_DIR=$$seen; \
	$(GO) vet ./... && $(GO) test -race -count=1 -timeout 12m ./... && \
	$(GO) test -count=1 -run '^TestCoverage$$' ./internal/http/contract -args -seen="$$seen" && \
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x $(BENCH_PKGS)
	@$(MAKE) --no-print-directory fuzz

# Go's native fuzzing of what reads untrusted JSON, FUZZTIME per target (one target per run,
# as go test requires): the merchant request decoder, the notification verifier and the
# session answer decoder. Their seeds (f.Add and testdata/fuzz/) also run in every go test.
# The first run builds instrumented test binaries, which takes minutes; later runs reuse them.
FUZZTIME ?= 5s
fuzz:
	GATEWAY_CONTRACT_SEEN_DIR= $(GO) test -run '^$$' -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME) ./internal/http
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyNotification$$' -fuzztime $(FUZZTIME) ./internal/placetopay
	$(GO) test -run '^$$' -fuzz '^FuzzQuerySessionAnswer$$' -fuzztime $(FUZZTIME) ./internal/placetopay

# Go benchmarks of the hot paths: notification checks and intake, session decoding, money
# parsing and the reconcile transaction. The intake and reconcile ones need Postgres, as `test` does.
BENCH_PKGS := ./internal/placetopay ./internal/webhooks ./internal/orders
bench-go:
	@eval "$$(scripts/postgres.sh env postgres)"; \
	$(GO) test -run '^$$' -bench . -benchmem -count 5 $(BENCH_PKGS)

# Browser tests of the demo shop and of the operator console (e2e/*.test.mjs, one after the
# other): Playwright driving Debian's Chromium, headless. Each builds and starts the gateway
# itself (e2e/gateway.mjs), on ports 18080, 18090 and 19090, on a fresh database. First,
# npm test generates openapi-typescript's types of internal/http/openapi.yaml and compiles
# the test's typed API calls (e2e/api.ts) with tsc: a disagreement fails here.
e2e:
	@test -x /usr/bin/chromium || { echo "e2e: /usr/bin/chromium is missing; install it (Debian: apt-get install chromium)" >&2; exit 1; }
	@command -v npm >/dev/null || { echo "e2e: node and npm are missing; install them (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	@cd e2e && { npm ls --silent >/dev/null 2>&1 || npm ci --no-audit --no-fund; }
	@eval "$$(scripts/postgres.sh env gateway_e2e fresh)"; \
	cd e2e && npm test

# Load test (docs/benchmarks.md): pgbench with one flow's writes, then the gateway and the
# sandbox as separate processes under complete storefront flows and a notification stream.
# Prints the report and writes it as Markdown to bin/bench-report.md. BENCH_FLAGS passes
# more flags to cmd/loadgen (e.g. BENCH_FLAGS='-duration 60s -concurrency 32').
bench: build
	$(GO) build -o bin/loadgen ./cmd/loadgen
	@eval "$$(scripts/postgres.sh env gateway_bench)"; \
	./bin/loadgen -bin bin/gateway -dir bin/bench-logs -out bin/bench-report.md $(BENCH_FLAGS)
	$(MAKE) --no-print-directory bench-go

# Chaos check (docs/benchmarks.md): three replicas on a private Postgres, one SIGKILLed and
# restarted every few seconds, Postgres crashed once, the sandbox dropping, duplicating and
# forging notifications; then every order is checked against the sandbox's approvals.
# Exits non-zero on any violation. CI runs it with CHAOS_PAYMENTS=150. CHAOS_FLAGS passes more
# flags: '-failover sync' (or async, with '-standby-lag 200ms') runs on a primary and a standby
# and fails over instead of the crash; '-outage hang' adds a PlacetoPay outage.
CHAOS_PAYMENTS ?= 1000
chaos: build
	$(GO) build -o bin/chaos ./cmd/chaos
	./bin/chaos -bin bin/gateway -payments $(CHAOS_PAYMENTS) $(CHAOS_FLAGS)

# Regenerates the sqlc query code after a change to migrations/ or a queries.sql, and the
# Go client of the merchant API that the tests drive (internal/http/contract/apiclient: its
# go:generate line pins oapi-codegen) after a change to internal/http/openapi.yaml.
generate: $(TOOLS)/sqlc
	$(TOOLS)/sqlc generate
	$(GO) generate ./internal/http/contract/apiclient

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

db-stop:
	@scripts/postgres.sh stop

# Removes the build output but keeps the pinned tools, which take minutes to build again.
clean:
	@[ ! -d bin ] || find bin -mindepth 1 -maxdepth 1 ! -name tools -exec rm -rf {} +

clean-tools:
	rm -rf $(TOOLS)
