# Everyday targets; CI runs .ci/run.
GO ?= go

.PHONY: test test-race bench bench-store bench-http fuzz lint demo ci

test:
	$(GO) test ./...

test-race:
	$(GO) test -race ./...

# Store and report benchmarks, then vote clicks end to end over HTTP;
# numbers are recorded in README.md.
bench: bench-store bench-http

bench-store:
	$(GO) test -run '^$$' -bench . -benchtime 3s ./polls ./storage/...

# pollbench starts its own redis-server (never on 6379), fake Slack and
# Discord APIs, its reference server and pollbot serve, all on loopback,
# and stops them after: closed loop (50 clients), then open loop (2,000
# clicks/s offered).
bench-http:
	$(GO) run ./cmd/pollbench -start -platform both -duration 20s -rounds 10
	$(GO) run ./cmd/pollbench -start -platform both -duration 20s -rounds 10 -rate 2000

fuzz:
	$(GO) test -run '^$$' -fuzz=FuzzParse -fuzztime=2m ./bot

lint:
	gofmt -l .
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	$(GO) mod tidy -diff

demo:
	$(GO) run ./cmd/pollbot demo

ci:
	bash .ci/run
