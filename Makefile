# Everyday targets; CI runs .ci/run.
GO ?= go

.PHONY: test test-race bench fuzz lint demo ci

test:
	$(GO) test ./...

test-race:
	$(GO) test -race ./...

# Store and report benchmarks; numbers are recorded in README.md.
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3s ./polls ./storage/...

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
