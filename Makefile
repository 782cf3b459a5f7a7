# The two commands: `make run` starts everything on development defaults; `make test` runs
# every test. Both find or start a Postgres themselves (scripts/postgres.sh).
SHELL := bash
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
IMAGE ?= placetopay-gateway/gateway

.PHONY: run test fuzz e2e bench bench-go chaos build image generate vet fmt clean db-stop

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/gateway ./cmd/gateway

# The container image, tagged with the same version the binary reports (gateway_build_info).
# The Dockerfile's go build line is the one above; deploy/dockerfile_test.go keeps them equal.
image:
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE):$(VERSION) .

run: build
	@eval "$$(scripts/postgres.sh env gateway)"; \
	echo "gateway: demo shop on $${GATEWAY_PUBLIC_URL:-http://localhost:8080}/demo (open it in a browser)"; \
	echo "gateway: merchant API on $${GATEWAY_PUBLIC_URL:-http://localhost:8080}/v1, metrics on http://localhost:9090/metrics"; \
	echo "gateway: the API key to use is in the log line \"development API key\""; \
	exec ./bin/gateway serve

# The test binaries leave the API answers they produced in a scratch folder; the contract
# coverage check then adds them up against internal/http/openapi.yaml. Every Go benchmark
# then runs once: each checks its own results, so it is also a test. Then a short fuzz run.
test:
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

# Browser test of the demo shop (e2e/): Playwright driving Debian's Chromium, headless.
# The test builds and starts the gateway itself, on ports 18080, 18090 and 19090.
e2e:
	@test -x /usr/bin/chromium || { echo "e2e: /usr/bin/chromium is missing; install it (Debian: apt-get install chromium)" >&2; exit 1; }
	@command -v npm >/dev/null || { echo "e2e: node and npm are missing; install them (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	@test -d e2e/node_modules/playwright-core || (cd e2e && npm ci --no-audit --no-fund)
	@eval "$$(scripts/postgres.sh env gateway_e2e fresh)"; \
	cd e2e && node --test

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
# Exits non-zero on any violation. CI runs it with CHAOS_PAYMENTS=150.
CHAOS_PAYMENTS ?= 1000
chaos: build
	$(GO) build -o bin/chaos ./cmd/chaos
	./bin/chaos -bin bin/gateway -payments $(CHAOS_PAYMENTS) $(CHAOS_FLAGS)

# Regenerates the sqlc query code after a change to migrations/ or a queries.sql.
generate:
	$(GO) run github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1 generate

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

db-stop:
	@scripts/postgres.sh stop

clean:
	rm -rf bin
