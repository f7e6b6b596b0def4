# CellForge: the two commands a newcomer runs are `make run` and `make test`.

GO      ?= go
BIN     := bin/cellforge
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Seconds each fuzzer runs in `make test`; `make fuzz` runs them longer.
FUZZTIME ?= 10s

.PHONY: all build run test unit fuzz fuzz-long bench vet clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/cellforge

## run: serve the demo factory on 127.0.0.1:8080 with everything embedded (SQLite under ./data).
run: build
	./$(BIN) serve --config configs/demo.yaml --data ./data --listen 127.0.0.1:8080

## test: every test, the race detector on, then each fuzzer for $(FUZZTIME).
test: vet unit fuzz

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

fuzz:
	scripts/fuzz.sh $(FUZZTIME)

fuzz-long:
	scripts/fuzz.sh 5m

## bench: import rate and API latency against the running daemon; figures go to docs/BENCHMARKS.md.
bench: build
	scripts/bench.sh

clean:
	rm -rf bin .bench
